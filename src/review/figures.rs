//! The figures of a journaled period, computed once from the journal's entries so that the summary, the trade
//! table, the CSV and the HTML report all show the same numbers: round trips with net P&L, win rate, maximum
//! drawdown, slippage, orders and rejections, the feed's time per state with its fallback episodes, and the
//! prices around each trade (`trade_path`).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::trade_path::{TradePath, trade_paths};
use crate::calendar::to_ist;
use crate::journal::{JournalEntry, Recorded};

/// One round trip as the journal recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeRow {
    pub instrument: String,
    pub side: String,
    pub quantity: u32,
    pub entry_time: DateTime<Utc>,
    pub entry_price: Decimal,
    pub exit_time: DateTime<Utc>,
    pub exit_price: Decimal,
    pub gross: Decimal,
    pub charges: Decimal,
    pub net: Decimal,
    /// Against the signal prices, in rupees (positive is worse for us).
    pub slippage: Decimal,
    pub exit_reason: String,
    pub paper: bool,
}

/// A stretch of time the feed spent in one state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedSpan {
    pub state: String,
    pub reason: Option<String>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl FeedSpan {
    pub fn seconds(&self) -> i64 {
        (self.to - self.from).num_seconds()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// In exit order.
    pub trades: Vec<TradeRow>,
    pub gross: Decimal,
    pub charges: Decimal,
    pub net: Decimal,
    pub wins: u32,
    pub losses: u32,
    /// Peak-to-trough fall of the cumulative net P&L after each trade, from zero.
    pub max_drawdown: Decimal,
    pub orders: u32,
    pub rejections: u32,
    /// The feed's states over each session, in time order.
    pub feed: Vec<FeedSpan>,
    /// The prices around each trade and its stops and target: `trade_paths[i]` is `trades[i]`'s.
    pub trade_paths: Vec<TradePath>,
}

impl Figures {
    /// Wins over trades, in percent; none without trades.
    pub fn win_rate(&self) -> Option<Decimal> {
        let trades = self.trades.len();
        (trades > 0).then(|| {
            (Decimal::from(self.wins) * Decimal::ONE_HUNDRED / Decimal::from(trades)).round_dp(1)
        })
    }

    /// Rupees of slippage per round trip.
    pub fn average_slippage(&self) -> Option<Decimal> {
        let trades = self.trades.len();
        (trades > 0).then(|| {
            let total: Decimal = self.trades.iter().map(|t| t.slippage).sum();
            (total / Decimal::from(trades)).round_dp(2)
        })
    }

    pub fn seconds_in(&self, state: &str) -> i64 {
        self.feed
            .iter()
            .filter(|s| s.state == state)
            .map(FeedSpan::seconds)
            .sum()
    }

    /// The spans the feed spent polling: the fallback episodes.
    pub fn fallbacks(&self) -> impl Iterator<Item = &FeedSpan> {
        self.feed.iter().filter(|s| s.state == "polling")
    }

    /// The cumulative net P&L after each trade, for the equity curve.
    pub fn equity_curve(&self) -> Vec<(DateTime<Utc>, Decimal)> {
        let mut total = Decimal::ZERO;
        self.trades
            .iter()
            .map(|t| {
                total += t.net;
                (t.exit_time, total)
            })
            .collect()
    }
}

/// The figures of the entries recorded on IST dates `from` to `to`, both included.
pub fn figures(entries: &[Recorded], from: NaiveDate, to: NaiveDate) -> Figures {
    let in_period: Vec<&Recorded> = entries
        .iter()
        .filter(|r| (from..=to).contains(&to_ist(r.at).date_naive()))
        .collect();
    let mut trades: Vec<TradeRow> = in_period.iter().filter_map(|r| trade_row(r)).collect();
    trades.sort_by_key(|t| t.exit_time);
    let count = |pick: &dyn Fn(&JournalEntry) -> bool| {
        in_period.iter().filter(|r| pick(&r.entry)).count() as u32
    };
    let orders = count(&|e| matches!(e, JournalEntry::Order { .. }));
    let rejections = count(&|e| {
        matches!(e, JournalEntry::OrderEnded { rejected: true, .. })
            || matches!(e, JournalEntry::Order { state, .. } if state.starts_with("refused"))
    });
    let (mut peak, mut total, mut max_drawdown) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for trade in &trades {
        total += trade.net;
        peak = peak.max(total);
        max_drawdown = max_drawdown.max(peak - total);
    }
    Figures {
        from,
        to,
        gross: trades.iter().map(|t| t.gross).sum(),
        charges: trades.iter().map(|t| t.charges).sum(),
        net: trades.iter().map(|t| t.net).sum(),
        wins: trades.iter().filter(|t| t.net > Decimal::ZERO).count() as u32,
        losses: trades.iter().filter(|t| t.net <= Decimal::ZERO).count() as u32,
        max_drawdown,
        orders,
        rejections,
        feed: feed_spans(&in_period),
        trade_paths: trade_paths(&in_period, &trades),
        trades,
    }
}

fn trade_row(recorded: &Recorded) -> Option<TradeRow> {
    let JournalEntry::Trade {
        instrument,
        side,
        quantity,
        entry_time,
        entry_price,
        exit_time,
        exit_price,
        pnl,
        charges,
        slippage,
        exit_reason,
    } = &recorded.entry
    else {
        return None;
    };
    Some(TradeRow {
        instrument: instrument.clone(),
        side: side.clone(),
        quantity: *quantity,
        entry_time: *entry_time,
        entry_price: *entry_price,
        exit_time: *exit_time,
        exit_price: *exit_price,
        gross: *pnl,
        charges: *charges,
        net: *pnl - *charges,
        slippage: *slippage,
        exit_reason: exit_reason.clone(),
        paper: recorded.paper,
    })
}

/// Each feed state lasts until the next one, or until the day's close report (else its last entry).
fn feed_spans(entries: &[&Recorded]) -> Vec<FeedSpan> {
    let mut by_day: BTreeMap<NaiveDate, Vec<&Recorded>> = BTreeMap::new();
    for recorded in entries {
        by_day
            .entry(to_ist(recorded.at).date_naive())
            .or_default()
            .push(recorded);
    }
    let mut spans = Vec::new();
    for day in by_day.values() {
        let end = day
            .iter()
            .find(|r| r.entry.kind() == "day_summary")
            .or(day.last())
            .map(|r| r.at);
        let states: Vec<(DateTime<Utc>, &String, &Option<String>)> = day
            .iter()
            .filter_map(|r| match &r.entry {
                JournalEntry::FeedState { state, reason } => Some((r.at, state, reason)),
                _ => None,
            })
            .collect();
        for (i, (at, state, reason)) in states.iter().enumerate() {
            let to = states.get(i + 1).map(|next| next.0).or(end).unwrap_or(*at);
            spans.push(FeedSpan {
                state: (*state).clone(),
                reason: (*reason).clone(),
                from: *at,
                to: to.max(*at),
            });
        }
    }
    spans
}
