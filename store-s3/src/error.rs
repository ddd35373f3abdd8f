//! object_store's errors turned into [`StoreError`]s whose words say what
//! went wrong and never carry a credential.
//!
//! object_store keeps the HTTP status and the S3 error body inside an error
//! type it does not export; what is read here is the text of the error
//! chain, from which only the HTTP status, the S3 error code and, for
//! codes not known here, the server's `<Message>` are taken (with any
//! credential scrubbed). The access key ID, the signature, the string to
//! sign and the canonical request that S3 echoes in some error bodies are
//! never copied out.

use crate::config::Credentials;
use ebak::store::StoreError;
use std::error::Error as _;
use std::io;

/// The reason of a refusal by the bucket's policy (valid credentials, no
/// permission), as opposed to credentials the server rejects.
pub(crate) const POLICY_DENIED: &str = "the credentials are not allowed to do this (AccessDenied)";

/// What the error chain of a failed request says.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Cause {
    /// The HTTP status, if a response came back.
    pub status: Option<u16>,
    /// The S3 error code (`NoSuchBucket`, `SignatureDoesNotMatch`).
    pub code: Option<String>,
    /// The S3 error message.
    pub message: Option<String>,
    /// The innermost error, for failures without a response (connection
    /// refused, timeout).
    pub transport: Option<String>,
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)?.checked_add(open.len())?;
    let rest = text.get(start..)?;
    rest.get(..rest.find(close)?)
}

impl Cause {
    pub(crate) fn of(e: &object_store::Error) -> Self {
        let mut chain = vec![e.to_string()];
        let mut source = e.source();
        let mut innermost = None;
        while let Some(s) = source {
            chain.push(s.to_string());
            innermost = Some(s.to_string());
            source = s.source();
        }
        let text = chain.join("\n");
        let status = match e {
            object_store::Error::NotFound { .. } => Some(404),
            object_store::Error::Precondition { .. } => Some(412),
            object_store::Error::NotModified { .. } => Some(304),
            object_store::Error::PermissionDenied { .. } => Some(403),
            object_store::Error::Unauthenticated { .. } => Some(401),
            _ => None,
        }
        .or_else(|| {
            let digits = between(&text, "status code: ", " ")?;
            digits.parse().ok()
        });
        let code = between(&text, "<Code>", "</Code>").map(str::to_owned);
        let message = between(&text, "<Message>", "</Message>").map(str::to_owned);
        let transport = if status.is_none() { innermost } else { None };
        Self { status, code, message, transport }
    }

    fn reason(&self, credentials: Option<&Credentials>) -> String {
        let known = match self.code.as_deref() {
            Some("SignatureDoesNotMatch") => {
                Some("the secret access key does not match the access key ID (SignatureDoesNotMatch)")
            }
            Some("InvalidAccessKeyId") => Some("the server does not know this access key ID (InvalidAccessKeyId)"),
            Some("NotSignedUp") => Some("the server does not know this access key ID (NotSignedUp)"),
            Some("ExpiredToken") => Some("the session token has expired (ExpiredToken)"),
            Some("InvalidToken") => Some("the session token is not valid (InvalidToken)"),
            Some("RequestTimeTooSkewed") => Some("this machine's clock is too far off (RequestTimeTooSkewed)"),
            Some("AccessDenied") => Some(POLICY_DENIED),
            _ => None,
        };
        if let Some(known) = known {
            return known.to_owned();
        }
        let status = self.status.map(|s| format!("HTTP {s}")).unwrap_or_default();
        match (&self.code, &self.message) {
            (Some(code), Some(message)) => format!("{} ({code}, {status})", scrub(message, credentials)),
            (Some(code), None) => format!("{code} ({status})"),
            (None, _) if self.status == Some(403) || self.status == Some(401) => {
                format!("the server refused the credentials or the request ({status})")
            }
            (None, _) if !status.is_empty() => format!("the server answered {status}"),
            (None, _) => {
                self.transport.clone().map_or_else(|| "the request failed".to_owned(), |t| scrub(&t, credentials))
            }
        }
    }
}

/// Removes the credentials from `text` (the server's own words), and
/// shortens it.
pub(crate) fn scrub(text: &str, credentials: Option<&Credentials>) -> String {
    let mut out: String = text.chars().filter(|c| !c.is_control()).take(200).collect();
    if let Some(c) = credentials {
        let secrets = [
            Some(c.access_key_id.as_str()),
            Some(c.secret_access_key.as_str()),
            c.session_token.as_deref().map(String::as_str),
        ];
        for secret in secrets.into_iter().flatten().filter(|s| !s.is_empty()) {
            out = out.replace(secret, "[redacted]");
        }
    }
    out
}

/// What a failed operation becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    /// Reading or listing: 404 is [`StoreError::NotFound`].
    Read,
    /// Completing a [`ebak::store::PutMode::Create`] write: 412 and 409
    /// mean the name was taken.
    Create,
    /// Other writes.
    Write,
}

/// The [`StoreError`] for `e`, which happened while doing `what` at
/// `location`.
pub(crate) fn map(
    e: &object_store::Error,
    op: Op,
    what: &'static str,
    location: &str,
    credentials: Option<&Credentials>,
) -> StoreError {
    let cause = Cause::of(e);
    to_store_error(&cause, op, what, location, credentials)
}

pub(crate) fn to_store_error(
    cause: &Cause,
    op: Op,
    what: &'static str,
    location: &str,
    credentials: Option<&Credentials>,
) -> StoreError {
    let location = location.to_owned();
    match (cause.status, cause.code.as_deref()) {
        (_, Some("NoSuchBucket")) => StoreError::NotFound { location: bucket_of(&location) },
        (Some(412 | 409), _) if op == Op::Create => StoreError::AlreadyExists { location },
        (Some(404), _) if op == Op::Read => StoreError::NotFound { location },
        (Some(401 | 403), _) => StoreError::Denied { location, reason: cause.reason(credentials) },
        (
            _,
            Some(
                "AccessDenied"
                | "SignatureDoesNotMatch"
                | "InvalidAccessKeyId"
                | "NotSignedUp"
                | "ExpiredToken"
                | "InvalidToken",
            ),
        ) => StoreError::Denied { location, reason: cause.reason(credentials) },
        (status, _) => {
            let kind = match status {
                None => io::ErrorKind::ConnectionAborted,
                Some(s) if s >= 500 => io::ErrorKind::Other,
                Some(_) => io::ErrorKind::InvalidData,
            };
            StoreError::io(what, location, io::Error::new(kind, cause.reason(credentials)))
        }
    }
}

/// `s3://bucket/key` → `the bucket s3://bucket`.
fn bucket_of(location: &str) -> String {
    let bucket = location
        .strip_prefix(crate::config::SCHEME)
        .and_then(|rest| rest.split('/').next())
        .map_or_else(|| location.to_owned(), |b| format!("{}{b}", crate::config::SCHEME));
    format!("the bucket {bucket}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_and_status_are_read_and_echoed_credentials_are_not() {
        let body = "Error performing PUT http://127.0.0.1:1/b/k in 2ms - Server returned non-2xx status code: 403 Forbidden: \
            <?xml version=\"1.0\"?><Error><Code>Whatever</Code><Message>key AKIDEXAMPLE is odd</Message>\
            <AWSAccessKeyId>AKIDEXAMPLE</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256</StringToSign></Error>";
        let cause = Cause {
            status: between(body, "status code: ", " ").and_then(|s| s.parse().ok()),
            code: between(body, "<Code>", "</Code>").map(str::to_owned),
            message: between(body, "<Message>", "</Message>").map(str::to_owned),
            transport: None,
        };
        assert_eq!(cause.status, Some(403));
        let creds = Credentials::new("AKIDEXAMPLE", "secret");
        let e = to_store_error(&cause, Op::Read, "read", "s3://b/k", Some(&creds));
        let text = e.to_string();
        assert!(matches!(e, StoreError::Denied { .. }), "{text}");
        assert!(text.contains("Whatever") && !text.contains("AKIDEXAMPLE") && !text.contains("AWS4"), "{text}");
    }

    #[test]
    fn a_missing_bucket_names_the_bucket() {
        let cause = Cause { status: Some(404), code: Some("NoSuchBucket".into()), ..Cause::default() };
        let e = to_store_error(&cause, Op::Write, "write", "s3://nobucket/a/b.ebak", None);
        assert_eq!(e.to_string(), "the bucket s3://nobucket: not found");
    }
}
