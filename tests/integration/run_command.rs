//! `dalal run` as a process: the embedded simulator day from the shipped config (started late, so it ends in
//! seconds), and SIGTERM in the middle of a session.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dalal::journal::{JournalEntry, Recorded, Store};

use crate::support::{ConfigTree, ist};

fn start_run(tree: &ConfigTree, start: &str, speed: &str) -> Child {
    start_run_with(tree, &["--start", start, "--speed", speed])
}

/// `dalal run` with `args` on the config tree, its status endpoint on a free port.
pub(crate) fn start_run_with(tree: &ConfigTree, args: &[&str]) -> Child {
    start_run_with_env(tree, args, &[])
}

/// As `start_run_with`, with `env` set for the process.
pub(crate) fn start_run_with_env(tree: &ConfigTree, args: &[&str], env: &[(&str, &str)]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_dalal"))
        .arg("run")
        .args(args)
        .arg("--config")
        .arg(tree.config())
        .args(["--status-listen", "127.0.0.1:0"])
        .current_dir(tree.root())
        .env_remove("DALAL_CONFIG")
        .env_remove("DALAL_STATUS_LISTEN")
        // No alert reaches a phone from a test: only those who ask for alerts get them, on loopback.
        .env_remove(dalal::config::TELEGRAM_BOT_TOKEN)
        .env_remove(dalal::config::TELEGRAM_CHAT_ID)
        .env_remove(dalal::config::ALERT_WEBHOOK_URL)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the dalal binary runs")
}

/// Asks a running `dalal run` to stop as `docker stop` does (SIGTERM), for `wait_with_limit` to collect.
pub(crate) fn sigterm(run: &Child) {
    let sent = Command::new("kill")
        .args(["-TERM", &run.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

pub(crate) fn wait_with_limit(mut child: Child, limit: Duration) -> (Option<i32>, String, String) {
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("dalal run did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub(crate) fn sim_journal(tree: &ConfigTree) -> Vec<Recorded> {
    let path = tree.root().join("data/sim-journal.sqlite");
    if !Path::new(&path).exists() {
        return Vec::new();
    }
    Store::open(&path)
        .and_then(|s| s.between(ist(2026, 11, 23, 0, 0, 0), ist(2026, 11, 24, 0, 0, 0)))
        .unwrap_or_default()
}

#[test]
fn the_embedded_day_ends_with_its_close_report() {
    let tree = ConfigTree::shipped();
    let child = start_run(&tree, "2026-11-23T15:22", "60");
    let (code, stdout, stderr) = wait_with_limit(child, Duration::from_secs(90));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("paper-trading the built-in simulator"),
        "{stdout}"
    );
    assert!(
        stdout.contains("── Monday 23 Nov 2026 (paper) ──"),
        "{stdout}"
    );
    assert!(stdout.contains("pre-open checks: 5 passed"), "{stdout}");
    assert!(stdout.contains("feed: "), "{stdout}");
    let summary = sim_journal(&tree)
        .into_iter()
        .find(|r| r.entry.kind() == "day_summary")
        .expect("the close report is journaled");
    assert!(summary.paper);
}

#[cfg(unix)]
#[test]
fn sigterm_mid_session_cancels_entries_flushes_the_journal_and_exits_0() {
    let tree = ConfigTree::shipped();
    let child = start_run(&tree, "2026-11-23T09:14:30", "60");
    let deadline = Instant::now() + Duration::from_secs(90);
    while !sim_journal(&tree).iter().any(|r| r.entry.kind() == "fill") {
        assert!(Instant::now() < deadline, "no fill within 90 s");
        std::thread::sleep(Duration::from_millis(200));
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let (code, stdout, stderr) = wait_with_limit(child, Duration::from_secs(30));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("stopped before the close (a signal"),
        "{stdout}"
    );
    assert!(
        stderr.contains("stopping: cancelling pending entries"),
        "{stderr}"
    );

    let entries = sim_journal(&tree);
    let mut ordered: HashMap<&str, u32> = HashMap::new();
    let mut filled: HashMap<&str, u32> = HashMap::new();
    for recorded in &entries {
        match &recorded.entry {
            JournalEntry::Order { tag, quantity, .. } => {
                ordered.insert(tag, *quantity);
            }
            JournalEntry::Fill { tag, quantity, .. } => *filled.entry(tag).or_default() += quantity,
            _ => {}
        }
    }
    for (tag, quantity) in &filled {
        let sent = ordered
            .get(tag)
            .unwrap_or_else(|| panic!("fill of {tag} without its order"));
        assert!(quantity <= sent, "{tag}: filled {quantity} of {sent}");
    }
    assert!(
        entries.windows(2).all(|w| w[0].seq < w[1].seq),
        "the journal's sequence only grows"
    );
    assert_eq!(
        entries
            .iter()
            .filter(|r| r.entry.kind() == "day_summary")
            .count(),
        1,
        "the close report is written once, after the stop"
    );
}

#[test]
fn live_mode_against_the_simulator_sends_real_orders_and_the_ledger_agrees_with_the_journal() {
    let tree = ConfigTree::shipped();
    tree.edit("config/dalal.toml", "mode = \"paper\"", "mode = \"live\"")
        .edit(
            "config/dalal.toml",
            "last_entry_time = \"14:45\"",
            "last_entry_time = \"09:19\"",
        )
        .edit(
            "config/dalal.toml",
            "square_off_time = \"15:05\"",
            "square_off_time = \"09:21\"",
        )
        .edit(
            "strategies/continuation.toml",
            "or_minutes = 15",
            "or_minutes = 1",
        )
        .edit(
            "strategies/continuation.toml",
            "last_entry_time = \"14:30\"",
            "last_entry_time = \"09:19\"",
        )
        .edit(
            "strategies/continuation.toml",
            "flat_time = \"15:05\"",
            "flat_time = \"09:21\"",
        )
        .append(
            "config/dalal.toml",
            "[[calendar.special_session]]\ndate = \"2026-11-23\"\nname = \"a short day for the test\"\n\
             pre_open = \"09:00\"\nopen = \"09:15\"\nclose = \"09:23\"",
        );
    // The built-in market with exits that fill in parts from 09:20.
    let built_in = dalal::sim::BUILT_IN_SCENARIO;
    let scenario = format!(
        "{}\n[[fault]]\nkind = \"partial_fill\"\nfrom = \"09:20\"\nfraction = 0.5\n",
        &built_in[..built_in.find("[[fault]]").unwrap()]
    );
    let scenario_path = tree.root().join("scenario.toml");
    std::fs::write(&scenario_path, scenario).unwrap();
    let ledger_path = tree.root().join("ledger.json");
    let child = start_run_with(
        &tree,
        &[
            "--start",
            "2026-11-23T09:14:30",
            "--speed",
            "40",
            "--scenario",
            scenario_path.to_str().unwrap(),
            "--sim-ledger",
            ledger_path.to_str().unwrap(),
        ],
    );
    let (code, stdout, stderr) = wait_with_limit(child, Duration::from_secs(120));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("trading live (real order requests) against the built-in simulator"),
        "{stdout}"
    );
    let ledger: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ledger_path).unwrap()).unwrap();
    let orders = ledger["orders"].as_array().unwrap();
    assert!(!orders.is_empty(), "real orders reached the simulator");
    let positions = ledger["positions"].as_array().unwrap();
    assert!(
        positions.iter().all(|p| p["quantity"] == 0),
        "flat at the broker at the close: {positions:?}"
    );
    // The broker's fills and the journal's agree, tag by tag.
    let mut at_broker: HashMap<String, u64> = HashMap::new();
    for order in orders {
        let tag = order["tag"].as_str().unwrap().to_string();
        *at_broker.entry(tag).or_default() += order["filled_quantity"].as_u64().unwrap();
    }
    let mut journaled: HashMap<String, u64> = HashMap::new();
    let entries = sim_journal(&tree);
    for recorded in &entries {
        assert!(!recorded.paper, "a live journal");
        if let JournalEntry::Fill { tag, quantity, .. } = &recorded.entry {
            *journaled.entry(tag.clone()).or_default() += u64::from(*quantity);
        }
    }
    at_broker.retain(|_, filled| *filled > 0);
    assert_eq!(at_broker, journaled);
    // The close report states what the broker holds, not only what the journal believes.
    assert!(
        stdout.contains("at the broker at the close: flat"),
        "{stdout}"
    );
    assert!(entries.iter().any(|r| matches!(&r.entry,
        JournalEntry::DaySummary { broker_open: Some(open), .. } if open.is_empty())));
}
