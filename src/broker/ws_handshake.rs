//! The WebSocket handshake as every broker's feed socket makes it: the `ws(s)://` URL for a REST host, the
//! request with the broker's User-Agent (both brokers' edges refuse requests without one), and a refusal as a
//! broker error: the HTTP status classified like any other answer (a redirect that was not followed is
//! `Rejected`), the broker's own words on why, and never the URL, which can carry a credential. Every feed socket
//! opens through `open`, with size limits, so a runaway message ends the connection instead of filling memory.

use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use url::Url;

use super::{BrokerError, ErrorClass};

/// The largest feed message or frame accepted. A full-depth Upstox snapshot of a few hundred instruments is well
/// under 1 MiB; a larger message is broken or hostile, and the connection ends as a drop (the feed polls).
pub(crate) const MAX_FEED_MESSAGE_BYTES: usize = 4 << 20;

/// A feed socket as every broker's feed opens it.
pub(crate) type FeedWebSocket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens a feed socket: tungstenite's defaults with `MAX_FEED_MESSAGE_BYTES`, and no Nagle (subscriptions and
/// pongs are small writes that must not wait for an ACK).
pub(crate) async fn open(request: Request) -> Result<FeedWebSocket, tungstenite::Error> {
    let limits = WebSocketConfig::default()
        .max_message_size(Some(MAX_FEED_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_FEED_MESSAGE_BYTES));
    let (ws, _) = tokio_tungstenite::connect_async_with_config(request, Some(limits), true).await?;
    Ok(ws)
}

/// `path` on the REST host `base`, as a WebSocket URL: `wss://` for an https host, `ws://` for a plain one.
pub(crate) fn websocket_url(base: &Url, path: &str, endpoint: &str) -> Result<Url, BrokerError> {
    let mut url = base
        .join(path)
        .map_err(|e| BrokerError::new(ErrorClass::Malformed, endpoint, e.to_string()))?;
    let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
    url.set_scheme(scheme)
        .map_err(|()| BrokerError::new(ErrorClass::Malformed, endpoint, "no WebSocket scheme"))?;
    Ok(url)
}

/// The handshake request for `url`, carrying `user_agent`.
pub(crate) fn request(
    url: &Url,
    endpoint: &str,
    user_agent: &'static str,
) -> Result<Request, BrokerError> {
    let mut request = url.as_str().into_client_request().map_err(|e| {
        BrokerError::new(
            ErrorClass::Malformed,
            endpoint,
            format!("bad feed URL: {e}"),
        )
    })?;
    request
        .headers_mut()
        .insert("User-Agent", HeaderValue::from_static(user_agent));
    Ok(request)
}

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
