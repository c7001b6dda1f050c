//! The calendar's three sources against the simulator's holiday list: a closure only the broker announced, a
//! special session only the broker listed, the trader's entry winning, a year no source lists (trading waits
//! for the market status), and the broker unreachable (the cache and the shipped file serve).

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use dalal::calendar::to_ist;
use dalal::journal::{JournalEntry, Recorded, Store};

use crate::run_command::{start_run_with, wait_with_limit};
use crate::support::{ConfigTree, SimHarness, ist, scenario_with};

fn calendar(tree: &ConfigTree, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dalal"))
        .arg("calendar")
        .args(args)
        .arg("--config")
        .arg(tree.config())
        .current_dir(tree.root())
        .env_remove("DALAL_CONFIG")
        .output()
        .unwrap()
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The embedded day's journal, every entry of 2026 and 2027.
fn journal(tree: &ConfigTree) -> Vec<Recorded> {
    let path = tree.root().join("data/sim-journal.sqlite");
    if !path.exists() {
        return Vec::new();
    }
    Store::open(&path)
        .and_then(|s| s.between(ist(2026, 1, 1, 0, 0, 0), ist(2028, 1, 1, 0, 0, 0)))
        .unwrap_or_default()
}

/// Waits until the journal holds an entry `wanted` accepts; returns its time.
fn wait_for(
    tree: &ConfigTree,
    limit: Duration,
    wanted: impl Fn(&Recorded) -> bool,
) -> DateTime<Utc> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(r) = journal(tree).into_iter().find(|r| wanted(r)) {
            return r.at;
        }
        if Instant::now() > deadline {
            let last: Vec<String> = journal(tree)
                .iter()
                .rev()
                .take(8)
                .map(|r| format!("{} {} {:?}", r.seq, r.at, r.entry))
                .collect();
            panic!("not journaled within {limit:?}; the journal ends {last:#?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn stop(run: std::process::Child) {
    crate::run_command::sigterm(&run);
    let (code, _, stderr) = wait_with_limit(run, Duration::from_secs(60));
    assert_eq!(code, Some(0), "{stderr}");
}

fn scenario_file(tree: &ConfigTree, announce: &str) -> String {
    let built_in = dalal::sim::BUILT_IN_SCENARIO;
    let quiet = &built_in[..built_in.find("[[fault]]").unwrap_or(built_in.len())];
    let path = tree.root().join("scenario.toml");
    std::fs::write(&path, format!("{quiet}\n{announce}\n")).unwrap();
    path.display().to_string()
}

fn calendar_notes(tree: &ConfigTree) -> Vec<String> {
    journal(tree)
        .into_iter()
        .filter_map(|r| match r.entry {
            JournalEntry::Calendar { detail } => Some(detail),
            _ => None,
        })
        .collect()
}

#[test]
fn a_closure_only_the_broker_announced_closes_the_day_and_is_journaled_once() {
    let tree = ConfigTree::shipped();
    let scenario = scenario_file(
        &tree,
        "[[announce]]\ndate = \"2026-11-25\"\nname = \"Municipal elections\"",
    );
    let run = start_run_with(
        &tree,
        &[
            "--start",
            "2026-11-25T08:40:00",
            "--speed",
            "120",
            "--scenario",
            &scenario,
            "--days",
            "1",
        ],
    );
    let checked = wait_for(
        &tree,
        Duration::from_secs(90),
        |r| matches!(&r.entry, JournalEntry::Check { name, .. } if name == "token"),
    );
    stop(run);
    // The shipped file says Wednesday 25 Nov is a trading day; the broker's word closed it.
    assert_eq!(
        to_ist(checked).date_naive(),
        NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
    );
    // Read twice (before choosing the day, and again at its pre-open), journaled once. The embedded
    // simulator's journal starts afresh each run, so "once across restarts" is the cache's unit test.
    let notes = calendar_notes(&tree);
    assert_eq!(notes.len(), 1, "{notes:#?}");
    assert!(
        notes[0].starts_with("2026-11-25: the shipped holiday file says nothing")
            && notes[0]
                .contains("Upstox says closed (Municipal elections); the broker is followed"),
        "{notes:#?}"
    );
}

#[test]
fn a_special_session_only_the_broker_listed_is_traded_with_its_times() {
    let tree = ConfigTree::shipped();
    let scenario = scenario_file(
        &tree,
        "[[announce]]\ndate = \"2026-11-28\"\nname = \"Budget Saturday\"\nopen = \"10:00\"\nclose = \"10:30\"",
    );
    let run = start_run_with(
        &tree,
        &[
            "--start",
            "2026-11-28T09:30:00",
            "--speed",
            "60",
            "--scenario",
            &scenario,
            "--days",
            "1",
        ],
    );
    let (code, stdout, stderr) = wait_with_limit(run, Duration::from_secs(150));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("── Saturday 28 Nov 2026 (paper) ──"),
        "{stdout}"
    );
    let summary = journal(&tree)
        .into_iter()
        .find(|r| matches!(r.entry, JournalEntry::DaySummary { .. }))
        .expect("a close report");
    let JournalEntry::DaySummary {
        date,
        trading_enabled,
        ticks,
        ..
    } = summary.entry
    else {
        unreachable!()
    };
    assert_eq!(date, NaiveDate::from_ymd_opt(2026, 11, 28).unwrap());
    assert!(trading_enabled, "the checks passed at the 09:45 pre-open");
    assert!(ticks > 0, "prices came during 10:00–10:30");
    let closed_at = to_ist(summary.at).time();
    assert!(
        closed_at >= chrono::NaiveTime::from_hms_opt(10, 30, 0).unwrap()
            && closed_at < chrono::NaiveTime::from_hms_opt(10, 40, 0).unwrap(),
        "the day closed at {closed_at}, not at the session's 10:30"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_traders_entry_wins_over_the_broker_and_the_cache_serves_when_the_broker_is_unreachable()
 {
    let sim = SimHarness::start(
        scenario_with("[[announce]]\ndate = \"2026-11-25\"\nname = \"Municipal elections\""),
        ist(2026, 11, 20, 10, 0, 0),
        1.0,
    )
    .await;
    let tree = ConfigTree::shipped();
    let base = sim.server.base_url().to_string();
    // The simulator runs on this runtime: the command's wait must not hold up its thread.
    let synced = tokio::task::block_in_place(|| {
        calendar(
            &tree,
            &["--sync", "--base-url", &base, "--date", "2026-11-25"],
        )
    });
    let (stdout, stderr) = text(&synced);
    assert!(synced.status.success(), "{stderr}");
    assert!(
        stdout.contains("market closed: exchange holiday: Municipal elections"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  source: Upstox's holiday list, read "),
        "{stdout}"
    );
    assert!(stderr.contains("sources disagree: 2026-11-25"), "{stderr}");

    // The broker unreachable: the cached list still closes the day, and the warning says so.
    let out = calendar(
        &tree,
        &[
            "--sync",
            "--base-url",
            "http://127.0.0.1:9",
            "--date",
            "2026-11-25",
        ],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("WARNING Upstox's holiday list could not be read")
            && stderr.contains("; the list read ")
            && stderr.contains(" serves, with the shipped holiday file"),
        "{stderr}"
    );
    assert!(
        stdout.contains("market closed: exchange holiday: Municipal elections"),
        "{stdout}"
    );

    // The trader knows better: their own entry opens the day whatever the broker says.
    tree.append(
        "config/dalal.toml",
        "[[calendar.special_session]]\ndate = \"2026-11-25\"\nname = \"Elections moved\"",
    );
    let out = calendar(&tree, &["--date", "2026-11-25"]);
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains("trading day (special session: Elections moved)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  source: your entry in dalal.toml"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn republic_day_2027_is_unknown_until_the_broker_lists_it() {
    let tree = ConfigTree::shipped();
    let out = calendar(&tree, &["--date", "2027-01-26"]);
    let (stdout, _) = text(&out);
    assert!(
        !stdout.contains("trading day (regular session)"),
        "{stdout}"
    );
    assert!(stdout.contains("presumed trading day"), "{stdout}");
    assert!(
        stdout.contains("WARNING no holiday source lists 2027"),
        "{stdout}"
    );

    let sim = SimHarness::start(
        scenario_with("[[announce]]\ndate = \"2027-01-26\"\nname = \"Republic Day\""),
        ist(2027, 1, 4, 8, 0, 0),
        1.0,
    )
    .await;
    let base = sim.server.base_url().to_string();
    let out = tokio::task::block_in_place(|| {
        calendar(
            &tree,
            &["--sync", "--base-url", &base, "--date", "2027-01-26"],
        )
    });
    let (stdout, stderr) = text(&out);
    assert!(
        stderr.contains("Upstox lists 1 dates (closures and special sessions) for 2027"),
        "{stderr}"
    );
    assert!(
        stdout.contains("market closed: exchange holiday: Republic Day"),
        "{stdout}"
    );
    assert!(
        !stderr.contains("sources disagree"),
        "the shipped file has no 2027 to disagree with: {stderr}"
    );
    // The year is now known: the next weekday is a trading day by the broker's list.
    let out = calendar(&tree, &["--date", "2027-01-27"]);
    let (stdout, _) = text(&out);
    assert!(stdout.contains("trading day (regular session)"), "{stdout}");
    assert!(
        stdout.contains("source: the weekday; Upstox's holiday list, read ")
            && stdout.contains(" covers 2027 and does not list this date"),
        "{stdout}"
    );
}

#[test]
fn in_a_year_no_source_lists_trading_waits_for_the_market_status() {
    let tree = ConfigTree::shipped();
    let run = start_run_with(
        &tree,
        &[
            "--start",
            "2027-01-04T09:05:00",
            "--speed",
            "30",
            "--days",
            "1",
        ],
    );
    let refused = wait_for(&tree, Duration::from_secs(60), |r| {
        matches!(&r.entry, JournalEntry::Check { name, passed: false, detail, .. }
            if name == "calendar" && detail.contains("no holiday source lists 2027"))
    });
    let passed = wait_for(&tree, Duration::from_secs(90), |r| {
        matches!(&r.entry, JournalEntry::Check { name, passed: true, detail, .. }
            if name == "calendar" && detail.contains("market status says NSE is NORMAL_OPEN"))
    });
    let enabled = wait_for(
        &tree,
        Duration::from_secs(60),
        |r| matches!(&r.entry, JournalEntry::Check { name, passed: true, .. } if name == "reconciliation"),
    );
    stop(run);
    let open = ist(2027, 1, 4, 9, 15, 0);
    assert!(refused < open, "refused at {refused}");
    assert!(passed >= open, "passed at {passed}, before the open");
    assert!(
        (passed - open).num_seconds() <= 10,
        "the status was read {} s after the open",
        (passed - open).num_seconds()
    );
    assert!(enabled >= passed);
    let orders_before_open = journal(&tree)
        .into_iter()
        .filter(|r| matches!(r.entry, JournalEntry::Order { .. }) && r.at < passed)
        .count();
    assert_eq!(orders_before_open, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disagreement_is_reported_once_across_reads_and_restarts() {
    let sim = SimHarness::start(
        scenario_with("[[announce]]\ndate = \"2026-11-25\"\nname = \"Municipal elections\""),
        ist(2026, 11, 20, 10, 0, 0),
        1.0,
    )
    .await;
    let tree = ConfigTree::shipped();
    let config = dalal::config::Config::load(&tree.config()).unwrap();
    let cache = dalal::config::broker_calendar_path(&tree.root().join("data/journal.sqlite"));
    let rest = std::sync::Arc::new(sim.rest(crate::support::SIM_TOKEN));
    let account = dalal::broker::upstox::UpstoxAccount::new(
        rest,
        dalal::config::TokenSource::Fixed(dalal::config::Secret::new(crate::support::SIM_TOKEN)),
    );
    let now = sim.clock.now();
    let mut reads = Vec::new();
    for report_once in [false, true, true] {
        // Each read starts from the files, as a restarted bot does.
        let mut calendar = config.bot.calendar.clone();
        let synced =
            dalal::runner::sync_calendar(&account, &mut calendar, &cache, now, report_once).await;
        assert!(synced.read, "{}", synced.summary);
        reads.push(synced.new_disagreements.len());
    }
    // A command that only prints sees it without using it up; the runner journals it once.
    assert_eq!(reads, [1, 1, 0]);
}
