(* The model side of the differential test: reads the inputs the Rust side
   (proofs/bridge) wrote, runs the extracted Coq parsers on each, and prints
   one verdict line per input and parser, in the format the Rust side
   prints its own verdicts in.

   Input lines (hex is lowercase; an empty field is an empty string):
     B <id> <hex>           bytes: run parse (H), parse_prefix (P), parse_slot_alone (S)
     T <id> <cp,cp,...>     text as Unicode code points in hex: run parse_key (K)
     F <id> <hex>           a 32-byte key: run format_key (F)

   Output lines: "<id> <parser> <verdict>", see the verdict functions below.

   This file is glue, not part of what is proved: it converts between
   OCaml's int/char/string and the extracted types (N, byte, lists) and
   prints. A mistake here shows up as a disagreement with the Rust side,
   which prints the same things from its own types. *)

open Ebak_model

(* --- conversions ------------------------------------------------------ *)

let rec pos_of_int n =
  if n = 1 then XH
  else if n land 1 = 1 then XI (pos_of_int (n lsr 1))
  else XO (pos_of_int (n lsr 1))

let n_of_int n = if n = 0 then N0 else Npos (pos_of_int n)

let rec int_of_pos = function
  | XH -> 1
  | XO p -> 2 * int_of_pos p
  | XI p -> (2 * int_of_pos p) + 1

let int_of_n = function N0 -> 0 | Npos p -> int_of_pos p

let rec int_of_nat = function O -> 0 | S n -> 1 + int_of_nat n

(* The 256 bytes, by value, built once with the extracted Byte.of_N. *)
let bytes_by_value =
  Array.init 256 (fun i ->
      match of_N (n_of_int i) with
      | Some b -> b
      | None -> failwith "Byte.of_N refused a value below 256")

let byte_of_int i = bytes_by_value.(i)
let int_of_byte b = int_of_n (to_N b)

let hex_value c =
  match c with
  | '0' .. '9' -> Char.code c - 48
  | 'a' .. 'f' -> Char.code c - 87
  | _ -> failwith (Printf.sprintf "bad hex digit %C in the input file" c)

let bytes_of_hex s =
  let n = String.length s in
  if n mod 2 <> 0 then failwith "odd-length hex in the input file";
  List.init (n / 2) (fun i ->
      byte_of_int ((16 * hex_value s.[2 * i]) + hex_value s.[(2 * i) + 1]))

let hex_of_bytes bs =
  let b = Buffer.create 64 in
  List.iter (fun x -> Buffer.add_string b (Printf.sprintf "%02x" (int_of_byte x))) bs;
  Buffer.contents b

let code_points_of_field s =
  if s = "" then []
  else List.map (fun h -> n_of_int (int_of_string ("0x" ^ h))) (String.split_on_char ',' s)

(* --- verdicts --------------------------------------------------------- *)

let show_slot = function
  | Password (salt, k, wrapped) ->
      Printf.sprintf "pw:%s:%d:%d:%d:%s" (hex_of_bytes salt) (int_of_n k.memory_kib)
        (int_of_n k.iterations) (int_of_n k.parallelism) (hex_of_bytes wrapped)
  | Other (t, body) -> Printf.sprintf "other:%d:%s" (int_of_byte t) (hex_of_bytes body)

let show_slots = function
  | [] -> "-"
  | ss -> String.concat "|" (List.map show_slot ss)

let show_header_error = function
  | Truncated -> "Truncated"
  | BadMagic -> "BadMagic"
  | UnsupportedVersion v -> Printf.sprintf "UnsupportedVersion:%d" (int_of_byte v)
  | TooManySlots n -> Printf.sprintf "TooManySlots:%d" (int_of_byte n)
  | ReservedSlotType -> "ReservedSlotType"
  | SlotLength t -> Printf.sprintf "SlotLength:%d" (int_of_byte t)
  | InvalidKdfParams -> "InvalidKdfParams"
  | DuplicateSlot -> "DuplicateSlot"
  | TrailingData -> "TrailingData"

let rec take_list n l =
  if n = 0 then [] else match l with [] -> [] | x :: r -> x :: take_list (n - 1) r

(* Whether the model's serializer gives back exactly the bytes read (the
   theorem Header.serialize_parse says it must). *)
let canonical h consumed input =
  if serialize h = take_list consumed input then "canonical" else "NONCANONICAL"

let show_header h len input =
  Printf.sprintf "ok %d %s %s %s" len (show_slots h.slots) (hex_of_bytes h.mac) (canonical h len input)

let verdict_parse input =
  match parse input with
  | Ok h -> show_header h (List.length input) input
  | Err e -> "err " ^ show_header_error e

let verdict_prefix input =
  match parse_prefix input with
  | Ok (h, n) -> show_header h (int_of_nat n) input
  | Err e -> "err " ^ show_header_error e

let verdict_slot input =
  match parse_slot_alone input with
  | Ok s ->
      let enc = if encode_slot s = input then "canonical" else "NONCANONICAL" in
      Printf.sprintf "ok %s %s" (show_slot s) enc
  | Err e -> "err " ^ show_header_error e

let verdict_key cps =
  match parse_key cps with
  | Ok key -> "ok " ^ hex_of_bytes key
  | Err (InvalidCharacter (c, p)) ->
      Printf.sprintf "err InvalidCharacter:%x:%d" (int_of_n c) (int_of_n p)
  | Err (TooShort m) -> Printf.sprintf "err TooShort:%d" (int_of_n m)
  | Err (TooLong x) -> Printf.sprintf "err TooLong:%d" (int_of_n x)

let verdict_format key =
  let text = format_key key in
  let b = Buffer.create 80 in
  List.iter
    (fun c ->
      let c = int_of_n c in
      if c < 0x20 || c > 0x7e then Buffer.add_string b (Printf.sprintf "\\u{%x}" c)
      else Buffer.add_char b (Char.chr c))
    text;
  "fmt " ^ Buffer.contents b

(* --- main loop -------------------------------------------------------- *)

let () =
  let lines = ref 0 in
  (try
     while true do
       let line = input_line stdin in
       incr lines;
       match String.split_on_char ' ' line with
       | [ "B"; id; hex ] ->
           let input = bytes_of_hex hex in
           Printf.printf "%s H %s\n" id (verdict_parse input);
           Printf.printf "%s P %s\n" id (verdict_prefix input);
           Printf.printf "%s S %s\n" id (verdict_slot input)
       | [ "T"; id; cps ] -> Printf.printf "%s K %s\n" id (verdict_key (code_points_of_field cps))
       | [ "F"; id; hex ] -> Printf.printf "%s F %s\n" id (verdict_format (bytes_of_hex hex))
       | _ -> failwith (Printf.sprintf "line %d: not an input line" !lines)
     done
   with End_of_file -> ());
  Printf.printf "END %d\n" !lines
