//! # ebak (the tool)
//!
//! The std layer above `ebak-core`: archives, secrets from the environment,
//! files written beside their target and renamed into place, and the
//! subcommands of the `ebak` binary.

pub mod archive;
pub mod chan;
pub mod commands;
pub mod container;
pub mod error;
pub mod extract;
pub mod interrupt;
pub mod progress;
pub mod secrets;
pub mod whatsapp;
