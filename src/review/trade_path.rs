//! What happened to the price around one round trip, gathered from the journal for the report's trade charts:
//! the instrument's minute bars from a few minutes before the entry to a few after the exit, the signal's stop
//! and target, and each move of the stop while the trade was open. It lives beside `figures` so the charts draw
//! only what the journal recorded, and stays in decimals until a chart needs pixels.

use std::collections::BTreeMap;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use rust_decimal::Decimal;

use super::figures::TradeRow;
use crate::journal::{JournalEntry, Recorded};

/// How far either side of the trade the chart looks, so the entry and exit are seen against what led to them.
pub const MARGIN_MINUTES: i64 = 5;

/// One instrument's prices over one minute, as the journal's `tick_summary` recorded them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinuteBar {
    pub minute: DateTime<Utc>,
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub close: Decimal,
}

/// The prices around one round trip and the exits it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradePath {
    /// The instrument's minutes from `MARGIN_MINUTES` before the entry's minute to as long after the exit's.
    pub bars: Vec<MinuteBar>,
    /// The stop in force from each instant on, from the entry to the exit: the signal's, then each move. Empty
    /// when the journal kept neither (a signal dropped under load).
    pub stops: Vec<(DateTime<Utc>, Decimal)>,
    /// The signal's target, when its signal was journaled.
    pub target: Option<Decimal>,
}

/// The path of each trade, in the order of `trades`.
pub fn trade_paths(entries: &[&Recorded], trades: &[TradeRow]) -> Vec<TradePath> {
    let mut by_instrument: BTreeMap<&str, Vec<&Recorded>> = BTreeMap::new();
    for recorded in entries {
        if let Some(instrument) = recorded.entry.instrument() {
            by_instrument.entry(instrument).or_default().push(recorded);
        }
    }
    trades
        .iter()
        .map(|trade| {
            let ours = by_instrument
                .get(trade.instrument.as_str())
                .map_or(&[][..], Vec::as_slice);
            trade_path(ours, trade)
        })
        .collect()
}

/// `entries` are the instrument's, in journal order.
fn trade_path(entries: &[&Recorded], trade: &TradeRow) -> TradePath {
    let margin = TimeDelta::minutes(MARGIN_MINUTES);
    let first_minute = trade
        .entry_time
        .duration_trunc(TimeDelta::minutes(1))
        .unwrap_or(trade.entry_time)
        - margin;
    let last_minute = trade.exit_time + margin;
    let mut bars: Vec<MinuteBar> = entries
        .iter()
        .filter_map(|r| match &r.entry {
            JournalEntry::TickSummary {
                minute,
                open,
                high,
                low,
                close,
                ..
            } if (first_minute..=last_minute).contains(minute) => Some(MinuteBar {
                minute: *minute,
                open: *open,
                high: *high,
                low: *low,
                close: *close,
            }),
            _ => None,
        })
        .collect();
    bars.sort_by_key(|b| b.minute);

    // The trade's own signal is the last one for the instrument before its entry: an earlier one belongs to an
    // earlier trade, a later one to the next.
    let signal = entries
        .iter()
        .filter(|r| r.at <= trade.entry_time)
        .filter_map(|r| match &r.entry {
            JournalEntry::Signal { stop, target, .. } => Some((r.at, *stop, *target)),
            _ => None,
        })
        .max_by_key(|s| s.0);
    let moves_since = signal.map_or(trade.entry_time, |s| s.0);
    let mut stops: Vec<(DateTime<Utc>, Decimal)> = signal
        .map(|(_, stop, _)| (trade.entry_time, stop))
        .into_iter()
        .collect();
    for recorded in entries {
        if let JournalEntry::StopMoved { stop, .. } = &recorded.entry
            && (moves_since..=trade.exit_time).contains(&recorded.at)
        {
            // A move before the fill is the stop the trade started with.
            stops.push((recorded.at.max(trade.entry_time), *stop));
        }
    }
    stops.sort_by_key(|s| s.0);
    TradePath {
        bars,
        stops,
        target: signal.map(|s| s.2),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use rust_decimal::dec;

    use super::*;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, h, m, s).unwrap()
    }

    fn recorded(at: DateTime<Utc>, entry: JournalEntry) -> Recorded {
        Recorded {
            seq: 0,
            at,
            paper: true,
            entry,
        }
    }

    fn bar(instrument: &str, minute: DateTime<Utc>, close: Decimal) -> Recorded {
        recorded(
            minute + TimeDelta::minutes(1),
            JournalEntry::TickSummary {
                instrument: instrument.into(),
                minute,
                open: close,
                high: close + dec!(1),
                low: close - dec!(1),
                close,
                stream_ticks: 1,
                poll_ticks: 0,
            },
        )
    }

    fn signal(at: DateTime<Utc>, stop: Decimal, target: Decimal) -> Recorded {
        recorded(
            at,
            JournalEntry::Signal {
                instrument: "NSE:SBIN".into(),
                side: "BUY".into(),
                price: dec!(100),
                stop,
                target,
                reason: "test".into(),
            },
        )
    }

    fn stop_moved(at: DateTime<Utc>, instrument: &str, stop: Decimal) -> Recorded {
        recorded(
            at,
            JournalEntry::StopMoved {
                instrument: instrument.into(),
                stop,
            },
        )
    }

    fn trade(entry: DateTime<Utc>, exit: DateTime<Utc>) -> TradeRow {
        TradeRow {
            instrument: "NSE:SBIN".into(),
            side: "BUY".into(),
            quantity: 10,
            entry_time: entry,
            entry_price: dec!(100),
            exit_time: exit,
            exit_price: dec!(103),
            gross: dec!(30),
            charges: dec!(1),
            net: dec!(29),
            slippage: dec!(0),
            exit_reason: "target".into(),
            paper: true,
        }
    }

    #[test]
    fn a_trade_takes_its_own_signal_its_stop_moves_and_the_minutes_around_it() {
        let mut entries = vec![
            signal(at(4, 0, 0), dec!(90), dec!(120)),
            signal(at(4, 30, 0), dec!(95), dec!(110)),
            stop_moved(at(4, 40, 0), "NSE:SBIN", dec!(97)),
            stop_moved(at(4, 41, 0), "NSE:ITC", dec!(1)),
            stop_moved(at(4, 50, 0), "NSE:SBIN", dec!(99)),
            // After the exit: the next trade's.
            stop_moved(at(5, 10, 0), "NSE:SBIN", dec!(105)),
            signal(at(5, 20, 0), dec!(80), dec!(130)),
        ];
        for minute in 0..90 {
            entries.push(bar(
                "NSE:SBIN",
                at(4, 0, 0) + TimeDelta::minutes(minute),
                dec!(100),
            ));
            entries.push(bar(
                "NSE:ITC",
                at(4, 0, 0) + TimeDelta::minutes(minute),
                dec!(400),
            ));
        }
        let refs: Vec<&Recorded> = entries.iter().collect();
        let trade = trade(at(4, 30, 20), at(5, 0, 40));
        let path = &trade_paths(&refs, std::slice::from_ref(&trade))[0];

        assert_eq!(path.target, Some(dec!(110)));
        assert_eq!(
            path.stops,
            vec![
                (trade.entry_time, dec!(95)),
                (at(4, 40, 0), dec!(97)),
                (at(4, 50, 0), dec!(99)),
            ]
        );
        assert_eq!(path.bars.first().unwrap().minute, at(4, 25, 0));
        assert_eq!(path.bars.last().unwrap().minute, at(5, 5, 0));
        assert_eq!(path.bars.len(), 41);
        assert!(path.bars.iter().all(|b| b.close == dec!(100)));
    }

    #[test]
    fn a_trade_without_a_journaled_signal_has_only_its_stop_moves_and_no_target() {
        let entries = [stop_moved(at(4, 40, 0), "NSE:SBIN", dec!(97))];
        let refs: Vec<&Recorded> = entries.iter().collect();
        let path = &trade_paths(&refs, &[trade(at(4, 30, 0), at(5, 0, 0))])[0];
        assert_eq!(path.target, None);
        assert_eq!(path.stops, vec![(at(4, 40, 0), dec!(97))]);
        assert!(path.bars.is_empty());
    }
}
