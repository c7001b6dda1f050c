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

#[test]
fn decode_prints_each_frame_in_order_and_goes_on_past_a_bad_one() {
    let vectors = repo_root().join("tests/vectors/upstox-v3");
    let bad = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(bad.path(), b"\x12\xff\xff").unwrap();
    let files = [
        vectors.join("03_live_ltpc.bin"),
        bad.path().to_path_buf(),
        vectors.join("01_market_info.bin"),
    ];
    let mut args = vec!["decode", "upstox-v3"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let out = dalal(&args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a bad frame makes the exit code 1"
    );
    let text = stdout(&out);
    let docs: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&text)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(docs.len(), 2, "{text}");
    for (doc, case) in docs.iter().zip(["03_live_ltpc", "01_market_info"]) {
        let expected: serde_json::Value = serde_json::from_slice(
            &std::fs::read(vectors.join(format!("{case}.ticks.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(doc, &expected, "{case}");
    }
    assert!(
        text.trim_start()
            .starts_with("{\n  \"type\": \"live_feed\""),
        "{text}"
    );
    let err = stderr(&out);
    assert!(
        err.contains(bad.path().to_str().unwrap())
            && err.contains("not a Market Data Feed V3 frame"),
        "{err}"
    );
}

#[test]
fn feed_shows_prices_with_their_source_and_each_state_change_with_its_reason() {
    // The built-in scenario refuses WebSocket handshakes from 10:00 to 10:10.
    let out = dalal(&[
        "feed",
        "--start",
        "2026-11-23T10:00:30",
        "--speed",
        "30",
        "--duration",
        "20",
        "--instruments",
        "RELIANCE,TCS",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("feed: polling (WebSocket handshake refused with 403)"),
        "{text}"
    );
    let polled = text
        .lines()
        .filter(|l| l.contains(" poll ") && l.contains("RELIANCE"))
        .count();
    assert!(polled >= 10, "{text}");
    assert!(
        !text.lines().any(|l| l.contains("INFY")),
        "only the instruments asked for"
    );
    assert!(
        text.lines().last().unwrap().starts_with("summary: "),
        "{text}"
    );
}

#[test]
fn feed_refuses_an_instrument_outside_the_universe() {
    let out = dalal(&["feed", "--duration", "1", "--instruments", "WIPRO"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`WIPRO` is not in the universe"),
        "{}",
        stderr(&out)
    );
}
