//! HDFC Sky end to end on the simulator: the failover feed through its socket and `fetch-ltp`, a paper day of
//! `dalal run` trading through the HDFC Sky API, and `dalal doctor --broker hdfcsky` on a healthy simulator and
//! on scripted faults, each named.

use std::collections::HashMap;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use dalal::broker::RestSettings;
use dalal::broker::hdfcsky::{HdfcSkyFeedBroker, SubscriptionType};
use dalal::config::{Secret, TokenSource};
use dalal::domain::{Exchange, InstrumentId, TickSource};
use dalal::feed::{FailoverFeed, FallbackReason, FeedOutput, FeedState};
use dalal::journal::JournalEntry;
use dalal::sim::SkyAccount;
use tokio::sync::{mpsc, watch};

use crate::support::{ConfigTree, SIM_TOKEN, SimHarness, ist, scenario_with, shipped_calendar};

const SCRIPS: [(&str, &str); 3] = [
    ("NSE_2885", "RELIANCE"),
    ("NSE_1594", "INFY"),
    ("NSE_3045", "SBIN"),
];

/// The feed's outputs until the simulated clock reaches `until`.
async fn failover_outputs(sim: &SimHarness, until: DateTime<Utc>) -> Vec<FeedOutput> {
    let rest = dalal::broker::hdfcsky::HdfcSkyRest::new(
        sim.server.base_url(),
        Secret::new(SkyAccount::default().api_key),
        Secret::new(SIM_TOKEN),
        RestSettings::hdfcsky().single_attempt(),
    )
    .unwrap();
    let tokens = TokenSource::Fixed(Secret::new(SIM_TOKEN));
    let broker = Arc::new(HdfcSkyFeedBroker::new(
        Arc::new(rest),
        tokens,
        SubscriptionType::Ltp,
    ));
    let instruments: HashMap<String, InstrumentId> = SCRIPS
        .iter()
        .map(|(key, symbol)| {
            (
                key.to_string(),
                InstrumentId::new(Exchange::Nse, symbol).unwrap(),
            )
        })
        .collect();
    let timings = crate::failover::timings();
    let (tx, mut rx) = mpsc::channel(4096);
    let feed = FailoverFeed::new(
        broker,
        sim.clock.clone(),
        shipped_calendar(),
        timings,
        instruments,
        tx,
    );
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(feed.run(stopped));
    let mut outputs = Vec::new();
    loop {
        tokio::select! {
            item = rx.recv() => match item {
                Some(item) => outputs.push(item),
                None => break,
            },
            _ = sim.clock.sleep_until(until) => break,
        }
    }
    stop.send(true).unwrap();
    task.await.unwrap();
    outputs
}

/// When the feed first entered a state `want` accepts, and the sources of the ticks after that.
fn after_state(
    outputs: &[FeedOutput],
    want: impl Fn(&FeedState) -> bool,
) -> (DateTime<Utc>, Vec<TickSource>) {
    let at = outputs
        .iter()
        .find_map(|o| match o {
            FeedOutput::State { state, at } if want(state) => Some(*at),
            _ => None,
        })
        .expect("the state is reached");
    let sources = outputs
        .iter()
        .filter_map(|o| match o {
            FeedOutput::Tick(t) if t.received_at >= at => Some(t.source),
            _ => None,
        })
        .collect();
    (at, sources)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_socket_falls_back_to_fetch_ltp_and_the_stream_comes_back() {
    let fault = "[[fault]]\nkind = \"handshake_403\"\nfrom = \"10:00\"\nuntil = \"10:00:40\"";
    let sim = SimHarness::start(scenario_with(fault), ist(2026, 11, 23, 10, 0, 0), 10.0).await;
    let outputs = failover_outputs(&sim, ist(2026, 11, 23, 10, 1, 40)).await;

    let polling = |s: &FeedState| {
        matches!(
            s,
            FeedState::Polling {
                reason: FallbackReason::HandshakeForbidden
            }
        )
    };
    let (refused_at, sources) = after_state(&outputs, polling);
    assert!(
        refused_at < ist(2026, 11, 23, 10, 0, 5),
        "refused at {refused_at}"
    );
    assert!(
        sources.contains(&TickSource::Poll),
        "fetch-ltp kept prices coming"
    );
    let (back_at, sources) = after_state(&outputs, |s| matches!(s, FeedState::Streaming));
    assert!(
        back_at >= ist(2026, 11, 23, 10, 0, 40),
        "back to the stream at {back_at}"
    );
    assert!(sources.contains(&TickSource::Stream));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_socket_falls_back_to_fetch_ltp() {
    let fault = "[[fault]]\nkind = \"silence\"\nfrom = \"10:00:20\"\nuntil = \"10:01:00\"";
    let sim = SimHarness::start(scenario_with(fault), ist(2026, 11, 23, 10, 0, 0), 10.0).await;
    let outputs = failover_outputs(&sim, ist(2026, 11, 23, 10, 1, 20)).await;

    let silent = |s: &FeedState| {
        matches!(
            s,
            FeedState::Polling {
                reason: FallbackReason::Silent
            }
        )
    };
    let (silent_at, sources) = after_state(&outputs, silent);
    let detected = (silent_at - ist(2026, 11, 23, 10, 0, 20)).num_milliseconds();
    assert!(
        (0..=5_000).contains(&detected),
        "silence detected after {detected} ms"
    );
    assert!(sources.contains(&TickSource::Poll));
}

fn short_hdfcsky_day() -> ConfigTree {
    let tree = ConfigTree::shipped();
    tree.append(
        "config/dalal.toml",
        "[[calendar.special_session]]\ndate = \"2026-11-23\"\nname = \"short test session\"\n\
         pre_open = \"09:00\"\nopen = \"09:15\"\nclose = \"10:00\"",
    )
    .edit(
        "config/dalal.toml",
        "max_price_age_ms = 3000",
        "max_price_age_ms = 60000",
    )
    .edit(
        "config/dalal.toml",
        "last_entry_time = \"14:45\"",
        "last_entry_time = \"09:45\"",
    )
    .edit(
        "config/dalal.toml",
        "square_off_time = \"15:05\"",
        "square_off_time = \"09:50\"",
    )
    .edit(
        "strategies/continuation.toml",
        "or_minutes = 15",
        "or_minutes = 5",
    )
    .edit(
        "strategies/continuation.toml",
        "last_entry_time = \"14:30\"",
        "last_entry_time = \"09:45\"",
    )
    .edit(
        "strategies/continuation.toml",
        "flat_time = \"15:05\"",
        "flat_time = \"09:50\"",
    );
    tree
}

#[test]
fn a_paper_day_of_dalal_run_trades_through_the_hdfcsky_api() {
    let tree = short_hdfcsky_day();
    let args = [
        "--sim-api",
        "hdfcsky",
        "--start",
        "2026-11-23T09:14",
        "--speed",
        "60",
    ];
    let child = crate::run_command::start_run_with(&tree, &args);
    let (code, stdout, stderr) =
        crate::run_command::wait_with_limit(child, Duration::from_secs(120));
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("through its HDFC Sky API"), "{stdout}");
    assert!(stdout.contains("pre-open checks: 5 passed"), "{stdout}");

    let journal = crate::run_command::sim_journal(&tree);
    let count = |kind: &str| journal.iter().filter(|r| r.entry.kind() == kind).count();
    assert!(
        count("fill") >= 2,
        "entries and exits filled: {} fills",
        count("fill")
    );
    assert!(count("trade") >= 1, "round trips journaled");
    let streamed = journal.iter().any(
        |r| matches!(&r.entry, JournalEntry::DaySummary { seconds_streaming, .. } if *seconds_streaming > 0),
    );
    assert!(streamed, "prices came over the HDFC Sky socket");
}

/// `dalal doctor --broker hdfcsky` against a simulator on this machine's clock, as JSON.
fn doctor_against(sim: &SimHarness) -> (Option<i32>, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_dalal"))
        .args(["doctor", "--broker", "hdfcsky", "--json", "--base-url"])
        .arg(sim.server.base_url().as_str())
        .current_dir(crate::support::repo_root())
        .env_remove("DALAL_CONFIG")
        .env_remove("DALAL_TOKEN_FILE")
        .env("HDFCSKY_API_KEY", SkyAccount::default().api_key)
        .env("HDFCSKY_ACCESS_TOKEN", SIM_TOKEN)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code(), report)
}

fn check<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {report}"))
}

/// The exit code of a doctor whose every check passes, allowing for the one that depends on today's date: the
/// calendar warns in December until next year's holidays are in a source (exit 1). Any other warning fails.
fn healthy_exit_code(report: &serde_json::Value) -> Option<i32> {
    for other in report["checks"].as_array().unwrap() {
        if other["name"] != "calendar" {
            assert_eq!(other["verdict"], "pass", "{report:#}");
        }
    }
    let calendar = check(report, "calendar");
    if calendar["verdict"] == "pass" {
        return Some(0);
    }
    assert_eq!(calendar["verdict"], "warn", "{report:#}");
    assert!(
        calendar["evidence"]
            .as_str()
            .unwrap()
            .contains("no holiday source lists"),
        "{report:#}"
    );
    Some(1)
}

fn on_this_clock(runtime: &tokio::runtime::Runtime, scenario: dalal::sim::Scenario) -> SimHarness {
    runtime.block_on(SimHarness::start(scenario, Utc::now(), 1.0))
}

#[test]
fn the_doctor_passes_a_healthy_hdfcsky_simulator_and_shows_the_wrong_auth_form() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let sim = on_this_clock(&runtime, scenario_with(""));
    let (code, report) = doctor_against(&sim);
    let names: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "config",
            "clock",
            "calendar",
            "token",
            "ltp",
            "websocket",
            "lists",
            "orders"
        ]
    );
    assert_eq!(code, healthy_exit_code(&report), "{report:#}");
    let token = check(&report, "token")["evidence"].as_str().unwrap();
    assert!(
        token.contains("available margin ₹500000.00 (funds view V1)"),
        "{token}"
    );
    let websocket = check(&report, "websocket")["evidence"].as_str().unwrap();
    assert!(
        websocket.contains("?access_token=…, is refused with 401"),
        "{websocket}"
    );
    assert!(
        !report.to_string().contains(SIM_TOKEN),
        "the token leaked into the report"
    );
}

#[test]
fn the_doctor_says_what_is_known_of_a_socket_401_with_a_token_rest_accepts() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let sim = on_this_clock(
        &runtime,
        scenario_with("[[fault]]\nkind = \"handshake_401\"\nfrom = \"00:00\""),
    );
    let (code, report) = doctor_against(&sim);
    assert_eq!(code, Some(2));
    assert_eq!(check(&report, "token")["verdict"], "pass");
    let websocket = check(&report, "websocket");
    assert_eq!(websocket["verdict"], "fail");
    let evidence = websocket["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("the REST API accepts the same token, so the token is good"),
        "{evidence}"
    );
    assert!(
        evidence.contains("?token=…&api_key=…") && evidence.contains("polls fetch-ltp"),
        "the known causes and what dalal does meanwhile: {evidence}"
    );
    assert!(
        !evidence.contains("does not belong"),
        "no cause the reference does not name is stated as fact: {evidence}"
    );
}

#[test]
fn the_doctor_names_a_held_403_and_an_expired_token_on_hdfcsky() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let refused = on_this_clock(
        &runtime,
        scenario_with("[[fault]]\nkind = \"handshake_403\"\nfrom = \"00:00\""),
    );
    let (code, report) = doctor_against(&refused);
    assert_eq!(code, Some(2));
    let websocket = check(&report, "websocket");
    assert_eq!(websocket["verdict"], "fail");
    assert!(
        websocket["evidence"]
            .as_str()
            .unwrap()
            .contains("three connections already open"),
        "{websocket}"
    );
    assert_eq!(check(&report, "token")["verdict"], "pass");

    let expired = on_this_clock(
        &runtime,
        scenario_with("[[fault]]\nkind = \"token_expiry\"\nfrom = \"00:00\""),
    );
    let (code, report) = doctor_against(&expired);
    assert_eq!(code, Some(2));
    let token = check(&report, "token");
    assert_eq!(token["verdict"], "fail");
    assert!(
        token["remedy"]
            .as_str()
            .unwrap()
            .contains("dalal login hdfcsky"),
        "{token}"
    );
    let websocket = check(&report, "websocket")["evidence"].as_str().unwrap();
    assert!(
        websocket.contains("the REST API refuses the token as well"),
        "{websocket}"
    );
}

#[test]
fn the_doctor_finds_a_silent_hdfcsky_feed_in_market_hours() {
    let folder = tempfile::tempdir().unwrap();
    let scenario = folder.path().join("silent.toml");
    let built_in = dalal::sim::BUILT_IN_SCENARIO;
    let quiet = &built_in[..built_in.find("[[fault]]").unwrap()];
    std::fs::write(
        &scenario,
        format!("{quiet}\n[[fault]]\nkind = \"silence\"\nfrom = \"10:00\"\n"),
    )
    .unwrap();
    let run = |scenario: Option<&std::path::Path>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_dalal"));
        command
            .args([
                "doctor",
                "--broker",
                "sim",
                "--sim-api",
                "hdfcsky",
                "--json",
                "--start",
                "2026-11-23T11:00",
            ])
            .current_dir(crate::support::repo_root())
            .env_remove("DALAL_CONFIG");
        if let Some(path) = scenario {
            command.arg("--scenario").arg(path);
        }
        let out = command.output().unwrap();
        (
            out.status.code(),
            serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap(),
        )
    };
    let (code, healthy) = run(None);
    assert_eq!(code, Some(0), "{healthy:#}");
    assert!(
        check(&healthy, "websocket")["evidence"]
            .as_str()
            .unwrap()
            .contains("first price")
    );
    let (code, silent) = run(Some(&scenario));
    assert_eq!(code, Some(2));
    let websocket = check(&silent, "websocket");
    assert!(
        websocket["evidence"]
            .as_str()
            .unwrap()
            .contains("the feed is silent"),
        "{websocket}"
    );
}

#[test]
fn the_universe_tokens_come_from_the_security_master() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let sim = on_this_clock(&runtime, scenario_with(""));
    let tree = ConfigTree::shipped();
    tree.append(
        "config/dalal.toml",
        "[[universe]]\nsymbol = \"NOSUCH\"\nisin = \"INE002A01018\"\nhdfcsky_token = \"1\"",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_dalal"))
        .args(["instruments", "hdfcsky", "--base-url"])
        .arg(sim.server.base_url().as_str())
        .arg("--config")
        .arg(tree.config())
        .env_remove("DALAL_CONFIG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "one symbol is not in the master: {stdout}"
    );
    assert!(stdout.contains("NSE:RELIANCE     hdfcsky_token = \"2885\"   # RELIANCE-EQ, tick 0.1, lot 1, ISIN INE002A01018"), "{stdout}");
    let shipped = std::fs::read_to_string(tree.config()).unwrap();
    for line in stdout.lines().filter(|l| l.contains("hdfcsky_token")) {
        let token = line.split('"').nth(1).unwrap();
        assert!(
            shipped.contains(&format!("hdfcsky_token = \"{token}\"")),
            "{line}"
        );
    }
    assert_eq!(stdout.matches("hdfcsky_token").count(), 8);
    assert!(stdout.contains("not in the master: NSE:NOSUCH"), "{stdout}");
}

#[test]
fn dalal_feed_streams_through_the_hdfcsky_api_and_polls_through_a_403() {
    let out = Command::new(env!("CARGO_BIN_EXE_dalal"))
        .args([
            "feed",
            "--sim-api",
            "hdfcsky",
            // Twenty seconds of streaming before the 10:00 drop: a loaded machine can spend several of them
            // starting up, and the test needs streamed prices before it.
            "--start",
            "2026-11-23T09:59:40",
        ])
        .args(["--speed", "30", "--duration", "40", "--instruments", "SBIN"])
        .current_dir(crate::support::repo_root())
        .env_remove("DALAL_CONFIG")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sources = |source: &str| {
        text.lines()
            .filter(|l| l.contains("SBIN") && l.contains(source))
            .count()
    };
    assert!(sources(" stream ") >= 3, "streamed before 10:00: {text}");
    assert!(
        text.contains("feed: polling (WebSocket handshake refused with 403)"),
        "{text}"
    );
    assert!(sources(" poll ") >= 10, "polled through the 403: {text}");
    assert!(!text.contains("INFY"), "only the instrument asked for");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_hdfcsky_day_survives_a_restart_with_only_limit_and_sl_orders_at_the_broker() {
    use crate::day_runner::{
        Api, journal_entries, short_day_config, short_day_sim, start_runner_via, wait_for,
    };
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.sqlite");
    let mut config = short_day_config(&journal);
    // The shipped exits: stops, targets and trails, so exits happen as the market moves.
    config.strategy.exit = dalal::config::Config::load(&crate::support::shipped_config())
        .unwrap()
        .strategy
        .exit;
    let sim = short_day_sim(&config, scenario_with(""), (9, 14), 60.0).await;
    let first = start_runner_via(&sim, config.clone(), false, SIM_TOKEN, Api::HdfcSky);
    wait_for(Duration::from_secs(60), "a filled entry", || {
        journal_entries(&journal)
            .iter()
            .any(|r| r.entry.kind() == "fill")
    })
    .await;
    // The process dies; the next one finds its orders in HDFC Sky's book by their user_order_id.
    first.abort().await;
    let before = journal_entries(&journal).last().unwrap().seq;

    let reports = start_runner_via(&sim, config, false, SIM_TOKEN, Api::HdfcSky)
        .finish()
        .await;
    let after: Vec<_> = journal_entries(&journal)
        .into_iter()
        .filter(|r| r.seq > before)
        .collect();
    assert!(reports[0].trading_enabled, "{:?}", reports[0].checks);
    let re_armed = after.iter().any(|r| {
        matches!(&r.entry, JournalEntry::Reconciliation { detail, .. } if detail.starts_with("re-armed"))
    });
    assert!(
        re_armed,
        "the open position was found and its stop re-armed"
    );
    assert!(
        after.iter().any(|r| r.entry.kind() == "trade"),
        "round trips journaled"
    );

    let rest = sim.sky_rest(SIM_TOKEN);
    let book = rest.order_rows().await.unwrap();
    assert!(!book.is_empty());
    assert!(
        book.iter()
            .all(|o| o.order_type == "LIMIT" || o.order_type == "SL"),
        "an API key sends no MARKET or SLM: {:?}",
        book.iter().map(|o| &o.order_type).collect::<Vec<_>>()
    );
    let numbers: std::collections::HashSet<&str> =
        book.iter().map(|o| o.user_order_id.as_str()).collect();
    assert_eq!(numbers.len(), book.len(), "one user_order_id per order");
    let positions = rest.positions().await.unwrap();
    assert!(
        positions.iter().all(|p| p.net_quantity == 0),
        "flat after the close"
    );
}

#[test]
fn the_key_and_token_may_sit_in_a_private_dotenv_instead_of_the_environment() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let sim = on_this_clock(&runtime, scenario_with(""));
    let folder = tempfile::tempdir().unwrap();
    let dotenv = folder.path().join(".env");
    std::fs::write(
        &dotenv,
        format!(
            "HDFCSKY_API_KEY={}\nHDFCSKY_ACCESS_TOKEN={SIM_TOKEN}\n",
            SkyAccount::default().api_key
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dotenv, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_dalal"))
        .args(["doctor", "--broker", "hdfcsky", "--json", "--base-url"])
        .arg(sim.server.base_url().as_str())
        .arg("--config")
        .arg(crate::support::shipped_config())
        .current_dir(folder.path())
        .env_remove("DALAL_CONFIG")
        .env_remove("DALAL_TOKEN_FILE")
        .env_remove("HDFCSKY_API_KEY")
        .env_remove("HDFCSKY_ACCESS_TOKEN")
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(check(&report, "token")["verdict"], "pass", "{report:#}");
    assert_eq!(out.status.code(), healthy_exit_code(&report), "{report:#}");
}
