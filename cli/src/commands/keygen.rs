//! `ebak keygen`.

use crate::error::CliError;
use crate::global::KEY_WARNING;
use crate::secrets::new_key;
use ebak_core::recovery_key;

/// `ebak keygen`.
pub fn keygen() -> Result<(), CliError> {
    let key = new_key()?;
    println!("{}", recovery_key::format(&key).as_str());
    eprintln!("{KEY_WARNING}");
    Ok(())
}
