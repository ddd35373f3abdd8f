//! Backups in S3-compatible object storage: wherever a command takes a
//! backup file (`backup -o`, `restore`, `verify`, `inspect`, `passwd`,
//! `rotate`), `s3://BUCKET/KEY` names an object instead. The endpoint,
//! region and credentials come from the AWS environment variables
//! (`AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), and `--s3-endpoint` and
//! `--s3-region` override the first two.
//!
//! Everything else is the same as for a file: an upload (a multipart
//! upload) appears under its name only when the command succeeded, an
//! existing object is replaced only with `--force`, an interruption
//! aborts the upload (`crate::interrupt`), and the errors have the same
//! exit codes (a refused credential or a missing bucket is 5).

use crate::error::{CliError, store_error};
use ebak::store::{PutMode, Store, StoreError, Upload};
use std::io::Read;
use std::path::Path;
use std::sync::OnceLock;

/// `--s3-endpoint` and `--s3-region`.
#[derive(Debug, Default, Clone)]
pub struct S3Flags {
    /// The endpoint URL.
    pub endpoint: Option<String>,
    /// The region.
    pub region: Option<String>,
}

static FLAGS: OnceLock<S3Flags> = OnceLock::new();

/// Sets the flags for the rest of the process (once, from `main`).
pub fn set_flags(flags: S3Flags) {
    let _ = FLAGS.set(flags);
}

/// Whether `location` is an `s3://` URL rather than a path.
#[must_use]
pub fn is_remote(location: &Path) -> bool {
    location.to_str().is_some_and(|t| t.starts_with("s3://"))
}

/// An object named by an `s3://` URL.
#[derive(Debug)]
pub struct Remote {
    store: Box<dyn Store>,
    key: String,
}

/// The object `location` names, if it is an `s3://` URL (`None` for a
/// path).
///
/// # Errors
///
/// A malformed URL (exit 2), no S3 support in this build, or no
/// credentials.
pub fn parse(location: &Path) -> Result<Option<Remote>, CliError> {
    if !is_remote(location) {
        return Ok(None);
    }
    open(location.to_str().unwrap_or_default()).map(Some)
}

#[cfg(feature = "s3")]
fn open(url: &str) -> Result<Remote, CliError> {
    let parsed = ebak_store_s3::parse_url(url).map_err(|_| {
        CliError::usage(format!(
            "{url}: not a valid S3 location: use s3://BUCKET/KEY (a lowercase bucket name; no empty, . or .. parts in the key)"
        ))
    })?;
    let mut config = ebak_store_s3::S3Config::from_env(parsed.bucket);
    if let Some(flags) = FLAGS.get() {
        if let Some(endpoint) = &flags.endpoint {
            config.endpoint = Some(endpoint.clone());
        }
        if let Some(region) = &flags.region {
            config.region = Some(region.clone());
        }
    }
    let store = ebak_store_s3::S3Store::open(config).map_err(|e| store_error(&e))?;
    Ok(Remote { store: Box::new(store), key: parsed.key })
}

#[cfg(not(feature = "s3"))]
fn open(url: &str) -> Result<Remote, CliError> {
    Err(CliError::usage(format!("{url}: this ebak was built without S3 support (the `s3` feature)")))
}

impl Remote {
    /// The whole object, streamed.
    ///
    /// # Errors
    ///
    /// Missing, refused, unreachable (exit 5).
    pub fn reader(&self) -> Result<Box<dyn Read + Send>, CliError> {
        self.store.get(&self.key).map_err(|e| store_error(&e))
    }

    /// The object's length.
    ///
    /// # Errors
    ///
    /// As [`Remote::reader`].
    pub fn size(&self) -> Result<u64, CliError> {
        self.store.head(&self.key).map(|o| o.size).map_err(|e| store_error(&e))
    }

    /// Whether the object exists.
    ///
    /// # Errors
    ///
    /// Refused or unreachable, or the bucket is missing.
    pub fn exists(&self) -> Result<bool, CliError> {
        match self.store.head(&self.key) {
            Ok(_) => Ok(true),
            // A missing bucket is an error, not a free name.
            Err(StoreError::NotFound { location }) if location == self.store.describe(&self.key) => Ok(false),
            Err(e) => Err(store_error(&e)),
        }
    }

    /// A staged write of the object.
    ///
    /// # Errors
    ///
    /// With [`PutMode::Create`], the object exists; or refused,
    /// unreachable, a missing bucket.
    pub fn put(&self, mode: PutMode) -> Result<Box<dyn Upload>, CliError> {
        self.store.put(&self.key, mode).map_err(|e| store_error(&e))
    }
}
