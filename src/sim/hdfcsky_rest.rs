//! The simulator's HDFC Sky trading API: trading info, `fetch-ltp`, orders, books and positions, plus the
//! public security master. Same paths, envelopes and refusals as HDFC Sky: a browser-like User-Agent and the
//! `api_key` query parameter on every call, the bare token in `Authorization` (an expired or `Bearer` one gets
//! the bare 401 `{"error":"invalid credentials"}`), `client_id` on account calls, at most 10 `fetch-ltp` items,
//! and MARKET / SLM orders refused with 403. Orders go through the same book as the Upstox API.

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

use super::faults::{AckFaults, acknowledge, with_odd_row};
use super::market::Market;
use super::orders::Refusal;
use super::scenario::FaultKind;
use super::state::{Inner, SimState};
use crate::broker::hdfcsky::rest_types::{
    Envelope, ErrorEnvelope, LtpRequest, LtpResponse, LtpRow, ModifyBody, OrderBody, OrderIdData,
    OrderRow, PositionRow, TradeRow, TradingInfo,
};
use crate::broker::hdfcsky::{LTP_ITEMS_PER_CALL, TokenClaims};
use crate::broker::upstox::rest_types::{ModifyOrderBody, OrderData, PlaceOrderBody};
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

fn success<T: Serialize>(data: T) -> Answer {
    Ok(Json(Envelope::success(data)).into_response())
}

fn invalid(field: &str) -> SkyRefusal {
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
            inner.book.cancel(&order_id).map_err(refused)
        },
    )
}

fn sky_status(status: &str) -> &'static str {
    match status {
        "open" => "CONFIRMED",
        "trigger pending" => "TRIGGER_PENDING",
        "complete" => "COMPLETE",
        "cancelled" => "CANCELLED",
        _ => "REJECTED",
    }
}

/// HDFC Sky's token for an Upstox key of the simulated market.
fn token_of(market: &Market, key: &str) -> Option<u64> {
    market.get(market.index_of(key)?).0.hdfcsky_token
}

fn order_row(o: OrderData, market: &Market) -> Option<OrderRow> {
    Some(OrderRow {
        instrument_token: token_of(market, &o.instrument_token)?.to_string(),
        user_order_id: o.tag.unwrap_or_default(),
        trading_symbol: format!("{}-EQ", o.trading_symbol),
        exchange: o.exchange,
        order_side: o.transaction_type,
        order_type: o.order_type,
        product: if o.product == "I" { "MIS" } else { "CNC" }.into(),
        validity: o.validity,
        price: o.price,
        trigger_price: o.trigger_price,
        quantity: o.quantity,
        filled_quantity: o.filled_quantity,
        remaining_quantity: o.pending_quantity,
        average_price: o.average_price,
        order_status: sky_status(&o.status).into(),
        rejection_reason: o.status_message,
        order_entry_time: None,
        oms_order_id: o.order_id,
    })
}

pub async fn order_book(State(state): Shared, Query(params): Params, headers: HeaderMap) -> Answer {
    caller(&state, &headers, &params, true)?;
    let pending = match params.get("type").map(String::as_str) {
        Some("pending") => true,
        Some("completed") => false,
        _ => return Err(invalid("type")),
    };
    let (inner, now) = state.at_now();
    let orders = inner
        .book
        .order_rows()
        .into_iter()
        .filter(|o| matches!(o.status.as_str(), "open" | "trigger pending") == pending)
        .filter_map(|o| order_row(o, &inner.market))
        .collect();
    success(serde_json::json!({ "orders": with_odd_row(&inner.faults, now, orders) }))
}

pub async fn trades(State(state): Shared, Query(params): Params, headers: HeaderMap) -> Answer {
    caller(&state, &headers, &params, true)?;
    let (inner, now) = state.at_now();
    let trades = inner
        .book
        .trade_rows()
        .into_iter()
        .filter_map(|t| {
            Some(TradeRow {
                instrument_token: token_of(&inner.market, &t.instrument_token)?.to_string(),
                trade_number: t.trade_id,
                trade_price: t.average_price,
                trade_quantity: t.quantity,
                trade_time: None,
                oms_order_id: t.order_id,
                trading_symbol: format!("{}-EQ", t.trading_symbol),
                exchange: t.exchange,
                order_side: t.transaction_type,
            })
        })
        .collect::<Vec<_>>();
    success(serde_json::json!({ "trades": with_odd_row(&inner.faults, now, trades) }))
}

pub async fn positions(State(state): Shared, Query(params): Params, headers: HeaderMap) -> Answer {
    caller(&state, &headers, &params, true)?;
    // Day-wise (`live`) or net-wise (`historical`): the same rows for a simulator that holds intraday positions
    // only. Anything else is refused, as HDFC Sky documents.
    if !matches!(
        params.get("type").map(String::as_str),
        None | Some("live" | "historical")
    ) {
        return Err(invalid("type"));
    }
    let (inner, now) = state.at_now();
    let rows: Vec<PositionRow> = inner
        .book
        .position_rows(&inner.market)
        .into_iter()
        .filter_map(|p| {
            Some(PositionRow {
                instrument_token: token_of(&inner.market, &p.instrument_token)?.to_string(),
                net_quantity: p.quantity,
                buy_quantity: p.quantity.max(0),
                sell_quantity: (-p.quantity).max(0),
                average_buy_price: if p.quantity >= 0 {
                    p.average_price
                } else {
                    0.0
                },
                average_sell_price: if p.quantity < 0 { p.average_price } else { 0.0 },
                realized_mtm: p.realised,
                ltp: p.last_price,
                product: if p.product == "I" { "MIS" } else { "CNC" }.into(),
                exchange: p.exchange,
                trading_symbol: format!("{}-EQ", p.trading_symbol),
            })
        })
        .collect();
    success(with_odd_row(&inner.faults, now, rows))
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
                (format!("{}-EQ", spec.symbol), "EQ")
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
