//! # ebak-store-s3
//!
//! S3-compatible object storage (AWS S3, and servers that speak its
//! protocol) as an [`ebak::store::Store`], over the `object_store` crate:
//!
//! - [`Store::put`] streams a multipart upload in parts of
//!   [`S3Config::part_size_bytes`], with at most
//!   [`S3Config::parts_in_flight`] parts travelling while the next one
//!   fills: memory stays bounded whatever the backup's size. The object
//!   appears under its name only when the upload completes.
//! - [`PutMode::Create`] never clobbers: the final request (PutObject or
//!   CompleteMultipartUpload) carries `If-None-Match: *`, which AWS S3
//!   honours on both since August 2024; the server refuses it if the name
//!   was taken meanwhile, even by another writer.
//! - An upload that fails, is dropped, aborted, or interrupted through its
//!   [`AbortHandle`](ebak::store::AbortHandle) aborts its multipart upload,
//!   so the server keeps no parts. (A process killed outright cannot: a
//!   bucket lifecycle rule that aborts incomplete multipart uploads after
//!   a day is the backstop on AWS.)
//! - [`Store::get_range`] is a ranged GET, so a reader of one chunk
//!   fetches that chunk; [`ebak::store::RangedReader`] makes a `Read +
//!   Seek` of it.
//!
//! The calls block: each [`S3Store`] runs object_store on its own small
//! tokio runtime (two worker threads). They may be called from any thread,
//! including from inside another tokio runtime (they then block on a
//! helper thread).
//!
//! Errors are [`StoreError`]s: wrong credentials are
//! [`StoreError::Denied`] with the reason S3 gave (never a credential), a
//! missing bucket or object is [`StoreError::NotFound`], a server that
//! cannot be reached is [`StoreError::Io`].
//!
//! ```no_run
//! use ebak::store::{PutMode, Store};
//! use ebak_store_s3::{S3Config, S3Store};
//! use std::io::Write;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY...
//! let store = S3Store::open(S3Config::from_env("backups"))?;
//! let mut upload = store.put("phone/2026-12-04.ebak", PutMode::Create)?;
//! upload.write_all(b"...")?;
//! upload.commit()?; // visible from here on
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod config;
mod error;
mod read;
mod upload;

pub use config::{
    Credentials, DEFAULT_PART_SIZE_BYTES, MAX_PART_SIZE_BYTES, MAX_PARTS, MIN_PART_SIZE_BYTES, S3Config, S3Url, SCHEME,
    is_s3_url, parse_url,
};

use ebak::store::{ObjectInfo, PutMode, Store, StoreError, Upload, check_name};
use error::Op;
use futures_util::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder, S3ConditionalPut};
use object_store::path::Path;
use object_store::{
    BackoffConfig, ClientOptions, GetOptions, GetRange, HeaderMap, HeaderValue, ObjectStore, ObjectStoreExt,
    RetryConfig,
};
use read::BodyReader;
use std::fmt;
use std::future::Future;
use std::io::{self, Read};
use std::ops::Range;
use std::sync::Arc;
use tokio::runtime::{Handle, Runtime};
use upload::S3Upload;

/// A bucket as a [`Store`]: object names are keys.
#[derive(Clone)]
pub struct S3Store {
    inner: Arc<Inner>,
}

/// What a store and its uploads share.
pub(crate) struct Inner {
    bucket: String,
    endpoint: Option<String>,
    pub(crate) store: Arc<AmazonS3>,
    /// The same bucket through a client that adds `If-None-Match: *` to
    /// every request: used only to complete [`PutMode::Create`] uploads
    /// (object_store's multipart completion has no such option).
    pub(crate) create_store: Arc<AmazonS3>,
    pub(crate) runtime: Handle,
    /// Owns the runtime; dropped last.
    _runtime: Runtime,
    pub(crate) credentials: Option<Credentials>,
    pub(crate) part_size_bytes: usize,
    pub(crate) parts_in_flight: usize,
}

impl fmt::Debug for S3Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Store")
            .field("bucket", &self.inner.bucket)
            .field("endpoint", &self.inner.endpoint)
            .field("part_size_bytes", &self.inner.part_size_bytes)
            .field("parts_in_flight", &self.inner.parts_in_flight)
            .finish_non_exhaustive()
    }
}

/// Runs `future` on `runtime` and waits for it, from any thread: inside a
/// runtime's context (where blocking on another runtime is not allowed),
/// on a helper thread.
pub(crate) fn block_on<F>(runtime: &Handle, future: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    if Handle::try_current().is_err() {
        return runtime.block_on(future);
    }
    std::thread::scope(|s| {
        s.spawn(|| runtime.block_on(future)).join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

fn builder(config: &S3Config, headers: Option<HeaderMap>) -> AmazonS3Builder {
    // The environment fills in what the config leaves unset (web-identity
    // and container credentials, proxies); the config's fields win.
    let mut b = AmazonS3Builder::from_env()
        .with_bucket_name(&config.bucket)
        .with_region(config.region.as_deref().unwrap_or("us-east-1"))
        .with_conditional_put(S3ConditionalPut::ETagMatch)
        .with_retry(RetryConfig {
            backoff: BackoffConfig::default(),
            max_retries: config.max_retries,
            retry_timeout: config.retry_timeout,
        });
    let mut client =
        ClientOptions::new().with_timeout(config.request_timeout).with_connect_timeout(config.connect_timeout);
    if let Some(endpoint) = &config.endpoint {
        b = b.with_endpoint(endpoint).with_virtual_hosted_style_request(false);
        client = client.with_allow_http(endpoint.starts_with("http://"));
    }
    if let Some(headers) = headers {
        client = client.with_default_headers(headers);
    }
    if let Some(c) = &config.credentials {
        b = b.with_access_key_id(&c.access_key_id).with_secret_access_key(c.secret_access_key.as_str());
        if let Some(token) = &c.session_token {
            b = b.with_token(token.as_str());
        }
    }
    b.with_client_options(client)
}

impl S3Store {
    /// The bucket `config` names. Makes no request: a wrong endpoint,
    /// bucket or credential shows at the first operation.
    ///
    /// # Errors
    ///
    /// [`StoreError::Denied`] if no credentials are configured or in the
    /// environment; [`StoreError::Io`] if the configuration is invalid.
    pub fn open(config: S3Config) -> Result<Self, StoreError> {
        config.check()?;
        let location = format!("{SCHEME}{}", config.bucket);
        if config.credentials.is_none() && !S3Config::env_has_other_credentials() {
            return Err(StoreError::Denied {
                location,
                reason: "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY".into(),
            });
        }
        let invalid = |e: object_store::Error| {
            StoreError::io("configure", location.clone(), io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))
        };
        let store = builder(&config, None).build().map_err(invalid)?;
        let mut headers = HeaderMap::new();
        headers.insert("if-none-match", HeaderValue::from_static("*"));
        let create_store = builder(&config, Some(headers)).build().map_err(invalid)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ebak-s3")
            .enable_all()
            .build()
            .map_err(|e| StoreError::io("start the S3 client for", location.clone(), e))?;
        Ok(Self {
            inner: Arc::new(Inner {
                bucket: config.bucket,
                endpoint: config.endpoint,
                store: Arc::new(store),
                create_store: Arc::new(create_store),
                runtime: runtime.handle().clone(),
                _runtime: runtime,
                credentials: config.credentials,
                part_size_bytes: config.part_size_bytes,
                parts_in_flight: config.parts_in_flight,
            }),
        })
    }

    /// The bucket.
    #[must_use]
    pub fn bucket(&self) -> &str {
        &self.inner.bucket
    }

    fn path(name: &str) -> Result<Path, StoreError> {
        check_name(name)?;
        Path::parse(name).map_err(|_| StoreError::InvalidName { name: name.to_owned() })
    }

    fn run<F>(&self, future: F) -> F::Output
    where
        F: Future + Send,
        F::Output: Send,
    {
        block_on(&self.inner.runtime, future)
    }

    fn error(&self, e: &object_store::Error, op: Op, what: &'static str, name: &str) -> StoreError {
        error::map(e, op, what, &self.describe(name), self.inner.credentials.as_ref())
    }

    /// Lists `NAME/` with a delimiter: nothing comes back, but a missing
    /// bucket or refused credentials show.
    fn probe_bucket(&self, name: &str) -> Result<(), StoreError> {
        let store = Arc::clone(&self.inner.store);
        let path = Self::path(name)?;
        self.run(async move { store.list_with_delimiter(Some(&path)).await.map(drop) })
            .map_err(|e| self.error(&e, Op::Write, "reach", name))
    }

    /// The object's metadata; `Ok(None)` if the bucket holds no such
    /// object, [`StoreError::NotFound`] if the bucket itself is missing.
    fn head_inner(&self, name: &str) -> Result<Option<ObjectInfo>, StoreError> {
        let path = Self::path(name)?;
        let store = Arc::clone(&self.inner.store);
        match self.run(async move { store.head(&path).await }) {
            Ok(meta) => Ok(Some(ObjectInfo { name: name.to_owned(), size: meta.size })),
            Err(e) => match self.error(&e, Op::Read, "read", name) {
                // HEAD answers have no body to say whether the bucket or
                // the key is missing, or why a request was refused: a
                // request whose answer does tell is sent.
                StoreError::NotFound { .. } => self.probe_bucket(name).map(|()| None),
                StoreError::Denied { location, reason } => {
                    Err(self.probe_bucket(name).err().unwrap_or(StoreError::Denied { location, reason }))
                }
                other => Err(other),
            },
        }
    }

    fn head_meta(&self, name: &str) -> Result<ObjectInfo, StoreError> {
        self.head_inner(name)?.ok_or_else(|| StoreError::NotFound { location: self.describe(name) })
    }

    fn reader(&self, name: &str, range: Option<Range<u64>>) -> Result<Box<dyn Read + Send>, StoreError> {
        let path = Self::path(name)?;
        let store = Arc::clone(&self.inner.store);
        let options = GetOptions { range: range.map(GetRange::Bounded), ..GetOptions::default() };
        match self.run(async move { store.get_opts(&path, options).await }) {
            Ok(result) => {
                Ok(Box::new(BodyReader::new(result.into_stream(), Arc::clone(&self.inner), self.describe(name))))
            }
            // A range that starts past the end: the object is there, the
            // range holds nothing.
            Err(e) if error::Cause::of(&e).status == Some(416) => Ok(Box::new(io::empty())),
            Err(e) => match self.error(&e, Op::Read, "read", name) {
                nf @ StoreError::NotFound { .. } => Err(self.probe_bucket(name).err().unwrap_or(nf)),
                other => Err(other),
            },
        }
    }
}

impl Store for S3Store {
    fn describe(&self, name: &str) -> String {
        format!("{SCHEME}{}/{name}", self.inner.bucket)
    }

    fn put(&self, name: &str, mode: PutMode) -> Result<Box<dyn Upload>, StoreError> {
        let path = Self::path(name)?;
        // Refuse a taken name before the caller streams a backup (the
        // completion checks again, atomically); find a missing bucket or
        // wrong credentials before any part is sent.
        match self.head_inner(name) {
            Ok(Some(_)) if mode == PutMode::Create => {
                return Err(StoreError::AlreadyExists { location: self.describe(name) });
            }
            Ok(_) => {}
            // Write-only credentials (PutObject without ListBucket: AWS then
            // answers a HEAD of a missing key with 403): the early check
            // cannot be made, the completion's If-None-Match still guards.
            Err(StoreError::Denied { reason, .. }) if reason == error::POLICY_DENIED => {}
            Err(e) => return Err(e),
        }
        Ok(Box::new(S3Upload::new(Arc::clone(&self.inner), path, self.describe(name), mode)))
    }

    fn get(&self, name: &str) -> Result<Box<dyn Read + Send>, StoreError> {
        self.reader(name, None)
    }

    fn get_range(&self, name: &str, range: Range<u64>) -> Result<Box<dyn Read + Send>, StoreError> {
        if range.start >= range.end {
            // Nothing to read, but a missing object is still an error.
            self.head_meta(name)?;
            return Ok(Box::new(io::empty()));
        }
        self.reader(name, Some(range))
    }

    fn head(&self, name: &str) -> Result<ObjectInfo, StoreError> {
        self.head_meta(name)
    }

    fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError> {
        // object_store lists whole path segments: list the directory the
        // prefix is in, and keep the names that start with it.
        let dir = match prefix.rfind('/') {
            Some(i) => Some(
                Path::parse(prefix.get(..i).unwrap_or_default())
                    .map_err(|_| StoreError::InvalidName { name: prefix.to_owned() })?,
            ),
            None => None,
        };
        let store = Arc::clone(&self.inner.store);
        let listed = self.run(async move { store.list(dir.as_ref()).try_collect::<Vec<_>>().await });
        let listed = listed.map_err(|e| self.error(&e, Op::Read, "list", prefix))?;
        let mut out: Vec<ObjectInfo> = listed
            .into_iter()
            .map(|m| ObjectInfo { name: m.location.as_ref().to_owned(), size: m.size })
            .filter(|o| o.name.starts_with(prefix))
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn delete(&self, name: &str) -> Result<(), StoreError> {
        // S3 deletes a missing key without complaint; the trait reports it.
        self.head_meta(name)?;
        let path = Self::path(name)?;
        let store = Arc::clone(&self.inner.store);
        self.run(async move { store.delete(&path).await }).map_err(|e| self.error(&e, Op::Write, "delete", name))
    }
}
