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
    Command::new(env!("CARGO_BIN_EXE_dalal"))
        .arg("run")
        .args(args)
        .arg("--config")
        .arg(tree.config())
        .args(["--status-listen", "127.0.0.1:0"])
        .current_dir(tree.root())
        .env_remove("DALAL_CONFIG")
        .env_remove("DALAL_STATUS_LISTEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the dalal binary runs")
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
    assert!(stdout.contains("pre-open checks: 4 passed"), "{stdout}");
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
    let child = start_run(&tree, "2026-11-23T09:40", "30");
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
        stdout.contains("stopped before the close by a signal"),
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
