//! The simulator's order book: validation, matching against the simulated price, trades and positions.
//!
//! MARKET orders fill at once at the last price with one tick of adverse slippage; LIMIT orders fill when the
//! price reaches them (at the better of the two); SL and SL-M wait for their trigger. Bad requests are refused
//! the way Upstox refuses them: HTTP 400 with a UDAPI code. Orders sent outside continuous trading are accepted
//! and then rejected, as the exchange does.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use rust_decimal::Decimal;

use super::day_totals::DayTotals;
use super::faults::OrderFaults;
use super::market::{InstrumentSpec, Market};
use crate::broker::upstox::rest_types::{
    ModifyOrderBody, OrderData, PlaceOrderBody, PositionData, TradeData,
};
use crate::calendar::{EquityClass, to_ist};
use crate::domain::{
    Exchange, Fill, InstrumentId, OrderKind, Position, Side, decimal_from_wire,
    decimal_to_wire as to_f64,
};

/// An order request the simulator refuses outright.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    /// A modification refused by the scripted `modify_fail`.
    pub fn modify_refused() -> Refusal {
        refuse(
            "UDAPI100040",
            "Order modification is not allowed at this time",
        )
    }

    /// A cancellation refused by the scripted `cancel_fail`.
    pub fn cancel_refused() -> Refusal {
        refuse(
            "UDAPI100040",
            "Order cancellation is not allowed at this time",
        )
    }
}

fn refuse(code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        status: 400,
        code,
        message: message.into(),
    }
}

#[derive(Debug, Clone)]
struct SimOrder {
    id: String,
    tag: Option<String>,
    key: String,
    symbol: String,
    side: Side,
    kind: OrderKind,
    quantity: u32,
    product: String,
    validity: String,
    status: &'static str,
    filled: u32,
    average: Decimal,
    message: Option<String>,
    placed_at: DateTime<Utc>,
    /// When the exchange last acted on it (placed, changed, triggered, filled or cancelled it).
    exchange_at: DateTime<Utc>,
    /// When it last filled in part, so a partial-fill fault fills it at most once a simulated second.
    last_fill: Option<DateTime<Utc>>,
}

/// When an order entered the book and when the exchange last acted on it: the epoch times HDFC Sky's rows state,
/// which Upstox's rows (text times) do not carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderTimes {
    pub entered: DateTime<Utc>,
    pub exchange: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct SimTrade {
    id: String,
    order: usize,
    quantity: u32,
    price: Decimal,
    at: DateTime<Utc>,
}

#[derive(Default)]
pub struct OrderBook {
    orders: Vec<SimOrder>,
    trades: Vec<SimTrade>,
    positions: BTreeMap<(String, String), Position>,
    next_id: u64,
    /// Counts every change an order stream would report: a placement, a change, a cancel, a trigger, a fill.
    version: u64,
}

fn parse_side(text: &str) -> Result<Side, Refusal> {
    text.parse()
        .map_err(|_| refuse("UDAPI100038", format!("Invalid transaction_type {text}")))
}

fn on_tick(spec: &InstrumentSpec, value: f64, field: &str) -> Result<Decimal, Refusal> {
    let price =
        decimal_from_wire(value).map_err(|e| refuse("UDAPI100038", format!("{field}: {e}")))?;
    if !spec.tick.is_on_grid(price) {
        return Err(refuse(
            "UDAPI100038",
            format!(
                "{field} {price} is not a multiple of the tick size {}",
                spec.tick
            ),
        ));
    }
    Ok(price)
}

/// The order kind Upstox's fields describe, its prices checked against the instrument's tick.
fn order_kind(
    spec: &InstrumentSpec,
    order_type: &str,
    price: f64,
    trigger: f64,
) -> Result<OrderKind, Refusal> {
    Ok(match order_type {
        "MARKET" => OrderKind::Market,
        "LIMIT" => OrderKind::Limit {
            price: on_tick(spec, price, "price")?,
        },
        "SL" => OrderKind::StopLoss {
            trigger: on_tick(spec, trigger, "trigger_price")?,
            price: on_tick(spec, price, "price")?,
        },
        "SL-M" => OrderKind::StopLossMarket {
            trigger: on_tick(spec, trigger, "trigger_price")?,
        },
        other => return Err(refuse("UDAPI1056", format!("Invalid order_type {other}"))),
    })
}

fn has_trigger(kind: &OrderKind) -> bool {
    matches!(
        kind,
        OrderKind::StopLoss { .. } | OrderKind::StopLossMarket { .. }
    )
}

impl OrderBook {
    /// Validates and books an order; returns its id. Fills what can fill at once.
    pub fn place(
        &mut self,
        body: &PlaceOrderBody,
        market: &Market,
        now: DateTime<Utc>,
        faults: OrderFaults,
    ) -> Result<String, Refusal> {
        let index = market
            .index_of(&body.instrument_token)
            .ok_or_else(|| refuse("UDAPI100011", "Invalid Instrument key"))?;
        let (spec, _) = market.get(index);
        if body.quantity == 0 {
            return Err(refuse("UDAPI1052", "Quantity cannot be zero"));
        }
        if spec.index {
            return Err(refuse("UDAPI100011", "Indices cannot be traded"));
        }
        let side = parse_side(&body.transaction_type)?;
        let kind = order_kind(spec, &body.order_type, body.price, body.trigger_price)?;
        self.next_id += 1;
        let id = format!("2611{:011}", self.next_id);
        let in_session = market.calendar().is_continuous(now, EquityClass::CashOnly);
        self.orders.push(SimOrder {
            id: id.clone(),
            tag: body.tag.clone(),
            key: body.instrument_token.clone(),
            symbol: spec.symbol.clone(),
            side,
            kind,
            quantity: body.quantity,
            product: body.product.clone(),
            validity: body.validity.clone(),
            status: if in_session { "open" } else { "rejected" },
            filled: 0,
            average: Decimal::ZERO,
            message: (!in_session).then(|| "order placed outside market hours".to_string()),
            placed_at: now,
            exchange_at: now,
            last_fill: None,
        });
        self.version += 1;
        let order = self.orders.last_mut().expect("just pushed");
        if in_session && faults.reject_after_ack {
            // Accepted with an order id, then refused by the risk system: the answer says yes, the book says no.
            order.status = "rejected";
            order.message = Some("RMS:Margin Exceeds, Required:0, Available:0".into());
        } else if in_session {
            if has_trigger(&kind) {
                order.status = "trigger pending";
            }
            self.match_order(self.orders.len() - 1, market, now, faults);
        }
        Ok(id)
    }

    pub fn modify(
        &mut self,
        body: &ModifyOrderBody,
        market: &Market,
        now: DateTime<Utc>,
        faults: OrderFaults,
    ) -> Result<String, Refusal> {
        let i = self.find(&body.order_id)?;
        if is_final(self.orders[i].status) {
            return Err(refuse(
                "UDAPI100040",
                "Order cannot be modified in its current state",
            ));
        }
        let index = market
            .index_of(&self.orders[i].key)
            .expect("booked orders have known keys");
        let (spec, _) = market.get(index);
        let kind = order_kind(spec, &body.order_type, body.price, body.trigger_price)?;
        let order = &mut self.orders[i];
        if let Some(quantity) = body.quantity {
            if quantity < order.filled || quantity == 0 {
                return Err(refuse(
                    "UDAPI1052",
                    "Quantity cannot be below the filled quantity",
                ));
            }
            order.quantity = quantity;
        }
        if order.status != "trigger pending" || !has_trigger(&kind) {
            order.status = "open";
        }
        order.kind = kind;
        order.validity = body.validity.clone();
        order.exchange_at = now;
        self.version += 1;
        self.match_order(i, market, now, faults);
        Ok(body.order_id.clone())
    }

    pub fn cancel(&mut self, order_id: &str, now: DateTime<Utc>) -> Result<String, Refusal> {
        let i = self.find(order_id)?;
        if is_final(self.orders[i].status) {
            return Err(refuse(
                "UDAPI100040",
                "An already cancelled, rejected or completed order cannot be cancelled",
            ));
        }
        self.orders[i].status = "cancelled";
        self.orders[i].exchange_at = now;
        self.version += 1;
        Ok(order_id.to_string())
    }

    /// Matches every working order against the current prices.
    pub fn match_all(&mut self, market: &Market, now: DateTime<Utc>, faults: OrderFaults) {
        if !market.calendar().is_continuous(now, EquityClass::CashOnly) {
            return;
        }
        for i in 0..self.orders.len() {
            if !is_final(self.orders[i].status) {
                self.match_order(i, market, now, faults);
            }
        }
    }

    fn match_order(&mut self, i: usize, market: &Market, now: DateTime<Utc>, faults: OrderFaults) {
        let Some(index) = market.index_of(&self.orders[i].key) else {
            return;
        };
        let (spec, quote) = market.get(index);
        let ltp = quote.ltp;
        let order = &mut self.orders[i];
        if order.status == "trigger pending" {
            if !order.kind.is_triggered(order.side, ltp) {
                return;
            }
            order.status = "open";
            order.exchange_at = now;
            self.version += 1;
        }
        if faults.hold_limits && matches!(order.kind, OrderKind::Limit { .. }) {
            return;
        }
        // Market-type orders slip one tick against the trader.
        let Some(fill_price) = order.kind.fill_price(order.side, ltp, spec.tick.value()) else {
            return;
        };
        let fill_price = fill_price.max(spec.tick.value());
        let left = order.quantity - order.filled;
        let quantity = match faults.partial {
            Some(_)
                if order
                    .last_fill
                    .is_some_and(|at| now - at < TimeDelta::seconds(1)) =>
            {
                return;
            }
            Some(fraction) => ((f64::from(left) * fraction).ceil() as u32).clamp(1, left),
            None => left,
        };
        order.average = (order.average * Decimal::from(order.filled)
            + fill_price * Decimal::from(quantity))
            / Decimal::from(order.filled + quantity);
        order.filled += quantity;
        order.last_fill = Some(now);
        order.exchange_at = now;
        self.version += 1;
        if order.filled == order.quantity {
            order.status = "complete";
        }
        let fill = Fill {
            order_id: order.id.clone(),
            tag: None,
            instrument: InstrumentId {
                exchange: Exchange::Nse,
                symbol: order.symbol.clone(),
            },
            side: order.side,
            quantity,
            price: fill_price,
            time: now,
        };
        let position_key = (order.key.clone(), order.product.clone());
        self.positions
            .entry(position_key)
            .or_insert_with(|| Position::flat(fill.instrument.clone()))
            .apply(&fill);
        self.trades.push(SimTrade {
            id: format!("{:08}", self.trades.len() + 1),
            order: i,
            quantity,
            price: fill_price,
            at: now,
        });
    }

    fn find(&self, order_id: &str) -> Result<usize, Refusal> {
        self.orders
            .iter()
            .position(|o| o.id == order_id)
            .ok_or_else(|| refuse("UDAPI100010", "Unknown order id | order request rejected"))
    }

    pub fn order(&self, order_id: &str) -> Result<OrderData, Refusal> {
        self.find(order_id).map(|i| self.order_row(&self.orders[i]))
    }

    pub fn orders_tagged(&self, tag: &str) -> Vec<OrderData> {
        self.orders
            .iter()
            .filter(|o| o.tag.as_deref() == Some(tag))
            .map(|o| self.order_row(o))
            .collect()
    }

    /// How many changes the book has seen; an order stream sends what changed when it grows.
    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn order_rows(&self) -> Vec<OrderData> {
        self.orders.iter().map(|o| self.order_row(o)).collect()
    }

    /// The order rows with their times to the instant.
    pub fn timed_order_rows(&self) -> Vec<(OrderData, OrderTimes)> {
        self.orders
            .iter()
            .map(|o| {
                let times = OrderTimes {
                    entered: o.placed_at,
                    exchange: o.exchange_at,
                };
                (self.order_row(o), times)
            })
            .collect()
    }

    fn order_row(&self, o: &SimOrder) -> OrderData {
        OrderData {
            order_id: o.id.clone(),
            exchange: "NSE".into(),
            product: o.product.clone(),
            price: to_f64(o.kind.limit_price().unwrap_or_default()),
            quantity: o.quantity,
            status: o.status.into(),
            tag: o.tag.clone(),
            instrument_token: o.key.clone(),
            trading_symbol: o.symbol.clone(),
            order_type: o.kind.code().into(),
            validity: o.validity.clone(),
            trigger_price: to_f64(o.kind.trigger_price().unwrap_or_default()),
            transaction_type: o.side.to_string(),
            average_price: to_f64(o.average),
            filled_quantity: o.filled,
            pending_quantity: o.quantity - o.filled,
            status_message: o.message.clone(),
            order_timestamp: Some(timestamp(o.placed_at)),
            variety: "SIMPLE".into(),
            is_amo: false,
        }
    }

    pub fn fill_instants(&self) -> Vec<(String, DateTime<Utc>)> {
        self.timed_trade_rows()
            .into_iter()
            .map(|(t, at)| (t.order_id, at))
            .collect()
    }

    pub fn trade_rows(&self) -> Vec<TradeData> {
        self.timed_trade_rows()
            .into_iter()
            .map(|(t, _)| t)
            .collect()
    }

    /// The trade rows with when each trade happened, to the instant.
    pub fn timed_trade_rows(&self) -> Vec<(TradeData, DateTime<Utc>)> {
        self.trades
            .iter()
            .map(|t| {
                let o = &self.orders[t.order];
                let row = TradeData {
                    trade_id: t.id.clone(),
                    order_id: o.id.clone(),
                    exchange: "NSE".into(),
                    product: o.product.clone(),
                    trading_symbol: o.symbol.clone(),
                    instrument_token: o.key.clone(),
                    order_type: self.order_row(o).order_type,
                    transaction_type: o.side.to_string(),
                    quantity: t.quantity,
                    average_price: to_f64(t.price),
                    exchange_timestamp: Some(timestamp(t.at)),
                    order_timestamp: Some(timestamp(o.placed_at)),
                };
                (row, t.at)
            })
            .collect()
    }

    /// Each instrument and product's day in shares and rupees, from the trades: what day-wise position rows
    /// state. Keyed like the positions, (instrument key, product code).
    pub fn day_totals(&self) -> BTreeMap<(String, String), DayTotals> {
        let mut totals: BTreeMap<(String, String), DayTotals> = BTreeMap::new();
        for t in &self.trades {
            let o = &self.orders[t.order];
            totals
                .entry((o.key.clone(), o.product.clone()))
                .or_default()
                .add(o.side, t.quantity, t.price);
        }
        totals
    }

    pub fn position_rows(&self, market: &Market) -> Vec<PositionData> {
        self.positions
            .iter()
            .map(|((key, product), p)| {
                let ltp = market
                    .index_of(key)
                    .map(|i| market.get(i).1.ltp)
                    .unwrap_or(p.average_price);
                let unrealised = p.unrealized_pnl(ltp);
                PositionData {
                    exchange: "NSE".into(),
                    product: product.clone(),
                    instrument_token: key.clone(),
                    trading_symbol: p.instrument.symbol.clone(),
                    quantity: p.net_quantity,
                    average_price: to_f64(p.average_price),
                    last_price: to_f64(ltp),
                    pnl: to_f64(p.realized_pnl + unrealised),
                    realised: to_f64(p.realized_pnl),
                    unrealised: to_f64(unrealised),
                    day_buy_quantity: 0,
                    day_sell_quantity: 0,
                    day_buy_price: 0.0,
                    day_sell_price: 0.0,
                }
            })
            .collect()
    }
}

fn is_final(status: &str) -> bool {
    matches!(status, "complete" | "cancelled" | "rejected")
}

/// Upstox's order timestamp format, in IST: `23-Apr-2021 14:22:06`.
fn timestamp(t: DateTime<Utc>) -> String {
    to_ist(t).format("%d-%b-%Y %H:%M:%S").to_string()
}
