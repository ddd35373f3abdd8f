(** * Bytes, big-endian integers and a cursor: the ground the header and
    key models stand on.

    Bytes are Coq's [Byte.byte] (an inductive type of 256 constructors),
    integers are binary naturals [N]: both extract to OCaml as plain data,
    with no machine-integer realizer, so the extracted code computes exactly
    what is proved here. *)

From Coq Require Import List NArith Lia.
From Coq Require Import Strings.Byte.
Import ListNotations.

(** A result, like Rust's [Result]. *)
Inductive result (A E : Type) : Type :=
| Ok (value : A)
| Err (error : E).
Arguments Ok {A E} value.
Arguments Err {A E} error.

(** The byte whose value is [n mod 256]. *)
Definition byte_of (n : N) : byte :=
  match Byte.of_N (n mod 256) with
  | Some b => b
  | None => x00
  end.

Lemma to_N_lt_256 (b : byte) : (Byte.to_N b < 256)%N.
Proof. pose proof (Byte.to_N_bounded b). lia. Qed.

Lemma to_N_byte_of (n : N) : Byte.to_N (byte_of n) = (n mod 256)%N.
Proof.
  unfold byte_of.
  destruct (Byte.of_N (n mod 256)) as [b|] eqn:E.
  - now apply Byte.to_of_N.
  - apply Byte.of_N_None_iff in E.
    pose proof (N.mod_lt n 256 ltac:(lia)). lia.
Qed.

Lemma byte_of_to_N (b : byte) : byte_of (Byte.to_N b) = b.
Proof.
  unfold byte_of.
  rewrite N.mod_small by apply to_N_lt_256.
  now rewrite Byte.of_to_N.
Qed.

Lemma byte_of_small (n : N) : (n < 256)%N -> Byte.to_N (byte_of n) = n.
Proof. intros H. rewrite to_N_byte_of. now apply N.mod_small. Qed.

Lemma to_N_inj (a b : byte) : Byte.to_N a = Byte.to_N b -> a = b.
Proof.
  intros H. assert (Some a = Some b) as E; [|now injection E].
  now rewrite <- (Byte.of_to_N a), <- (Byte.of_to_N b), H.
Qed.

Lemma byte_of_eq (n : N) (b : byte) : (n mod 256 = Byte.to_N b)%N -> byte_of n = b.
Proof. intros H. apply to_N_inj. now rewrite to_N_byte_of. Qed.

(** Byte equality: [Byte.eqb] decides it. *)
Lemma byte_eqb_eq (a b : byte) : Byte.eqb a b = true <-> a = b.
Proof.
  split; [apply Byte.byte_dec_bl | intros ->; now apply Byte.byte_dec_lb].
Qed.

Lemma byte_eqb_refl (a : byte) : Byte.eqb a a = true.
Proof. now apply byte_eqb_eq. Qed.

(** ** Big-endian [u16] and [u32] (spec 1: "always big-endian"). *)

Definition u16_of (b0 b1 : byte) : N := Byte.to_N b0 * 256 + Byte.to_N b1.

Definition u16_be (n : N) : list byte := [byte_of (n / 256); byte_of n].

Definition u32_of (b0 b1 b2 b3 : byte) : N := u16_of b0 b1 * 65536 + u16_of b2 b3.

Definition u32_be (n : N) : list byte := u16_be (n / 65536) ++ u16_be n.

Lemma u16_of_lt (b0 b1 : byte) : (u16_of b0 b1 < 65536)%N.
Proof. unfold u16_of. pose proof (to_N_lt_256 b0). pose proof (to_N_lt_256 b1). lia. Qed.

Lemma u32_of_lt (b0 b1 b2 b3 : byte) : (u32_of b0 b1 b2 b3 < 4294967296)%N.
Proof. unfold u32_of. pose proof (u16_of_lt b0 b1). pose proof (u16_of_lt b2 b3). lia. Qed.

(** Decoding what was encoded gives the number back... *)
Lemma u16_of_be (n : N) : (n < 65536)%N ->
  forall b0 b1, u16_be n = [b0; b1] -> u16_of b0 b1 = n.
Proof.
  intros Hn b0 b1 H. unfold u16_be in H. injection H as <- <-.
  unfold u16_of.
  rewrite (byte_of_small (n / 256)) by (apply N.div_lt_upper_bound; lia).
  rewrite to_N_byte_of.
  pose proof (N.div_mod n 256 ltac:(lia)). lia.
Qed.

(** ...and encoding what was decoded gives the bytes back. *)
Lemma u16_be_of (b0 b1 : byte) : u16_be (u16_of b0 b1) = [b0; b1].
Proof.
  unfold u16_be, u16_of.
  rewrite N.div_add_l by lia.
  rewrite (N.div_small (Byte.to_N b1)) by apply to_N_lt_256.
  rewrite N.add_0_r, byte_of_to_N. f_equal. f_equal.
  apply byte_of_eq.
  rewrite N.add_comm, N.mod_add by lia.
  apply N.mod_small, to_N_lt_256.
Qed.

Lemma u16_be_length (n : N) : length (u16_be n) = 2.
Proof. reflexivity. Qed.

Lemma u32_be_length (n : N) : length (u32_be n) = 4.
Proof. reflexivity. Qed.

Lemma u16_be_mod (n : N) : u16_be n = u16_be (n mod 65536).
Proof.
  unfold u16_be.
  pose proof (N.div_mod n 65536 ltac:(lia)) as Hn.
  set (q := (n / 65536)%N) in *. set (r := (n mod 65536)%N) in *.
  assert (r < 65536)%N by (apply N.mod_lt; lia).
  f_equal; [|f_equal]; apply to_N_inj; rewrite !to_N_byte_of; rewrite Hn.
  - replace (65536 * q + r)%N with (r + (q * 256) * 256)%N by lia.
    rewrite N.div_add by lia.
    replace (r / 256 + q * 256)%N with (r / 256 + q * 256)%N by reflexivity.
    rewrite N.mod_add by lia. reflexivity.
  - replace (65536 * q + r)%N with (r + (q * 256) * 256)%N by lia.
    rewrite N.mod_add by lia. reflexivity.
Qed.

Lemma u32_of_be (n : N) : (n < 4294967296)%N ->
  forall b0 b1 b2 b3, u32_be n = [b0; b1; b2; b3] -> u32_of b0 b1 b2 b3 = n.
Proof.
  intros Hn b0 b1 b2 b3 H. unfold u32_be in H.
  rewrite (u16_be_mod n) in H.
  unfold u16_be at 1 2 in H. simpl in H.
  injection H as E0 E1 E2.
  assert (Hq : (n / 65536 < 65536)%N) by (apply N.div_lt_upper_bound; lia).
  assert (Hr : (n mod 65536 < 65536)%N) by (apply N.mod_lt; lia).
  unfold u32_of.
  rewrite (u16_of_be (n / 65536) Hq b0 b1) by (unfold u16_be; congruence).
  rewrite (u16_of_be (n mod 65536) Hr b2 b3) by (unfold u16_be; congruence).
  pose proof (N.div_mod n 65536 ltac:(lia)). lia.
Qed.

Lemma u32_be_of (b0 b1 b2 b3 : byte) : u32_be (u32_of b0 b1 b2 b3) = [b0; b1; b2; b3].
Proof.
  unfold u32_be, u32_of.
  rewrite N.div_add_l by lia.
  rewrite (N.div_small (u16_of b2 b3)) by apply u16_of_lt.
  rewrite N.add_0_r, u16_be_of.
  rewrite u16_be_mod, N.add_comm, N.mod_add by lia.
  rewrite N.mod_small by apply u16_of_lt.
  rewrite u16_be_of. reflexivity.
Qed.

(** ** A cursor: [take n bs] splits off the first [n] bytes, or fails. *)

Fixpoint take {A} (n : nat) (bs : list A) : option (list A * list A) :=
  match n with
  | O => Some ([], bs)
  | S n' =>
      match bs with
      | [] => None
      | b :: r =>
          match take n' r with
          | Some (h, t) => Some (b :: h, t)
          | None => None
          end
      end
  end.

Lemma take_app {A} (h t : list A) : take (length h) (h ++ t) = Some (h, t).
Proof. induction h as [|b h IH]; simpl; [reflexivity | now rewrite IH]. Qed.

Lemma take_app_eq {A} (n : nat) (h t : list A) : length h = n -> take n (h ++ t) = Some (h, t).
Proof. intros <-. apply take_app. Qed.

Lemma take_some {A} (n : nat) (bs h t : list A) :
  take n bs = Some (h, t) -> bs = h ++ t /\ length h = n.
Proof.
  revert bs h t. induction n as [|n IH]; intros bs h t H; simpl in H.
  - injection H as <- <-. auto.
  - destruct bs as [|b r]; [discriminate|].
    destruct (take n r) as [[h' t']|] eqn:E; [|discriminate].
    injection H as <- <-. destruct (IH _ _ _ E) as [-> <-]. auto.
Qed.

Lemma take_none {A} (n : nat) (bs : list A) : take n bs = None -> length bs < n.
Proof.
  revert bs. induction n as [|n IH]; intros bs H; simpl in H; [discriminate|].
  destruct bs as [|b r]; simpl; [lia|].
  destruct (take n r) as [[h t]|] eqn:E; [discriminate|]. specialize (IH _ E). lia.
Qed.

(** Byte strings compare with [bytes_eqb]. *)
Fixpoint bytes_eqb (a b : list byte) : bool :=
  match a, b with
  | [], [] => true
  | x :: a', y :: b' => Byte.eqb x y && bytes_eqb a' b'
  | _, _ => false
  end.

Lemma bytes_eqb_eq (a b : list byte) : bytes_eqb a b = true <-> a = b.
Proof.
  revert b. induction a as [|x a IH]; intros [|y b]; simpl; try (split; congruence).
  rewrite Bool.andb_true_iff, byte_eqb_eq, IH. split; [intros [-> ->]; reflexivity|].
  intros H; injection H as -> ->; auto.
Qed.
