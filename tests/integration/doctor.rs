//! `dalal doctor` against the simulator: one test per fault the simulator can script, each asserting the cause
//! the doctor names and the exit code, and the binary's JSON on a healthy simulator.

use std::time::Duration;

use dalal::broker::upstox::{RestSettings, UpstoxFeedSocket};
use dalal::config::{Config, Secret};
use dalal::doctor::{self, DoctorInputs, DoctorReport, DoctorTarget, ProbeSettings, Verdict};
use dalal::sim::Scenario;

use crate::support::{SIM_TOKEN, SimHarness, ist, quiet_scenario, scenario_with, shipped_config};

/// 10:30 on a trading Monday, at twice real time: the fault windows below are around it.
async fn sim_with(scenario: Scenario) -> SimHarness {
    SimHarness::start(scenario, ist(2026, 11, 23, 10, 30, 0), 2.0).await
}

async fn diagnose(sim: &SimHarness, token: &str) -> DoctorReport {
    diagnose_with_journal(sim, token, None).await
}

async fn diagnose_with_journal(
    sim: &SimHarness,
    token: &str,
    journal: Option<&std::path::Path>,
) -> DoctorReport {
    diagnose_with(sim, token, None, journal).await
}

/// With `analytics`, market data goes through that token and orders through `token`.
async fn diagnose_with(
    sim: &SimHarness,
    token: &str,
    analytics: Option<&str>,
    journal: Option<&std::path::Path>,
) -> DoctorReport {
    let config = Config::load(&shipped_config()).unwrap();
    let settings = RestSettings {
        read_attempts: 1,
        ..RestSettings::default()
    };
    let rest = sim.rest_with(token, settings.clone());
    let data = analytics.map(|t| (sim.rest_with(t, settings), Secret::new(t)));
    let keys = config
        .bot
        .universe
        .iter()
        .map(|i| i.upstox_key().unwrap().to_string())
        .collect();
    let inputs = DoctorInputs {
        config: Ok(&config),
        config_path: &shipped_config(),
        clock: sim.clock.clone(),
        broker: DoctorTarget::Upstox {
            rest: &rest,
            token: Secret::new(token),
            data: data.as_ref().map(|(rest, token)| (rest, token.clone())),
        },
        keys,
        journal,
        probe: ProbeSettings {
            frame_timeout: Duration::from_secs(5),
            price_timeout: Duration::from_secs(5),
        },
    };
    doctor::diagnose("the simulator", inputs).await
}

fn websocket(report: &DoctorReport) -> (&Verdict, &str) {
    let check = report.check("websocket").unwrap();
    (&check.verdict, check.evidence.as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_broker_passes_and_the_one_time_url_and_the_redirect_are_shown() {
    let sim = sim_with(quiet_scenario()).await;
    let report = diagnose(&sim, SIM_TOKEN).await;
    assert_eq!(report.exit_code(), 0, "{}", report.to_text());
    let (_, evidence) = websocket(&report);
    // 403 by reuse: the doctor reconnects to the URL it used and names the cause.
    assert!(
        evidence.contains("reconnecting to the used URL was refused with 403"),
        "{evidence}"
    );
    assert!(evidence.contains("reused one-time URL"), "{evidence}");
    // The redirect a non-following client meets on the SDKs' path.
    assert!(evidence.contains("answers a 307 redirect"), "{evidence}");
    let clock = report.check("clock").unwrap();
    assert!(
        clock.evidence.contains("by the feed's currentTs"),
        "{}",
        clock.evidence
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_row_dalal_cannot_read_is_named_with_its_raw_form_and_the_rest_counts() {
    let healthy = diagnose(&sim_with(quiet_scenario()).await, SIM_TOKEN).await;
    let lists = healthy.check("lists").unwrap();
    assert_eq!(lists.verdict, Verdict::Pass, "{}", lists.evidence);
    assert!(lists.evidence.contains("all read"), "{}", lists.evidence);

    let sim = sim_with(scenario_with(
        "[[fault]]\nkind = \"odd_book_row\"\nfrom = \"09:00\"",
    ))
    .await;
    let report = diagnose(&sim, SIM_TOKEN).await;
    let lists = report.check("lists").unwrap();
    assert_eq!(lists.verdict, Verdict::Warn, "{}", lists.evidence);
    for named in [
        "3 skipped",
        "/v2/order/retrieve-all",
        "/v2/portfolio/short-term-positions",
        "USDINR26DECFUT",
    ] {
        assert!(
            lists.evidence.contains(named),
            "{named} not in {}",
            lists.evidence
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_named_with_the_way_to_log_in_again() {
    let sim = sim_with(scenario_with(
        "[[fault]]\nkind = \"token_expiry\"\nfrom = \"10:00\"",
    ))
    .await;
    let report = diagnose(&sim, SIM_TOKEN).await;
    assert_eq!(report.exit_code(), 2);
    let token = report.check("token").unwrap();
    assert_eq!(token.verdict, Verdict::Fail);
    assert!(token.evidence.contains("401"), "{}", token.evidence);
    assert!(token.remedy.as_deref().unwrap().contains("03:30 IST"));
    let (verdict, evidence) = websocket(&report);
    assert_eq!(*verdict, Verdict::Fail);
    assert!(evidence.contains("authorize answered 401"), "{evidence}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_401_with_a_token_rest_accepts_is_not_called_an_expired_token() {
    let sim = sim_with(scenario_with(
        "[[fault]]\nkind = \"handshake_401\"\nfrom = \"10:00\"",
    ))
    .await;
    let report = diagnose(&sim, SIM_TOKEN).await;
    assert_eq!(report.exit_code(), 2);
    assert_eq!(report.check("token").unwrap().verdict, Verdict::Pass);
    let (verdict, evidence) = websocket(&report);
    assert_eq!(*verdict, Verdict::Fail);
    assert!(
        evidence.contains("the token is good and the socket alone refuses it"),
        "{evidence}"
    );
    assert!(!evidence.contains("expired"), "{evidence}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_left_open_elsewhere_is_named_for_a_held_403() {
    let sim = sim_with(quiet_scenario()).await;
    // Another program holds the account's two connections.
    let rest = sim.rest(SIM_TOKEN);
    let mut held = Vec::new();
    for _ in 0..2 {
        let url = rest.authorize_feed().await.unwrap();
        held.push(UpstoxFeedSocket::connect(&url).await.unwrap());
    }
    let report = diagnose(&sim, SIM_TOKEN).await;
    assert_eq!(report.exit_code(), 2);
    let (verdict, evidence) = websocket(&report);
    assert_eq!(*verdict, Verdict::Fail);
    assert!(
        evidence.contains("403 on two fresh one-time URLs"),
        "{evidence}"
    );
    assert!(
        evidence.contains("another connection of this account is still open"),
        "{evidence}"
    );
    assert_eq!(report.check("token").unwrap().verdict, Verdict::Pass);
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passing_403_is_a_warning_that_a_fresh_url_cured() {
    let sim = sim_with(scenario_with(
        "[[fault]]\nkind = \"handshake_403\"\nfrom = \"10:00\"\nattempts = 1",
    ))
    .await;
    let report = diagnose(&sim, SIM_TOKEN).await;
    assert_eq!(report.exit_code(), 1, "{}", report.to_text());
    let (verdict, evidence) = websocket(&report);
    assert_eq!(*verdict, Verdict::Warn);
    assert!(
        evidence.contains("a second on a fresh one-time URL connected"),
        "{evidence}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_feed_is_named_during_market_hours() {
    let sim = sim_with(scenario_with(
        "[[fault]]\nkind = \"silence\"\nfrom = \"10:00\"\nuntil = \"11:00\"",
    ))
    .await;
    let report = diagnose(&sim, SIM_TOKEN).await;
    assert_eq!(report.exit_code(), 2);
    let (verdict, evidence) = websocket(&report);
    assert_eq!(*verdict, Verdict::Fail);
    assert!(evidence.contains("the feed is silent"), "{evidence}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_polling_is_named() {
    let sim = sim_with(scenario_with(
        "[[fault]]\nkind = \"ltp_429\"\nfrom = \"10:00\"\nuntil = \"11:00\"",
    ))
    .await;
    let report = diagnose(&sim, SIM_TOKEN).await;
    assert_eq!(report.exit_code(), 2);
    let ltp = report.check("ltp").unwrap();
    assert_eq!(ltp.verdict, Verdict::Fail);
    assert!(ltp.evidence.contains("429"), "{}", ltp.evidence);
    assert!(ltp.remedy.as_deref().unwrap().contains("poll_interval_ms"));
}

/// The doctor's `orders` check over a journal holding one refusal, as the session writes it.
async fn orders_check_after(message: &str) -> dalal::doctor::Check {
    let sim = sim_with(quiet_scenario()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let writer = dalal::journal::JournalWriter::open(&path, false).unwrap();
    writer.journal().record(
        ist(2026, 11, 23, 9, 31, 0),
        dalal::journal::JournalEntry::Error {
            class: "rejected".into(),
            message: message.into(),
        },
    );
    writer.close().unwrap();
    let report = diagnose_with_journal(&sim, SIM_TOKEN, Some(&path)).await;
    report.check("orders").unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_refused_for_the_static_ip_or_the_algo_name_is_found_in_the_journal() {
    let orders = orders_check_after(
        "rejected error from /v3/order/place (HTTP 403): Static IP not whitelisted [UDAPI1154]",
    )
    .await;
    assert_eq!(orders.verdict, Verdict::Fail);
    assert!(
        orders.evidence.contains("UDAPI1154 (static IP"),
        "{}",
        orders.evidence
    );
    let remedy = orders.remedy.unwrap();
    assert!(remedy.contains("public IP is registered"), "{remedy}");
    assert!(remedy.contains("once a week"), "{remedy}");

    let orders = orders_check_after(
        "rejected error from /v3/order/place (HTTP 400): Invalid algo name [UDAPI1156]",
    )
    .await;
    assert_eq!(orders.verdict, Verdict::Fail);
    assert!(
        orders.evidence.contains("UDAPI1156 (invalid algo name"),
        "{}",
        orders.evidence
    );
    assert!(orders.remedy.unwrap().contains("algo_name in dalal.toml"));
}

#[test]
fn the_binary_prints_json_and_exits_0_on_a_healthy_simulator() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dalal"))
        .args([
            "doctor",
            "--broker",
            "sim",
            "--json",
            "--start",
            "2026-11-23T11:00",
        ])
        .current_dir(crate::support::repo_root())
        .env_remove("DALAL_CONFIG")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let checks = report["checks"].as_array().unwrap();
    let names: Vec<&str> = checks.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "config",
            "clock",
            "calendar",
            "token",
            "ltp",
            "market status",
            "websocket",
            "lists",
            "orders"
        ]
    );
    assert!(checks.iter().all(|c| c["verdict"] == "pass"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_analytics_token_an_expired_daily_token_fails_orders_only() {
    let sim = sim_with(scenario_with(
        "[[fault]]\nkind = \"token_expiry\"\nfrom = \"10:00\"",
    ))
    .await;
    let report = diagnose_with(&sim, SIM_TOKEN, Some(dalal::sim::SIM_ANALYTICS_TOKEN), None).await;
    let token = report.check("token").unwrap();
    assert_eq!(token.verdict, Verdict::Fail, "{token:?}");
    assert!(
        token.evidence.contains("serves orders and the account"),
        "{token:?}"
    );
    let analytics = report.check("analytics token").unwrap();
    assert_eq!(analytics.verdict, Verdict::Pass, "{analytics:?}");
    assert_eq!(report.check("ltp").unwrap().verdict, Verdict::Pass);
    assert_eq!(
        websocket(&report).0,
        &Verdict::Pass,
        "{:?}",
        websocket(&report)
    );

    // An analytics token the broker refuses is named as such.
    let report = diagnose_with(&sim, SIM_TOKEN, Some("not-an-analytics-token"), None).await;
    let analytics = report.check("analytics token").unwrap();
    assert_eq!(analytics.verdict, Verdict::Fail, "{analytics:?}");
}
