//! The one type that owns a Market Data Feed V3 WebSocket: connect to a one-time URL, send subscriptions, and
//! turn what arrives into events. Decoding is `FeedFrame`'s job; this file only moves bytes.
//!
//! A handshake refusal is classified like any broker error (401 `Auth`, 403 `Forbidden`, a redirect that was not
//! followed is `Rejected`). A frame that does not decode is reported and the connection stays up. Server pings
//! are answered by tungstenite and surface as heartbeats, which count as liveness.

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};
use url::Url;

use super::feed_frame::{FeedDecodeError, FeedFrame};
use super::feed_request::{FeedMethod, FeedMode, FeedRequest};
use super::rest_client::USER_AGENT;
use crate::broker::{BrokerError, ErrorClass, ws_handshake};
use crate::config::Secret;

const ENDPOINT: &str = "market data feed";

/// What the connection produced.
#[derive(Debug)]
pub enum FeedEvent {
    Frame(FeedFrame),
    /// A binary frame that is not a `FeedResponse`: count it, log it, keep reading.
    BadFrame(FeedDecodeError),
    /// A ping or pong: the connection is alive even when prices are quiet.
    Heartbeat,
    /// The server closed the connection or it broke; reconnect with a fresh URL.
    Closed(String),
}

pub struct UpstoxFeedSocket {
    ws: ws_handshake::FeedWebSocket,
    requests_sent: u64,
}

impl UpstoxFeedSocket {
    /// Connects to a one-time URL from `authorize`. The URL carries a credential: it is never logged.
    pub async fn connect(url: &Url) -> Result<UpstoxFeedSocket, BrokerError> {
        Self::open(ws_handshake::request(url, ENDPOINT, USER_AGENT)?).await
    }

    async fn open(request: Request) -> Result<UpstoxFeedSocket, BrokerError> {
        let ws = ws_handshake::open(request).await.map_err(handshake_error)?;
        Ok(UpstoxFeedSocket {
            ws,
            requests_sent: 0,
        })
    }

    /// The SDKs' path: `/v3/feed/market-data-feed` on the API host with the Bearer header, which Upstox answers
    /// with a redirect to a one-time URL. tokio-tungstenite does not follow it, so this fails with the 3xx; it
    /// exists for `dalal doctor` to show what a non-following client meets.
    pub async fn connect_direct(
        api: &Url,
        token: &Secret,
    ) -> Result<UpstoxFeedSocket, BrokerError> {
        let url = ws_handshake::websocket_url(api, "/v3/feed/market-data-feed", ENDPOINT)?;
        let mut request = ws_handshake::request(&url, ENDPOINT, USER_AGENT)?;
        let bearer =
            HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                BrokerError::new(
                    ErrorClass::Auth,
                    ENDPOINT,
                    "the token is not a valid header value",
                )
            })?;
        request.headers_mut().insert("Authorization", bearer);
        Self::open(request).await
    }

    pub async fn subscribe(&mut self, mode: FeedMode, keys: &[&str]) -> Result<(), BrokerError> {
        self.send(FeedMethod::Sub, Some(mode), keys).await
    }

    pub async fn unsubscribe(&mut self, keys: &[&str]) -> Result<(), BrokerError> {
        self.send(FeedMethod::Unsub, None, keys).await
    }

    pub async fn change_mode(&mut self, mode: FeedMode, keys: &[&str]) -> Result<(), BrokerError> {
        self.send(FeedMethod::ChangeMode, Some(mode), keys).await
    }

    async fn send(
        &mut self,
        method: FeedMethod,
        mode: Option<FeedMode>,
        keys: &[&str],
    ) -> Result<(), BrokerError> {
        self.requests_sent += 1;
        let request = FeedRequest::new(format!("dalal-{}", self.requests_sent), method, mode, keys);
        let bytes = serde_json::to_vec(&request).expect("a feed request always serializes");
        // Upstox documents the JSON request inside a binary frame.
        self.ws
            .send(Message::Binary(bytes.into()))
            .await
            .map_err(|e| {
                BrokerError::new(ErrorClass::Transient, ENDPOINT, format!("cannot send: {e}"))
            })
    }

    /// The next event; after `Closed` the socket is done.
    pub async fn next_event(&mut self) -> FeedEvent {
        loop {
            let Some(message) = self.ws.next().await else {
                return FeedEvent::Closed("the connection ended".into());
            };
            match message {
                Ok(Message::Binary(bytes)) => {
                    return match FeedFrame::decode(&bytes) {
                        Ok((frame, _)) => FeedEvent::Frame(frame),
                        Err(e) => FeedEvent::BadFrame(e),
                    };
                }
                Ok(Message::Ping(_) | Message::Pong(_)) => return FeedEvent::Heartbeat,
                Ok(Message::Close(frame)) => {
                    let reason = frame.map_or("no reason given".to_string(), |f| {
                        format!("{} {}", f.code, f.reason)
                    });
                    return FeedEvent::Closed(format!("closed by the server: {reason}"));
                }
                Ok(Message::Text(text)) => {
                    tracing::debug!(
                        chars = text.len(),
                        "feed sent a text frame; Upstox documents none, ignored"
                    );
                }
                Ok(Message::Frame(_)) => {}
                Err(e) => return FeedEvent::Closed(format!("the connection broke: {e}")),
            }
        }
    }

    /// Closes with a normal close frame, so the broker does not count this connection against the limit.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

fn handshake_error(e: tungstenite::Error) -> BrokerError {
    ws_handshake::handshake_error(e, ENDPOINT, |status, _| {
        match status {
        401 => "the handshake was refused with 401".to_string(),
        403 => "the handshake was refused with 403: a reused one-time URL, another connection still open, \
                or the plan does not include the feed"
            .to_string(),
        300..=399 => format!("the handshake answered a {status} redirect that was not followed"),
        other => format!("the handshake was refused with HTTP {other}"),
    }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_message_beyond_the_size_limit_ends_the_connection() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("ws://{}/feed", listener.local_addr().unwrap())).unwrap();
        tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            let mut ws = tokio_tungstenite::accept_async(socket).await.unwrap();
            let huge = vec![0u8; ws_handshake::MAX_FEED_MESSAGE_BYTES + 1];
            let _ = ws.send(Message::Binary(huge.into())).await;
            std::future::pending::<()>().await;
        });
        let mut socket = UpstoxFeedSocket::connect(&url).await.unwrap();
        match socket.next_event().await {
            FeedEvent::Closed(why) => assert!(why.contains("too long"), "{why}"),
            other => panic!("a {other:?} instead of a closed connection"),
        }
    }
}
