//! The simulator's Upstox instrument master: `/market-quote/instruments/exchange/{NSE|BSE|complete}.json.gz`, the
//! gzipped JSON list Upstox publishes each morning, built from the scenario's instruments with the JSON's tick
//! in paise. A futures row and the index rows come with it, as in the real file, for a reader to leave out.

use std::io::Write;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use flate2::Compression;
use flate2::write::GzEncoder;
use rust_decimal::Decimal;
use serde_json::json;

use super::state::SimState;
use crate::domain::decimal_to_wire;

pub async fn master(State(state): State<Arc<SimState>>, Path(file): Path<String>) -> Response {
    let rows = match file.as_str() {
        "NSE.json.gz" | "complete.json.gz" => nse_rows(&state),
        // The scenario trades on NSE only.
        "BSE.json.gz" => Vec::new(),
        _ => return (StatusCode::NOT_FOUND, "Not Found").into_response(),
    };
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    let body = serde_json::to_vec(&rows).unwrap_or_default();
    match encoder.write_all(&body).and_then(|()| encoder.finish()) {
        Ok(gzipped) => ([(header::CONTENT_TYPE, "application/gzip")], gzipped).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn nse_rows(state: &SimState) -> Vec<serde_json::Value> {
    let (inner, _) = state.at_now();
    let mut rows = Vec::new();
    for i in 0..inner.market.len() {
        let (spec, _) = inner.market.get(i);
        let paise = decimal_to_wire(spec.tick.value() * Decimal::ONE_HUNDRED);
        if spec.index {
            rows.push(json!({
                "segment": "NSE_INDEX", "name": spec.symbol, "exchange": "NSE", "instrument_type": "INDEX",
                "instrument_key": spec.key, "trading_symbol": spec.symbol, "tick_size": paise,
            }));
            continue;
        }
        let isin = spec.key.strip_prefix("NSE_EQ|").unwrap_or_default();
        rows.push(json!({
            "segment": "NSE_EQ", "name": spec.symbol, "exchange": "NSE", "isin": isin, "instrument_type": "EQ",
            "instrument_key": spec.key, "exchange_token": spec.hdfcsky_token.map(|t| t.to_string()),
            "trading_symbol": spec.symbol, "short_name": spec.symbol, "tick_size": paise, "lot_size": 1,
            "freeze_quantity": 100_000.0, "security_type": "NORMAL", "mtf_enabled": false,
        }));
        rows.push(json!({
            "segment": "NSE_FO", "name": spec.symbol, "exchange": "NSE", "instrument_type": "FUT",
            "instrument_key": format!("NSE_FO|9{i:04}"), "trading_symbol": format!("{}26DECFUT", spec.symbol),
            "underlying_key": spec.key, "tick_size": paise, "lot_size": 500, "freeze_quantity": 10_000.0,
        }));
    }
    rows
}
