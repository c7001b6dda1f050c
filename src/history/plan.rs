//! Which requests a fetch makes: the trading days the market calendar lists in the range, less the days the
//! store already holds, cut into pieces a broker accepts in one request. A piece is a run of missing trading
//! days with no stored day inside it, as wide as the broker allows: a closed day inside a run costs nothing
//! (the broker has no candles for it), a run of closed days alone is never asked for, and a stored day is never
//! asked for again.

use chrono::{Datelike, NaiveDate};

use super::Interval;
use crate::calendar::{DayPlan, MarketCalendar};
use crate::domain::InstrumentId;

/// How wide one request may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PieceCap {
    /// Within one calendar month: Upstox's "one month" of minutes, read the strictest way.
    CalendarMonth,
    /// At most this many calendar days, first and last included.
    Days(u32),
}

impl PieceCap {
    /// Whether a request from `from` may reach `to`.
    pub fn allows(self, from: NaiveDate, to: NaiveDate) -> bool {
        match self {
            PieceCap::CalendarMonth => (from.year(), from.month()) == (to.year(), to.month()),
            PieceCap::Days(days) => (to - from).num_days() < i64::from(days),
        }
    }
}

/// One request's worth of history: an instrument's candles from `from` to `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub instrument: InstrumentId,
    pub interval: Interval,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The missing trading days it covers, in order; `from` is the first and `to` the last.
    pub days: Vec<NaiveDate>,
}

impl std::fmt::Display for Piece {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.instrument, self.interval, self.from)?;
        if self.to != self.from {
            write!(f, "..{}", self.to)?;
        }
        Ok(())
    }
}

/// The days from `from` to `to` on which the calendar says the cash market trades (special sessions included).
pub fn trading_days(calendar: &MarketCalendar, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    from.iter_days()
        .take_while(|d| *d <= to)
        .filter(|d| matches!(calendar.day_plan(*d), DayPlan::Open(_)))
        .collect()
}

/// The pieces that fetch `missing` (a subset of `trading`, both in order) for `instrument`, each within `cap`.
pub fn plan_pieces(
    instrument: &InstrumentId,
    interval: Interval,
    trading: &[NaiveDate],
    missing: &[NaiveDate],
    cap: PieceCap,
) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut current: Option<Piece> = None;
    let mut wanted = missing.iter().peekable();
    for &day in trading {
        let is_missing = wanted.peek().is_some_and(|d| **d == day);
        if !is_missing {
            // A stored day ends the run: a request across it would fetch it again.
            pieces.extend(current.take());
            continue;
        }
        wanted.next();
        match &mut current {
            Some(piece) if cap.allows(piece.from, day) => {
                piece.to = day;
                piece.days.push(day);
            }
            _ => {
                pieces.extend(current.take());
                current = Some(Piece {
                    instrument: instrument.clone(),
                    interval,
                    from: day,
                    to: day,
                    days: vec![day],
                });
            }
        }
    }
    pieces.extend(current);
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{BrokerDay, CalendarData};
    use crate::domain::Exchange;

    fn date(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    fn calendar() -> MarketCalendar {
        MarketCalendar::new(CalendarData::default()).with_announced(&[BrokerDay {
            date: date(1, 26),
            name: "Republic Day".into(),
            session: None,
        }])
    }

    fn spans(pieces: &[Piece]) -> Vec<(NaiveDate, NaiveDate, usize)> {
        pieces
            .iter()
            .map(|p| (p.from, p.to, p.days.len()))
            .collect()
    }

    #[test]
    fn closed_days_are_left_out_and_months_are_not_crossed() {
        let trading = trading_days(&calendar(), date(1, 24), date(2, 3));
        assert_eq!(
            trading.first(),
            Some(&date(1, 27)),
            "Sat, Sun and a holiday"
        );
        let id = InstrumentId::new(Exchange::Nse, "SBIN").unwrap();
        let pieces = plan_pieces(
            &id,
            Interval::Minute,
            &trading,
            &trading,
            PieceCap::CalendarMonth,
        );
        assert_eq!(
            spans(&pieces),
            [(date(1, 27), date(1, 30), 4), (date(2, 2), date(2, 3), 2)]
        );
        let one = plan_pieces(
            &id,
            Interval::Minute,
            &trading,
            &trading,
            PieceCap::Days(31),
        );
        assert_eq!(spans(&one), [(date(1, 27), date(2, 3), 6)]);
    }

    #[test]
    fn a_stored_day_splits_a_run_and_a_cap_of_days_counts_both_ends() {
        let trading = trading_days(&calendar(), date(1, 1), date(3, 31));
        let missing: Vec<NaiveDate> = trading
            .iter()
            .copied()
            .filter(|d| *d != date(1, 14))
            .collect();
        let id = InstrumentId::new(Exchange::Nse, "SBIN").unwrap();
        let pieces = plan_pieces(
            &id,
            Interval::Minute,
            &trading,
            &missing,
            PieceCap::Days(31),
        );
        assert_eq!(pieces[0].to, date(1, 13));
        assert_eq!(pieces[1].from, date(1, 15));
        for piece in &pieces {
            assert!((piece.to - piece.from).num_days() <= 30, "{piece}");
        }
        let covered: Vec<NaiveDate> = pieces.iter().flat_map(|p| p.days.clone()).collect();
        assert_eq!(covered, missing, "every missing day once, in order");
        assert!(plan_pieces(&id, Interval::Day, &trading, &[], PieceCap::Days(2000)).is_empty());
    }
}
