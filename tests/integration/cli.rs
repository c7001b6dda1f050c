//! The `dalal` binary as a trader runs it: real process, real files, exit codes and output.

use std::process::{Command, Output};

use crate::support::{ConfigTree, repo_root};

fn dalal(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dalal"))
        .args(args)
        .current_dir(repo_root())
        .env_remove("DALAL_CONFIG")
        .output()
        .expect("the dalal binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn calendar_names_holi_and_the_next_open() {
    let out = dalal(&["calendar", "--date", "2026-03-03"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Tuesday 3 Mar 2026"), "{text}");
    assert!(
        text.contains("market closed: exchange holiday: Holi"),
        "{text}"
    );
    assert!(
        text.contains(
            "Next open: Wednesday 4 Mar 2026, pre-open 09:00, continuous trading from 09:15"
        ),
        "{text}"
    );
}

#[test]
fn calendar_shows_a_regular_day_and_the_holiday_after_it() {
    let out = dalal(&["calendar", "--date", "2026-11-23"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("09:15–15:30  continuous trading"), "{text}");
    assert!(text.contains("09:00–09:08  pre-open order entry"), "{text}");
    assert!(text.contains("15:15–15:35  closing auction"), "{text}");
    assert!(text.contains("Next open: Wednesday 25 Nov 2026"), "{text}");
    assert!(
        text.contains("Tuesday 24 Nov 2026: closed, exchange holiday: Prakash Gurpurb"),
        "{text}"
    );
}

#[test]
fn calendar_refuses_a_date_that_is_not_one() {
    let out = dalal(&["calendar", "--date", "2026-02-30"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--date"), "{}", stderr(&out));
}

#[test]
fn check_config_passes_on_the_shipped_files() {
    let out = dalal(&["check-config"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("config/dalal.toml: OK"), "{text}");
    assert!(text.contains("continuation.toml: OK"), "{text}");
    assert!(text.contains("broker sim, mode paper"), "{text}");
}

#[test]
fn check_config_fails_naming_an_unknown_key() {
    let tree = ConfigTree::shipped();
    tree.edit(
        "config/dalal.toml",
        "max_price_age_ms = 3000",
        "max_price_age = 3000",
    );
    let config = tree.config();
    let out = dalal(&["check-config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    let line = tree.line_of("config/dalal.toml", "max_price_age = 3000");
    assert!(
        text.contains(&format!("dalal.toml:{line}: key `risk.max_price_age`")),
        "{text}"
    );
    assert!(text.contains("unknown field `max_price_age`"), "{text}");
    assert!(text.contains("fix:"), "{text}");
}

#[test]
fn check_config_reports_a_missing_broker_token_by_its_variable() {
    let tree = ConfigTree::shipped();
    tree.edit(
        "config/dalal.toml",
        "broker = \"sim\"",
        "broker = \"upstox\"",
    );
    let config = tree.config();
    let out = Command::new(env!("CARGO_BIN_EXE_dalal"))
        .args(["check-config", config.to_str().unwrap()])
        .current_dir(tree.root())
        .env_remove("UPSTOX_ACCESS_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("UPSTOX_ACCESS_TOKEN"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn json_logs_are_one_object_per_line() {
    let tree = ConfigTree::shipped();
    let config = tree.config();
    let out = dalal(&[
        "--log-format",
        "json",
        "check-config",
        config.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let logs = stderr(&out);
    assert!(
        logs.contains("\"message\":\"configuration loaded\""),
        "{logs}"
    );
    for line in logs.lines() {
        assert!(
            line.starts_with('{') && line.ends_with('}'),
            "not JSON: {line}"
        );
    }
}
