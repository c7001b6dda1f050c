//! The simulator's HDFC Sky chart API (`GET /oapi/charts-api/charts/v1/fetch-candle`), as HDFC Sky serves it:
//! `chartType` `MINUTE` or `DAY` (the documented `MINUTES` is refused with 400), a cash instrument named by its
//! bare symbol with `seriesType=EQ` (any other form answers with no rows, not an error), ranges capped at 31
//! days for minutes and 2000 for days, and 8-column rows in no particular order.
//!
//! The simulated market keeps only the current session's minutes: a MINUTE range has rows only for today, and
//! a DAY range one row, today's, built from those minutes.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use chrono::{NaiveDate, TimeDelta};

use super::hdfcsky_rest::{Answer, caller, sky_error};
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
    let cap = match params.get("chartType").map(String::as_str) {
        Some("MINUTE") => MINUTE_RANGE_DAYS,
        Some("DAY") => DAY_RANGE_DAYS,
        _ => return Err(client_error()),
    };
    if end < start || end - start > TimeDelta::days(cap) {
        return Err(sky_error(
            StatusCode::BAD_REQUEST,
            44000,
            "Allowed Date range exceeded",
        ));
    }
    let (inner, _) = state.at_now();
    let market = &inner.market;
    let found = (params.get("seriesType").map(String::as_str) == Some("EQ"))
        .then(|| {
            (0..market.len()).find(|&i| {
                let (spec, _) = market.get(i);
                !spec.index
                    && Some(&spec.symbol) == params.get("symbol")
                    && spec
                        .key
                        .starts_with(params.get("exchange").map_or("", String::as_str))
            })
        })
        .flatten();
    let minutes: Vec<&Candle> = found
        .map(|i| market.minutes(i))
        .unwrap_or_default()
        .iter()
        .filter(|c| (start..=end).contains(&to_ist(c.start).date_naive()))
        .collect();
    let mut rows: Vec<serde_json::Value> =
        if params.get("chartType").map(String::as_str) == Some("MINUTE") {
            minutes
                .iter()
                .scan(0, |cumulative, c| {
                    *cumulative += c.volume;
                    Some(row(c, "%d-%m-%Y %H:%M", *cumulative))
                })
                .collect()
        } else {
            day_candle(&minutes)
                .map(|c| row(&c, "%d-%m-%Y", c.volume))
                .into_iter()
                .collect()
        };
    // HDFC Sky's rows come in no particular order: a client that does not sort them reads a wrong range.
    unsorted(&mut rows);
    Ok(Json(serde_json::json!({"status": "success", "data": {"candles": rows}})).into_response())
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

fn day_candle(minutes: &[&Candle]) -> Option<Candle> {
    let (first, last) = (minutes.first()?, minutes.last()?);
    Some(Candle {
        start: first.start,
        open: first.open,
        high: minutes.iter().map(|c| c.high).max()?,
        low: minutes.iter().map(|c| c.low).min()?,
        close: last.close,
        volume: minutes.iter().map(|c| c.volume).sum(),
    })
}

/// A fixed shuffle: odd rows first, newest first, then the even ones in order.
fn unsorted(rows: &mut Vec<serde_json::Value>) {
    let (odd, even): (Vec<_>, Vec<_>) = rows.drain(..).enumerate().partition(|(i, _)| i % 2 == 1);
    rows.extend(odd.into_iter().rev().map(|(_, r)| r));
    rows.extend(even.into_iter().map(|(_, r)| r));
}
