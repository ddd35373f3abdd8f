(** * A functional model of the ebak v1 header grammar (spec 4.1 to 4.3).

    What this file is, to the letter: a model of the header codec written
    from the spec, with the checks in the order spec 6 step 1 gives (the
    order [ebak_core::header::Header::parse_prefix] uses). It is not the
    Rust code. It is tied to the Rust code by differential testing: Coq's
    extraction of [parse_prefix], [parse] and [parse_slot_alone] is run, with
    the Rust parser, on every header of the test vectors, on the fuzz corpus
    and on generated hostile inputs, and CI requires the same verdict
    (`proofs/bridge`).

    The header:
<<
    header = magic (9) || version (1) || slot_count (1) || slot* || mac (32)
    slot   = slot_type (1) || body_len (2, big-endian) || body (body_len)
>>
    A password slot (type 1) has a body of exactly 132 bytes:
    kdf_salt (16) || m (4) || t (4) || p (4) || wrapped_key (104); any other
    type but 0 has a body of at most 1024 bytes, kept as it is. *)

From Coq Require Import List NArith Bool Lia.
From Coq Require Import Strings.Byte.
From Ebak Require Import Bytes.
Import ListNotations.

(** ** The parsed header *)

(** Argon2id costs, as stored in a password slot ([KdfParams]). *)
Record kdf_params := {
  memory_kib : N;
  iterations : N;
  parallelism : N;
}.

(** One key slot ([Slot]). *)
Inductive slot :=
| Password (kdf_salt : list byte) (params : kdf_params) (wrapped_key : list byte)
| Other (slot_type : byte) (body : list byte).

(** A header ([Header]): its slots, in order, and its MAC. *)
Record header := {
  slots : list slot;
  mac : list byte;
}.

(** Why a header is rejected ([HeaderError]). *)
Inductive header_error :=
| Truncated
| BadMagic
| UnsupportedVersion (version : byte)
| TooManySlots (count : byte)
| ReservedSlotType
| SlotLength (slot_type : byte)
| InvalidKdfParams
| DuplicateSlot
| TrailingData.

(** ** The constants (spec 4.1 to 4.3, 8) *)

Definition magic : list byte := [x89; x65; x62; x61; x6b; x0d; x0a; x1a; x0a].
Definition version : byte := x01.
Definition slot_type_reserved : byte := x00.
Definition slot_type_password : byte := x01.
Definition max_slots : N := 8.
Definition max_slot_body_size : N := 1024.
Definition password_slot_body_size : N := 132.
Definition kdf_salt_size : nat := 16.
Definition wrapped_key_size : nat := 104.
Definition header_mac_size : nat := 32.
Definition argon2_max_parallelism : N := 16777215.

(** Spec 4.3: the costs are valid Argon2id parameters: t >= 1,
    1 <= p <= 2^24 - 1, m >= 8 * p. *)
Definition params_valid (k : kdf_params) : bool :=
  (1 <=? iterations k)%N && (1 <=? parallelism k)%N
  && (parallelism k <=? argon2_max_parallelism)%N
  && (8 * parallelism k <=? memory_kib k)%N.

(** ** Parsing *)

(** A password slot's body (already known to be 132 bytes long). *)
Definition decode_password (body : list byte) : result slot header_error :=
  match take kdf_salt_size body with
  | None => Err (SlotLength slot_type_password)
  | Some (salt, rest) =>
      match rest with
      | m0 :: m1 :: m2 :: m3 :: t0 :: t1 :: t2 :: t3 :: p0 :: p1 :: p2 :: p3 :: wrapped =>
          let k := {| memory_kib := u32_of m0 m1 m2 m3;
                      iterations := u32_of t0 t1 t2 t3;
                      parallelism := u32_of p0 p1 p2 p3 |} in
          if params_valid k then Ok (Password salt k wrapped) else Err InvalidKdfParams
      | _ => Err (SlotLength slot_type_password)
      end
  end.

(** Spec 4.2, 6 step 1.4: one slot, at the front of [bs]; returns it and
    the bytes after it. The type and the length are checked before the body
    is read. *)
Definition parse_slot (bs : list byte) : result (slot * list byte) header_error :=
  match bs with
  | [] => Err Truncated
  | [_] | [_; _] => Err Truncated
  | ty :: l0 :: l1 :: rest =>
      let body_len := u16_of l0 l1 in
      if Byte.eqb ty slot_type_reserved then Err ReservedSlotType
      else if negb (if Byte.eqb ty slot_type_password
                    then (body_len =? password_slot_body_size)%N
                    else (body_len <=? max_slot_body_size)%N)
      then Err (SlotLength ty)
      else
        match take (N.to_nat body_len) rest with
        | None => Err Truncated
        | Some (body, after) =>
            if Byte.eqb ty slot_type_password then
              match decode_password body with
              | Ok s => Ok (s, after)
              | Err e => Err e
              end
            else Ok (Other ty body, after)
        end
  end.

(** [n] slots in a row. *)
Fixpoint parse_slots (n : nat) (bs : list byte) : result (list slot * list byte) header_error :=
  match n with
  | O => Ok ([], bs)
  | S n' =>
      match parse_slot bs with
      | Err e => Err e
      | Ok (s, rest) =>
          match parse_slots n' rest with
          | Err e => Err e
          | Ok (ss, after) => Ok (s :: ss, after)
          end
      end
  end.

(** Spec 4.2: two slots clash if they are identical, or if both are
    password slots with the same salt. *)
Definition slot_eqb (a b : slot) : bool :=
  match a, b with
  | Password s1 k1 w1, Password s2 k2 w2 =>
      bytes_eqb s1 s2 && (memory_kib k1 =? memory_kib k2)%N
      && (iterations k1 =? iterations k2)%N && (parallelism k1 =? parallelism k2)%N
      && bytes_eqb w1 w2
  | Other t1 b1, Other t2 b2 => Byte.eqb t1 t2 && bytes_eqb b1 b2
  | _, _ => false
  end.

Definition same_salt (a b : slot) : bool :=
  match a, b with
  | Password s1 _ _, Password s2 _ _ => bytes_eqb s1 s2
  | _, _ => false
  end.

Definition clash (a b : slot) : bool := slot_eqb a b || same_salt a b.

Fixpoint has_duplicate (l : list slot) : bool :=
  match l with
  | [] => false
  | a :: rest => existsb (clash a) rest || has_duplicate rest
  end.

(** Does [bs] disagree with [pat] on a byte both have? (Spec 6 step 1.1:
    compare the bytes there are before reporting a short input.) *)
Fixpoint mismatch (bs pat : list byte) : bool :=
  match bs, pat with
  | b :: bs', p :: pat' => negb (Byte.eqb b p) || mismatch bs' pat'
  | _, _ => false
  end.

(** How many bytes of [bs] were read when [rest] is left. *)
Definition consumed (bs rest : list byte) : nat := length bs - length rest.

(** Spec 6 step 1: the header at the front of [bs], and its length. *)
Definition parse_prefix (bs : list byte) : result (header * nat) header_error :=
  if mismatch bs magic then Err BadMagic
  else
    match take (length magic) bs with
    | None => Err Truncated
    | Some (_, r0) =>
        match r0 with
        | [] => Err Truncated
        | v :: r1 =>
            if negb (Byte.eqb v version) then Err (UnsupportedVersion v)
            else
              match r1 with
              | [] => Err Truncated
              | c :: r2 =>
                  if (max_slots <? Byte.to_N c)%N then Err (TooManySlots c)
                  else
                    match parse_slots (N.to_nat (Byte.to_N c)) r2 with
                    | Err e => Err e
                    | Ok (ss, r3) =>
                        if has_duplicate ss then Err DuplicateSlot
                        else
                          match take header_mac_size r3 with
                          | None => Err Truncated
                          | Some (m, r4) => Ok ({| slots := ss; mac := m |}, consumed bs r4)
                          end
                    end
              end
        end
    end.

(** A header that is the whole input: anything after the MAC is an error. *)
Definition parse (bs : list byte) : result header header_error :=
  match parse_prefix bs with
  | Err e => Err e
  | Ok (h, n) => if Nat.eqb n (length bs) then Ok h else Err TrailingData
  end.

(** One slot that is the whole input ([Slot::parse]). *)
Definition parse_slot_alone (bs : list byte) : result slot header_error :=
  match parse_slot bs with
  | Err e => Err e
  | Ok (s, []) => Ok s
  | Ok (_, _ :: _) => Err TrailingData
  end.

(** ** Serializing *)

Definition encode_slot (s : slot) : list byte :=
  match s with
  | Password salt k wrapped =>
      slot_type_password :: u16_be password_slot_body_size ++ salt
        ++ u32_be (memory_kib k) ++ u32_be (iterations k) ++ u32_be (parallelism k)
        ++ wrapped
  | Other ty body => ty :: u16_be (N.of_nat (length body)) ++ body
  end.

Definition serialize (h : header) : list byte :=
  magic ++ version :: byte_of (N.of_nat (length (slots h)))
    :: concat (map encode_slot (slots h)) ++ mac h.

(** ** Well-formed headers: the ones a writer may produce *)

Definition wf_slot (s : slot) : Prop :=
  match s with
  | Password salt k wrapped =>
      length salt = kdf_salt_size /\ length wrapped = wrapped_key_size
      /\ params_valid k = true
      /\ (memory_kib k < 4294967296)%N /\ (iterations k < 4294967296)%N
      /\ (parallelism k < 4294967296)%N
  | Other ty body => ty <> slot_type_reserved /\ ty <> slot_type_password
                     /\ length body <= N.to_nat max_slot_body_size
  end.

Definition wf (h : header) : Prop :=
  length (slots h) <= N.to_nat max_slots /\ Forall wf_slot (slots h)
  /\ has_duplicate (slots h) = false /\ length (mac h) = header_mac_size.

(** ** The slot codec *)

Lemma mismatch_app_self (pat rest : list byte) : mismatch (pat ++ rest) pat = false.
Proof. induction pat as [|p pat IH]; simpl; [now destruct rest|]. now rewrite byte_eqb_refl, IH. Qed.

Lemma mismatch_prefix (pat bs h t : list byte) :
  mismatch bs pat = false -> take (length pat) bs = Some (h, t) -> h = pat.
Proof.
  revert bs h t. induction pat as [|p pat IH]; intros bs h t Hm Ht; simpl in Ht.
  - now injection Ht as <- _.
  - destruct bs as [|b bs]; [discriminate|].
    simpl in Hm. apply orb_false_iff in Hm as [Hb Hm].
    apply negb_false_iff, byte_eqb_eq in Hb as ->.
    destruct (take (length pat) bs) as [[h' t']|] eqn:E; [|discriminate].
    injection Ht as <- <-. f_equal. eapply IH; eauto.
Qed.

Lemma u32_be_split (n : N) : (n < 4294967296)%N ->
  exists b0 b1 b2 b3, u32_be n = [b0; b1; b2; b3] /\ u32_of b0 b1 b2 b3 = n.
Proof.
  intros Hn.
  exists (byte_of (n / 65536 / 256)), (byte_of (n / 65536)), (byte_of (n / 256)), (byte_of n).
  split; [reflexivity|]. now apply u32_of_be.
Qed.

Lemma decode_password_encode (salt : list byte) (k : kdf_params) (wrapped : list byte) :
  length salt = kdf_salt_size -> params_valid k = true ->
  (memory_kib k < 4294967296)%N -> (iterations k < 4294967296)%N ->
  (parallelism k < 4294967296)%N ->
  decode_password (salt ++ u32_be (memory_kib k) ++ u32_be (iterations k)
                   ++ u32_be (parallelism k) ++ wrapped) = Ok (Password salt k wrapped).
Proof.
  intros Hs Hv Hm Ht Hp. unfold decode_password.
  rewrite take_app_eq by exact Hs.
  destruct (u32_be_split _ Hm) as (m0 & m1 & m2 & m3 & -> & Em).
  destruct (u32_be_split _ Ht) as (t0 & t1 & t2 & t3 & -> & Et).
  destruct (u32_be_split _ Hp) as (p0 & p1 & p2 & p3 & -> & Ep).
  simpl. rewrite Em, Et, Ep.
  destruct k as [m t p]. simpl in *. now rewrite Hv.
Qed.

(** Every well-formed slot parses back, whatever follows it. *)
Lemma password_type_not_reserved : Byte.eqb slot_type_password slot_type_reserved = false.
Proof. reflexivity. Qed.

Lemma password_type_is_password : Byte.eqb slot_type_password slot_type_password = true.
Proof. reflexivity. Qed.

Theorem parse_slot_encode (s : slot) (rest : list byte) :
  wf_slot s -> parse_slot (encode_slot s ++ rest) = Ok (s, rest).
Proof.
  destruct s as [salt k wrapped | ty body].
  - intros (Hs & Hw & Hv & Hm & Ht & Hp).
    unfold encode_slot, u16_be. cbn [app].
    unfold parse_slot. lazy beta iota zeta.
    rewrite (u16_of_be password_slot_body_size) by reflexivity.
    rewrite password_type_not_reserved, password_type_is_password, N.eqb_refl.
    lazy beta iota delta [negb].
    rewrite take_app_eq with (h := salt ++ _).
    + now rewrite decode_password_encode.
    + rewrite !app_length, !u32_be_length, Hs, Hw. reflexivity.
  - intros (H0 & H1 & Hlen).
    assert (Hn : (N.of_nat (length body) < 65536)%N)
      by (unfold max_slot_body_size in Hlen; lia).
    unfold encode_slot, u16_be. cbn [app].
    unfold parse_slot. lazy beta iota zeta.
    rewrite (u16_of_be (N.of_nat (length body)) Hn) by reflexivity.
    destruct (Byte.eqb ty slot_type_reserved) eqn:E0;
      [apply byte_eqb_eq in E0; contradiction|].
    destruct (Byte.eqb ty slot_type_password) eqn:E1;
      [apply byte_eqb_eq in E1; contradiction|].
    assert (Hle : (N.of_nat (length body) <=? max_slot_body_size)%N = true)
      by (apply N.leb_le; unfold max_slot_body_size in *; lia).
    rewrite Hle.
    lazy beta iota delta [negb].
    rewrite Nat2N.id, take_app. reflexivity.
Qed.

(** Whatever parses is well formed and is the canonical encoding of what
    it parsed to: there is no other spelling of a slot. *)
Theorem parse_slot_sound (bs : list byte) (s : slot) (rest : list byte) :
  parse_slot bs = Ok (s, rest) -> wf_slot s /\ bs = encode_slot s ++ rest.
Proof.
  unfold parse_slot.
  destruct bs as [|ty [|l0 [|l1 bs]]]; try discriminate.
  destruct (Byte.eqb ty slot_type_reserved) eqn:E0; [discriminate|].
  destruct (Byte.eqb ty slot_type_password) eqn:E1.
  - apply byte_eqb_eq in E1 as ->.
    destruct (u16_of l0 l1 =? password_slot_body_size)%N eqn:El; [|discriminate].
    apply N.eqb_eq in El. simpl.
    destruct (take (N.to_nat (u16_of l0 l1)) bs) as [[body after]|] eqn:Eb; [|discriminate].
    apply take_some in Eb as [-> Hbody]. rewrite El in Hbody.
    unfold decode_password.
    destruct (take kdf_salt_size body) as [[salt r1]|] eqn:Es; [|discriminate].
    apply take_some in Es as [-> Hsalt].
    destruct r1 as [|m0 [|m1 [|m2 [|m3 [|t0 [|t1 [|t2 [|t3 [|p0 [|p1 [|p2 [|p3 wrapped]]]]]]]]]]]];
      try discriminate.
    destruct (params_valid _) eqn:Ev; [|discriminate].
    intros H; injection H as <- <-.
    split.
    + rewrite app_length in Hbody. cbn [length] in Hbody.
      cbn [wf_slot memory_kib iterations parallelism].
      repeat split; auto; [unfold wrapped_key_size, kdf_salt_size, password_slot_body_size in *; lia
                          |apply u32_of_lt..].
    + unfold encode_slot. cbn [memory_kib iterations parallelism].
      rewrite !u32_be_of, <- El, u16_be_of.
      cbn [app]. rewrite <- !app_assoc. reflexivity.
  - destruct (u16_of l0 l1 <=? max_slot_body_size)%N eqn:El; [|discriminate].
    apply N.leb_le in El. cbn [negb].
    destruct (take (N.to_nat (u16_of l0 l1)) bs) as [[body after]|] eqn:Eb; [|discriminate].
    apply take_some in Eb as [-> Hbody].
    intros H; injection H as <- <-. split.
    + cbn [wf_slot]. repeat split.
      * intros ->. discriminate.
      * intros ->. discriminate.
      * unfold max_slot_body_size in *. lia.
    + unfold encode_slot. rewrite Hbody, N2Nat.id, u16_be_of. reflexivity.
Qed.

Lemma parse_slots_encode (ss : list slot) (rest : list byte) :
  Forall wf_slot ss ->
  parse_slots (length ss) (concat (map encode_slot ss) ++ rest) = Ok (ss, rest).
Proof.
  induction ss as [|s ss IH]; intros Hwf; simpl; [reflexivity|].
  inversion Hwf as [|? ? Hs Hss]; subst.
  rewrite <- app_assoc, parse_slot_encode by exact Hs.
  now rewrite IH.
Qed.

Lemma parse_slots_sound (n : nat) (bs : list byte) (ss : list slot) (rest : list byte) :
  parse_slots n bs = Ok (ss, rest) ->
  Forall wf_slot ss /\ length ss = n /\ bs = concat (map encode_slot ss) ++ rest.
Proof.
  revert bs ss. induction n as [|n IH]; intros bs ss H; simpl in H.
  - injection H as <- <-. auto.
  - destruct (parse_slot bs) as [[s r]|e] eqn:E; [|discriminate].
    destruct (parse_slots n r) as [[ss' r']|e] eqn:E'; [|discriminate].
    injection H as <- <-.
    apply parse_slot_sound in E as [Hs ->].
    destruct (IH _ _ E') as (Hss & Hlen & ->).
    simpl. rewrite app_assoc. auto.
Qed.

(** ** The header codec *)

Lemma count_byte (n : nat) : n <= 8 -> N.to_nat (Byte.to_N (byte_of (N.of_nat n))) = n.
Proof. intros H. rewrite byte_of_small by lia. apply Nat2N.id. Qed.

(** A well-formed header parses back, followed by anything (a payload):
    [parse_prefix] finds it and its exact length. *)
Theorem parse_prefix_serialize (h : header) (rest : list byte) :
  wf h -> parse_prefix (serialize h ++ rest) = Ok (h, length (serialize h)).
Proof.
  destruct h as [ss m]. intros (Hn & Hwf & Hdup & Hmac).
  cbn [slots mac] in *. unfold max_slots in Hn.
  unfold parse_prefix, serialize. cbn [slots mac].
  rewrite <- app_assoc, mismatch_app_self, take_app.
  cbn [app]. lazy beta iota.
  rewrite byte_eqb_refl. lazy beta iota delta [negb].
  assert (Hc : (max_slots <? Byte.to_N (byte_of (N.of_nat (length ss))))%N = false)
    by (apply N.ltb_ge; rewrite byte_of_small by lia; unfold max_slots; lia).
  rewrite Hc. lazy beta iota.
  rewrite count_byte by lia.
  rewrite <- app_assoc, parse_slots_encode by exact Hwf. lazy beta iota.
  rewrite Hdup. lazy beta iota.
  rewrite take_app_eq by exact Hmac. lazy beta iota.
  f_equal. f_equal. unfold consumed.
  match goal with
  | |- length ?bs - length rest = length ?x =>
      replace bs with (x ++ rest)
        by (rewrite <- !app_assoc; cbn [app]; rewrite <- !app_assoc; reflexivity)
  end.
  rewrite app_length. apply PeanoNat.Nat.add_sub.
Qed.

(** A well-formed header parses back to itself. *)
Theorem parse_serialize (h : header) : wf h -> parse (serialize h) = Ok h.
Proof.
  intros Hwf. unfold parse.
  rewrite <- (app_nil_r (serialize h)) at 1.
  rewrite parse_prefix_serialize by exact Hwf.
  rewrite PeanoNat.Nat.eqb_refl. reflexivity.
Qed.

(** Whatever [parse_prefix] accepts is a well-formed header, and the bytes
    it consumed are exactly that header's canonical encoding. *)
Theorem parse_prefix_sound (bs : list byte) (h : header) (n : nat) :
  parse_prefix bs = Ok (h, n) ->
  wf h /\ n = length (serialize h) /\ exists rest, bs = serialize h ++ rest.
Proof.
  unfold parse_prefix.
  destruct (mismatch bs magic) eqn:Em; [discriminate|].
  destruct (take (length magic) bs) as [[m9 r0]|] eqn:E9; [|discriminate].
  pose proof (mismatch_prefix _ _ _ _ Em E9) as ->.
  apply take_some in E9 as [-> _].
  destruct r0 as [|v r1]; [discriminate|].
  destruct (Byte.eqb v version) eqn:Ev; [|discriminate]. cbn [negb].
  apply byte_eqb_eq in Ev as ->.
  destruct r1 as [|c r2]; [discriminate|].
  destruct (max_slots <? Byte.to_N c)%N eqn:Ec; [discriminate|].
  apply N.ltb_ge in Ec.
  destruct (parse_slots (N.to_nat (Byte.to_N c)) r2) as [[ss r3]|e] eqn:Es; [|discriminate].
  apply parse_slots_sound in Es as (Hwf & Hlen & ->).
  destruct (has_duplicate ss) eqn:Hdup; [discriminate|].
  destruct (take header_mac_size r3) as [[m r4]|] eqn:Emac; [|discriminate].
  apply take_some in Emac as [-> Hmac].
  intros H; injection H as <- <-.
  assert (Hc : byte_of (N.of_nat (length ss)) = c).
  { rewrite Hlen, N2Nat.id. apply byte_of_to_N. }
  assert (Hser : serialize {| slots := ss; mac := m |}
                 = magic ++ version :: c :: concat (map encode_slot ss) ++ m).
  { unfold serialize. cbn [slots mac]. now rewrite Hc. }
  assert (Hbs : magic ++ version :: c :: concat (map encode_slot ss) ++ m ++ r4
                = serialize {| slots := ss; mac := m |} ++ r4).
  { rewrite Hser, <- !app_assoc. cbn [app]. now rewrite <- !app_assoc. }
  rewrite Hbs. split; [|split].
  - unfold wf. cbn [slots mac]. unfold max_slots in *.
    repeat split; [lia | exact Hwf | exact Hdup | exact Hmac].
  - unfold consumed.
    match goal with
    | |- length ?bs - length r4 = length ?x =>
        replace bs with (x ++ r4)
          by (rewrite Hser, <- !app_assoc; cbn [app]; rewrite <- !app_assoc; reflexivity)
    end.
    rewrite app_length. apply PeanoNat.Nat.add_sub.
  - eauto.
Qed.

(** Canonical: whatever [parse] accepts re-serializes to the same bytes. *)
Theorem serialize_parse (bs : list byte) (h : header) :
  parse bs = Ok h -> serialize h = bs.
Proof.
  unfold parse.
  destruct (parse_prefix bs) as [[h' n]|e] eqn:E; [|discriminate].
  destruct (PeanoNat.Nat.eqb n (length bs)) eqn:En; [|discriminate].
  intros H; injection H as ->.
  apply PeanoNat.Nat.eqb_eq in En.
  apply parse_prefix_sound in E as (_ & Hn & rest & Hbs).
  rewrite Hbs, app_length in En.
  destruct rest as [|b rest]; [now rewrite app_nil_r in Hbs|].
  cbn [length] in En. lia.
Qed.

(** Whatever [parse] accepts is well formed. *)
Theorem parse_wf (bs : list byte) (h : header) : parse bs = Ok h -> wf h.
Proof.
  unfold parse.
  destruct (parse_prefix bs) as [[h' n]|e] eqn:E; [|discriminate].
  destruct (PeanoNat.Nat.eqb n (length bs)); [|discriminate].
  intros H; injection H as ->. now apply parse_prefix_sound in E.
Qed.

(** Unambiguous: two inputs that parse to the same header are the same. *)
Corollary parse_injective (b1 b2 : list byte) (h : header) :
  parse b1 = Ok h -> parse b2 = Ok h -> b1 = b2.
Proof.
  intros H1 H2. apply serialize_parse in H1, H2. congruence.
Qed.

(** Trailing data is rejected: a header followed by anything at all does
    not parse as a header alone. *)
Theorem trailing_data_rejected (h : header) (rest : list byte) :
  wf h -> rest <> [] -> parse (serialize h ++ rest) = Err TrailingData.
Proof.
  intros Hwf Hrest. unfold parse.
  rewrite parse_prefix_serialize by exact Hwf.
  destruct (PeanoNat.Nat.eqb _ _) eqn:E; [|reflexivity].
  apply PeanoNat.Nat.eqb_eq in E. rewrite app_length in E.
  destruct rest; [contradiction|]. cbn [length] in E. lia.
Qed.

(** The same, for any input [parse] accepts. *)
Corollary parse_rejects_extension (bs rest : list byte) (h : header) :
  parse bs = Ok h -> rest <> [] -> parse (bs ++ rest) = Err TrailingData.
Proof.
  intros H Hrest.
  pose proof (parse_wf _ _ H) as Hwf. apply serialize_parse in H as <-.
  now apply trailing_data_rejected.
Qed.

(** A header's verdict depends on its own bytes only: what follows it (the
    payload) never changes how [parse_prefix] reads it. *)
Corollary parse_prefix_extend (bs more : list byte) (h : header) (n : nat) :
  parse_prefix bs = Ok (h, n) -> parse_prefix (bs ++ more) = Ok (h, n).
Proof.
  intros H. apply parse_prefix_sound in H as (Hwf & -> & rest & ->).
  rewrite <- app_assoc. now apply parse_prefix_serialize.
Qed.

Lemma encode_slot_length (s : slot) : wf_slot s -> length (encode_slot s) <= 1027.
Proof.
  destruct s as [salt k w | ty body]; unfold encode_slot, wf_slot.
  - intros (Hs & Hw & _). cbn [length app].
    rewrite !app_length, !u32_be_length, u16_be_length, Hs, Hw.
    unfold kdf_salt_size, wrapped_key_size. lia.
  - intros (_ & _ & Hb). cbn [length app]. rewrite app_length, u16_be_length.
    unfold max_slot_body_size in Hb. lia.
Qed.

(** Spec 4.1: a header is 43 to 8 259 bytes long (MIN_HEADER_SIZE and
    MAX_HEADER_SIZE = MIN_HEADER_SIZE + MAX_SLOTS * (3 + MAX_SLOT_BODY_SIZE)). *)
Theorem header_length_bounds (bs : list byte) (h : header) (n : nat) :
  parse_prefix bs = Ok (h, n) -> 43 <= n <= 43 + 8 * (3 + 1024).
Proof.
  intros H. apply parse_prefix_sound in H as ((Hn & Hwf & _ & Hmac) & -> & _).
  assert (Hslots : length (concat (map encode_slot (slots h))) <= 1027 * length (slots h)).
  { clear Hn. induction Hwf as [|s ss Hs _ IH]; cbn [map concat length]; [lia|].
    rewrite app_length. pose proof (encode_slot_length s Hs). lia. }
  unfold serialize. rewrite app_length. cbn [length]. rewrite app_length, Hmac.
  change (length magic) with 9. unfold header_mac_size, max_slots in *. lia.
Qed.

(** The slot codec alone ([Slot::parse], used by the key-slot vectors). *)
Theorem parse_slot_alone_encode (s : slot) :
  wf_slot s -> parse_slot_alone (encode_slot s) = Ok s.
Proof.
  intros H. unfold parse_slot_alone.
  rewrite <- (app_nil_r (encode_slot s)), parse_slot_encode by exact H. reflexivity.
Qed.

Theorem parse_slot_alone_sound (bs : list byte) (s : slot) :
  parse_slot_alone bs = Ok s -> wf_slot s /\ encode_slot s = bs.
Proof.
  unfold parse_slot_alone.
  destruct (parse_slot bs) as [[s' [|b r]]|e] eqn:E; try discriminate.
  intros H; injection H as ->.
  apply parse_slot_sound in E as [Hwf ->]. now rewrite app_nil_r.
Qed.

(** ** What "duplicate" means (spec 4.2), so that an auditor can check the
    definition against the spec rather than read [clash]. *)

Lemma slot_eqb_eq (a b : slot) : slot_eqb a b = true <-> a = b.
Proof.
  destruct a as [s1 [m1 t1 p1] w1 | ty1 b1], b as [s2 [m2 t2 p2] w2 | ty2 b2]; simpl;
    try (split; congruence).
  - rewrite !andb_true_iff, !bytes_eqb_eq, !N.eqb_eq.
    split; [intros ((((-> & ->) & ->) & ->) & ->); reflexivity|].
    intros H; injection H as -> -> -> -> ->. tauto.
  - rewrite andb_true_iff, byte_eqb_eq, bytes_eqb_eq.
    split; [intros [-> ->]; reflexivity|]. intros H; injection H as -> ->. tauto.
Qed.

Theorem clash_spec (a b : slot) :
  clash a b = true <->
  a = b \/ exists salt k1 w1 k2 w2, a = Password salt k1 w1 /\ b = Password salt k2 w2.
Proof.
  unfold clash. rewrite orb_true_iff, slot_eqb_eq.
  split.
  - intros [H|H]; [now left|right].
    destruct a as [s1 k1 w1|], b as [s2 k2 w2|]; try discriminate.
    apply bytes_eqb_eq in H as ->. eauto 10.
  - intros [H|(salt & k1 & w1 & k2 & w2 & -> & ->)]; [now left|right].
    simpl. now apply bytes_eqb_eq.
Qed.

Theorem has_duplicate_spec (l : list slot) :
  has_duplicate l = true <->
  exists pre a mid b post, l = pre ++ a :: mid ++ b :: post /\ clash a b = true.
Proof.
  induction l as [|x l IH]; simpl.
  - split; [discriminate|]. intros (pre & a & mid & b & post & H & _).
    destruct pre; discriminate.
  - rewrite orb_true_iff, existsb_exists, IH. split.
    + intros [(b & Hin & Hc) | (pre & a & mid & b' & post & -> & Hc)].
      * apply in_split in Hin as (mid & post & ->).
        exists [], x, mid, b, post. auto.
      * exists (x :: pre), a, mid, b', post. auto.
    + intros (pre & a & mid & b & post & H & Hc).
      destruct pre as [|y pre]; simpl in H; injection H as -> ->.
      * left. exists b. split; [apply in_or_app; right; now left | exact Hc].
      * right. exists pre, a, mid, b, post. auto.
Qed.
