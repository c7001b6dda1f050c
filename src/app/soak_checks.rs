//! The invariants a soak day must keep, judged from the outside: from the journal dalal wrote and the ledger the
//! simulator kept as the broker. Each returns how many times it was broken, with the first example.

use std::collections::BTreeMap;

use crate::journal::{JournalEntry, Recorded};

/// How long a position may stand with no running stop monitor (a kill and its restart), in seconds.
pub const UNGUARDED_BOUND_S: f64 = 60.0;

/// One invariant's count over the soak, and an example of a violation.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub violations: u64,
    pub example: Option<String>,
}

impl Tally {
    fn add(&mut self, day: u32, found: Vec<String>) {
        self.violations += found.len() as u64;
        if self.example.is_none() {
            self.example = found.into_iter().next().map(|f| format!("day {day}: {f}"));
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct Invariants {
    pub flat_at_close: Tally,
    pub fills_agree: Tally,
    pub no_intent_twice: Tally,
    pub guarded: Tally,
    pub fresh_entries: Tally,
    pub no_panic: Tally,
}

impl Invariants {
    pub fn rows(&self) -> [(&'static str, &Tally); 6] {
        [
            (
                "flat at the close (the broker's positions)",
                &self.flat_at_close,
            ),
            (
                "journal and broker agree on every order's fills",
                &self.fills_agree,
            ),
            (
                "no intent sent twice (one broker order per tag)",
                &self.no_intent_twice,
            ),
            ("no position unwatched for longer than 60 s", &self.guarded),
            (
                "no entry on a price older than max_price_age_ms",
                &self.fresh_entries,
            ),
            ("no panic", &self.no_panic),
        ]
    }

    pub fn broken(&self) -> bool {
        self.rows().iter().any(|(_, t)| t.violations > 0)
    }

    /// Judges one day from its journal and the simulator's ledger; `max_price_age_ms` is the day's limit.
    pub fn check(
        &mut self,
        day: u32,
        journal: &[Recorded],
        ledger: &serde_json::Value,
        (unguarded_s, max_price_age_ms): (f64, u64),
        panicked: bool,
    ) {
        let rows = |key: &str| ledger[key].as_array().cloned().unwrap_or_default();
        let open: Vec<String> = rows("positions")
            .iter()
            .filter(|p| p["quantity"].as_i64().unwrap_or(0) != 0)
            .map(|p| {
                format!(
                    "{} still {} at the close",
                    p["trading_symbol"], p["quantity"]
                )
            })
            .collect();
        self.flat_at_close.add(day, open);

        let mut orders_per_tag: BTreeMap<String, u32> = BTreeMap::new();
        let mut broker_filled: BTreeMap<String, u64> = BTreeMap::new();
        for order in rows("orders") {
            let tag = order["tag"].as_str().unwrap_or_default().to_string();
            *orders_per_tag.entry(tag.clone()).or_default() += 1;
            *broker_filled.entry(tag).or_default() +=
                order["filled_quantity"].as_u64().unwrap_or(0);
        }
        let twice = orders_per_tag
            .iter()
            .filter(|(_, n)| **n > 1)
            .map(|(tag, n)| format!("{tag} is {n} orders at the broker"))
            .collect();
        self.no_intent_twice.add(day, twice);

        let mut journal_filled: BTreeMap<String, u64> = BTreeMap::new();
        for recorded in journal {
            if let JournalEntry::Fill { tag, quantity, .. } = &recorded.entry {
                *journal_filled.entry(tag.clone()).or_default() += u64::from(*quantity);
            }
        }
        broker_filled.retain(|_, q| *q > 0);
        let tags: std::collections::BTreeSet<&String> =
            broker_filled.keys().chain(journal_filled.keys()).collect();
        let differ = tags
            .into_iter()
            .filter_map(|tag| {
                let (at_broker, journaled) = (
                    broker_filled.get(tag).copied().unwrap_or(0),
                    journal_filled.get(tag).copied().unwrap_or(0),
                );
                (at_broker != journaled).then(|| {
                    format!("{tag}: {at_broker} filled at the broker, {journaled} in the journal")
                })
            })
            .collect();
        self.fills_agree.add(day, differ);

        let unwatched = (unguarded_s > UNGUARDED_BOUND_S)
            .then(|| format!("a position stood {unguarded_s:.1} s with no runner"))
            .into_iter()
            .collect();
        self.guarded.add(day, unwatched);
        let stale = journal
            .iter()
            .filter_map(|r| match &r.entry {
                JournalEntry::Order {
                    tag,
                    price_age_ms: Some(age),
                    ..
                } if *age > max_price_age_ms as i64 => {
                    Some(format!("{tag} entered on a price {age} ms old"))
                }
                _ => None,
            })
            .collect();
        self.fresh_entries.add(day, stale);
        let panics = panicked
            .then(|| "the runner panicked".to_string())
            .into_iter()
            .collect();
        self.no_panic.add(day, panics);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn entry(tag: &str, age_ms: i64) -> Recorded {
        Recorded {
            seq: 1,
            at: chrono::Utc::now(),
            paper: false,
            entry: JournalEntry::Order {
                tag: tag.into(),
                broker_ids: vec!["1".into()],
                instrument: "NSE:RELIANCE".into(),
                side: "BUY".into(),
                quantity: 1,
                order_type: "LIMIT".into(),
                limit_price: Some(dec!(100)),
                signal_price: dec!(100),
                state: "accepted".into(),
                price_age_ms: Some(age_ms),
            },
        }
    }

    #[test]
    fn an_entry_on_a_price_older_than_the_limit_is_a_violation() {
        let mut invariants = Invariants::default();
        let journal = [entry("E1", 400), entry("E2", 20_001)];
        invariants.check(1, &journal, &serde_json::json!({}), (0.0, 20_000), false);
        assert_eq!(invariants.fresh_entries.violations, 1);
        let example = invariants.fresh_entries.example.clone().unwrap();
        assert!(
            example.contains("E2 entered on a price 20001 ms old"),
            "{example}"
        );
        assert!(invariants.broken());
    }
}
