//! The simulator's Upstox historical candles V3, `GET /v3/historical-candle/{key}/{unit}/{interval}/{to}[/{from}]`,
//! as Upstox documents it: `minutes/1` and `days/1` (the units the simulator makes), dates `YYYY-MM-DD`, at most
//! one month of minutes or a decade of days a request (a wider range is UDAPI1148, an invalid date range), rows
//! `[ts, open, high, low, close, volume, oi]` newest first with `ts` in ISO 8601 at +05:30, no candles for a day
//! the market was closed. The candles are the ones HDFC Sky's chart API serves for the same days.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{Months, NaiveDate};

use super::faults::HistoryFault;
use super::history_calls::{HistoryServed, SimInterval, candles_between, history_fault};
use super::state::SimState;
use super::upstox_rest::{candle_rows, data_token_refused, error};

/// How far back one request may reach from its `to_date`.
fn widest(interval: SimInterval) -> Months {
    match interval {
        SimInterval::Minute => Months::new(1),
        SimInterval::Day => Months::new(120),
    }
}

pub async fn historical_candles(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path(params): Path<HashMap<String, String>>,
) -> Response {
    if let Some(refusal) = data_token_refused(&state, &headers) {
        return refusal;
    }
    let param = |name: &str| params.get(name).map(String::as_str).unwrap_or_default();
    let interval = match (param("unit"), param("interval")) {
        ("minutes", "1") => SimInterval::Minute,
        ("days", "1") => SimInterval::Day,
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "UDAPI1028",
                "Invalid interval: the simulator serves minutes/1 and days/1",
            );
        }
    };
    let date = |name: &str| NaiveDate::parse_from_str(param(name), "%Y-%m-%d").ok();
    let Some(to) = date("to_date") else {
        return error(StatusCode::BAD_REQUEST, "UDAPI1088", "Invalid date");
    };
    let earliest = to
        .checked_sub_months(widest(interval))
        .unwrap_or(NaiveDate::MIN);
    let from = match params.get("from_date") {
        None => earliest,
        Some(_) => match date("from_date") {
            Some(from) => from,
            None => return error(StatusCode::BAD_REQUEST, "UDAPI1088", "Invalid date"),
        },
    };
    if from > to || from < earliest {
        return error(
            StatusCode::BAD_REQUEST,
            "UDAPI1148",
            "Invalid date range: split it into requests within the interval's limit",
        );
    }
    let Some(index) = state.history.index_of(param("key")) else {
        return error(
            StatusCode::BAD_REQUEST,
            "UDAPI1021",
            "Instrument key is invalid",
        );
    };
    match history_fault(&state, state.clock.now()).await {
        Some(HistoryFault::RateLimited) => {
            return error(
                StatusCode::TOO_MANY_REQUESTS,
                "UDAPI10005",
                "Too Many Request Sent",
            );
        }
        Some(HistoryFault::ServerError | HistoryFault::Stall) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "UDAPI100500",
                "Something went wrong",
            );
        }
        None => {}
    }
    let candles = candles_between(&state, index, interval, from, to);
    state.history_log.record(HistoryServed {
        api: "upstox",
        symbol: state.history.spec(index).symbol.clone(),
        interval: interval.name(),
        from,
        to,
        candles: candles.len(),
    });
    let rows = candle_rows(&candles);
    axum::Json(serde_json::json!({"status": "success", "data": {"candles": rows}})).into_response()
}
