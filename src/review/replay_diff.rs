//! What a replay changed: the decisions of one day (signals, orders sent, round trips with their P&L) read from
//! the journal the day wrote and from the journal its replay wrote, matched one for one. Times are shown but not
//! matched: live, an entry is journaled a few milliseconds after the price that caused it; a replay journals it
//! at that price's time.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::calendar::to_ist;
use crate::journal::{JournalEntry, Recorded};

/// Differences of each kind shown before the rest are counted: a strategy edit can change every signal.
const SHOWN_PER_KIND: usize = 12;

/// One decision, as text that two runs agree on exactly when they made the same decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub at: DateTime<Utc>,
    /// `round trip`, `order` or `signal`.
    pub kind: &'static str,
    pub what: String,
}

/// The day's decisions in both runs: those they share, and those only one of them made.
#[derive(Debug, Default)]
pub struct ReplayDiff {
    pub shared: usize,
    pub only_recorded: Vec<Decision>,
    pub only_replayed: Vec<Decision>,
    pub pnl_recorded: Decimal,
    pub pnl_replayed: Decimal,
}

impl ReplayDiff {
    pub fn identical(&self) -> bool {
        self.only_recorded.is_empty() && self.only_replayed.is_empty()
    }
}

fn decision(recorded: &Recorded) -> Option<Decision> {
    let kind = match &recorded.entry {
        JournalEntry::Signal { .. } => "signal",
        JournalEntry::Order { .. } => "order",
        JournalEntry::Trade { .. } => "round trip",
        _ => return None,
    };
    let what = match &recorded.entry {
        JournalEntry::Signal {
            instrument,
            side,
            price,
            stop,
            target,
            ..
        } => format!(
            "signal {instrument} {side} at {} (stop {}, target {})",
            price.normalize(),
            stop.normalize(),
            target.normalize()
        ),
        JournalEntry::Order {
            instrument,
            side,
            quantity,
            order_type,
            limit_price,
            ..
        } => format!(
            "order {instrument} {side} {quantity} {order_type}{}",
            limit_price.map_or(String::new(), |p| format!(" {}", p.normalize()))
        ),
        JournalEntry::Trade {
            instrument,
            side,
            quantity,
            entry_price,
            exit_price,
            pnl,
            exit_reason,
            ..
        } => format!(
            "round trip {instrument} {side} {quantity}: {} to {} ({exit_reason}), ₹{} gross",
            entry_price.normalize(),
            exit_price.normalize(),
            pnl.normalize()
        ),
        _ => return None,
    };
    Some(Decision {
        at: recorded.at,
        kind,
        what,
    })
}

fn pnl(entries: &[Recorded]) -> Decimal {
    entries
        .iter()
        .filter_map(|r| match &r.entry {
            JournalEntry::Trade { pnl, .. } => Some(*pnl),
            _ => None,
        })
        .sum()
}

/// Matches the decisions of `recorded` (the day's journal) and `replayed` one for one.
pub fn compare(recorded: &[Recorded], replayed: &[Recorded]) -> ReplayDiff {
    let mut unmatched: HashMap<String, Vec<Decision>> = HashMap::new();
    for decision in recorded.iter().filter_map(decision) {
        unmatched
            .entry(decision.what.clone())
            .or_default()
            .push(decision);
    }
    let mut diff = ReplayDiff {
        pnl_recorded: pnl(recorded),
        pnl_replayed: pnl(replayed),
        ..ReplayDiff::default()
    };
    for decision in replayed.iter().filter_map(decision) {
        match unmatched.get_mut(&decision.what).filter(|d| !d.is_empty()) {
            Some(same) => {
                same.remove(0);
                diff.shared += 1;
            }
            None => diff.only_replayed.push(decision),
        }
    }
    diff.only_recorded = unmatched.into_values().flatten().collect();
    diff.only_recorded.sort_by_key(|d| d.at);
    diff
}

impl fmt::Display for ReplayDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.identical() {
            writeln!(
                f,
                "identical: all {} decisions (signals, orders, round trips) as journaled",
                self.shared
            )?;
        } else {
            writeln!(f, "{} decisions as journaled; what differs:", self.shared)?;
        }
        for kind in ["round trip", "order", "signal"] {
            let mut lines: Vec<(DateTime<Utc>, &str, &str)> = self
                .only_recorded
                .iter()
                .filter(|d| d.kind == kind)
                .map(|d| (d.at, "- journaled only", d.what.as_str()))
                .chain(
                    self.only_replayed
                        .iter()
                        .filter(|d| d.kind == kind)
                        .map(|d| (d.at, "+ replay only   ", d.what.as_str())),
                )
                .collect();
            if lines.is_empty() {
                continue;
            }
            lines.sort();
            writeln!(f, "{kind}s ({} differ):", lines.len())?;
            for (at, side, what) in lines.iter().take(SHOWN_PER_KIND) {
                writeln!(
                    f,
                    "  {} IST  {side}  {what}",
                    to_ist(*at).format("%H:%M:%S")
                )?;
            }
            if lines.len() > SHOWN_PER_KIND {
                writeln!(f, "  … and {} more", lines.len() - SHOWN_PER_KIND)?;
            }
        }
        writeln!(
            f,
            "P&L gross: journaled ₹{}, replayed ₹{} ({:+})",
            self.pnl_recorded.normalize(),
            self.pnl_replayed.normalize(),
            (self.pnl_replayed - self.pnl_recorded).normalize()
        )
    }
}
