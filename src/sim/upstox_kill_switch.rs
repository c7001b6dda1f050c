//! The simulator's Upstox kill switch (`GET` / `POST /v2/user/kill-switch`), as the OpenAPI describes it: a list
//! of `{segment, action}` to switch segments off (`DISABLE`) or back on (`ENABLE`), refused with UDAPI1184 while
//! a segment holds positions, UDAPI1185 when switching back on within the 12-hour cooling period, UDAPI1186 for
//! an unknown segment and UDAPI1188 for an unknown action; the answer lists every segment's state. What Upstox
//! answers to an order in a switched-off segment is not documented, so the simulator only records the switch.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::TimeDelta;

use super::state::{Inner, SimState};
use super::upstox_rest::{error, token_refused};
use crate::broker::upstox::rest_types::{Envelope, KillSwitchSegment, KillSwitchUpdate};

const SEGMENTS: [&str; 9] = [
    "BSE_EQ", "NSE_EQ", "NCD_FO", "BCD_FO", "NSE_FO", "BSE_FO", "BSE_MF", "MCX_FO", "NSE_COM",
];
const COOLING: TimeDelta = TimeDelta::hours(12);

fn states(inner: &Inner) -> Vec<KillSwitchSegment> {
    SEGMENTS
        .iter()
        .map(|segment| {
            let off = inner.switched_off.contains_key(*segment);
            KillSwitchSegment {
                segment: segment.to_string(),
                segment_status: Some(if off { "INACTIVE" } else { "ACTIVE" }.into()),
                kill_switch_enabled: Some(off),
            }
        })
        .collect()
}

pub async fn status(State(state): State<Arc<SimState>>, headers: HeaderMap) -> Response {
    if let Some(refusal) = token_refused(&state, &headers) {
        return refusal;
    }
    let (inner, _) = state.at_now();
    axum::Json(Envelope::success(states(&inner))).into_response()
}

pub async fn update(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Some(refusal) = token_refused(&state, &headers) {
        return refusal;
    }
    let Ok(updates) = serde_json::from_slice::<Vec<KillSwitchUpdate>>(&body) else {
        return error(StatusCode::BAD_REQUEST, "UDAPI1188", "Invalid request body");
    };
    let (mut inner, now) = state.at_now();
    for update in &updates {
        if !SEGMENTS.contains(&update.segment.as_str()) {
            return error(
                StatusCode::BAD_REQUEST,
                "UDAPI1186",
                "The specified segment does not exist.",
            );
        }
        let prefix = format!("{}|", update.segment);
        match update.action.as_str() {
            "DISABLE" => {
                let open = inner
                    .book
                    .position_rows(&inner.market)
                    .iter()
                    .any(|p| p.instrument_token.starts_with(&prefix) && p.quantity != 0);
                if open {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "UDAPI1184",
                        "Segment status cannot be changed until all open positions are closed.",
                    );
                }
            }
            "ENABLE" => {
                if inner
                    .switched_off
                    .get(&update.segment)
                    .is_some_and(|at| now - *at < COOLING)
                {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "UDAPI1185",
                        "Cannot enable segment - cooling period is still in effect.",
                    );
                }
            }
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "UDAPI1188",
                    "Invalid action. Allowed values are ENABLE and DISABLE.",
                );
            }
        }
    }
    for update in updates {
        if update.action == "DISABLE" {
            inner.switched_off.entry(update.segment).or_insert(now);
        } else {
            inner.switched_off.remove(&update.segment);
        }
    }
    axum::Json(Envelope::success(states(&inner))).into_response()
}
