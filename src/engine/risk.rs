//! Strategy intents become orders only here. An `ApprovedOrder` cannot be built anywhere else, so an order that
//! reaches the executor has passed the checks: trading enabled, fresh prices from a feed that is not
//! `AuthFailed`, continuous trading before the last entry time, position and capital limits, the daily loss limit,
//! the day's trade count, and a tick-rounded marketable LIMIT within price protection of the last price.
//! Exits are never refused: a position is always allowed to close.

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::setup::EntrySignal;
use crate::config::{RiskLimits, SizingRule, StrategyConfig};
use crate::domain::{Instrument, OrderKind, OrderRequest, OrderTag, Product, Side, Tick, Validity};

/// How far beyond the last price a marketable LIMIT may reach, in percent; MARKET orders are blocked for many
/// API users, so every order is a LIMIT with this protection.
pub const PRICE_PROTECTION_PCT: Decimal = Decimal::from_parts(5, 0, 0, false, 1);

/// The furthest an exit reaches through the last price after its re-pricings, in percent: far enough to cross
/// any book a liquid stock shows, and inside the narrowest circuit band (2 %) from a price within it, so the
/// exchange does not refuse the price itself.
pub const MAX_EXIT_REACH_PCT: Decimal = Decimal::from_parts(2, 0, 0, false, 0);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    TradingDisabled,
    /// The operator paused new entries (`dalal ctl pause`).
    Paused,
    FeedAuthFailed,
    OutsideContinuousTrading,
    AfterLastEntryTime,
    PriceStale {
        age_ms: i64,
    },
    MaxOpenPositions,
    CapitalExceeded,
    DailyLossTripped,
    MaxTradesReached,
    ZeroStopDistance,
    /// A signal or last price at or below zero: the feed refuses such prices, and sizing would divide by it.
    NonPositivePrice,
    JournalCannotWrite,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::TradingDisabled => {
                f.write_str("trading is disabled until pre-open checks pass")
            }
            Refusal::Paused => f.write_str("new entries are paused by the operator"),
            Refusal::FeedAuthFailed => {
                f.write_str("the feed is refused by the broker (401): no fresh prices")
            }
            Refusal::OutsideContinuousTrading => f.write_str("outside continuous trading"),
            Refusal::AfterLastEntryTime => f.write_str("after the last entry time"),
            Refusal::PriceStale { age_ms } => write!(f, "the last price is {age_ms} ms old"),
            Refusal::MaxOpenPositions => f.write_str("the open-position limit is reached"),
            Refusal::CapitalExceeded => {
                f.write_str("the capital limit leaves no room for one share")
            }
            Refusal::DailyLossTripped => f.write_str("the daily loss limit was reached"),
            Refusal::MaxTradesReached => {
                f.write_str("the day's trades for this instrument are used up")
            }
            Refusal::ZeroStopDistance => f.write_str("the stop is at the entry price"),
            Refusal::NonPositivePrice => f.write_str("the price is not above zero"),
            Refusal::JournalCannotWrite => {
                f.write_str("the journal cannot write, so nothing new is entered")
            }
        }
    }
}

/// An order that passed risk. Its fields are private: only this module makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovedOrder {
    request: OrderRequest,
    signal_price: Decimal,
    /// For an entry: how old the price it was approved on was, as risk judged it (ms).
    price_age_ms: Option<i64>,
}

impl ApprovedOrder {
    pub fn request(&self) -> &OrderRequest {
        &self.request
    }

    /// For an entry, the age of the price it was approved on (the larger of the tick's age and, for a polled
    /// price, the polling gap), in milliseconds: journaled, so an entry on a stale price can be found afterwards.
    pub fn price_age_ms(&self) -> Option<i64> {
        self.price_age_ms
    }

    /// The price that caused the order, for slippage.
    pub fn signal_price(&self) -> Decimal {
        self.signal_price
    }
}

/// What risk needs to know about the book and the moment.
pub struct EntryContext<'a> {
    pub instrument: &'a Instrument,
    pub signal: &'a EntrySignal,
    pub last: &'a Tick,
    /// For a polled price: how long after the previous poll it came.
    pub poll_gap: Option<TimeDelta>,
    pub now: DateTime<Utc>,
    pub in_continuous: bool,
    pub before_last_entry: bool,
    pub trading_enabled: bool,
    pub paused: bool,
    pub feed_ok: bool,
    pub journal_ok: bool,
    pub daily_loss_tripped: bool,
    pub open_positions: u32,
    pub capital_deployed: Decimal,
    pub trades_today: u32,
    pub tag: OrderTag,
}

/// A marketable LIMIT: through the last price by the protection, rounded away from the market onto the tick.
fn protected_limit(instrument: &Instrument, side: Side, last: Decimal) -> Decimal {
    limit_through(instrument, side, last, PRICE_PROTECTION_PCT)
}

/// A LIMIT `pct` percent through `last` on the side that crosses the book, on the tick grid.
fn limit_through(instrument: &Instrument, side: Side, last: Decimal, pct: Decimal) -> Decimal {
    let tick = instrument.tick_size_at(last);
    let reach = last * pct / Decimal::ONE_HUNDRED;
    match side {
        Side::Buy => tick.round_up(last + reach),
        Side::Sell => tick.round_down(last - reach),
    }
}

pub fn approve_entry(
    limits: &RiskLimits,
    strategy: &StrategyConfig,
    ctx: EntryContext<'_>,
) -> Result<ApprovedOrder, Refusal> {
    if !ctx.trading_enabled {
        return Err(Refusal::TradingDisabled);
    }
    if ctx.paused {
        return Err(Refusal::Paused);
    }
    if !ctx.feed_ok {
        return Err(Refusal::FeedAuthFailed);
    }
    if !ctx.journal_ok {
        return Err(Refusal::JournalCannotWrite);
    }
    if ctx.daily_loss_tripped {
        return Err(Refusal::DailyLossTripped);
    }
    if !ctx.in_continuous {
        return Err(Refusal::OutsideContinuousTrading);
    }
    if !ctx.before_last_entry {
        return Err(Refusal::AfterLastEntryTime);
    }
    // A price is stale when it waited too long to be acted on, or when polling brings prices slower than the
    // limit: a polled price then says nothing about the seconds before it.
    let age = ctx.last.age(ctx.now).max(ctx.poll_gap.unwrap_or_default());
    let age_ms = age.num_milliseconds();
    if age_ms > limits.max_price_age_ms as i64 {
        return Err(Refusal::PriceStale { age_ms });
    }
    if ctx.trades_today >= strategy.entry.max_trades_per_instrument {
        return Err(Refusal::MaxTradesReached);
    }
    if ctx.open_positions >= limits.max_open_positions {
        return Err(Refusal::MaxOpenPositions);
    }
    let signal = ctx.signal;
    if signal.price <= Decimal::ZERO || ctx.last.last_price <= Decimal::ZERO {
        return Err(Refusal::NonPositivePrice);
    }
    let distance = (signal.price - signal.stop).abs();
    let wanted = match strategy.sizing.rule {
        SizingRule::Risk if distance.is_zero() => return Err(Refusal::ZeroStopDistance),
        SizingRule::Risk => strategy.sizing.risk_per_trade / distance,
        SizingRule::Capital => strategy.sizing.capital_per_trade / signal.price,
    };
    let room =
        (limits.max_capital_deployed - ctx.capital_deployed).max(Decimal::ZERO) / signal.price;
    let quantity = wanted
        .max(Decimal::ONE)
        .min(room)
        .floor()
        .to_u32()
        .unwrap_or(0);
    if quantity == 0 {
        return Err(Refusal::CapitalExceeded);
    }
    let price = protected_limit(ctx.instrument, signal.side, ctx.last.last_price);
    Ok(ApprovedOrder {
        request: OrderRequest {
            tag: ctx.tag,
            instrument: ctx.instrument.id.clone(),
            side: signal.side,
            quantity,
            kind: OrderKind::Limit { price },
            product: Product::Intraday,
            validity: Validity::Day,
        },
        signal_price: signal.price,
        price_age_ms: Some(age_ms),
    })
}

/// An intraday day order: what every exit and resting stop is.
fn intraday_order(
    instrument: &Instrument,
    side: Side,
    quantity: u32,
    kind: OrderKind,
    tag: OrderTag,
    signal_price: Decimal,
) -> ApprovedOrder {
    ApprovedOrder {
        request: OrderRequest {
            tag,
            instrument: instrument.id.clone(),
            side,
            quantity,
            kind,
            product: Product::Intraday,
            validity: Validity::Day,
        },
        signal_price,
        price_age_ms: None,
    }
}

/// The stop order that rests at the broker for an open trade: triggers at the stop (on the tick grid, on the
/// side that exits sooner) and may fill up to the price protection beyond it.
pub fn approve_protective_stop(
    instrument: &Instrument,
    side: Side,
    quantity: u32,
    stop: Decimal,
    tag: OrderTag,
) -> ApprovedOrder {
    let tick = instrument.tick_size_at(stop);
    let trigger = match side {
        Side::Sell => tick.round_up(stop),
        Side::Buy => tick.round_down(stop),
    };
    let kind = OrderKind::StopLoss {
        trigger,
        price: protected_limit(instrument, side, trigger),
    };
    intraday_order(instrument, side, quantity, kind, tag, stop)
}

/// An exit: never refused, always a marketable LIMIT for the whole open quantity. It reaches the price
/// protection through the last price, and one protection further with each re-pricing `step`, up to
/// `MAX_EXIT_REACH_PCT`.
pub fn approve_exit(
    instrument: &Instrument,
    side: Side,
    quantity: u32,
    last: Decimal,
    step: u32,
    tag: OrderTag,
) -> ApprovedOrder {
    let reach = (PRICE_PROTECTION_PCT * Decimal::from(step + 1)).min(MAX_EXIT_REACH_PCT);
    let kind = OrderKind::Limit {
        price: limit_through(instrument, side, last, reach),
    };
    intraday_order(instrument, side, quantity, kind, tag, last)
}
