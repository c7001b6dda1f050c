//! What traders ask of a backtest, computed from its round trips (as the journal recorded them, net of
//! charges) and the trading days it ran. Returns are on the capital limit (`risk.max_capital_deployed`), the
//! most the bot may have in the market, since that is the money a trader sets aside for it; nothing compounds.
//!
//! - total return: net P&L over the capital; annualised: total × 252 ÷ days run (simple, no compounding);
//! - maximum drawdown: the largest fall of the cumulative daily net P&L from its running peak (from zero),
//!   in rupees and in % of the capital; its duration: the most trading days from a peak to the day the curve
//!   regained it (or the period's end);
//! - Sharpe and Sortino: on daily net P&L over the capital, days without trades included as 0, risk-free
//!   rate 0, × √252; Sortino's downside deviation is the root mean square of the losing days (0 for others);
//! - profit factor: gross wins ÷ gross losses (net of charges); expectancy: mean net P&L per trade;
//! - exposure: the share of the session time in which at least one position was open.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::calendar::to_ist;
use crate::review::TradeRow;

pub const TRADING_DAYS_A_YEAR: u32 = 252;

/// A day the backtest ran: its date and its seconds of continuous trading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunDay {
    pub date: NaiveDate,
    pub session_seconds: i64,
}

/// The round trips of one instrument, or of one exit reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow {
    pub name: String,
    pub trades: u32,
    pub wins: u32,
    pub net: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    pub days: u32,
    pub trades: u32,
    pub gross: Decimal,
    pub charges: Decimal,
    pub net: Decimal,
    pub capital: Decimal,
    /// In percent of the capital.
    pub total_return_pct: Decimal,
    pub annualised_return_pct: Decimal,
    pub max_drawdown: Decimal,
    pub max_drawdown_pct: Decimal,
    /// Trading days.
    pub max_drawdown_days: u32,
    pub sharpe: Option<f64>,
    pub sortino: Option<f64>,
    pub profit_factor: Option<Decimal>,
    pub expectancy: Option<Decimal>,
    pub win_rate_pct: Option<Decimal>,
    pub average_win: Option<Decimal>,
    pub average_loss: Option<Decimal>,
    pub exposure_pct: Decimal,
    pub by_instrument: Vec<GroupRow>,
    pub by_exit_reason: Vec<GroupRow>,
}

/// The metrics of `trades` over `days` (a trade counts on the day it exits), on `capital`.
pub fn metrics(trades: &[TradeRow], days: &[RunDay], capital: Decimal) -> Metrics {
    let mut daily: BTreeMap<NaiveDate, Decimal> =
        days.iter().map(|d| (d.date, Decimal::ZERO)).collect();
    let in_days: Vec<&TradeRow> = trades
        .iter()
        .filter(|t| daily.contains_key(&exit_date(t)))
        .collect();
    for t in &in_days {
        *daily.entry(exit_date(t)).or_default() += t.net;
    }
    let net: Decimal = in_days.iter().map(|t| t.net).sum();
    let (wins, losses): (Vec<Decimal>, Vec<Decimal>) = in_days
        .iter()
        .map(|t| t.net)
        .partition(|n| *n > Decimal::ZERO);
    let gross_win: Decimal = wins.iter().sum();
    let gross_loss: Decimal = -losses.iter().sum::<Decimal>();
    let pct = |value: Decimal| {
        if capital.is_zero() {
            Decimal::ZERO
        } else {
            (value / capital * Decimal::ONE_HUNDRED).round_dp(2)
        }
    };
    let total_return_pct = pct(net);
    let day_count = days.len() as u32;
    let annualised_return_pct = if day_count == 0 {
        Decimal::ZERO
    } else {
        (total_return_pct * Decimal::from(TRADING_DAYS_A_YEAR) / Decimal::from(day_count))
            .round_dp(2)
    };
    let (max_drawdown, max_drawdown_days) = drawdown(daily.values().copied());
    let returns: Vec<f64> = daily
        .values()
        .map(|pnl| (*pnl / capital.max(Decimal::ONE)).to_f64().unwrap_or(0.0))
        .collect();
    let trade_count = in_days.len() as u32;
    let mean_of = |values: &[Decimal]| {
        (!values.is_empty())
            .then(|| (values.iter().sum::<Decimal>() / Decimal::from(values.len())).round_dp(2))
    };
    Metrics {
        days: day_count,
        trades: trade_count,
        gross: in_days.iter().map(|t| t.gross).sum(),
        charges: in_days.iter().map(|t| t.charges).sum(),
        net,
        capital,
        total_return_pct,
        annualised_return_pct,
        max_drawdown,
        max_drawdown_pct: pct(max_drawdown),
        max_drawdown_days,
        sharpe: sharpe(&returns),
        sortino: sortino(&returns),
        profit_factor: (!gross_loss.is_zero()).then(|| (gross_win / gross_loss).round_dp(2)),
        expectancy: (trade_count > 0).then(|| (net / Decimal::from(trade_count)).round_dp(2)),
        win_rate_pct: (trade_count > 0).then(|| {
            (Decimal::from(wins.len()) * Decimal::ONE_HUNDRED / Decimal::from(trade_count))
                .round_dp(1)
        }),
        average_win: mean_of(&wins),
        average_loss: mean_of(&losses),
        exposure_pct: exposure_pct(&in_days, days),
        by_instrument: groups(&in_days, |t| t.instrument.clone()),
        by_exit_reason: groups(&in_days, |t| t.exit_reason.clone()),
    }
}

fn exit_date(trade: &TradeRow) -> NaiveDate {
    to_ist(trade.exit_time).date_naive()
}

/// The largest fall of the cumulative P&L from its running peak (from zero), and the most days spent below a
/// peak before regaining it.
fn drawdown(daily: impl Iterator<Item = Decimal>) -> (Decimal, u32) {
    let (mut total, mut peak, mut deepest) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let (mut under, mut longest) = (0u32, 0u32);
    for pnl in daily {
        total += pnl;
        if total >= peak {
            peak = total;
            under = 0;
        } else {
            under += 1;
            longest = longest.max(under);
            deepest = deepest.max(peak - total);
        }
    }
    (deepest, longest)
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

fn sharpe(returns: &[f64]) -> Option<f64> {
    if returns.len() < 2 {
        return None;
    }
    let m = mean(returns);
    let variance =
        returns.iter().map(|r| (r - m).powi(2)).sum::<f64>() / (returns.len() - 1) as f64;
    (variance > 0.0).then(|| m / variance.sqrt() * f64::from(TRADING_DAYS_A_YEAR).sqrt())
}

fn sortino(returns: &[f64]) -> Option<f64> {
    if returns.len() < 2 {
        return None;
    }
    let downside = returns.iter().map(|r| r.min(0.0).powi(2)).sum::<f64>() / returns.len() as f64;
    (downside > 0.0)
        .then(|| mean(returns) / downside.sqrt() * f64::from(TRADING_DAYS_A_YEAR).sqrt())
}

/// The share of the session time with a position open: the union of the trades' spans over the sessions'.
fn exposure_pct(trades: &[&TradeRow], days: &[RunDay]) -> Decimal {
    let session: i64 = days.iter().map(|d| d.session_seconds).sum();
    if session <= 0 {
        return Decimal::ZERO;
    }
    let mut spans: Vec<(DateTime<Utc>, DateTime<Utc>)> =
        trades.iter().map(|t| (t.entry_time, t.exit_time)).collect();
    spans.sort();
    let mut held = 0i64;
    let mut current: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
    for (from, to) in spans {
        current = match current {
            Some((start, end)) if from <= end => Some((start, end.max(to))),
            Some((start, end)) => {
                held += (end - start).num_seconds();
                Some((from, to))
            }
            None => Some((from, to)),
        };
    }
    if let Some((start, end)) = current {
        held += (end - start).num_seconds();
    }
    (Decimal::from(held) * Decimal::ONE_HUNDRED / Decimal::from(session)).round_dp(1)
}

/// Round trips grouped by `key`, the best net first.
fn groups(trades: &[&TradeRow], key: impl Fn(&TradeRow) -> String) -> Vec<GroupRow> {
    let mut by: BTreeMap<String, GroupRow> = BTreeMap::new();
    for t in trades {
        let name = key(t);
        let row = by.entry(name.clone()).or_insert(GroupRow {
            name,
            trades: 0,
            wins: 0,
            net: Decimal::ZERO,
        });
        row.trades += 1;
        row.wins += u32::from(t.net > Decimal::ZERO);
        row.net += t.net;
    }
    let mut rows: Vec<GroupRow> = by.into_values().collect();
    rows.sort_by(|a, b| b.net.cmp(&a.net).then_with(|| a.name.cmp(&b.name)));
    rows
}
