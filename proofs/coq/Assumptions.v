(** * What the main theorems rest on. CI prints this and requires every
    answer to be "Closed under the global context": no axiom, no
    admitted lemma, no parameter. *)

From Ebak Require Import Header RecoveryKey.

Print Assumptions Header.parse_serialize.
Print Assumptions Header.parse_prefix_serialize.
Print Assumptions Header.parse_prefix_sound.
Print Assumptions Header.serialize_parse.
Print Assumptions Header.parse_wf.
Print Assumptions Header.parse_injective.
Print Assumptions Header.trailing_data_rejected.
Print Assumptions Header.parse_rejects_extension.
Print Assumptions Header.parse_prefix_extend.
Print Assumptions Header.header_length_bounds.
Print Assumptions Header.parse_slot_alone_encode.
Print Assumptions Header.parse_slot_alone_sound.
Print Assumptions Header.clash_spec.
Print Assumptions Header.has_duplicate_spec.
Print Assumptions RecoveryKey.parse_format.
Print Assumptions RecoveryKey.format_length.
Print Assumptions RecoveryKey.format_alphabet.
Print Assumptions RecoveryKey.format_injective.
Print Assumptions RecoveryKey.parse_key_ok.
Print Assumptions RecoveryKey.parse_key_canonical.
Print Assumptions RecoveryKey.parse_key_unambiguous.
Print Assumptions RecoveryKey.invalid_character_is_first.
Print Assumptions RecoveryKey.too_short_spec.
Print Assumptions RecoveryKey.too_long_spec.
