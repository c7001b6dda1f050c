//! The claims inside a broker's access token, when it is a JWT: both brokers issue JWTs, and dalal reads two
//! things from them, HDFC Sky's client id and, for either broker, when the token says it expires (so that an
//! expired token is named as such, with the command that renews it).
//!
//! The signature is not checked: the token is the broker's to verify, and dalal only reads what it says.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::config::Secret;

/// The token's payload as `T`, or `None` when the token is not a JWT whose payload reads as `T`.
pub(crate) fn claims<T: DeserializeOwned>(token: &Secret) -> Option<T> {
    let payload = token.expose().split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// When the token says it expires (its `exp` claim), if it is a JWT that says so.
pub fn stated_expiry(token: &Secret) -> Option<DateTime<Utc>> {
    #[derive(Deserialize)]
    struct Expiry {
        exp: Option<i64>,
    }
    claims::<Expiry>(token)?
        .exp
        .and_then(|s| DateTime::from_timestamp(s, 0))
}

/// An unsigned JWT carrying `claims`, for the simulator to issue in a broker's shape: it proves nothing, and the
/// simulator accepts only the exact strings it issued.
pub fn unsigned_jwt(claims: &serde_json::Value, signature: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS384","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.{signature}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expiry_is_read_from_a_jwt_and_nothing_from_anything_else() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"AB1","exp":1795000000}"#);
        let token = Secret::new(format!("eyJhbGciOiJIUzI1NiJ9.{payload}.sig"));
        assert_eq!(stated_expiry(&token).unwrap().timestamp(), 1_795_000_000);
        assert_eq!(stated_expiry(&Secret::new("opaque-token")), None);
        assert_eq!(stated_expiry(&Secret::new("a.!!!.c")), None);
        let no_exp = URL_SAFE_NO_PAD.encode(br#"{"sub":"AB1"}"#);
        assert_eq!(stated_expiry(&Secret::new(format!("h.{no_exp}.s"))), None);
    }
}
