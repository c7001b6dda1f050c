//! Broker errors, classified where they are born so that callers act on the class, never on message text.
//!
//! The classes are the ones the feed and the executor need to decide: re-read the token (`Auth`), stop probing
//! the WebSocket for a while (`Forbidden`), slow down (`RateLimited`), retry what is safe to retry
//! (`Transient`), give up on this request (`Rejected`), or distrust the payload (`Malformed`).

use std::fmt;

use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// 401: the token is wrong or expired.
    Auth,
    /// 403: refused for a reason other than the token (a reused one-time URL, a connection limit, a plan, an IP).
    Forbidden,
    /// 429: too many requests.
    RateLimited,
    /// Timeouts, resets, 5xx: the same request may succeed later.
    Transient,
    /// The broker understood the request and said no.
    Rejected,
    /// A body or frame we cannot parse.
    Malformed,
}

impl ErrorClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Auth => "auth",
            ErrorClass::Forbidden => "forbidden",
            ErrorClass::RateLimited => "rate_limited",
            ErrorClass::Transient => "transient",
            ErrorClass::Rejected => "rejected",
            ErrorClass::Malformed => "malformed",
        }
    }

    /// The class an HTTP status implies when the body says nothing more specific.
    pub fn from_status(status: u16) -> ErrorClass {
        match status {
            401 => ErrorClass::Auth,
            403 => ErrorClass::Forbidden,
            429 => ErrorClass::RateLimited,
            408 | 500..=599 => ErrorClass::Transient,
            _ => ErrorClass::Rejected,
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One failed broker call. Holds no secret: the endpoint is a path without its query, and messages come from
/// the broker's error body, which never echoes the token.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub struct BrokerError {
    pub class: ErrorClass,
    /// The broker's own code, e.g. `UDAPI100050`.
    pub code: Option<String>,
    pub status: Option<u16>,
    pub endpoint: String,
    pub message: String,
}

impl BrokerError {
    pub fn new(class: ErrorClass, endpoint: &str, message: impl Into<String>) -> Self {
        BrokerError {
            class,
            code: None,
            status: None,
            endpoint: endpoint.to_string(),
            message: message.into(),
        }
    }

    /// Whether a write that failed so may have been carried out all the same: a timeout, a reset or a 5xx (the
    /// broker may have acted before it failed), or a 2xx whose body could not be read (it did act). Such an
    /// outcome is resolved by looking, never by sending again.
    pub fn outcome_unknown(&self) -> bool {
        let answered_yes = self.status.is_some_and(|s| (200..300).contains(&s));
        self.class == ErrorClass::Transient || (self.class == ErrorClass::Malformed && answered_yes)
    }
}

impl fmt::Display for BrokerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} error from {}", self.class, self.endpoint)?;
        if let Some(status) = self.status {
            write!(f, " (HTTP {status})")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(code) = &self.code {
            write!(f, " [{code}]")?;
        }
        Ok(())
    }
}
