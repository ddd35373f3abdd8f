//! # ebak (the tool)
//!
//! The `ebak` binary over the `ebak` library: argument parsing, secrets
//! from the environment, files and prompts, progress bars, interruptions,
//! and the exit codes. Everything about the format, the content and where
//! files are written lives in the library.

pub mod commands;
pub mod error;
pub mod global;
pub mod interrupt;
pub mod progress;
pub mod remote;
pub mod secrets;
pub mod target;
pub mod whatsapp;
