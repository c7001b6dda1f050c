//! The simulator's portfolio stream feed (order updates only): one-time URLs from `authorize`, then a WebSocket
//! that sends each order's row, as a JSON text frame with `update_type = "order"`, whenever the order changes
//! (placed, changed, triggered, filled, cancelled, rejected), from the moment the connection opens. Pings are
//! answered. Scripted faults: `order_stream_403` at the handshake, `order_stream_drop` (gone without a close
//! frame), `order_stream_silence` (nothing sent, no ping answered, and what changes meanwhile never sent).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use super::orders::OrderBook;
use super::scenario::FaultKind;
use super::state::SimState;
use super::upstox_feed::authorized;
use super::upstox_rest::{error, sim_profile, token_refused};
use crate::broker::upstox::OrderUpdateMessage;

type Shared = State<Arc<SimState>>;

/// Where the one-time URLs point, shaped like Upstox's example.
pub const ORDER_STREAM_PATH: &str = "/upstox-developer-api/order-updates/feed";

const UPDATE_TYPES: [&str; 4] = ["order", "gtt_order", "position", "holding"];

/// `GET /v2/feed/portfolio-stream-feed/authorize?update_types=…`: the trading token only (orders are the
/// account's), and `update_types` as the OpenAPI pattern allows.
pub async fn authorize(
    State(state): Shared,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refusal) = token_refused(&state, &headers) {
        return refusal;
    }
    let types = query.get("update_types").map_or("order", String::as_str);
    if !types.split(',').all(|t| UPDATE_TYPES.contains(&t)) {
        return error(StatusCode::BAD_REQUEST, "UDAPI1087", "Invalid update_types");
    }
    authorized(state.issue_one_time_url(ORDER_STREAM_PATH))
}

pub async fn connect(
    State(state): Shared,
    Query(query): Query<HashMap<String, String>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let connected_at = {
        let (mut inner, now) = state.at_now();
        let code = query.get("code").cloned().unwrap_or_default();
        if !inner.unused_codes.remove(&code) {
            return (StatusCode::FORBIDDEN, "Forbidden").into_response();
        }
        if inner.faults.active(FaultKind::TokenExpiry, now).is_some() {
            return (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
        }
        if inner
            .faults
            .active(FaultKind::OrderStream403, now)
            .is_some()
        {
            return (StatusCode::FORBIDDEN, "Forbidden").into_response();
        }
        now
    };
    upgrade.on_upgrade(move |socket| async move { session(socket, &state, connected_at).await })
}

/// Each order's row as last sent, to tell what changed.
type Sent = HashMap<String, String>;

fn rows_now(book: &OrderBook) -> Vec<(String, String, OrderUpdateMessage)> {
    let user_id = sim_profile().user_id;
    book.order_rows()
        .into_iter()
        .map(|row| {
            let key = serde_json::to_string(&row).unwrap_or_default();
            let message = OrderUpdateMessage {
                update_type: "order".into(),
                instrument_key: row.instrument_token.clone(),
                user_id: user_id.clone(),
                exchange_timestamp: row.order_timestamp.clone(),
                order: row,
            };
            (message.order.order_id.clone(), key, message)
        })
        .collect()
}

async fn session(mut socket: WebSocket, state: &SimState, connected_at: DateTime<Utc>) {
    let mut book_moved = state.book_version.subscribe();
    // Updates run from the connection on: orders as they stand now are not sent.
    let mut sent: Sent = {
        let (inner, _) = state.at_now();
        rows_now(&inner.book)
            .into_iter()
            .map(|(id, key, _)| (id, key))
            .collect()
    };
    loop {
        let (due, silent, dropped) = {
            let (inner, now) = state.at_now();
            let changed: Vec<OrderUpdateMessage> = rows_now(&inner.book)
                .into_iter()
                .filter_map(|(id, key, message)| {
                    (sent.get(&id) != Some(&key)).then(|| {
                        sent.insert(id, key);
                        message
                    })
                })
                .collect();
            (
                changed,
                inner
                    .faults
                    .active(FaultKind::OrderStreamSilence, now)
                    .is_some(),
                inner
                    .faults
                    .drop_due(FaultKind::OrderStreamDrop, connected_at, now),
            )
        };
        if dropped {
            return;
        }
        if silent {
            // Nothing read, so no ping is answered; what changed is lost, as on a dead connection.
            state.clock.sleep(state.frame_interval).await;
            continue;
        }
        for message in due {
            let text = serde_json::to_string(&message).unwrap_or_default();
            if socket.send(Message::Text(text.into())).await.is_err() {
                return;
            }
        }
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(frame))) => {
                    let _ = socket.send(Message::Close(frame)).await;
                    return;
                }
                None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
            moved = book_moved.changed() => if moved.is_err() {
                return;
            },
            // Prices move on the clock: matching runs and the faults are looked at again.
            () = state.clock.sleep(state.frame_interval) => {}
        }
    }
}
