//! `dalal backtest` on candles `dalal history fetch` stored from the simulator: the report's figures against
//! the journal it wrote, fills only at a price after their decision, the same run giving the same answer, a
//! sweep whose every point is the backtest of its own strategy, and a split whose halves make the whole.

use std::path::Path;

use chrono::{DateTime, Utc};
use dalal::journal::{JournalEntry, Recorded, Store};
use rust_decimal::Decimal;

use crate::support::{ConfigTree, ist};

const FROM: &str = "2026-09-01";
const TO: &str = "2026-11-27";

/// A tree whose simulator history holds the test's period.
fn fetched() -> ConfigTree {
    let tree = ConfigTree::shipped();
    let (code, text) = tree.dalal(&["history", "fetch", "--from", FROM, "--to", TO]);
    assert_eq!(code, Some(0), "{text}");
    tree
}

fn backtest(tree: &ConfigTree, out: &str, extra: &[&str]) -> String {
    let mut args = vec!["backtest", "--from", FROM, "--to", TO, "--out", out];
    args.extend_from_slice(extra);
    let (code, text) = tree.dalal(&args);
    assert_eq!(code, Some(0), "{text}");
    text
}

/// The value on the report's line starting with `name`, in its `column` (0 the first).
fn figure(report: &str, name: &str, column: usize) -> String {
    let line = report
        .lines()
        .find(|l| l.starts_with(name))
        .unwrap_or_else(|| panic!("no `{name}` in\n{report}"));
    let values: Vec<&str> = line[name.len()..]
        .split("  ")
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    values[column].to_string()
}

fn rupees(text: &str) -> Decimal {
    text.trim_start_matches('₹').parse().unwrap()
}

fn entries(journal: &Path) -> Vec<Recorded> {
    Store::open(journal)
        .unwrap()
        .between(ist(2026, 8, 1, 0, 0, 0), ist(2026, 12, 1, 0, 0, 0))
        .unwrap()
}

/// Each round trip: instrument, entry time, net.
fn trades(entries: &[Recorded]) -> Vec<(String, DateTime<Utc>, Decimal)> {
    entries
        .iter()
        .filter_map(|r| match &r.entry {
            JournalEntry::Trade {
                instrument,
                entry_time,
                pnl,
                charges,
                ..
            } => Some((instrument.clone(), *entry_time, *pnl - *charges)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_backtest_journals_what_it_reports_and_fills_only_after_each_decision() {
    let tree = fetched();
    let report = backtest(&tree, "bt.sqlite", &[]);
    // The assumptions come first, before any figure.
    let assumptions = report
        .find("fills         paper, at the next price")
        .unwrap();
    assert!(assumptions < report.find("net P&L").unwrap(), "{report}");
    assert!(report.contains("nearer-first"), "{report}");
    assert!(!report.contains("not in the store"), "{report}");

    let journal = tree.root().join("bt.sqlite");
    let recorded = entries(&journal);
    let trades = trades(&recorded);
    let count: usize = figure(&report, "round trips", 0).parse().unwrap();
    assert!(
        count >= 5,
        "a quarter of the simulator's market trades: {report}"
    );
    assert_eq!(trades.len(), count);
    let net: Decimal = trades.iter().map(|t| t.2).sum();
    assert_eq!(
        rupees(&figure(&report, "net P&L (after charges)", 0)),
        net.round_dp(2)
    );
    let wins = trades.iter().filter(|t| t.2 > Decimal::ZERO).count();
    let win_rate = Decimal::from(wins as u64 * 100) / Decimal::from(count as u64);
    assert_eq!(
        figure(&report, "win rate", 0),
        format!("{} %", win_rate.round_dp(1))
    );

    // Every entry filled at a price after the one its signal was decided on.
    for (instrument, entry_time, _) in &trades {
        let signal = recorded
            .iter()
            .filter(|r| r.at <= *entry_time)
            .filter(|r| matches!(&r.entry, JournalEntry::Signal { instrument: i, .. } if i == instrument))
            .map(|r| r.at)
            .max()
            .unwrap_or_else(|| panic!("{instrument} entered at {entry_time} without a signal"));
        assert!(
            signal < *entry_time,
            "{instrument}: signal {signal}, fill {entry_time}"
        );
    }

    // The journal reviews as any day's.
    let (code, summary) = tree.dalal(&[
        "journal",
        "summary",
        "--journal",
        "bt.sqlite",
        "--from",
        FROM,
        "--to",
        TO,
    ]);
    assert_eq!(code, Some(0), "{summary}");
    assert!(
        summary.contains(&format!("trades         {count} (")),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("net ₹{}", net.round_dp(2))),
        "{summary}"
    );

    // The same backtest again: the same figures.
    let again = backtest(&tree, "bt.sqlite", &[]);
    let figures = |r: &str| {
        r.split("\n\n")
            .skip(1)
            .take(3)
            .collect::<Vec<_>>()
            .join("\n\n")
    };
    assert_eq!(figures(&again), figures(&report));

    // Another path through the candles is said, and changes what happened.
    let low_first = backtest(&tree, "low.sqlite", &["--path", "low-first"]);
    assert!(
        low_first.contains("low-first (open at :00, low at :15"),
        "{low_first}"
    );
}

#[test]
fn every_sweep_point_is_its_own_backtest_and_a_split_adds_up_to_the_whole() {
    let tree = fetched();
    let sweep = backtest(
        &tree,
        "sweep.sqlite",
        &[
            "--sweep",
            "exit.target_r=1,2",
            "--sweep",
            "qualify.gap_min_pct=0.3,0.8",
        ],
    );
    let rows: Vec<&str> = sweep
        .lines()
        .filter(|l| l.starts_with("exit.target_r="))
        .collect();
    assert_eq!(rows.len(), 4, "{sweep}");
    let net_of = |row: &str| rupees(row.split_whitespace().nth(2).unwrap());
    let nets: Vec<Decimal> = rows.iter().map(|r| net_of(r)).collect();
    assert!(
        nets.windows(2).all(|w| w[0] >= w[1]),
        "sorted by net: {sweep}"
    );

    // One point, backtested alone with its strategy file edited to the same values.
    tree.edit(
        "strategies/continuation.toml",
        "target_r = 1.5",
        "target_r = 2",
    )
    .edit(
        "strategies/continuation.toml",
        "gap_min_pct = 0.5",
        "gap_min_pct = 0.8",
    );
    let alone = backtest(&tree, "alone.sqlite", &[]);
    let row = rows
        .iter()
        .find(|r| r.starts_with("exit.target_r=2 qualify.gap_min_pct=0.8"))
        .unwrap();
    assert_eq!(
        net_of(row),
        rupees(&figure(&alone, "net P&L (after charges)", 0)),
        "{sweep}\n{alone}"
    );

    // A split: the in-sample and out-of-sample columns add up to the whole period's.
    let split = backtest(&tree, "split.sqlite", &["--split", "70"]);
    assert!(
        split.contains("in sample") && split.contains("out of sample"),
        "{split}"
    );
    let days: Vec<u32> = (0..3)
        .map(|c| figure(&split, "trading days", c).parse().unwrap())
        .collect();
    assert_eq!(days[1] + days[2], days[0], "{split}");
    assert_eq!(days[1], (days[0] * 70).div_ceil(100), "{split}");
    let trips: Vec<u32> = (0..3)
        .map(|c| figure(&split, "round trips", c).parse().unwrap())
        .collect();
    assert_eq!(trips[1] + trips[2], trips[0], "{split}");
    let nets: Vec<Decimal> = (0..3)
        .map(|c| rupees(&figure(&split, "net P&L (after charges)", c)))
        .collect();
    assert_eq!(nets[1] + nets[2], nets[0], "{split}");

    // A key the strategy does not have is refused, named.
    let (code, text) = tree.dalal(&[
        "backtest",
        "--from",
        FROM,
        "--to",
        TO,
        "--sweep",
        "exit.target=1,2",
    ]);
    assert_ne!(code, Some(0), "{text}");
    assert!(text.contains("`exit.target` is not a key"), "{text}");
}
