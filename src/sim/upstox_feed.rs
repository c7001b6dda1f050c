//! The simulator's Market Data Feed V3: one-time URLs from `authorize`, the SDKs' direct path answered with a
//! redirect, and the WebSocket session itself (market_info first, snapshots after each `sub`, live updates, server
//! pings on idle seconds), with the scripted faults: 403 or 401 at the handshake, 403 past the connection limit,
//! drops, silence and misreported trade times.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use super::faults::send_second;
use super::feed_frames;
use super::scenario::FaultKind;
use super::state::SimState;
use super::upstox_rest::data_token_refused;
use crate::broker::upstox::feed_proto::FrameType;
use crate::broker::upstox::rest_types::{AuthorizeData, Envelope};
use crate::broker::upstox::{FeedMethod, FeedMode, FeedRequest};

type Shared = State<Arc<SimState>>;

pub async fn authorize(State(state): Shared, headers: HeaderMap) -> Response {
    if let Some(refusal) = data_token_refused(&state, &headers) {
        return refusal;
    }
    authorized(state.issue_feed_url())
}

/// An authorize call's answer: the one-time URL under both of its names.
pub(super) fn authorized(url: String) -> Response {
    axum::Json(Envelope::success(AuthorizeData {
        authorized_redirect_uri: Some(url.clone()),
        authorized_redirect_uri_camel: Some(url),
    }))
    .into_response()
}

/// `wss://…/v3/feed/market-data-feed` with a Bearer header: Upstox answers the upgrade with a redirect to a
/// fresh one-time URL, which is how the official SDKs connect.
pub async fn direct_connect(State(state): Shared, headers: HeaderMap) -> Response {
    if let Some(refusal) = data_token_refused(&state, &headers) {
        return refusal;
    }
    let url = state.issue_feed_url();
    (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, url)]).into_response()
}

pub async fn connect(
    State(state): Shared,
    Query(query): Query<HashMap<String, String>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let refused = || (StatusCode::FORBIDDEN, "Forbidden").into_response();
    let connected_at = {
        let (mut inner, now) = state.at_now();
        let code = query.get("code").cloned().unwrap_or_default();
        // A code works once; a reused or made-up URL is refused, as Upstox does.
        if !inner.unused_codes.remove(&code) {
            return refused();
        }
        if inner.faults.active(FaultKind::Handshake401, now).is_some() {
            return (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
        }
        if inner.faults.refuse_handshake(now) || inner.open_connections >= state.connection_limit {
            return refused();
        }
        inner.open_connections += 1;
        now
    };
    upgrade.on_upgrade(move |socket| async move {
        session(socket, &state, connected_at).await;
        state.at_now().0.open_connections -= 1;
    })
}

async fn session(mut socket: WebSocket, state: &SimState, connected_at: DateTime<Utc>) {
    // A silent connection says nothing at all, not even its first frame.
    let first = {
        let (inner, now) = state.at_now();
        let silent = inner.faults.active(FaultKind::Silence, now).is_some();
        (!silent).then(|| feed_frames::market_info(&inner.market, now))
    };
    if let Some(first) = first {
        if socket.send(Message::Binary(first.into())).await.is_err() {
            return;
        }
    }
    // Subscribed market indexes with their mode and the quote sequence last sent.
    let mut subscribed: HashMap<usize, (FeedMode, u64)> = HashMap::new();
    loop {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Binary(bytes))) => on_request(&mut socket, state, &mut subscribed, &bytes).await,
                Some(Ok(Message::Text(text))) => on_request(&mut socket, state, &mut subscribed, text.as_bytes()).await,
                Some(Ok(Message::Close(frame))) => {
                    // Answer the close handshake, as a server must, so the client is not left waiting.
                    let _ = socket.send(Message::Close(frame)).await;
                    return;
                }
                None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
            _ = state.clock.sleep(state.frame_interval) => {
                let (frame, faults) = {
                    let (inner, now) = state.at_now();
                    let changed = inner.market.changed(&mut subscribed);
                    let times = inner.faults.stream_report(now);
                    let frame = feed_frames::feeds(&inner.market, &changed, FrameType::LiveFeed, now, times);
                    (frame, inner.faults.on_feed(connected_at, now))
                };
                // A second without data is an idle connection, which the server pings.
                let message = match frame {
                    Some(frame) => Message::Binary(frame.into()),
                    None => Message::Ping(Vec::new().into()),
                };
                if !send_second(&mut socket, faults, message).await {
                    return;
                }
            }
        }
    }
}

/// A `sub`, `unsub` or `change_mode` request; anything unreadable is ignored, as the real feed does.
async fn on_request(
    socket: &mut WebSocket,
    state: &SimState,
    subscribed: &mut HashMap<usize, (FeedMode, u64)>,
    bytes: &[u8],
) {
    let Ok(request) = serde_json::from_slice::<FeedRequest>(bytes) else {
        tracing::debug!("simulator: unreadable feed request ignored");
        return;
    };
    let snapshot = {
        let (inner, now) = state.at_now();
        let silent = inner.faults.active(FaultKind::Silence, now).is_some();
        let indexes: Vec<usize> = request
            .data
            .instrument_keys
            .iter()
            .filter_map(|k| inner.market.index_of(k))
            .collect();
        let mode = request.data.mode.unwrap_or(FeedMode::Ltpc);
        match request.method {
            FeedMethod::Unsub => {
                for i in &indexes {
                    subscribed.remove(i);
                }
                None
            }
            FeedMethod::Sub | FeedMethod::ChangeMode => {
                let mut added = Vec::with_capacity(indexes.len());
                for i in indexes {
                    let seq = inner.market.get(i).1.seq;
                    subscribed.insert(i, (mode, seq));
                    added.push((i, mode));
                }
                let times = inner.faults.stream_report(now);
                feed_frames::feeds(&inner.market, &added, FrameType::InitialFeed, now, times)
                    .filter(|_| !silent)
            }
        }
    };
    if let Some(frame) = snapshot {
        let _ = socket.send(Message::Binary(frame.into())).await;
    }
}
