//! # ebak-vault
//!
//! The backup key vault server (`spec/ebak-vault-v1.md`).
//!
//! - [`storage`]: the accounts and the guess counter, on SQLite (default)
//!   or PostgreSQL, behind one trait;
//! - [`keyfile`]: the vault's key sets, generated on first start, kept in
//!   a file only its owner can read;
//! - [`service`]: the protocol, request by request, over a store and the
//!   key sets (no I/O of its own: the HTTP layer and the tests call it);
//! - [`http`]: the HTTP/1.1 server: routes, size limits, timeouts, rate
//!   limits, structured logs.
pub mod http;
pub mod keyfile;
pub mod service;
pub mod storage;
