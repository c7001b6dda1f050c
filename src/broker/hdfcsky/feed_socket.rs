//! The one type that owns an HDFC Sky market-data WebSocket: connect with the query-string auth that works,
//! subscribe in JSON text frames, send the heartbeat, and turn binary frames into prices through `QuoteBook`.
//!
//! The auth is `?token=<access token>&api_key=<api key>` on `/wsapi/v1/session`; `access_token=`, a missing
//! `api_key`, a header alone or nothing at all are refused with 401 "Full authentication is required". The URL
//! holds both secrets, so it is never logged, and no error built here repeats it.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::time::{Instant, Interval};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};
use url::Url;

use super::feed_decode::{Applied, QuoteBook, decode_packets};
use super::rest_client::USER_AGENT;
use super::scrip::ScripId;
use crate::broker::{BrokerError, ErrorClass, StreamEvent, ws_handshake};
use crate::config::Secret;

const ENDPOINT: &str = "HDFC Sky market data feed";
pub const SESSION_PATH: &str = "/wsapi/v1/session";
/// Integrators send at most this many scrips in one frame; the limit is theirs, not documented.
pub const SCRIPS_PER_FRAME: usize = 100;
/// HDFC Sky's documented limit for one connection.
pub const SCRIPS_PER_CONNECTION: usize = 300;
/// No interval is documented; integrators send one every 10 s.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SubscriptionType {
    /// The last price only.
    Ltp,
    /// The full packet: OHLC, volume, depth, OI, circuit limits.
    All,
    /// Option greeks, for F&O scrips. dalal trades cash and never asks for them; the simulator accepts the
    /// entry beside the others in a frame, as HDFC Sky documents.
    Greek,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScripRequest {
    #[serde(rename = "scripId")]
    pub scrip_id: String,
    #[serde(rename = "type")]
    pub kind: SubscriptionType,
}

/// A client frame. The unsubscribe key has a capital S: the server ignores `unsubscribe`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedRequest {
    #[serde(default)]
    pub heart_beat: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subscribe: Vec<ScripRequest>,
    #[serde(default, rename = "unSubscribe", skip_serializing_if = "Vec::is_empty")]
    pub un_subscribe: Vec<ScripRequest>,
}

/// `wss://<host>/wsapi/v1/session?token=…&api_key=…` for a REST base URL (`ws://` for a plain-HTTP simulator).
pub fn session_url(base: &Url, token: &Secret, api_key: &Secret) -> Result<Url, BrokerError> {
    let mut url = ws_handshake::websocket_url(base, SESSION_PATH, ENDPOINT)?;
    url.query_pairs_mut()
        .append_pair("token", token.expose())
        .append_pair("api_key", api_key.expose());
    Ok(url)
}

pub struct SkyFeedSocket {
    ws: ws_handshake::FeedWebSocket,
    book: QuoteBook,
    heartbeat: Interval,
}

impl SkyFeedSocket {
    /// Connects to a session URL; `authorization`, when given, is also sent as a header, as integrators do
    /// (harmless; the query string is what authenticates).
    pub async fn connect(
        url: &Url,
        authorization: Option<&Secret>,
    ) -> Result<SkyFeedSocket, BrokerError> {
        let mut request = ws_handshake::request(url, ENDPOINT, USER_AGENT)?;
        if let Some(value) = authorization.and_then(|t| HeaderValue::from_str(t.expose()).ok()) {
            request.headers_mut().insert("Authorization", value);
        }
        let ws = ws_handshake::open(request).await.map_err(handshake_error)?;
        let mut heartbeat =
            tokio::time::interval_at(Instant::now() + HEARTBEAT_EVERY, HEARTBEAT_EVERY);
        // One beat after a pause in reading, not a burst of the ones missed.
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Ok(SkyFeedSocket {
            ws,
            book: QuoteBook::default(),
            heartbeat,
        })
    }

    /// Everything merged so far for `scrip`: depth and OI as well as the price.
    pub fn quote(&self, scrip: &ScripId) -> Option<&super::feed_decode::MergedQuote> {
        self.book.get(scrip)
    }

    /// Subscribes in frames of at most 100 scrips; refuses to go past 300 on this connection.
    pub async fn subscribe(
        &mut self,
        scrips: &[ScripId],
        kind: SubscriptionType,
    ) -> Result<(), BrokerError> {
        let new = scrips.iter().filter(|s| !self.book.is_wanted(s)).count();
        if self.book.wanted() + new > SCRIPS_PER_CONNECTION {
            return Err(BrokerError::new(
                ErrorClass::Rejected,
                ENDPOINT,
                format!(
                    "HDFC Sky serves at most {SCRIPS_PER_CONNECTION} instruments on one connection; {} are \
                     subscribed and {} more were asked for: trim the universe",
                    self.book.wanted(),
                    new
                ),
            ));
        }
        self.book.want(scrips);
        for frame in frames(scrips, kind, Action::Subscribe) {
            self.send(&frame).await?;
        }
        Ok(())
    }

    /// Unsubscribes with the type used to subscribe, as the server expects.
    pub async fn unsubscribe(
        &mut self,
        scrips: &[ScripId],
        kind: SubscriptionType,
    ) -> Result<(), BrokerError> {
        self.book.unwant(scrips);
        for frame in frames(scrips, kind, Action::Unsubscribe) {
            self.send(&frame).await?;
        }
        Ok(())
    }

    async fn send(&mut self, request: &FeedRequest) -> Result<(), BrokerError> {
        let text = serde_json::to_string(request).expect("a feed request always serializes");
        self.ws.send(Message::Text(text.into())).await.map_err(|e| {
            BrokerError::new(ErrorClass::Transient, ENDPOINT, format!("cannot send: {e}"))
        })
    }

    /// The next event, sending the heartbeat when it is due; after `Closed` the socket is done.
    pub async fn next_event(&mut self) -> StreamEvent {
        loop {
            let message = tokio::select! {
                message = self.ws.next() => message,
                _ = self.heartbeat.tick() => {
                    let beat = FeedRequest { heart_beat: true, ..FeedRequest::default() };
                    if let Err(e) = self.send(&beat).await {
                        return StreamEvent::Closed(e.message);
                    }
                    continue;
                }
            };
            let Some(message) = message else {
                return StreamEvent::Closed("the connection ended".into());
            };
            match message {
                Ok(Message::Binary(bytes)) => return self.on_binary(&bytes),
                Ok(Message::Text(text)) => {
                    if let Some(event) = on_text(&text) {
                        return event;
                    }
                }
                Ok(Message::Ping(_) | Message::Pong(_)) => return StreamEvent::Alive,
                Ok(Message::Close(frame)) => {
                    let reason = frame.map_or("no reason given".to_string(), |f| {
                        format!("{} {}", f.code, f.reason)
                    });
                    return StreamEvent::Closed(format!("closed by the server: {reason}"));
                }
                Ok(Message::Frame(_)) => {}
                Err(e) => return StreamEvent::Closed(format!("the connection broke: {e}")),
            }
        }
    }

    fn on_binary(&mut self, bytes: &[u8]) -> StreamEvent {
        let packets = match decode_packets(bytes) {
            Ok(packets) => packets,
            Err(e) => return StreamEvent::BadFrame(e.to_string()),
        };
        let mut updated: Vec<ScripId> = Vec::new();
        for packet in &packets {
            if let Applied::Priced(scrip) = self.book.apply(packet) {
                if !updated.contains(&scrip) {
                    updated.push(scrip);
                }
            }
        }
        let prices: Vec<_> = updated
            .iter()
            .filter_map(|s| self.book.price_update(s))
            .collect();
        if prices.is_empty() {
            StreamEvent::Alive
        } else {
            StreamEvent::Prices(prices)
        }
    }

    /// Closes with a normal close frame, so the connection stops counting against the three per API key.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Subscribe,
    Unsubscribe,
}

/// The frames that (un)subscribe `scrips`, at most 100 scrips each.
fn frames(scrips: &[ScripId], kind: SubscriptionType, action: Action) -> Vec<FeedRequest> {
    scrips
        .chunks(SCRIPS_PER_FRAME)
        .map(|chunk| {
            let scrips = chunk
                .iter()
                .map(|s| ScripRequest {
                    scrip_id: s.to_string(),
                    kind,
                })
                .collect();
            match action {
                Action::Subscribe => FeedRequest {
                    subscribe: scrips,
                    ..FeedRequest::default()
                },
                Action::Unsubscribe => FeedRequest {
                    un_subscribe: scrips,
                    ..FeedRequest::default()
                },
            }
        })
        .collect()
}

/// A text frame is an acknowledgement or an error. An auth error ends the connection, so the failover
/// reconnects (and re-reads the token if the new handshake is refused with 401); another error is reported and
/// the connection kept.
pub(crate) fn on_text(text: &str) -> Option<StreamEvent> {
    let status = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("status")?.as_str().map(str::to_ascii_lowercase));
    if !matches!(status.as_deref(), Some("error" | "failure")) {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    let auth = [
        "401",
        "403",
        "unauthori",
        "forbidden",
        "invalid token",
        "token expired",
        "session expired",
        "invalid api_key",
    ]
    .iter()
    .any(|w| lower.contains(w));
    let snippet: String = text.chars().take(160).collect();
    Some(if auth {
        StreamEvent::Closed(format!("the feed refused the login: {snippet}"))
    } else {
        StreamEvent::BadFrame(format!("the feed reported an error: {snippet}"))
    })
}

fn handshake_error(e: tungstenite::Error) -> BrokerError {
    ws_handshake::handshake_error(e, ENDPOINT, |status, said| {
        let said = if said.is_empty() {
            String::new()
        } else {
            format!(" (\"{said}\")")
        };
        match status {
            401 => format!(
                "the handshake was refused with 401{said}: the token or API key is wrong or expired, or they \
                 were not sent as ?token=…&api_key=…"
            ),
            403 => format!(
                "the handshake was refused with 403{said}: three connections already open for this API key, or \
                 the account is not enabled for the feed"
            ),
            300..=399 => {
                format!("the handshake answered a {status} redirect{said}: use wss://, not ws://")
            }
            other => format!("the handshake was refused with HTTP {other}{said}"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_carry_at_most_100_scrips_and_unsubscribe_has_a_capital_s() {
        let scrips: Vec<ScripId> = (1..=250)
            .map(|t| format!("NSE_{t}").parse().unwrap())
            .collect();
        let sizes: Vec<usize> = frames(&scrips, SubscriptionType::All, Action::Subscribe)
            .iter()
            .map(|f| f.subscribe.len())
            .collect();
        assert_eq!(sizes, [100, 100, 50]);
        let gone = frames(&scrips[..1], SubscriptionType::Ltp, Action::Unsubscribe);
        assert_eq!(
            serde_json::to_string(&gone[0]).unwrap(),
            r#"{"heart_beat":false,"unSubscribe":[{"scripId":"NSE_1","type":"LTP"}]}"#
        );
        let beat = FeedRequest {
            heart_beat: true,
            ..FeedRequest::default()
        };
        assert_eq!(
            serde_json::to_string(&beat).unwrap(),
            r#"{"heart_beat":true}"#
        );
        let index: ScripId = "NSE_INDEX_26000".parse().unwrap();
        let all = frames(&[index], SubscriptionType::All, Action::Subscribe);
        assert_eq!(
            serde_json::to_string(&all[0]).unwrap(),
            r#"{"heart_beat":false,"subscribe":[{"scripId":"NSE_INDEX_26000","type":"ALL"}]}"#
        );
    }
}
