//! Ties the proofs in `proofs/` to the Rust code.
//!
//! - [`mlw`] and [`spec`] read the constants of the Why3 model and the
//!   limits of the spec, for the test `tests/constants.rs`, which checks
//!   that the model, the spec and `ebak-core` agree on every one of them;
//! - `tests/why3_spec.rs` checks the Rust chunk functions against the
//!   postconditions the Why3 model is proved to meet;
//! - [`inputs`], [`verdict`] and [`diff`] are the differential test: the
//!   binary `ebak-proofs diff` runs the OCaml extraction of the Coq model and
//!   `ebak-core` on the same inputs and fails on any disagreement.
//!
//! This crate is test tooling, not part of ebak: it panics on broken
//! invariants of its own (a generator bug), which the workspace lints
//! otherwise forbid.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test tooling over generated inputs: a broken invariant is a bug in the tool, reported by a panic"
)]

pub mod diff;
pub mod inputs;
pub mod mlw;
pub mod rng;
pub mod spec;
pub mod verdict;
