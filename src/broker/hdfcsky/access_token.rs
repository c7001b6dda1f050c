//! What dalal reads out of an HDFC Sky access token: the client id (its JWT `sub` claim), which the account
//! endpoints want as a query parameter, and its expiry, for telling the trader when to log in again.
//!
//! The signature is not checked: the token is HDFC Sky's to verify, and dalal only needs the claims.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::broker::{BrokerError, ErrorClass};
use crate::config::Secret;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    pub client_id: String,
    pub expires: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct RawClaims {
    sub: String,
    #[serde(default)]
    exp: Option<i64>,
}

impl TokenClaims {
    pub fn read(token: &Secret) -> Result<TokenClaims, BrokerError> {
        let not_jwt = || {
            BrokerError::new(
                ErrorClass::Auth,
                "access token",
                "the HDFC Sky access token is not a JWT with a `sub` claim: log in again with \
                 `dalal login hdfcsky`",
            )
        };
        let payload = token.expose().split('.').nth(1).ok_or_else(not_jwt)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|_| not_jwt())?;
        let raw: RawClaims = serde_json::from_slice(&bytes).map_err(|_| not_jwt())?;
        if raw.sub.trim().is_empty() {
            return Err(not_jwt());
        }
        Ok(TokenClaims {
            client_id: raw.sub,
            expires: raw.exp.and_then(|s| DateTime::from_timestamp(s, 0)),
        })
    }
}

/// An unsigned token of HDFC Sky's shape, for the simulator to issue: it proves nothing, and the simulator
/// accepts only the exact strings it issued.
pub fn unsigned_token(client_id: &str, issued: DateTime<Utc>, nonce: u64) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS384","typ":"JWT"}"#);
    let claims = serde_json::json!({
        "sub": client_id,
        "iat": issued.timestamp(),
        "exp": issued.timestamp() + 8 * 3600,
        "merchant": "dalal-sim",
        "nonce": nonce,
    });
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.sim{nonce:x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_id_is_the_sub_claim() {
        let issued = DateTime::from_timestamp(1_795_000_000, 0).unwrap();
        let token = Secret::new(unsigned_token("AB1234", issued, 7));
        let claims = TokenClaims::read(&token).unwrap();
        assert_eq!(claims.client_id, "AB1234");
        assert_eq!(
            claims.expires.unwrap().timestamp() - issued.timestamp(),
            28_800
        );
        for bad in ["plain-token", "a.b.c", "a.e30.c"] {
            let e = TokenClaims::read(&Secret::new(bad)).unwrap_err();
            assert_eq!(e.class, ErrorClass::Auth, "{bad}");
            assert!(e.message.contains("dalal login hdfcsky"));
        }
    }
}
