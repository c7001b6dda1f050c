//! The simulator's Upstox REST endpoints: same paths, envelopes, status codes and error bodies as Upstox.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::faults::{acknowledge, with_odd_row};
use super::orders::Refusal;
use super::scenario::FaultKind;
use super::state::SimState;
use crate::broker::upstox::LTP_KEYS_PER_CALL;
use crate::broker::upstox::rest_types::{
    Envelope, ErrorEnvelope, ExchangeTiming, HolidayData, LtpData, LtpEntry, MarketStatusData,
    ModifyOrderBody, OrderIdData, OrderIdsData, PlaceOrderBody, Problem, ProfileData,
};
use chrono::Datelike;

use crate::calendar::{
    ClosedReason, DayPlan, EquityClass, Phase, SessionKind, SessionPlan, ist_instant, to_ist,
};
use crate::domain::decimal_to_wire as to_f64;

type Shared = State<Arc<SimState>>;

pub fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = ErrorEnvelope {
        status: "error".into(),
        errors: vec![Problem::new(code, message)],
    };
    (status, Json(body)).into_response()
}

fn success<T: Serialize>(data: T) -> Response {
    Json(Envelope::success(data)).into_response()
}

fn order_id_required() -> Response {
    error(StatusCode::BAD_REQUEST, "UDAPI1023", "order_id is required")
}

/// The scripted order-API failure (HTTP 500, nothing done), when one is on.
fn order_failure(
    inner: &super::state::Inner,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Response> {
    inner.faults.active(FaultKind::Order5xx, now).map(|_| {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "UDAPI100500",
            "Something went wrong",
        )
    })
}

fn answer<T: Serialize>(result: Result<T, Refusal>) -> Response {
    result.map_or_else(refused, success)
}

fn refused(r: Refusal) -> Response {
    error(
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST),
        r.code,
        &r.message,
    )
}

/// The 401 every endpoint gives a wrong or expired token, or `None` when the token is good.
pub fn token_refused(state: &SimState, headers: &HeaderMap) -> Option<Response> {
    refused_unless(headers, |header| state.token_valid(header))
}

/// For place, modify and cancel: the trading token, and an `X-Algo-Name` header, when sent, naming the algo
/// registered for the app (the 2026 rules); any other name is refused with UDAPI1156.
fn order_call_refused(state: &SimState, headers: &HeaderMap) -> Option<Response> {
    if let Some(refusal) = token_refused(state, headers) {
        return Some(refusal);
    }
    let name = headers.get("X-Algo-Name")?;
    (name.to_str().ok() != Some(state.upstox.algo_name.as_str()))
        .then(|| error(StatusCode::BAD_REQUEST, "UDAPI1156", "Invalid algo name"))
}

/// For market-data calls (LTP, candles, market status, the feed's authorize): the analytics token is accepted
/// beside the trading token.
pub fn data_token_refused(state: &SimState, headers: &HeaderMap) -> Option<Response> {
    refused_unless(headers, |header| {
        state.token_valid(header) || state.analytics_token_valid(header)
    })
}

fn refused_unless(headers: &HeaderMap, valid: impl Fn(Option<&str>) -> bool) -> Option<Response> {
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    (!valid(header)).then(|| {
        error(
            StatusCode::UNAUTHORIZED,
            "UDAPI100050",
            "Invalid token used to access API",
        )
    })
}

pub async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "UDAPI100060", "Resource not Found")
}

pub async fn profile(State(state): Shared, headers: HeaderMap) -> Response {
    if let Some(refusal) = token_refused(&state, &headers) {
        return refusal;
    }
    success(sim_profile())
}

/// The simulated account, as the profile call and the login's token answer state it.
pub fn sim_profile() -> ProfileData {
    ProfileData {
        user_id: "SIM001".into(),
        user_name: "dalal simulator".into(),
        email: "sim@localhost".into(),
        broker: "UPSTOX".into(),
        exchanges: vec!["NSE".into(), "BSE".into()],
        products: vec!["I".into(), "D".into()],
        order_types: vec!["MARKET".into(), "LIMIT".into(), "SL".into(), "SL-M".into()],
        is_active: true,
    }
}

/// `GET /v3/historical-candle/intraday/{key}/minutes/1`: today's one-minute candles so far, newest first as
/// Upstox lists them, each `[start, open, high, low, close, volume, oi]` with the start in IST.
pub async fn intraday_candles(
    State(state): Shared,
    headers: HeaderMap,
    Path((key, unit, interval)): Path<(String, String, String)>,
) -> Response {
    if let Some(refusal) = data_token_refused(&state, &headers) {
        return refusal;
    }
    if unit != "minutes" || interval != "1" {
        return error(
            StatusCode::BAD_REQUEST,
            "UDAPI1148",
            "the simulator serves one-minute intraday candles only",
        );
    }
    let (inner, _) = state.at_now();
    let Some(i) = inner.market.index_of(&key) else {
        return error(
            StatusCode::BAD_REQUEST,
            "UDAPI1021",
            "Instrument key is invalid",
        );
    };
    success(serde_json::json!({ "candles": candle_rows(inner.market.minutes(i)) }))
}

/// Candles as Upstox's candle APIs list them: newest first, `[time, open, high, low, close, volume, oi]`.
pub(super) fn candle_rows(candles: &[crate::domain::Candle]) -> Vec<serde_json::Value> {
    candles
        .iter()
        .rev()
        .map(|c| {
            serde_json::json!([
                to_ist(c.start).to_rfc3339(),
                to_f64(c.open),
                to_f64(c.high),
                to_f64(c.low),
                to_f64(c.close),
                c.volume,
                0
            ])
        })
        .collect()
}

pub async fn ltp(
    State(state): Shared,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refusal) = data_token_refused(&state, &headers) {
        return refusal;
    }
    let Some(keys) = query.get("instrument_key").filter(|k| !k.is_empty()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "UDAPI1009",
            "instrument_key is required",
        );
    };
    let keys: Vec<&str> = keys.split(',').collect();
    if keys.len() > LTP_KEYS_PER_CALL {
        return error(
            StatusCode::BAD_REQUEST,
            "UDAPI100043",
            "Maximum 500 instrument keys are allowed",
        );
    }
    let (mut inner, now) = state.at_now();
    if inner.faults.refuse_ltp(now) {
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            "UDAPI10005",
            "Too Many Request Sent",
        );
    }
    let mut data = LtpData::new();
    for key in keys {
        let Some(i) = inner.market.index_of(key) else {
            continue;
        };
        let (spec, quote) = inner.market.get(i);
        let segment = key.split('|').next().unwrap_or("NSE_EQ");
        data.insert(
            format!("{segment}:{}", spec.symbol),
            LtpEntry {
                last_price: to_f64(quote.ltp),
                instrument_token: key.to_string(),
                ltq: quote.ltq,
                volume: quote.volume,
                cp: to_f64(quote.cp),
            },
        );
    }
    success(data)
}

pub async fn market_status(
    State(state): Shared,
    headers: HeaderMap,
    Path(exchange): Path<String>,
) -> Response {
    if let Some(refusal) = data_token_refused(&state, &headers) {
        return refusal;
    }
    if !matches!(exchange.as_str(), "NSE" | "BSE") {
        return error(StatusCode::BAD_REQUEST, "UDAPI1089", "Invalid exchange");
    }
    let (inner, now) = state.at_now();
    let status = match inner.market.calendar().phase_at(now, EquityClass::CashOnly) {
        Phase::PreOpenOrderEntry => "PRE_OPEN_START",
        Phase::PreOpenMatching => "PRE_OPEN_END",
        Phase::Continuous => "NORMAL_OPEN",
        Phase::ClosingAuction | Phase::Closing | Phase::PostClose => "CLOSING_START",
        Phase::Closed(_) | Phase::BeforePreOpen | Phase::AfterClose => "NORMAL_CLOSE",
    };
    success(MarketStatusData {
        exchange,
        status: status.into(),
        last_updated: now.timestamp_millis(),
    })
}

/// The current year's closures and special sessions, from the simulator's own calendar, in Upstox's shape.
/// Needs no token, like Upstox's.
pub async fn holidays(State(state): Shared) -> Response {
    let (inner, now) = state.at_now();
    let year = to_ist(now).year();
    let first = chrono::NaiveDate::from_ymd_opt(year, 1, 1).expect("a valid date");
    let calendar = inner.market.calendar();
    let data: Vec<HolidayData> = first
        .iter_days()
        .take_while(|d| d.year() == year)
        .filter_map(|date| match calendar.day_plan(date) {
            DayPlan::Closed(ClosedReason::Holiday(name)) => Some(HolidayData {
                date: date.to_string(),
                description: name,
                holiday_type: "TRADING_HOLIDAY".into(),
                closed_exchanges: vec!["NSE".into(), "BSE".into(), "NFO".into()],
                open_exchanges: vec![mcx_evening(date)],
            }),
            DayPlan::Open(SessionPlan {
                kind: SessionKind::Special { name },
                times,
                ..
            }) => Some(HolidayData {
                date: date.to_string(),
                description: name,
                holiday_type: "SPECIAL_SESSION".into(),
                closed_exchanges: Vec::new(),
                open_exchanges: ["NSE", "BSE"]
                    .map(|exchange| ExchangeTiming {
                        exchange: exchange.into(),
                        start_time: ist_instant(date, times.open).timestamp_millis(),
                        end_time: ist_instant(date, times.close).timestamp_millis(),
                    })
                    .into(),
            }),
            _ => None,
        })
        .collect();
    success(data)
}

/// Upstox lists the exchanges that still trade on a holiday; the commodity evening is the usual one, and a
/// reader must not take it for NSE's.
fn mcx_evening(date: chrono::NaiveDate) -> ExchangeTiming {
    let at = |h, m| {
        ist_instant(
            date,
            chrono::NaiveTime::from_hms_opt(h, m, 0).expect("a valid time"),
        )
    };
    ExchangeTiming {
        exchange: "MCX".into(),
        start_time: at(17, 0).timestamp_millis(),
        end_time: at(23, 55).timestamp_millis(),
    }
}

pub async fn place_order(
    State(state): Shared,
    headers: HeaderMap,
    body: Option<Json<PlaceOrderBody>>,
) -> Response {
    if let Some(refusal) = order_call_refused(&state, &headers) {
        return refusal;
    }
    let Some(Json(body)) = body else {
        return error(StatusCode::BAD_REQUEST, "UDAPI100038", "Invalid input");
    };
    let (ack, id) = {
        let (mut inner, now) = state.at_now();
        if let Some(failure) = order_failure(&inner, now) {
            return failure;
        }
        let ack = inner.faults.on_ack(now);
        let matching = inner.faults.on_orders(now);
        let super::state::Inner { market, book, .. } = &mut *inner;
        match book.place(&body, market, now, matching) {
            Ok(id) => (ack, id),
            Err(r) => return refused(r),
        }
    };
    acknowledge(
        &state,
        ack,
        success(OrderIdsData {
            order_ids: vec![id],
        }),
    )
    .await
}

pub async fn modify_order(
    State(state): Shared,
    headers: HeaderMap,
    body: Option<Json<ModifyOrderBody>>,
) -> Response {
    if let Some(refusal) = order_call_refused(&state, &headers) {
        return refusal;
    }
    let Some(Json(body)) = body else {
        return error(StatusCode::BAD_REQUEST, "UDAPI100038", "Invalid input");
    };
    let (mut inner, now) = state.at_now();
    if let Some(failure) = order_failure(&inner, now) {
        return failure;
    }
    if inner.faults.active(FaultKind::ModifyFail, now).is_some() {
        return refused(Refusal::modify_refused());
    }
    let matching = inner.faults.on_orders(now);
    let super::state::Inner { market, book, .. } = &mut *inner;
    answer(
        book.modify(&body, market, now, matching)
            .map(|order_id| OrderIdData { order_id }),
    )
}

pub async fn cancel_order(
    State(state): Shared,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refusal) = order_call_refused(&state, &headers) {
        return refusal;
    }
    let Some(order_id) = query.get("order_id") else {
        return order_id_required();
    };
    let (mut inner, now) = state.at_now();
    if let Some(failure) = order_failure(&inner, now) {
        return failure;
    }
    if inner.faults.active(FaultKind::CancelFail, now).is_some() {
        return refused(Refusal::cancel_refused());
    }
    answer(
        inner
            .book
            .cancel(order_id, now)
            .map(|order_id| OrderIdData { order_id }),
    )
}

pub async fn order_details(
    State(state): Shared,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refusal) = token_refused(&state, &headers) {
        return refusal;
    }
    let Some(order_id) = query.get("order_id") else {
        return order_id_required();
    };
    let (inner, _) = state.at_now();
    answer(inner.book.order(order_id))
}

pub async fn order_history(
    State(state): Shared,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refusal) = token_refused(&state, &headers) {
        return refusal;
    }
    let (inner, _) = state.at_now();
    match (query.get("order_id"), query.get("tag")) {
        (Some(order_id), _) => match inner.book.order(order_id) {
            Ok(row) => success(vec![row]),
            Err(r) => refused(r),
        },
        (None, Some(tag)) => success(inner.book.orders_tagged(tag)),
        (None, None) => error(
            StatusCode::BAD_REQUEST,
            "UDAPI1023",
            "order_id or tag is required",
        ),
    }
}

pub async fn order_book(State(state): Shared, headers: HeaderMap) -> Response {
    if let Some(refusal) = token_refused(&state, &headers) {
        return refusal;
    }
    let (inner, now) = state.at_now();
    success(with_odd_row(&inner.faults, now, inner.book.order_rows()))
}

pub async fn trades(State(state): Shared, headers: HeaderMap) -> Response {
    if let Some(refusal) = token_refused(&state, &headers) {
        return refusal;
    }
    let (inner, now) = state.at_now();
    success(with_odd_row(&inner.faults, now, inner.book.trade_rows()))
}

pub async fn positions(State(state): Shared, headers: HeaderMap) -> Response {
    if let Some(refusal) = token_refused(&state, &headers) {
        return refusal;
    }
    let (inner, now) = state.at_now();
    success(with_odd_row(
        &inner.faults,
        now,
        inner.book.position_rows(&inner.market),
    ))
}
