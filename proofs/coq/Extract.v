(** * Extraction of the models to OCaml, for the differential test.

    The only realizers are Coq's [ExtrOcamlBasic]: [bool], [option],
    [unit], [list] and [prod] become OCaml's own types (the same
    constructors, the same structure) and [andb]/[orb] become [&&]/[||].
    Numbers ([N], [positive], [nat]) and bytes ([Byte.byte]) are extracted
    as the inductive types they are, not as machine integers, so the
    extracted functions compute with exactly the definitions proved in
    [Header.v] and [RecoveryKey.v]. *)

From Coq Require Import extraction.ExtrOcamlBasic.
From Coq Require Import NArith Strings.Byte.
From Ebak Require Import Bytes Header RecoveryKey.

Extraction Language OCaml.

Extraction "ebak_model.ml"
  Header.parse Header.parse_prefix Header.parse_slot_alone Header.serialize
  Header.encode_slot
  RecoveryKey.parse_key RecoveryKey.format_key
  Byte.of_N Byte.to_N.
