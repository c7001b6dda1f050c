//! The simulator's HDFC Sky books: the order book (`type=pending` or `completed`), the trade book and the
//! positions, with the rows HDFC Sky documents in full. Orders carry `order_entry_time` and `exchange_time`,
//! trades `trade_time` and `product` (times in epoch seconds), and positions every field of the day-wise row,
//! so a client that computes P&L from `buy_amount`, `sell_amount`, `ltp` and `multiplier` gets what one reading
//! the averages and `realized_mtm` gets. The rows come from the same book as the Upstox API's.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::HeaderMap;

use super::faults::with_odd_row;
use super::hdfcsky_rest::{Answer, caller, invalid, success};
use super::market::Market;
use super::orders::OrderTimes;
use super::state::SimState;
use crate::broker::hdfcsky::rest_types::{OrderRow, PositionRow, TradeRow};
use crate::broker::upstox::rest_types::OrderData;
use crate::domain::decimal_to_wire as to_f64;

type Shared = State<Arc<SimState>>;
type Params = Query<HashMap<String, String>>;

fn sky_status(status: &str) -> &'static str {
    match status {
        "open" => "CONFIRMED",
        "trigger pending" => "TRIGGER_PENDING",
        "complete" => "COMPLETE",
        "cancelled" => "CANCELLED",
        _ => "REJECTED",
    }
}

/// HDFC Sky's product for the book's product code, and its numeric code (NRML 0, CNC 1, MIS 2).
fn sky_product(code: &str) -> (&'static str, i64) {
    if code == "I" { ("MIS", 2) } else { ("CNC", 1) }
}

/// A cash instrument's name in HDFC Sky's books: with its series, as the security master has it.
pub(super) fn sky_trading_symbol(symbol: &str) -> String {
    format!("{symbol}-EQ")
}

/// HDFC Sky's token for an Upstox key of the simulated market.
fn token_of(market: &Market, key: &str) -> Option<u64> {
    market.get(market.index_of(key)?).0.hdfcsky_token
}

fn order_row(o: OrderData, times: OrderTimes, market: &Market) -> Option<OrderRow> {
    Some(OrderRow {
        instrument_token: token_of(market, &o.instrument_token)?.to_string(),
        user_order_id: o.tag.unwrap_or_default(),
        trading_symbol: sky_trading_symbol(&o.trading_symbol),
        exchange: o.exchange,
        order_side: o.transaction_type,
        order_type: o.order_type,
        product: sky_product(&o.product).0.into(),
        validity: o.validity,
        price: o.price,
        trigger_price: o.trigger_price,
        quantity: o.quantity,
        filled_quantity: o.filled_quantity,
        remaining_quantity: o.pending_quantity,
        average_price: o.average_price,
        order_status: sky_status(&o.status).into(),
        rejection_reason: o.status_message,
        order_entry_time: Some(times.entered.timestamp()),
        exchange_time: Some(times.exchange.timestamp()),
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
        .timed_order_rows()
        .into_iter()
        .filter(|(o, _)| matches!(o.status.as_str(), "open" | "trigger pending") == pending)
        .filter_map(|(o, times)| order_row(o, times, &inner.market))
        .collect();
    success(serde_json::json!({ "orders": with_odd_row(&inner.faults, now, orders) }))
}

pub async fn trades(State(state): Shared, Query(params): Params, headers: HeaderMap) -> Answer {
    caller(&state, &headers, &params, true)?;
    let (inner, now) = state.at_now();
    let trades = inner
        .book
        .timed_trade_rows()
        .into_iter()
        .filter_map(|(t, at)| {
            Some(TradeRow {
                instrument_token: token_of(&inner.market, &t.instrument_token)?.to_string(),
                trade_number: t.trade_id,
                trade_price: t.average_price,
                trade_quantity: t.quantity,
                trade_time: Some(at.timestamp()),
                oms_order_id: t.order_id,
                trading_symbol: sky_trading_symbol(&t.trading_symbol),
                exchange: t.exchange,
                order_side: t.transaction_type,
                product: sky_product(&t.product).0.into(),
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
    let market = &inner.market;
    let rows: Vec<PositionRow> = inner
        .book
        .day_totals()
        .into_iter()
        .filter_map(|((key, product), day)| {
            let (spec, quote) = market.get(market.index_of(&key)?);
            let token = spec.hdfcsky_token?.to_string();
            let (product, prod_type) = sky_product(&product);
            Some(PositionRow {
                net_quantity: day.net_quantity(),
                buy_quantity: day.buy_quantity,
                sell_quantity: day.sell_quantity,
                average_buy_price: to_f64(day.average_buy_price()),
                average_sell_price: to_f64(day.average_sell_price()),
                buy_amount: to_f64(day.buy_amount),
                sell_amount: to_f64(day.sell_amount),
                net_amount: to_f64(day.net_amount()),
                multiplier: 1.0,
                realized_mtm: to_f64(day.realized()),
                ltp: to_f64(quote.ltp),
                previous_close: to_f64(quote.cp),
                product: product.into(),
                prod_type,
                exchange: "NSE".into(),
                instrument_token: token.clone(),
                token,
                trading_symbol: sky_trading_symbol(&spec.symbol),
                symbol: spec.symbol.clone(),
                segment: "Capital".into(),
                cf_buy_quantity: 0,
                cf_buy_amount: 0.0,
                cf_sell_quantity: 0,
                cf_sell_amount: 0.0,
            })
        })
        .collect();
    success(with_odd_row(&inner.faults, now, rows))
}
