//! What dalal reads out of an HDFC Sky access token: the client id (its JWT `sub` claim), which the account
//! endpoints want as a query parameter, and its expiry, for telling the trader when to log in again.
//!
//! The signature is not checked (`jwt_claims` reads the payload): the token is HDFC Sky's to verify.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::broker::jwt_claims::{claims, unsigned_jwt};
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
        let raw: RawClaims = claims(token).ok_or_else(not_jwt)?;
        if raw.sub.trim().is_empty() {
            return Err(not_jwt());
        }
        Ok(TokenClaims {
            client_id: raw.sub,
            expires: raw.exp.and_then(|s| DateTime::from_timestamp(s, 0)),
        })
    }
}

/// An unsigned token of HDFC Sky's shape, for the simulator to issue.
pub fn unsigned_token(client_id: &str, issued: DateTime<Utc>, nonce: u64) -> String {
    let claims = serde_json::json!({
        "sub": client_id,
        "iat": issued.timestamp(),
        "exp": issued.timestamp() + 8 * 3600,
        "merchant": "dalal-sim",
        "nonce": nonce,
    });
    unsigned_jwt(&claims, &format!("sim{nonce:x}"))
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
