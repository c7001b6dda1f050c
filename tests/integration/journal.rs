//! The trade journal: entries round-trip exactly, recording never loses what was flushed, a writer that dies
//! mid-transaction leaves only whole batches, and a journal from a newer dalal is refused with the fix.

use std::process::Command;

use chrono::{DateTime, TimeDelta, Utc};
use dalal::journal::{JournalEntry, JournalError, JournalWriter, Store};
use rust_decimal::dec;

use crate::support::ist;

fn sample_entries() -> Vec<(DateTime<Utc>, JournalEntry)> {
    let t = ist(2026, 11, 23, 9, 30, 1);
    vec![
        (
            t,
            JournalEntry::FeedState {
                state: "polling".into(),
                reason: Some("WebSocket handshake refused with 403".into()),
            },
        ),
        (
            t,
            JournalEntry::Signal {
                instrument: "NSE:RELIANCE".into(),
                side: "BUY".into(),
                price: dec!(1016),
                stop: dec!(1008),
                target: dec!(1028),
                reason: "broke the opening-range high".into(),
            },
        ),
        (
            t + TimeDelta::seconds(1),
            JournalEntry::Order {
                tag: "D261123-RELI-E1".into(),
                broker_ids: vec!["261100000000001".into()],
                instrument: "NSE:RELIANCE".into(),
                side: "BUY".into(),
                quantity: 62,
                order_type: "LIMIT".into(),
                limit_price: Some(dec!(1021.1)),
                signal_price: dec!(1016),
                state: "open".into(),
                price_age_ms: Some(40),
            },
        ),
        (
            t + TimeDelta::seconds(2),
            JournalEntry::Fill {
                tag: "D261123-RELI-E1".into(),
                instrument: "NSE:RELIANCE".into(),
                side: "BUY".into(),
                quantity: 62,
                price: dec!(1016.2),
            },
        ),
        (
            t + TimeDelta::minutes(11),
            JournalEntry::Trade {
                instrument: "NSE:RELIANCE".into(),
                side: "BUY".into(),
                quantity: 62,
                entry_time: t,
                entry_price: dec!(1016.2),
                exit_time: t + TimeDelta::minutes(11),
                exit_price: dec!(1007.8),
                pnl: dec!(-520.8),
                charges: dec!(31.47),
                slippage: dec!(18.6),
                exit_reason: "stop".into(),
            },
        ),
    ]
}

#[test]
fn entries_round_trip_exactly_with_their_paper_mark() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/journal.sqlite");
    let writer = JournalWriter::open(&path, true).unwrap();
    let journal = writer.journal();
    for (at, entry) in sample_entries() {
        journal.record(at, entry);
    }
    writer.close().unwrap();

    let store = Store::open(&path).unwrap();
    let read = store
        .between(ist(2026, 11, 23, 0, 0, 0), ist(2026, 11, 24, 0, 0, 0))
        .unwrap();
    let got: Vec<(DateTime<Utc>, JournalEntry)> =
        read.iter().map(|r| (r.at, r.entry.clone())).collect();
    assert_eq!(got, sample_entries());
    assert!(read.iter().all(|r| r.paper));
    assert!(
        read.windows(2).all(|w| w[0].seq < w[1].seq),
        "an append-only log in order"
    );
}

#[tokio::test]
async fn everything_recorded_before_a_flush_is_on_disk_for_another_reader() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let writer = JournalWriter::open(&path, false).unwrap();
    let journal = writer.journal();
    let t = ist(2026, 11, 23, 10, 0, 0);
    for i in 0..5_000 {
        journal.record(
            t + TimeDelta::milliseconds(i),
            JournalEntry::Error {
                class: "transient".into(),
                message: format!("#{i}"),
            },
        );
    }
    journal.flush().await.unwrap();
    // Read while the writer is still running, through another connection.
    let count = Store::open(&path)
        .unwrap()
        .between(t, t + TimeDelta::hours(1))
        .unwrap()
        .len();
    assert_eq!(count, 5_000);
    writer.close().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_that_cannot_write_says_why_keeps_what_was_done_and_sheds_only_observations() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let writer = JournalWriter::open(&path, false).unwrap();
    let journal = writer.journal();
    // Another connection holds the write lock: every commit of the writer fails with "database is locked".
    let blocker = rusqlite::Connection::open(&path).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE;").unwrap();
    let t = ist(2026, 11, 23, 10, 0, 0);
    let check = JournalEntry::Check {
        name: "reconciliation".into(),
        passed: true,
        detail: "flat".into(),
        remedy: None,
    };
    journal.record(t, check.clone());
    let failed = journal.flush().await;
    assert!(
        matches!(failed, Err(JournalError::WriteFailed(_))),
        "{failed:?}"
    );
    assert!(
        journal.trouble().is_some_and(|why| why.contains("locked")),
        "{:?}",
        journal.trouble()
    );
    let observations = dalal::journal::QUEUE_LIMIT + 500;
    for i in 0..observations {
        journal.record(
            t + TimeDelta::milliseconds(i as i64),
            JournalEntry::Error {
                class: "transient".into(),
                message: format!("#{i}"),
            },
        );
    }
    journal.record(t + TimeDelta::hours(1), check);
    assert!(journal.dropped() >= 500, "dropped {}", journal.dropped());

    blocker.execute_batch("COMMIT;").unwrap();
    journal.flush().await.unwrap();
    assert_eq!(journal.trouble(), None, "the journal writes again");
    let kept = Store::open(&path)
        .unwrap()
        .between(t, t + TimeDelta::hours(2))
        .unwrap();
    let checks = kept.iter().filter(|r| r.entry.kind() == "check").count();
    assert_eq!(checks, 2, "what was done is never dropped");
    let errors = kept.len() - checks;
    assert_eq!(
        errors as u64 + journal.dropped(),
        observations as u64,
        "every observation is written or counted as dropped"
    );
    writer.close().unwrap();
}

#[test]
fn a_writer_killed_mid_transaction_leaves_only_whole_batches() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let writer = JournalWriter::open(&path, false).unwrap();
    let journal = writer.journal();
    for (at, entry) in sample_entries() {
        journal.record(at, entry);
    }
    writer.close().unwrap();

    // Another process opens a transaction, writes half a batch, and dies without committing.
    let script = r#"
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN")
for i in range(100):
    db.execute("INSERT INTO events (at, kind, instrument, paper, body) VALUES ('2026-11-23T05:00:00+00:00', 'error', NULL, 0, '{\"kind\":\"error\",\"class\":\"x\",\"message\":\"torn\"}')")
os._exit(9)
"#;
    let status = Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .status()
        .expect("python3 runs");
    assert_eq!(status.code(), Some(9), "the writer died mid-transaction");

    let store = Store::open(&path).unwrap();
    let read = store
        .between(ist(2026, 11, 23, 0, 0, 0), ist(2026, 11, 24, 0, 0, 0))
        .unwrap();
    assert_eq!(
        read.len(),
        sample_entries().len(),
        "the torn batch left nothing behind"
    );
    let ok: String = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
}

#[test]
fn a_journal_from_a_newer_dalal_is_refused_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    drop(Store::open(&path).unwrap());
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = Store::open(&path).err().expect("refused");
    assert!(matches!(err, JournalError::NewerSchema { found: 99, .. }));
    assert!(err.to_string().contains("upgrade dalal"));
}
