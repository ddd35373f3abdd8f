//! `ebak keygen`.

use super::{KEY_WARNING, new_key};
use crate::error::CliError;
use ebak_core::recovery_key;

/// `ebak keygen`.
pub fn keygen() -> Result<(), CliError> {
    let key = new_key()?;
    println!("{}", recovery_key::format(&key).as_str());
    eprintln!("{KEY_WARNING}");
    Ok(())
}
