//! The simulator's HDFC Sky market-data WebSocket, `/wsapi/v1/session`.
//!
//! The handshake succeeds only with `?token=<access token>&api_key=<api key>`; `access_token=`, a missing
//! `api_key`, a header alone or no credentials get 401 "Full authentication is required to access this
//! resource", as integrators found live. Past three open connections, or in a scripted 403 episode, the answer
//! is 403. After the upgrade, JSON text frames subscribe and `unSubscribe` (at most 300 scrips), and each
//! simulated second brings a `GenericDTOList` of what changed, one packet per instrument, or a bare `GenericDTO`
//! heartbeat when nothing did. A cash equity's `ALL` packet is a full quote: the price with five levels of depth,
//! the average trade price, total buy and sell quantities, circuit limits and the net change, as the docs
//! describe a quote (derivatives' depth and OI would come in packets of their own; the simulator has none).
//! Drops, silence, undecodable frames, misreported trade times and a handshake 401 with a token the REST API
//! accepts follow the scenario.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use prost::Message as _;
use rust_decimal::Decimal;

use super::faults::{StreamReport, send_second};
use super::market::{InstrumentSpec, Market, Quote};
use super::market_depth::{
    average_trade_price, circuit_limits, depth, total_buy_quantity, total_sell_quantity,
};
use super::scenario::FaultKind;
use super::state::SimState;
use crate::broker::hdfcsky::feed_proto::{
    GenericDto, GenericDtoList, IndexData, MarketDepthDto, MarketDepthDtoList, MbpData, PacketType,
};
use crate::broker::hdfcsky::{
    FeedRequest, SCRIPS_PER_CONNECTION, ScripId, SkySegment, SubscriptionType,
};
use crate::domain::decimal_to_wire as wire;

/// HDFC Sky's documented limit of simultaneous connections per API key.
pub const SKY_CONNECTION_LIMIT: usize = 3;
const FULL_AUTHENTICATION: &str = "Full authentication is required to access this resource";

type Shared = State<Arc<SimState>>;

pub async fn session(
    State(state): Shared,
    Query(params): Query<HashMap<String, String>>,
    _headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let unauthorized = || (StatusCode::UNAUTHORIZED, FULL_AUTHENTICATION).into_response();
    let (Some(token), Some(api_key)) = (params.get("token"), params.get("api_key")) else {
        return unauthorized();
    };
    if params.contains_key("access_token")
        || *api_key != state.sky.api_key
        || !state.sky_token_valid(Some(token))
    {
        return unauthorized();
    }
    let connected_at = {
        let (mut inner, now) = state.at_now();
        if inner.faults.active(FaultKind::Handshake401, now).is_some() {
            return unauthorized();
        }
        if inner.faults.refuse_handshake(now) || inner.open_connections >= SKY_CONNECTION_LIMIT {
            return (StatusCode::FORBIDDEN, "Forbidden").into_response();
        }
        inner.open_connections += 1;
        now
    };
    upgrade.on_upgrade(move |socket| async move {
        serve(socket, &state, connected_at).await;
        state.at_now().0.open_connections -= 1;
    })
}

/// Subscribed market indexes: the type asked for and the quote sequence last sent.
type Subscribed = HashMap<usize, (SubscriptionType, u64)>;

async fn serve(mut socket: WebSocket, state: &SimState, connected_at: DateTime<Utc>) {
    let mut subscribed = Subscribed::new();
    loop {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    if let Some(reply) = on_request(state, &mut subscribed, text.as_str()) {
                        if socket.send(reply).await.is_err() {
                            return;
                        }
                    }
                }
                Some(Ok(Message::Close(frame))) => {
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
                    (packets(&inner.market, &changed, now, times), inner.faults.on_feed(connected_at, now))
                };
                let frame = frame.unwrap_or_else(|| GenericDto {
                    packet_type: PacketType::Heartbeat as i32,
                    ..GenericDto::default()
                }.encode_to_vec());
                if !send_second(&mut socket, faults, Message::Binary(frame.into())).await {
                    return;
                }
            }
        }
    }
}

/// A subscribe / unSubscribe / heartbeat frame; the answer is a snapshot of what was added, or an error.
fn on_request(state: &SimState, subscribed: &mut Subscribed, text: &str) -> Option<Message> {
    let error = |message: &str| {
        let body = serde_json::json!({"status": "error", "message": message});
        Some(Message::Text(body.to_string().into()))
    };
    let Ok(request) = serde_json::from_str::<FeedRequest>(text) else {
        return error("invalid request");
    };
    let (inner, now) = state.at_now();
    let index_of = |scrip: &str| {
        let scrip: ScripId = scrip.parse().ok()?;
        match scrip.segment {
            SkySegment::NseCash => inner.market.index_of_token(scrip.token, false),
            SkySegment::NseIndex => inner.market.index_of_token(scrip.token, true),
            _ => None,
        }
    };
    for gone in &request.un_subscribe {
        if let Some(i) = index_of(&gone.scrip_id) {
            subscribed.remove(&i);
        }
    }
    let mut added = Vec::new();
    // A GREEK entry is accepted with the rest of its frame; the simulated instruments (cash and indices) have
    // no greeks, so it adds nothing.
    for wanted in request
        .subscribe
        .iter()
        .filter(|w| w.kind != SubscriptionType::Greek)
    {
        let Some(i) = index_of(&wanted.scrip_id) else {
            continue;
        };
        if !subscribed.contains_key(&i) && subscribed.len() >= SCRIPS_PER_CONNECTION {
            return error("maximum 300 scrips allowed per connection");
        }
        subscribed.insert(i, (wanted.kind, inner.market.get(i).1.seq));
        added.push((i, wanted.kind));
    }
    if inner.faults.active(FaultKind::Silence, now).is_some() {
        return None;
    }
    packets(&inner.market, &added, now, inner.faults.stream_report(now))
        .map(|frame| Message::Binary(frame.into()))
}

/// A `GenericDTOList` for `instruments`, or `None` when there are none.
fn packets(
    market: &Market,
    instruments: &[(usize, SubscriptionType)],
    now: DateTime<Utc>,
    times: StreamReport,
) -> Option<Vec<u8>> {
    if instruments.is_empty() {
        return None;
    }
    let mut list = Vec::with_capacity(instruments.len());
    for &(i, kind) in instruments {
        let (spec, quote) = market.get(i);
        let Some(token) = spec.hdfcsky_token else {
            continue;
        };
        let base = GenericDto {
            instrument_id: i64::try_from(token).unwrap_or_default(),
            packet_timestamp: now.timestamp_millis(),
            ..GenericDto::default()
        };
        if spec.index {
            list.push(GenericDto {
                index_data: Some(index_data(quote, now)),
                packet_type: PacketType::NseIndex as i32,
                ..base
            });
            continue;
        }
        list.push(GenericDto {
            mbp_data: Some(price_data(spec, quote, kind, times)),
            packet_type: PacketType::NseCmAll as i32,
            ..base
        });
    }
    Some(
        GenericDtoList {
            generic_dto_list: list,
        }
        .encode_to_vec(),
    )
}

fn index_data(quote: &Quote, now: DateTime<Utc>) -> IndexData {
    IndexData {
        index_value: wire(quote.ltp),
        opening_index: wire(quote.open),
        high_index_value: wire(quote.high),
        low_index_value: wire(quote.low),
        closing_index: wire(quote.cp),
        packet_time_stamp: now.timestamp_millis(),
        ..IndexData::default()
    }
}

fn price_data(
    spec: &InstrumentSpec,
    quote: &Quote,
    kind: SubscriptionType,
    times: StreamReport,
) -> MbpData {
    let ltp = MbpData {
        last_traded_price: wire(times.price(quote.ltp)),
        // Seconds on the wire here (the unit is unconfirmed); the client decides the unit by magnitude.
        last_trade_time: times.report(quote.ltt_ms) / 1000,
        closing_price: wire(quote.cp),
        last_trade_quantity: quote.ltq,
        ..MbpData::default()
    };
    match kind {
        SubscriptionType::All => {
            let (lower, upper) = circuit_limits(spec, quote);
            let (indicator, change_paise) = net_change(quote);
            MbpData {
                open_price: wire(quote.open),
                high_price: wire(quote.high),
                low_price: wire(quote.low),
                volume_traded_today: quote.volume,
                average_trade_price: wire(average_trade_price(spec, quote)),
                market_depth_dto_list: Some(depth_list(spec, quote)),
                total_buy_quantity: total_buy_quantity(quote),
                total_sell_quantity: total_sell_quantity(quote),
                lower_circuit_limit: wire(lower),
                upper_circuit_limit: wire(upper),
                net_change_indicator: indicator.into(),
                net_price_change_from_closing_price: change_paise,
                ..ltp
            }
        }
        // GREEK entries are never subscribed (see `on_request`).
        SubscriptionType::Ltp | SubscriptionType::Greek => ltp,
    }
}

/// The book's levels as HDFC Sky lists them: bids and asks in one list, told apart by `buy_flag`.
fn depth_list(spec: &InstrumentSpec, quote: &Quote) -> MarketDepthDtoList {
    let side = |price: Decimal, quantity: i64, orders: i64, buy_flag: bool| MarketDepthDto {
        quantity,
        price: wire(price),
        number_of_orders: orders,
        buy_flag,
    };
    MarketDepthDtoList {
        market_depth_dto: depth(spec, quote)
            .into_iter()
            .flat_map(|l| {
                [
                    side(l.bid_price, l.bid_quantity, l.orders, true),
                    side(l.ask_price, l.ask_quantity, l.orders, false),
                ]
            })
            .collect(),
    }
}

/// The change from the previous close as NSE's broadcast states it: a sign and a whole number of paise (the unit
/// is HDFC Sky's proto's `int32` read the exchange's way; unconfirmed). No sign when unchanged.
fn net_change(quote: &Quote) -> (&'static str, i32) {
    let change = quote.ltp - quote.cp;
    let sign = match change.cmp(&Decimal::ZERO) {
        std::cmp::Ordering::Greater => "+",
        std::cmp::Ordering::Less => "-",
        std::cmp::Ordering::Equal => "",
    };
    let paise = (change.abs() * Decimal::ONE_HUNDRED).round();
    (sign, i32::try_from(paise).unwrap_or(i32::MAX))
}
