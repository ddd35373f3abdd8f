//! The format's limits on counts and lengths (spec "Limits at a glance"),
//! in one leaf module that every layer may use. Each is re-exported where
//! it is enforced: [`crate::header`], [`crate::slot`], [`crate::file`].
//! The chunk limits are in [`crate::chunk`], the Argon2id costs in
//! [`crate::kdf`].

/// Spec 4.1: the most slots a header may have.
pub const MAX_SLOTS: usize = 8;
/// Spec 4.2: the longest body of a slot of a type other than password.
pub const MAX_SLOT_BODY_SIZE: usize = 1024;
/// Spec 5: the longest application context.
pub const MAX_CONTEXT_SIZE: usize = 1024;
