//! HDFC Sky's failures, classified into the classes every other part of dalal acts on.
//!
//! HDFC Sky fails in several shapes: the trading envelope `{"status":"error","error_code":…}` (sometimes inside
//! an HTTP 200), the bare 401 `{"error":"invalid credentials"}` of an expired token, a 403 with a plain message
//! for a MARKET order from an API key, and bodies of other services (`{"error":{"code","message"}}`). The class
//! comes from the code or the text where they are specific, else from the HTTP status.

use crate::broker::http_policy::body_snippet;
use crate::broker::{BrokerError, ErrorClass};

/// `Request forbidden` / `Request Unauthorised`.
pub const CODE_FORBIDDEN: i64 = 40000;
/// A field is invalid, e.g. "`product` is invalid".
pub const CODE_INVALID_FIELD: i64 = 44000;
/// The backend or RMS refused, e.g. a trigger-price error.
pub const CODE_RMS: i64 = 45000;
/// "Something went wrong".
pub const CODE_BACKEND: i64 = 45010;

/// The class of a failed answer: `status` is the HTTP status (200 for an error inside a success).
pub fn classify(status: u16, body: &[u8], endpoint: &str) -> BrokerError {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let code = json
        .as_ref()
        .and_then(|j| j.get("error_code"))
        .and_then(|c| c.as_i64().or_else(|| c.as_str()?.parse().ok()));
    let message = json
        .as_ref()
        .and_then(|j| {
            let text =
                |v: &serde_json::Value| v.as_str().filter(|s| !s.is_empty()).map(String::from);
            j.get("message")
                .and_then(text)
                .or_else(|| j.get("error").and_then(text))
                .or_else(|| j.get("error")?.get("message").and_then(text))
        })
        .unwrap_or_else(|| body_snippet(body));
    let lower = message.to_ascii_lowercase();
    let class = match code {
        // An API key may only send LIMIT and SL orders: a refusal of this order, not of the account.
        _ if lower.contains("limit type") => ErrorClass::Rejected,
        Some(CODE_FORBIDDEN) if lower.contains("unauthori") => ErrorClass::Auth,
        Some(CODE_FORBIDDEN) => ErrorClass::Forbidden,
        Some(CODE_INVALID_FIELD | CODE_RMS) => ErrorClass::Rejected,
        Some(CODE_BACKEND) => ErrorClass::Transient,
        _ if lower.contains("invalid credentials") => ErrorClass::Auth,
        _ if (200..300).contains(&status) => ErrorClass::Rejected,
        _ => ErrorClass::from_status(status),
    };
    BrokerError {
        class,
        code: code.map(|c| c.to_string()),
        status: Some(status),
        endpoint: endpoint.to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class_of(status: u16, body: &str) -> (ErrorClass, Option<String>, String) {
        let e = classify(status, body.as_bytes(), "/oapi/v1/orders");
        (e.class, e.code, e.message)
    }

    #[test]
    fn every_envelope_lands_in_its_class() {
        let expired = class_of(401, r#"{"error":"invalid credentials"}"#);
        assert_eq!(expired.0, ErrorClass::Auth);
        assert_eq!(expired.2, "invalid credentials");
        let unauthorised =
            r#"{"status":"error","message":"Request Unauthorised","error_code":40000,"data":{}}"#;
        assert_eq!(class_of(200, unauthorised).0, ErrorClass::Auth);
        let forbidden =
            r#"{"status":"error","message":"Request forbidden","error_code":40000,"data":{}}"#;
        assert_eq!(class_of(403, forbidden).0, ErrorClass::Forbidden);
        let field =
            r#"{"status":"error","message":"`product` is invalid","error_code":44000,"data":{}}"#;
        let (class, code, message) = class_of(400, field);
        assert_eq!(
            (class, code.as_deref()),
            (ErrorClass::Rejected, Some("44000"))
        );
        assert_eq!(message, "`product` is invalid");
        let rms =
            r#"{"status":"error","message":"trigger price error","error_code":"45000","data":{}}"#;
        assert_eq!(class_of(200, rms).0, ErrorClass::Rejected);
        let backend =
            r#"{"status":"error","message":"Something went wrong","error_code":45010,"data":{}}"#;
        assert_eq!(class_of(500, backend).0, ErrorClass::Transient);
        let market = r#"{"status":"error","message":"algo orders from merchant can only of Limit type","error_code":40000}"#;
        assert_eq!(class_of(403, market).0, ErrorClass::Rejected);
        let margin = r#"{"error":{"code":"E1","message":"Unable to read request Data"}}"#;
        assert_eq!(class_of(400, margin).2, "Unable to read request Data");
        assert_eq!(
            class_of(429, "merchantKeyRateLimit - too many requests").0,
            ErrorClass::RateLimited
        );
        assert_eq!(class_of(502, "").2, "no error body");
    }
}
