//! A WebSocket handshake that failed, as a broker error: the HTTP status classified like any other answer (a
//! redirect that was not followed is `Rejected`), the broker's own words on why, and never the URL, which can
//! carry a credential.

use tokio_tungstenite::tungstenite;

use super::{BrokerError, ErrorClass};

/// `explain` turns the status and the start of the refusal's body (empty when there is none) into the message.
pub(crate) fn handshake_error(
    e: tungstenite::Error,
    endpoint: &str,
    explain: impl Fn(u16, &str) -> String,
) -> BrokerError {
    match e {
        tungstenite::Error::Http(response) => {
            let status = response.status().as_u16();
            let said: String = response
                .body()
                .as_deref()
                .map(|b| {
                    String::from_utf8_lossy(b)
                        .trim()
                        .chars()
                        .take(160)
                        .collect()
                })
                .unwrap_or_default();
            BrokerError {
                class: match status {
                    300..=399 => ErrorClass::Rejected,
                    other => ErrorClass::from_status(other),
                },
                code: None,
                status: Some(status),
                endpoint: endpoint.into(),
                message: explain(status, &said),
            }
        }
        // tungstenite's other errors name a failure, never the URL.
        other => BrokerError::new(
            ErrorClass::Transient,
            endpoint,
            format!("cannot connect: {other}"),
        ),
    }
}
