//! The simulator's HDFC Sky chart API (`GET /oapi/charts-api/charts/v1/fetch-candle`), as HDFC Sky serves it:
//! `chartType` `MINUTE` or `DAY` (the documented `MINUTES` is refused with 400), a cash instrument named by its
//! bare symbol with `seriesType=EQ` (any other form answers with no rows, not an error), ranges capped at 31
//! days for minutes and 2000 for days (400 "Allowed Date range exceeded"), 429 `merchantKeyRateLimit` when a
//! scripted fault says so, and 8-column rows in no particular order.
//!
//! Past days come from the simulated market's history (`MarketHistory`), the same candles Upstox's historical
//! API serves; today's minutes so far come from the live market.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use chrono::{NaiveDate, TimeDelta};

use super::faults::HistoryFault;
use super::hdfcsky_rest::{Answer, SkyRefusal, caller, sky_error};
use super::history_calls::{HistoryServed, SimInterval, candles_between, history_fault};
use super::state::SimState;
use crate::broker::hdfcsky::chart_candles::{DAY_RANGE_DAYS, MINUTE_RANGE_DAYS};
use crate::calendar::to_ist;
use crate::domain::Candle;
use crate::domain::decimal_to_wire as to_f64;

pub async fn fetch_candle(
    State(state): State<Arc<SimState>>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Answer {
    caller(&state, &headers, &params, false)?;
    let client_error = || {
        sky_error(
            StatusCode::BAD_REQUEST,
            44000,
            "Client error, please check params",
        )
    };
    let day = |name: &str| {
        params
            .get(name)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .ok_or_else(client_error)
    };
    let (start, end) = (day("start")?, day("end")?);
    let (interval, cap) = match params.get("chartType").map(String::as_str) {
        Some("MINUTE") => (SimInterval::Minute, MINUTE_RANGE_DAYS),
        Some("DAY") => (SimInterval::Day, DAY_RANGE_DAYS),
        _ => return Err(client_error()),
    };
    if end < start || end - start > TimeDelta::days(cap) {
        return Err(sky_error(
            StatusCode::BAD_REQUEST,
            44000,
            "Allowed Date range exceeded",
        ));
    }
    match history_fault(&state, state.clock.now()).await {
        Some(HistoryFault::RateLimited) => return Err(SkyRefusal::RateLimited),
        Some(HistoryFault::ServerError | HistoryFault::Stall) => {
            return Err(sky_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                45010,
                "Something went wrong",
            ));
        }
        None => {}
    }
    let param = |name: &str| params.get(name).map(String::as_str);
    let found = (param("seriesType") == Some("EQ"))
        .then(|| {
            (0..state.history.len()).find(|&i| {
                let spec = state.history.spec(i);
                !spec.index
                    && Some(spec.symbol.as_str()) == param("symbol")
                    && spec.key.starts_with(param("exchange").unwrap_or_default())
            })
        })
        .flatten();
    let candles = found.map_or_else(Vec::new, |i| {
        candles_between(&state, i, interval, start, end)
    });
    if let Some(i) = found {
        state.history_log.record(HistoryServed {
            api: "hdfcsky",
            symbol: state.history.spec(i).symbol.clone(),
            interval: interval.name(),
            from: start,
            to: end,
            candles: candles.len(),
        });
    }
    let mut rows: Vec<serde_json::Value> = match interval {
        SimInterval::Minute => with_running_volume(&candles)
            .map(|(c, running)| row(c, "%d-%m-%Y %H:%M", running))
            .collect(),
        SimInterval::Day => candles
            .iter()
            .map(|c| row(c, "%d-%m-%Y", c.volume))
            .collect(),
    };
    // HDFC Sky's rows come in no particular order: a client that does not sort them reads a wrong range.
    unsorted(&mut rows);
    Ok(Json(serde_json::json!({"status": "success", "data": {"candles": rows}})).into_response())
}

/// Each minute with its day's volume so far (the 8th column).
fn with_running_volume(candles: &[Candle]) -> impl Iterator<Item = (&Candle, u64)> {
    let mut day = None;
    let mut running = 0;
    candles.iter().map(move |c| {
        let date = to_ist(c.start).date_naive();
        if day != Some(date) {
            (day, running) = (Some(date), 0);
        }
        running += c.volume;
        (c, running)
    })
}

/// `[open, high, low, close, volume, oi, time (IST), cum_volume]`.
fn row(c: &Candle, time: &str, cumulative: u64) -> serde_json::Value {
    serde_json::json!([
        to_f64(c.open),
        to_f64(c.high),
        to_f64(c.low),
        to_f64(c.close),
        c.volume,
        0,
        to_ist(c.start).format(time).to_string(),
        cumulative
    ])
}

/// A fixed shuffle: odd rows first, newest first, then the even ones in order.
fn unsorted(rows: &mut Vec<serde_json::Value>) {
    let (odd, even): (Vec<_>, Vec<_>) = rows.drain(..).enumerate().partition(|(i, _)| i % 2 == 1);
    rows.extend(odd.into_iter().rev().map(|(_, r)| r));
    rows.extend(even.into_iter().map(|(_, r)| r));
}
