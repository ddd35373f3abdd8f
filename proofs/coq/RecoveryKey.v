(** * A functional model of the 64-digit key codec (spec 4.5).

    What this file is, to the letter: a model written from the spec, in the
    shape of [ebak_core::recovery_key::{parse, format}], tied to the Rust
    code by differential testing of its extraction (`proofs/bridge`), not
    by a proof about the Rust code.

    Text is a list of Unicode scalar values (code points, as [N]): spec 4.5
    counts positions in code points, and Rust's [str::chars] yields them.

    Formatting: 16 groups of 4 lowercase hexadecimal digits joined by '-'.
    Parsing: spaces and dashes are skipped wherever they are, digits are
    read in either case, and the errors come in this order: the first
    character that is none of these (with its position, from 1), then too
    few digits (by how many), then too many (by how many). *)

From Coq Require Import List NArith Bool Lia.
From Coq Require Import Strings.Byte.
From Ebak Require Import Bytes.
Import ListNotations.

Inductive key_error :=
| InvalidCharacter (character : N) (position : N)
| TooShort (missing : N)
| TooLong (extra : N).

Definition digit_count : N := 64.
Definition space : N := 32.
Definition dash : N := 45.

(** The value of a hexadecimal digit, either case ('0'-'9' = 48-57,
    'a'-'f' = 97-102, 'A'-'F' = 65-70); nothing else is a digit. *)
Definition hex_value (c : N) : option N :=
  if (48 <=? c)%N && (c <=? 57)%N then Some (c - 48)%N
  else if (97 <=? c)%N && (c <=? 102)%N then Some (c - 87)%N
  else if (65 <=? c)%N && (c <=? 70)%N then Some (c - 55)%N
  else None.

Definition is_separator (c : N) : bool := (c =? space)%N || (c =? dash)%N.

(** The lowercase digit of a value below 16. *)
Definition hex_digit (v : N) : N := if (v <? 10)%N then (48 + v)%N else (87 + v)%N.

(** The digit values of [s], or the first invalid character and its
    position ([pos] is the position of the first character of [s]). *)
Fixpoint digits (s : list N) (pos : N) : result (list N) key_error :=
  match s with
  | [] => Ok []
  | c :: rest =>
      if is_separator c then digits rest (pos + 1)
      else
        match hex_value c with
        | None => Err (InvalidCharacter c pos)
        | Some v =>
            match digits rest (pos + 1) with
            | Ok ds => Ok (v :: ds)
            | Err e => Err e
            end
        end
  end.

(** Two digits make a byte, the first the high nibble. *)
Fixpoint pair_up (ds : list N) : list byte :=
  match ds with
  | hi :: lo :: rest => byte_of (hi * 16 + lo) :: pair_up rest
  | _ => []
  end.

Definition parse_key (s : list N) : result (list byte) key_error :=
  match digits s 1 with
  | Err e => Err e
  | Ok ds =>
      let n := N.of_nat (length ds) in
      if (n <? digit_count)%N then Err (TooShort (digit_count - n))
      else if (digit_count <? n)%N then Err (TooLong (n - digit_count))
      else Ok (pair_up ds)
  end.

(** A dash before every byte at an even index but the first. *)
Fixpoint format_from (i : nat) (key : list byte) : list N :=
  match key with
  | [] => []
  | b :: rest =>
      (if negb (Nat.eqb i 0) && Nat.even i then [dash] else [])
        ++ hex_digit (Byte.to_N b / 16) :: hex_digit (Byte.to_N b mod 16)
        :: format_from (S i) rest
  end.

Definition format_key (key : list byte) : list N := format_from 0 key.

(** The digit values of a key: two per byte, high nibble first. *)
Fixpoint nibbles (key : list byte) : list N :=
  match key with
  | [] => []
  | b :: rest => (Byte.to_N b / 16)%N :: (Byte.to_N b mod 16)%N :: nibbles rest
  end.

(** ** Formatting then parsing *)

Lemma hex_value_digit (v : N) : (v < 16)%N -> hex_value (hex_digit v) = Some v.
Proof.
  intros Hv. unfold hex_value, hex_digit.
  destruct (v <? 10)%N eqn:E.
  - apply N.ltb_lt in E.
    replace ((48 <=? 48 + v)%N && (48 + v <=? 57)%N) with true
      by (symmetry; apply andb_true_iff; split; apply N.leb_le; lia).
    f_equal. lia.
  - apply N.ltb_ge in E.
    replace ((48 <=? 87 + v)%N && (87 + v <=? 57)%N) with false
      by (symmetry; apply andb_false_iff; right; apply N.leb_gt; lia).
    replace ((97 <=? 87 + v)%N && (87 + v <=? 102)%N) with true
      by (symmetry; apply andb_true_iff; split; apply N.leb_le; lia).
    f_equal. lia.
Qed.

Lemma hex_digit_not_separator (v : N) : (v < 16)%N -> is_separator (hex_digit v) = false.
Proof.
  intros Hv. unfold is_separator, hex_digit, space, dash.
  destruct (v <? 10)%N eqn:E; [apply N.ltb_lt in E | apply N.ltb_ge in E];
    apply orb_false_iff; split; apply N.eqb_neq; lia.
Qed.

Lemma nibble_bounds (b : byte) :
  (Byte.to_N b / 16 < 16)%N /\ (Byte.to_N b mod 16 < 16)%N.
Proof.
  pose proof (to_N_lt_256 b). split.
  - apply N.div_lt_upper_bound; lia.
  - apply N.mod_lt. lia.
Qed.

Lemma digits_format (key : list byte) (i : nat) (pos : N) :
  digits (format_from i key) pos = Ok (nibbles key).
Proof.
  revert i pos. induction key as [|b key IH]; intros i pos; [reflexivity|].
  destruct (nibble_bounds b) as [Hhi Hlo].
  assert (Hd : forall p, digits (hex_digit (Byte.to_N b / 16) :: hex_digit (Byte.to_N b mod 16)
                                :: format_from (S i) key) p = Ok (nibbles (b :: key))).
  { intros p. cbn [digits].
    rewrite (hex_digit_not_separator _ Hhi), (hex_value_digit _ Hhi).
    rewrite (hex_digit_not_separator _ Hlo), (hex_value_digit _ Hlo).
    now rewrite IH. }
  cbn [format_from].
  destruct (negb (Nat.eqb i 0) && Nat.even i); cbn [app].
  - cbn [digits]. replace (is_separator dash) with true by reflexivity. apply Hd.
  - apply Hd.
Qed.

Lemma nibbles_length (key : list byte) : length (nibbles key) = 2 * length key.
Proof. induction key; cbn [nibbles length]; lia. Qed.

Lemma pair_up_nibbles (key : list byte) : pair_up (nibbles key) = key.
Proof.
  induction key as [|b key IH]; [reflexivity|]. cbn [nibbles pair_up]. rewrite IH. f_equal.
  apply to_N_inj. rewrite to_N_byte_of.
  pose proof (N.div_mod (Byte.to_N b) 16 ltac:(lia)). rewrite N.mod_small.
  - lia.
  - pose proof (to_N_lt_256 b). lia.
Qed.

(** Every 32-byte key formats to a string that parses back to it. *)
Theorem parse_format (key : list byte) : length key = 32 -> parse_key (format_key key) = Ok key.
Proof.
  intros Hlen. unfold parse_key, format_key.
  rewrite digits_format, nibbles_length, Hlen. cbn -[pair_up nibbles].
  now rewrite pair_up_nibbles.
Qed.

Fixpoint dashes (i n : nat) : nat :=
  match n with
  | O => O
  | S n' => (if negb (Nat.eqb i 0) && Nat.even i then 1 else 0) + dashes (S i) n'
  end.

Lemma format_from_length (key : list byte) (i : nat) :
  length (format_from i key) = 2 * length key + dashes i (length key).
Proof.
  revert i. induction key as [|b key IH]; intros i; [reflexivity|].
  cbn [format_from]. rewrite app_length. cbn [length dashes]. rewrite IH.
  destruct (negb (Nat.eqb i 0) && Nat.even i); cbn [length]; lia.
Qed.

(** 64 digits and 15 dashes. *)
Theorem format_length (key : list byte) : length key = 32 -> length (format_key key) = 79.
Proof.
  intros Hlen. unfold format_key. rewrite format_from_length, Hlen. reflexivity.
Qed.

Lemma hex_digit_range (v : N) : (v < 16)%N ->
  (48 <= hex_digit v <= 57)%N \/ (97 <= hex_digit v <= 102)%N.
Proof.
  intros Hv. unfold hex_digit. destruct (v <? 10)%N eqn:E.
  - apply N.ltb_lt in E. left. lia.
  - apply N.ltb_ge in E. right. lia.
Qed.

(** Formatting writes only lowercase digits and dashes. *)
Theorem format_alphabet (key : list byte) (c : N) :
  In c (format_key key) -> c = dash \/ (48 <= c <= 57)%N \/ (97 <= c <= 102)%N.
Proof.
  unfold format_key. generalize 0. induction key as [|b key IH]; intros i H; [destruct H|].
  cbn [format_from] in H. apply in_app_or in H as [H|H].
  - destruct (negb (Nat.eqb i 0) && Nat.even i); [destruct H as [<-|[]]; now left | destruct H].
  - destruct (nibble_bounds b) as [Hhi Hlo].
    destruct H as [<-|[<-|H]].
    + right. now apply hex_digit_range.
    + right. now apply hex_digit_range.
    + eapply IH. exact H.
Qed.

Corollary format_injective (k1 k2 : list byte) :
  length k1 = 32 -> length k2 = 32 -> format_key k1 = format_key k2 -> k1 = k2.
Proof.
  intros H1 H2 E. apply parse_format in H1, H2. congruence.
Qed.

(** ** Parsing: what is accepted, and what each error means *)

(** A character the parser accepts: a digit, a space or a dash. *)
Definition valid (c : N) : bool := is_separator c || match hex_value c with Some _ => true | None => false end.

(** The digit values of the valid characters, in order. *)
Fixpoint digit_values (s : list N) : list N :=
  match s with
  | [] => []
  | c :: rest =>
      if is_separator c then digit_values rest
      else match hex_value c with Some v => v :: digit_values rest | None => digit_values rest end
  end.

Lemma digits_ok (s : list N) (pos : N) (ds : list N) :
  digits s pos = Ok ds -> forallb valid s = true /\ ds = digit_values s.
Proof.
  revert pos ds. induction s as [|c s IH]; intros pos ds H; cbn [digits] in H.
  - injection H as <-. auto.
  - cbn [forallb digit_values]. unfold valid at 1.
    destruct (is_separator c); cbn [orb andb].
    + now apply IH in H.
    + destruct (hex_value c) as [v|]; [|discriminate].
      destruct (digits s (pos + 1)) as [ds'|e] eqn:E; [|discriminate].
      injection H as <-. apply IH in E as [-> ->]. auto.
Qed.

Lemma digits_err (s : list N) (pos : N) (e : key_error) :
  digits s pos = Err e -> exists c p, e = InvalidCharacter c p.
Proof.
  revert pos. induction s as [|c s IH]; intros pos H; cbn [digits] in H; [discriminate|].
  destruct (is_separator c); [eapply IH; exact H|].
  destruct (hex_value c); [|injection H as <-; eauto].
  destruct (digits s (pos + 1)) eqn:E; [discriminate|]. injection H as ->. eapply IH; exact E.
Qed.

Lemma digits_all_valid (s : list N) (pos : N) :
  forallb valid s = true -> digits s pos = Ok (digit_values s).
Proof.
  revert pos. induction s as [|c s IH]; intros pos H; [reflexivity|].
  cbn [forallb] in H. apply andb_true_iff in H as [Hc Hs].
  cbn [digits digit_values]. unfold valid in Hc.
  destruct (is_separator c); [now apply IH|].
  destruct (hex_value c) as [v|]; [|discriminate]. now rewrite IH.
Qed.

(** The invalid-character error names the first character that is not a
    digit, a space or a dash, and its position counting from 1. *)
Theorem invalid_character_is_first (s : list N) (c p : N) :
  parse_key s = Err (InvalidCharacter c p) <->
  exists pre post, s = pre ++ c :: post /\ forallb valid pre = true /\ valid c = false
                   /\ p = (1 + N.of_nat (length pre))%N.
Proof.
  unfold parse_key.
  assert (Gen : forall pos, digits s pos = Err (InvalidCharacter c p) <->
    exists pre post, s = pre ++ c :: post /\ forallb valid pre = true /\ valid c = false
                     /\ p = (pos + N.of_nat (length pre))%N).
  { induction s as [|x s IH]; intros pos; cbn [digits].
    - split; [discriminate|]. intros (pre & post & H & _). destruct pre; discriminate.
    - unfold valid at 2.
      destruct (is_separator x) eqn:Hsep.
      + rewrite IH. split.
        * intros (pre & post & -> & Hpre & Hc & ->). exists (x :: pre), post.
          cbn [forallb length app]. unfold valid at 1. rewrite Hsep. repeat split; auto. lia.
        * intros ([|y pre] & post & H & Hpre & Hc & Hp); cbn [app] in H; injection H as <- ->.
          -- unfold valid in Hc. rewrite Hsep in Hc. discriminate.
          -- exists pre, post. cbn [forallb length] in *. apply andb_true_iff in Hpre as [_ Hpre].
             repeat split; auto. lia.
      + destruct (hex_value x) as [v|] eqn:Hv.
        * destruct (digits s (pos + 1)) as [ds|e] eqn:E.
          -- split; [discriminate|].
             intros ([|y pre] & post & H & Hpre & Hc & Hp); cbn [app] in H; injection H as <- ->.
             ++ unfold valid in Hc. rewrite Hsep, Hv in Hc. discriminate.
             ++ apply digits_ok in E as [Hall _].
                rewrite forallb_app in Hall. cbn [forallb] in Hall. unfold valid in Hc, Hall.
                rewrite Hc in Hall.
                rewrite !andb_false_r in Hall. discriminate.
          -- rewrite <- E, IH. split.
             ++ intros (pre & post & -> & Hpre & Hc & ->). exists (x :: pre), post.
                cbn [forallb length app]. unfold valid at 1. rewrite Hsep, Hv.
                repeat split; auto. lia.
             ++ intros ([|y pre] & post & H & Hpre & Hc & Hp); cbn [app] in H; injection H as <- ->.
                ** unfold valid in Hc. rewrite Hsep, Hv in Hc. discriminate.
                ** exists pre, post. cbn [forallb length] in *. apply andb_true_iff in Hpre as [_ Hpre].
                   repeat split; auto. lia.
        * split.
          -- intros H. injection H as <- <-. exists [], s. cbn. unfold valid. rewrite Hsep, Hv.
             repeat split. lia.
          -- intros ([|y pre] & post & H & Hpre & Hc & Hp); cbn [app] in H; injection H as <- ->.
             ++ cbn [length] in Hp. f_equal. f_equal. lia.
             ++ cbn [forallb] in Hpre. apply andb_true_iff in Hpre as [Hy _].
                unfold valid in Hy. rewrite Hsep, Hv in Hy. discriminate. }
  rewrite <- (Gen 1%N). split.
  - destruct (digits s 1) as [ds|e]; [|intros H; injection H as ->; reflexivity].
    destruct (N.of_nat (length ds) <? digit_count)%N; [discriminate|].
    destruct (digit_count <? N.of_nat (length ds))%N; discriminate.
  - intros ->. reflexivity.
Qed.

Lemma err_inj {A E} (a b : E) : @Err A E a = Err b -> a = b.
Proof. intros H. now injection H. Qed.

Lemma ok_inj {A E} (a b : A) : @Ok A E a = Ok b -> a = b.
Proof. intros H. now injection H. Qed.

Lemma too_short_inj (a b : N) : TooShort a = TooShort b -> a = b.
Proof. congruence. Qed.

Lemma too_long_inj (a b : N) : TooLong a = TooLong b -> a = b.
Proof. congruence. Qed.

(** Too short by [m]: every character is valid and there are 64 - m
    digits, m > 0. *)
Theorem too_short_spec (s : list N) (m : N) :
  parse_key s = Err (TooShort m) <->
  forallb valid s = true /\ (0 < m)%N /\ (N.of_nat (length (digit_values s)) + m = 64)%N.
Proof.
  unfold parse_key. split.
  - destruct (digits s 1) as [ds|e] eqn:E;
      [|intros H; injection H as ->; apply digits_err in E as (? & ? & ?); discriminate].
    apply digits_ok in E as [Hall ->].
    destruct (N.of_nat (length (digit_values s)) <? digit_count)%N eqn:L.
    + intros H. apply err_inj, too_short_inj in H. subst m.
      apply N.ltb_lt in L. unfold digit_count in *. repeat split; auto; lia.
    + destruct (digit_count <? N.of_nat (length (digit_values s)))%N; discriminate.
  - intros (Hall & Hm & Hn). rewrite digits_all_valid by exact Hall.
    replace (N.of_nat (length (digit_values s)) <? digit_count)%N with true
      by (symmetry; apply N.ltb_lt; unfold digit_count; lia).
    f_equal. f_equal. unfold digit_count. lia.
Qed.

(** Too long by [x]: every character is valid and there are 64 + x
    digits, x > 0. *)
Theorem too_long_spec (s : list N) (x : N) :
  parse_key s = Err (TooLong x) <->
  forallb valid s = true /\ (0 < x)%N /\ (N.of_nat (length (digit_values s)) = 64 + x)%N.
Proof.
  unfold parse_key. split.
  - destruct (digits s 1) as [ds|e] eqn:E;
      [|intros H; injection H as ->; apply digits_err in E as (? & ? & ?); discriminate].
    apply digits_ok in E as [Hall ->].
    destruct (N.of_nat (length (digit_values s)) <? digit_count)%N eqn:L; [discriminate|].
    destruct (digit_count <? N.of_nat (length (digit_values s)))%N eqn:G; [|discriminate].
    intros H. apply err_inj, too_long_inj in H. subst x.
    apply N.ltb_lt in G. unfold digit_count in *. repeat split; auto; lia.
  - intros (Hall & Hx & Hn). rewrite digits_all_valid by exact Hall.
    replace (N.of_nat (length (digit_values s)) <? digit_count)%N with false
      by (symmetry; apply N.ltb_ge; unfold digit_count; lia).
    replace (digit_count <? N.of_nat (length (digit_values s)))%N with true
      by (symmetry; apply N.ltb_lt; unfold digit_count; lia).
    f_equal. f_equal. unfold digit_count. lia.
Qed.

(** Accepted: every character is valid and there are exactly 64 digits;
    the key is their value, two digits a byte. *)
Theorem parse_key_ok (s : list N) (key : list byte) :
  parse_key s = Ok key <->
  forallb valid s = true /\ length (digit_values s) = 64 /\ key = pair_up (digit_values s).
Proof.
  unfold parse_key. split.
  - destruct (digits s 1) as [ds|e] eqn:E; [|discriminate].
    apply digits_ok in E as [Hall ->].
    destruct (N.of_nat (length (digit_values s)) <? digit_count)%N eqn:L; [discriminate|].
    destruct (digit_count <? N.of_nat (length (digit_values s)))%N eqn:G; [discriminate|].
    intros H; injection H as <-. apply N.ltb_ge in L, G. unfold digit_count in *.
    repeat split; auto; lia.
  - intros (Hall & Hn & ->). rewrite digits_all_valid by exact Hall. rewrite Hn. reflexivity.
Qed.

Lemma digit_values_bounded (s : list N) : Forall (fun v => v < 16)%N (digit_values s).
Proof.
  induction s as [|c s IH]; cbn [digit_values]; [constructor|].
  destruct (is_separator c); [exact IH|].
  destruct (hex_value c) as [v|] eqn:Hv; [|exact IH].
  constructor; [|exact IH].
  unfold hex_value in Hv.
  repeat match type of Hv with
         | context [if ?b then _ else _] => destruct b eqn:?; [injection Hv as <-|]
         end; try discriminate;
    repeat match goal with H : (_ && _) = true |- _ => apply andb_true_iff in H as [? ?] end;
    repeat match goal with H : (_ <=? _)%N = true |- _ => apply N.leb_le in H end; lia.
Qed.

Lemma nibbles_pair_up (n : nat) (ds : list N) :
  length ds = 2 * n -> Forall (fun v => v < 16)%N ds -> nibbles (pair_up ds) = ds.
Proof.
  revert ds. induction n as [|n IH]; intros ds Hlen Hb.
  - destruct ds; [reflexivity | discriminate].
  - destruct ds as [|hi [|lo ds]]; cbn [length] in Hlen; try lia.
    inversion Hb as [|? ? Hhi Hb']; inversion Hb' as [|? ? Hlo Hb'']; subst.
    cbn [pair_up nibbles].
    rewrite to_N_byte_of, N.mod_small by lia.
    assert (E1 : ((hi * 16 + lo) / 16 = hi)%N)
      by (rewrite N.div_add_l, N.div_small by lia; lia).
    assert (E2 : ((hi * 16 + lo) mod 16 = lo)%N)
      by (rewrite N.add_comm, N.mod_add, N.mod_small by lia; reflexivity).
    rewrite E1, E2, IH by (auto; lia). reflexivity.
Qed.

Lemma digit_values_format (key : list byte) : digit_values (format_key key) = nibbles key.
Proof.
  pose proof (digits_format key 0 1) as H. apply digits_ok in H as [_ H].
  unfold format_key. now rewrite <- H.
Qed.

(** Canonical and unambiguous: a spelling that parses has exactly the
    digits (as values, so either case) of the formatted key, and only
    spaces and dashes besides; so two spellings of one key differ only in
    case and separators, and the key re-formats to its one canonical
    spelling, which parses back to it. *)
Theorem parse_key_canonical (s : list N) (key : list byte) :
  parse_key s = Ok key ->
  length key = 32 /\ digit_values s = digit_values (format_key key)
  /\ parse_key (format_key key) = Ok key.
Proof.
  intros H. apply parse_key_ok in H as (Hall & Hlen & ->).
  assert (Hn : nibbles (pair_up (digit_values s)) = digit_values s)
    by (apply (nibbles_pair_up 32); [exact Hlen | apply digit_values_bounded]).
  assert (Hk : length (pair_up (digit_values s)) = 32).
  { pose proof (nibbles_length (pair_up (digit_values s))) as L. rewrite Hn, Hlen in L. lia. }
  split; [exact Hk|]. split.
  - now rewrite digit_values_format, Hn.
  - now apply parse_format.
Qed.

Corollary parse_key_unambiguous (s1 s2 : list N) (key : list byte) :
  parse_key s1 = Ok key -> parse_key s2 = Ok key -> digit_values s1 = digit_values s2.
Proof.
  intros H1 H2. apply parse_key_canonical in H1 as (_ & E1 & _), H2 as (_ & E2 & _). congruence.
Qed.
