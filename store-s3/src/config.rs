//! Where the bucket is and how to sign: [`S3Config`], from the usual AWS
//! environment variables and explicit settings, and `s3://` URLs.

use ebak::store::StoreError;
use std::env;
use std::fmt;
use std::time::Duration;
use zeroize::Zeroizing;

/// The smallest part S3 accepts (all parts but the last).
pub const MIN_PART_SIZE_BYTES: usize = 5 << 20;
/// The largest part S3 accepts.
pub const MAX_PART_SIZE_BYTES: usize = 5 << 30;
/// The most parts one multipart upload may have.
pub const MAX_PARTS: usize = 10_000;

/// Static credentials: an access key and, for temporary ones, a session
/// token. `Debug` shows the access key ID only.
#[derive(Clone)]
pub struct Credentials {
    /// The access key ID (`AWS_ACCESS_KEY_ID`): not secret, shown in
    /// `Debug`, never in error messages.
    pub access_key_id: String,
    /// The secret access key (`AWS_SECRET_ACCESS_KEY`).
    pub secret_access_key: Zeroizing<String>,
    /// The session token of temporary credentials (`AWS_SESSION_TOKEN`).
    pub session_token: Option<Zeroizing<String>>,
}

impl Credentials {
    /// An access key without a session token.
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: Zeroizing::new(secret_access_key.into()),
            session_token: None,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"[redacted]")
            .field("session_token", &self.session_token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// How to reach a bucket.
///
/// [`S3Config::from_env`] reads `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_S3`),
/// `AWS_REGION` (or `AWS_DEFAULT_REGION`), `AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`; the fields set here
/// win over them. Web-identity (`AWS_WEB_IDENTITY_TOKEN_FILE` with
/// `AWS_ROLE_ARN`) and container credentials
/// (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or `_FULL_URI`) are used when
/// the environment names them. The EC2 instance metadata service is never
/// asked on its own: without credentials, opening the store fails with
/// [`StoreError::Denied`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct S3Config {
    /// The bucket.
    pub bucket: String,
    /// The endpoint (`https://s3.example.net`, `http://127.0.0.1:8014`);
    /// `None` for AWS itself. Requests use the path style
    /// (`ENDPOINT/BUCKET/KEY`) except on AWS. An `http://` endpoint is
    /// accepted as given: SigV4 never sends the secret key and the backup
    /// is end-to-end encrypted, but an on-path attacker sees object names
    /// and sizes and can replay or drop requests.
    pub endpoint: Option<String>,
    /// The region (`us-east-1` if none is set anywhere).
    pub region: Option<String>,
    /// Static credentials; `None` to take them from the environment.
    pub credentials: Option<Credentials>,
    /// The size of each part of a multipart upload (the first 1000 parts;
    /// it doubles every 1000 parts after, so that 10 000 parts reach far).
    /// An upload holds at most `parts_in_flight + 1` parts in memory.
    pub part_size_bytes: usize,
    /// Parts uploaded at the same time, while the writer fills the next.
    pub parts_in_flight: usize,
    /// Retries of a failed request (connection refused, 5xx, timeouts).
    pub max_retries: usize,
    /// How long a request may keep retrying.
    pub retry_timeout: Duration,
    /// How long one request may take (a part upload on a slow link needs
    /// minutes).
    pub request_timeout: Duration,
    /// How long connecting may take.
    pub connect_timeout: Duration,
}

/// The default part size: 8 MiB, so that 1000 parts hold 8 GiB.
pub const DEFAULT_PART_SIZE_BYTES: usize = 8 << 20;

impl S3Config {
    /// The bucket `bucket` with everything else from the environment.
    pub fn from_env(bucket: impl Into<String>) -> Self {
        let var = |names: &[&str]| names.iter().find_map(|n| env::var(n).ok().filter(|v| !v.is_empty()));
        let credentials = match (var(&["AWS_ACCESS_KEY_ID"]), var(&["AWS_SECRET_ACCESS_KEY"])) {
            (Some(id), Some(secret)) => Some(Credentials {
                access_key_id: id,
                secret_access_key: Zeroizing::new(secret),
                session_token: var(&["AWS_SESSION_TOKEN"]).map(Zeroizing::new),
            }),
            _ => None,
        };
        Self {
            bucket: bucket.into(),
            endpoint: var(&["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_ENDPOINT"]),
            region: var(&["AWS_REGION", "AWS_DEFAULT_REGION"]),
            credentials,
            part_size_bytes: DEFAULT_PART_SIZE_BYTES,
            parts_in_flight: 2,
            max_retries: 4,
            retry_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(300),
            connect_timeout: Duration::from_secs(5),
        }
    }

    /// Whether the environment names credentials that need no static key
    /// (web identity, container credentials).
    pub(crate) fn env_has_other_credentials() -> bool {
        let set = |n: &str| env::var_os(n).is_some_and(|v| !v.is_empty());
        (set("AWS_WEB_IDENTITY_TOKEN_FILE") && set("AWS_ROLE_ARN"))
            || set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
            || set("AWS_CONTAINER_CREDENTIALS_FULL_URI")
    }

    /// Checks the sizes against S3's limits.
    pub(crate) fn check(&self) -> Result<(), StoreError> {
        let bad = |what: String| StoreError::io("configure", format!("s3://{}", self.bucket), invalid(what));
        if self.bucket.is_empty() || self.bucket.contains('/') {
            return Err(bad(format!("{:?} is not a bucket name", self.bucket)));
        }
        if !(MIN_PART_SIZE_BYTES..=MAX_PART_SIZE_BYTES).contains(&self.part_size_bytes) {
            return Err(bad(format!(
                "the part size must be between 5 MiB and 5 GiB, not {} bytes",
                self.part_size_bytes
            )));
        }
        if self.parts_in_flight == 0 {
            return Err(bad("at least one part must be in flight".into()));
        }
        Ok(())
    }
}

fn invalid(what: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, what)
}

/// An `s3://BUCKET/KEY` URL split into its bucket and key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Url {
    /// The bucket.
    pub bucket: String,
    /// The object's key (a valid store name: see [`ebak::store::check_name`]).
    pub key: String,
}

/// The scheme of the URLs [`parse_url`] reads.
pub const SCHEME: &str = "s3://";

/// Whether `location` is an `s3://` URL (rather than a local path).
#[must_use]
pub fn is_s3_url(location: &str) -> bool {
    location.starts_with(SCHEME)
}

/// Splits `s3://BUCKET/KEY`. No query, fragment or user part is accepted:
/// credentials never travel in a URL.
///
/// # Errors
///
/// [`StoreError::InvalidName`]: not such a URL, an empty bucket, or a key
/// that is not a valid store name.
pub fn parse_url(url: &str) -> Result<S3Url, StoreError> {
    let invalid = || StoreError::InvalidName { name: url.to_owned() };
    let rest = url.strip_prefix(SCHEME).ok_or_else(invalid)?;
    let (bucket, key) = rest.split_once('/').ok_or_else(invalid)?;
    let bucket_ok = !bucket.is_empty()
        && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-._".contains(&b));
    if !bucket_ok || key.contains(['?', '#']) {
        return Err(invalid());
    }
    ebak::store::check_name(key)?;
    Ok(S3Url { bucket: bucket.to_owned(), key: key.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_bucket_and_key() {
        assert_eq!(
            parse_url("s3://backups/phone/2026-12-04.ebak").unwrap(),
            S3Url { bucket: "backups".into(), key: "phone/2026-12-04.ebak".into() }
        );
        for bad in [
            "s3://",
            "s3://bucket",
            "s3://bucket/",
            "s3:///key",
            "s3://Bucket/key",
            "s3://user:pass@bucket/key",
            "s3://bucket/a//b",
            "s3://bucket/../b",
            "s3://bucket/key?x=1",
            "s3://bucket/key#f",
            "https://bucket/key",
            "/tmp/key",
        ] {
            assert!(parse_url(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn debug_hides_the_secrets() {
        let mut c = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        c.session_token = Some(Zeroizing::new("session-token-value".into()));
        let text = format!("{c:?}");
        assert!(text.contains("AKIDEXAMPLE"));
        assert!(!text.contains("wJalr") && !text.contains("session-token-value"), "{text}");
    }
}
