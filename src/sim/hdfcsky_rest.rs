//! The simulator's HDFC Sky trading API: trading info, `fetch-ltp` and orders, plus the public security master
//! and the checks every account call shares (the books are in `hdfcsky_books`, funds and holdings in
//! `hdfcsky_funds`). Same paths, envelopes and refusals as HDFC Sky: a browser-like User-Agent and the `api_key`
//! query parameter on every call, the bare token in `Authorization` (an expired or `Bearer` one gets the bare
//! 401 `{"error":"invalid credentials"}`), `client_id` on account calls, at most 10 `fetch-ltp` items, and
//! MARKET / SLM orders refused with 403. Orders go through the same book as the Upstox API.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::faults::{AckFaults, acknowledge};
use super::market::Market;
use super::orders::Refusal;
use super::scenario::FaultKind;
use super::state::{Inner, SimState};
use crate::broker::hdfcsky::rest_types::{
    Envelope, ErrorEnvelope, LtpRequest, LtpResponse, LtpRow, ModifyBody, OrderBody, OrderIdData,
    TradingInfo,
};
use crate::broker::hdfcsky::{LTP_ITEMS_PER_CALL, TokenClaims};
use crate::broker::upstox::rest_types::{ModifyOrderBody, PlaceOrderBody};
use crate::config::Secret;
use crate::domain::decimal_to_wire as to_f64;

type Shared = State<Arc<SimState>>;
type Params = Query<HashMap<String, String>>;

/// A refusal, in whichever of HDFC Sky's shapes it takes. Small, so handlers can return it with `?`.
#[derive(Debug)]
pub enum SkyRefusal {
    /// `{"status":"error","message":…,"error_code":…,"data":{}}`.
    Envelope {
        status: StatusCode,
        code: i64,
        message: String,
    },
    /// An expired or unknown token: HTTP 401 `{"error":"invalid credentials"}`, with no `status` field.
    InvalidCredentials,
    /// Too many requests, as the chart and quote services answer them: plain text.
    RateLimited,
}

impl IntoResponse for SkyRefusal {
    fn into_response(self) -> Response {
        match self {
            SkyRefusal::Envelope {
                status,
                code,
                message,
            } => {
                let body = ErrorEnvelope {
                    status: "error".into(),
                    message,
                    error_code: Some(code),
                    data: serde_json::json!({}),
                };
                (status, Json(body)).into_response()
            }
            SkyRefusal::InvalidCredentials => (
                StatusCode::UNAUTHORIZED,
                Json(serde_json::json!({"error": "invalid credentials"})),
            )
                .into_response(),
            SkyRefusal::RateLimited => (
                StatusCode::TOO_MANY_REQUESTS,
                "merchantKeyRateLimit - too many requests",
            )
                .into_response(),
        }
    }
}

pub type Answer = Result<Response, SkyRefusal>;

pub fn sky_error(status: StatusCode, code: i64, message: &str) -> SkyRefusal {
    SkyRefusal::Envelope {
        status,
        code,
        message: message.into(),
    }
}

pub(super) fn success<T: Serialize>(data: T) -> Answer {
    Ok(Json(Envelope::success(data)).into_response())
}

pub(super) fn invalid(field: &str) -> SkyRefusal {
    sky_error(
        StatusCode::BAD_REQUEST,
        44000,
        &format!("`{field}` is invalid"),
    )
}

/// What every HDFC Sky call needs before its token is looked at: a browser's User-Agent and the app's key.
pub fn app_checked(
    state: &SimState,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<(), SkyRefusal> {
    let browser = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ua| ua.starts_with("Mozilla/"));
    let key_ok = params.get("api_key") == Some(&state.sky.api_key);
    if browser && key_ok {
        Ok(())
    } else {
        Err(sky_error(StatusCode::FORBIDDEN, 40000, "Request forbidden"))
    }
}

/// The caller's client id, or the refusal: app checks, then the token, then `client_id` where it is wanted.
pub(super) fn caller(
    state: &SimState,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
    wants_client_id: bool,
) -> Result<String, SkyRefusal> {
    app_checked(state, headers, params)?;
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if !state.sky_token_valid(token) {
        return Err(SkyRefusal::InvalidCredentials);
    }
    let client_id = token
        .and_then(|t| TokenClaims::read(&Secret::new(t)).ok())
        .map(|c| c.client_id)
        .ok_or(SkyRefusal::InvalidCredentials)?;
    if wants_client_id && params.get("client_id") != Some(&client_id) {
        return Err(invalid("client_id"));
    }
    Ok(client_id)
}

fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, SkyRefusal> {
    serde_json::from_slice(body).map_err(|e| {
        sky_error(
            StatusCode::BAD_REQUEST,
            44000,
            &format!("Unable to read request Data: {e}"),
        )
    })
}

pub async fn trading_info(
    State(state): Shared,
    Query(params): Params,
    headers: HeaderMap,
) -> Answer {
    let client_id = caller(&state, &headers, &params, false)?;
    success(TradingInfo {
        client_id,
        name: "Simulated Trader".into(),
        exchanges_subscribed: vec!["NSE".into(), "BSE".into()],
        products_enabled: vec!["MIS".into(), "CNC".into()],
        status: "Activated".into(),
    })
}

pub async fn fetch_ltp(
    State(state): Shared,
    Query(params): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    caller(&state, &headers, &params, false)?;
    let request: LtpRequest = parse(&body)?;
    if request.data.len() > LTP_ITEMS_PER_CALL {
        return Err(sky_error(
            StatusCode::BAD_REQUEST,
            44000,
            "maximum 10 items allowed",
        ));
    }
    let (mut inner, now) = state.at_now();
    if inner.faults.refuse_ltp(now) {
        return Err(SkyRefusal::RateLimited);
    }
    let data = request
        .data
        .iter()
        .filter_map(|item| {
            // Index rows come back only when asked with NSE_INDEX / BSE_INDEX; with NSE they are left out.
            let index = match item.exchange.as_str() {
                "NSE" => false,
                "NSE_INDEX" => true,
                _ => return None,
            };
            let token: u64 = item.token.parse().ok()?;
            let (_, quote) = inner.market.get(inner.market.index_of_token(token, index)?);
            Some(LtpRow {
                ltp: to_f64(quote.ltp),
                prev_close: to_f64(quote.cp),
                exchange: item.exchange.clone(),
                token,
            })
        })
        .collect();
    Ok(Json(LtpResponse {
        data,
        meta: serde_json::json!({"statusCode": "OK", "statusMsg": "OK"}),
    })
    .into_response())
}

/// The book's order request for an HDFC Sky body, or HDFC Sky's refusal of it.
fn book_request(body: &OrderBody, market: &Market) -> Result<PlaceOrderBody, SkyRefusal> {
    order_type_allowed(&body.order_type)?;
    let product = product_code(&body.product)?;
    let index = (body.exchange == "NSE")
        .then(|| market.index_of_token(body.instrument_token.parse().ok()?, false))
        .flatten()
        .ok_or_else(|| invalid("instrument_token"))?;
    Ok(PlaceOrderBody {
        quantity: body.quantity,
        product: product.into(),
        validity: body.validity.clone(),
        price: body.price,
        tag: Some(body.user_order_id.to_string()),
        instrument_token: market.get(index).0.key.clone(),
        order_type: body.order_type.clone(),
        transaction_type: body.order_side.clone(),
        disclosed_quantity: body.disclosed_quantity,
        trigger_price: body.trigger_price,
        is_amo: false,
        slice: false,
        market_protection: None,
    })
}

/// LIMIT and SL only: an API key's MARKET and SLM orders are refused with 403.
fn order_type_allowed(order_type: &str) -> Result<(), SkyRefusal> {
    match order_type {
        "LIMIT" | "SL" => Ok(()),
        "MARKET" | "SLM" => Err(sky_error(
            StatusCode::FORBIDDEN,
            40000,
            "algo orders from merchant can only of Limit type",
        )),
        _ => Err(invalid("order_type")),
    }
}

/// The book's product code for HDFC Sky's product.
fn product_code(product: &str) -> Result<&'static str, SkyRefusal> {
    match product {
        "MIS" => Ok("I"),
        "CNC" | "NRML" => Ok("D"),
        _ => Err(invalid("product")),
    }
}

fn refused(r: Refusal) -> SkyRefusal {
    let code = if r.code == "UDAPI100040" {
        45000
    } else {
        44000
    };
    sky_error(StatusCode::BAD_REQUEST, code, &r.message)
}

/// Runs an order call: the caller and the `client_id` its body carries (`body_client`: none for a cancel, whose
/// `client_id` is in the query) checked, the scripted 5xx applied; `user_order_id` is echoed in the answer.
fn order_call(
    state: &SimState,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
    (body_client, user_order_id): (Option<&str>, String),
    act: impl FnOnce(&mut Inner, chrono::DateTime<chrono::Utc>) -> Result<String, SkyRefusal>,
) -> Answer {
    let client_id = caller(state, headers, params, body_client.is_none())?;
    if body_client.is_some_and(|c| c != client_id) {
        return Err(invalid("client_id"));
    }
    let (mut inner, now) = state.at_now();
    if inner.faults.active(FaultKind::Order5xx, now).is_some() {
        return Err(sky_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            45010,
            "Something went wrong",
        ));
    }
    let id = act(&mut inner, now)?;
    success(OrderIdData {
        oms_order_id: id,
        user_order_id,
    })
}

pub async fn place_order(
    State(state): Shared,
    Query(params): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let body: OrderBody = parse(&body)?;
    let mut ack = AckFaults::default();
    let from = (
        Some(body.client_id.as_str()),
        body.user_order_id.to_string(),
    );
    let answer = order_call(&state, &headers, &params, from, |inner, now| {
        let request = book_request(&body, &inner.market)?;
        ack = inner.faults.on_ack(now);
        let matching = inner.faults.on_orders(now);
        let Inner { market, book, .. } = inner;
        book.place(&request, market, now, matching).map_err(refused)
    })?;
    Ok(acknowledge(&state, ack, answer).await)
}

pub async fn modify_order(
    State(state): Shared,
    Query(params): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    // Only the documented fields, numbers as numbers or as text: anything else is refused as unreadable.
    let body: ModifyBody = parse(&body)?;
    let from = (Some(body.client_id.as_str()), String::new());
    order_call(&state, &headers, &params, from, |inner, now| {
        order_type_allowed(&body.order_type)?;
        product_code(&body.product)?;
        let modify = ModifyOrderBody {
            order_id: body.oms_order_id.clone(),
            order_type: body.order_type.clone(),
            price: body.price,
            trigger_price: body.trigger_price,
            validity: body.validity.clone(),
            quantity: Some(body.quantity),
        };
        if inner.faults.active(FaultKind::ModifyFail, now).is_some() {
            return Err(refused(super::orders::Refusal::modify_refused()));
        }
        let matching = inner.faults.on_orders(now);
        let Inner { market, book, .. } = inner;
        book.modify(&modify, market, now, matching).map_err(refused)
    })
}

pub async fn cancel_order(
    State(state): Shared,
    Path(order_id): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
) -> Answer {
    order_call(
        &state,
        &headers,
        &params,
        (None, String::new()),
        |inner, now| {
            if inner.faults.active(FaultKind::CancelFail, now).is_some() {
                return Err(refused(super::orders::Refusal::cancel_refused()));
            }
            inner.book.cancel(&order_id, now).map_err(refused)
        },
    )
}

/// `GET /api/v1/contract/Compact?info=download`: the scenario's instruments as HDFC Sky's security master, a
/// deflated `CompactScrip.csv` inside a ZIP.
pub async fn security_master(State(state): Shared) -> Response {
    let mut csv = String::from(
        "exchange_token,trading_symbol,company_name,close_price,expiry,strike,tick_size,lot_size,instrument_name,\
         option_type,segment,exchange,fin_instrm_pdct_tp_cd,asset_code,settlement_type,isin\n",
    );
    {
        let (inner, _) = state.at_now();
        for i in 0..inner.market.len() {
            let (spec, _) = inner.market.get(i);
            let Some(token) = spec.hdfcsky_token else {
                continue;
            };
            let isin = spec.key.strip_prefix("NSE_EQ|").unwrap_or_default();
            let (symbol, segment) = if spec.index {
                (
                    spec.key.trim_start_matches("NSE_INDEX|").to_string(),
                    "INDICES",
                )
            } else {
                (super::hdfcsky_books::sky_trading_symbol(&spec.symbol), "EQ")
            };
            csv.push_str(&format!(
                "{token},{symbol},{},{},01-Jan-0001,-0.01,{},1,EQ,,{segment},NSE,STK,,,{isin}\n",
                spec.symbol, spec.previous_close, spec.tick
            ));
        }
    }
    let mut zipped = std::io::Cursor::new(Vec::new());
    let written = (|| -> zip::result::ZipResult<()> {
        let mut writer = zip::ZipWriter::new(&mut zipped);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        writer.start_file(crate::broker::hdfcsky::security_master::CSV_NAME, options)?;
        writer.write_all(csv.as_bytes())?;
        writer.finish()?;
        Ok(())
    })();
    match written {
        Ok(()) => (
            [(header::CONTENT_TYPE, "application/zip")],
            zipped.into_inner(),
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}
