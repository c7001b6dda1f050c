//! `dalal history fetch` as a process against the simulator on loopback, through Upstox's historical candles V3
//! and HDFC Sky's chart API: the store ends up holding exactly the simulator's candles (the same both ways), a
//! second fetch asks for nothing, closed days are never asked for, and a fetch cut off by a kill, a Ctrl-C or a
//! storm of server errors resumes with no piece fetched twice and nothing missing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use dalal::domain::{Candle, InstrumentId};
use dalal::history::{HistoryStore, Interval, trading_days};
use dalal::sim::{HistoryServed, MarketHistory, SkyAccount};

use crate::support::{
    ConfigTree, SIM_TOKEN, SimHarness, date, ist, scenario_with, shipped_calendar,
};

const SYMBOLS: [&str; 3] = ["RELIANCE", "SBIN", "NHPC"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    Upstox,
    HdfcSky,
}

impl Api {
    fn name(self) -> &'static str {
        match self {
            Api::Upstox => "upstox",
            Api::HdfcSky => "hdfcsky",
        }
    }
}

/// A simulator whose today is Mon 2 Mar 2026, with `faults` (TOML) scripted.
async fn simulator(faults: &str) -> SimHarness {
    SimHarness::start(scenario_with(faults), ist(2026, 3, 2, 10, 0, 0), 1.0).await
}

/// `dalal history fetch` on the shipped config set to `api`'s broker, against `sim`, into `store`.
fn fetch_command(
    api: Api,
    sim: &SimHarness,
    store: &Path,
    from: &str,
    to: &str,
) -> (Command, ConfigTree) {
    let tree = ConfigTree::shipped();
    tree.edit(
        "config/dalal.toml",
        "broker = \"sim\"",
        &format!("broker = \"{}\"", api.name()),
    );
    let mut command = Command::new(env!("CARGO_BIN_EXE_dalal"));
    command
        .args([
            "history",
            "fetch",
            "--from",
            from,
            "--to",
            to,
            "--instruments",
        ])
        .arg(SYMBOLS.join(","))
        .arg("--config")
        .arg(tree.config())
        .arg("--store")
        .arg(store)
        .arg("--base-url")
        .arg(sim.server.base_url().as_str())
        .current_dir(tree.root())
        .env_remove("DALAL_CONFIG")
        .env_remove("DALAL_TOKEN_FILE")
        .env_remove("UPSTOX_ANALYTICS_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match api {
        Api::Upstox => command.env("UPSTOX_ACCESS_TOKEN", SIM_TOKEN),
        Api::HdfcSky => command
            .env("HDFCSKY_API_KEY", SkyAccount::default().api_key)
            .env("HDFCSKY_ACCESS_TOKEN", SIM_TOKEN),
    };
    (command, tree)
}

/// Runs a fetch to its end, off the runtime's threads so the simulator keeps answering.
async fn fetch(
    api: Api,
    sim: &SimHarness,
    store: &Path,
    from: &str,
    to: &str,
) -> (Option<i32>, String, String) {
    let (mut command, tree) = fetch_command(api, sim, store, from, to);
    let out: Output = tokio::task::spawn_blocking(move || {
        let out = command.output().unwrap();
        drop(tree);
        out
    })
    .await
    .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn id(symbol: &str) -> InstrumentId {
    format!("NSE:{symbol}").parse().unwrap()
}

/// What the store holds, as (day, instrument, candles) in its reading order.
fn stored(store: &Path, from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, String, Vec<Candle>)> {
    let store = HistoryStore::open(store).unwrap();
    let mut days = Vec::new();
    store
        .for_each_day(&[], Interval::Minute, from, to, |day, who, candles| {
            days.push((day, who.to_string(), candles.to_vec()));
        })
        .unwrap();
    days
}

/// The simulator's own candles of `SYMBOLS` on every trading day from `from` to `to`, in the store's order.
fn expected(from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, String, Vec<Candle>)> {
    let scenario = scenario_with("");
    let history = MarketHistory::new(scenario.instruments, scenario.seed, shipped_calendar());
    let mut sorted = SYMBOLS.to_vec();
    sorted.sort();
    let mut days = Vec::new();
    for day in trading_days(&shipped_calendar(), from, to) {
        for symbol in &sorted {
            let index = (0..history.len())
                .find(|&i| history.spec(i).symbol == *symbol)
                .unwrap();
            days.push((day, id(symbol).to_string(), history.minutes(index, day)));
        }
    }
    days
}

/// The days each instrument was served, over any number of simulators' logs: a day served twice is a failure.
fn served_days(logs: &[Vec<HistoryServed>]) -> BTreeMap<String, Vec<NaiveDate>> {
    let calendar = shipped_calendar();
    let mut days: BTreeMap<String, Vec<NaiveDate>> = BTreeMap::new();
    for served in logs.iter().flatten() {
        let trading = trading_days(&calendar, served.from, served.to);
        assert_eq!(
            (trading.first(), trading.last()),
            (Some(&served.from), Some(&served.to)),
            "a request starts and ends on a trading day: {served:?}"
        );
        days.entry(served.symbol.clone())
            .or_default()
            .extend(trading);
    }
    for (symbol, list) in &mut days {
        let before = list.len();
        list.sort();
        list.dedup();
        assert_eq!(list.len(), before, "{symbol}: a day was fetched twice");
    }
    days
}

fn every_day(from: NaiveDate, to: NaiveDate) -> BTreeMap<String, Vec<NaiveDate>> {
    let days = trading_days(&shipped_calendar(), from, to);
    SYMBOLS
        .iter()
        .map(|s| (s.to_string(), days.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fetch_through_either_api_stores_the_simulators_candles_and_a_second_asks_for_nothing() {
    let sim = simulator("").await;
    let dir = tempfile::tempdir().unwrap();
    let (from, to) = (date(2026, 1, 12), date(2026, 2, 6));
    // 19 trading days: the holidays of 15 and 26 Jan are out, the budget session of Sunday 1 Feb is in.
    assert_eq!(trading_days(&shipped_calendar(), from, to).len(), 19);
    for (api, pieces) in [(Api::Upstox, 6), (Api::HdfcSky, 3)] {
        let store = dir.path().join(format!("{}.sqlite", api.name()));
        let (code, stdout, stderr) = fetch(api, &sim, &store, "2026-01-12", "2026-02-06").await;
        assert_eq!(code, Some(0), "{stdout}\n{stderr}");
        assert!(
            stdout.contains(&format!(
                "fetched    {pieces} of {pieces} pieces: 57 days, 21375 candles"
            )),
            "{stdout}"
        );
        assert!(
            stderr.contains(&format!("[{pieces}/{pieces}]")),
            "plain progress lines: {stderr}"
        );
        assert!(
            stored(&store, from, to) == expected(from, to),
            "{api:?}: the simulator's candles"
        );
        let log: Vec<HistoryServed> = sim
            .server
            .history_served()
            .into_iter()
            .filter(|s| s.api == api.name())
            .collect();
        assert_eq!(log.len(), pieces);
        assert_eq!(served_days(std::slice::from_ref(&log)), every_day(from, to));
        let holiday = HistoryStore::open(&store).unwrap();
        assert!(
            !holiday
                .has_day(&id("SBIN"), Interval::Minute, date(2026, 1, 15))
                .unwrap()
        );

        let (code, stdout, _) = fetch(api, &sim, &store, "2026-01-12", "2026-02-06").await;
        assert_eq!(code, Some(0));
        assert!(stdout.contains("fetched    0 of 0 pieces"), "{stdout}");
        assert!(stdout.contains("present    57 days"), "{stdout}");
        let (_, stdout, _) = fetch(api, &sim, &store, "2026-01-24", "2026-01-26").await;
        assert!(
            stdout.contains("present    0 days"),
            "Sat, Sun and a holiday: {stdout}"
        );
        let again = sim
            .server
            .history_served()
            .into_iter()
            .filter(|s| s.api == api.name())
            .count();
        assert_eq!(
            again, pieces,
            "nothing asked for again, no closed day asked for"
        );
    }
}

/// The candles `store` holds, 0 before it exists.
fn held(store: &Path) -> u64 {
    if !store.exists() {
        return 0;
    }
    HistoryStore::open(store)
        .and_then(|s| s.holdings())
        .map(|h| h.iter().map(|i| i.candles).sum())
        .unwrap_or(0)
}

/// Waits until `sim` has served `answers` pieces and `store` holds all their candles beside what it held.
async fn committed(sim: &SimHarness, store: &Path, answers: usize) {
    let before = held(store);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let served = sim.server.history_served();
        if served.len() >= answers && store.exists() {
            let want: u64 = served.iter().map(|s| s.candles as u64).sum();
            if held(store) == before + want {
                assert_eq!(
                    served.len(),
                    answers,
                    "no more answers than the fault lets through"
                );
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "{answers} pieces not committed within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn signal(child: &Child, name: &str) {
    let sent = Command::new("kill")
        .args([name, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

async fn finish(child: Child) -> (Option<i32>, String) {
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_then_interrupted_fetch_resumes_with_no_piece_fetched_twice() {
    let dir = tempfile::tempdir().unwrap();
    let store: PathBuf = dir.path().join("history.sqlite");
    let (from, to) = (date(2026, 1, 5), date(2026, 2, 27));
    let stall = |after: u32| {
        format!("[[fault]]\nkind = \"history_stall\"\nfrom = \"00:00\"\nafter = {after}")
    };

    // Two answers, then no answer at all: the process is killed (SIGKILL) while it waits.
    let first = simulator(&stall(2)).await;
    let (mut command, _tree) =
        fetch_command(Api::Upstox, &first, &store, "2026-01-05", "2026-02-27");
    let child = command.spawn().unwrap();
    committed(&first, &store, 2).await;
    signal(&child, "-KILL");
    let (code, _) = finish(child).await;
    assert_eq!(code, None, "killed by a signal");
    assert_eq!(
        stored(&store, from, to).len(),
        served_days(&[first.server.history_served()])
            .values()
            .map(Vec::len)
            .sum::<usize>()
    );

    // One more answer, then Ctrl-C: it stops at once, says so, and keeps what it had.
    let second = simulator(&stall(1)).await;
    let (mut command, _tree) =
        fetch_command(Api::Upstox, &second, &store, "2026-01-05", "2026-02-27");
    let child = command.spawn().unwrap();
    committed(&second, &store, 1).await;
    signal(&child, "-INT");
    let (code, stdout) = finish(child).await;
    assert_eq!(code, Some(130), "{stdout}");
    assert!(stdout.contains("fetched    1 of 4 pieces"), "{stdout}");
    assert!(stdout.contains("stopped    interrupted"), "{stdout}");

    // A healthy broker: the rest, and only the rest.
    let third = simulator("").await;
    let (code, stdout, stderr) =
        fetch(Api::Upstox, &third, &store, "2026-01-05", "2026-02-27").await;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("fetched    3 of 3 pieces"), "{stdout}");
    let logs = [
        first.server.history_served(),
        second.server.history_served(),
        third.server.history_served(),
    ];
    assert_eq!(served_days(&logs), every_day(from, to), "every day once");
    assert!(stored(&store, from, to) == expected(from, to));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_server_errors_fails_some_pieces_and_the_next_run_fetches_only_those() {
    // Three answers, then twelve 500s: three pieces' four attempts each.
    let storm = "[[fault]]\nkind = \"history_5xx\"\nfrom = \"00:00\"\nafter = 3\nattempts = 12";
    let sim = simulator(storm).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("history.sqlite");
    let (from, to) = (date(2026, 1, 5), date(2026, 2, 20));
    let (code, stdout, stderr) =
        fetch(Api::HdfcSky, &sim, &store, "2026-01-05", "2026-02-20").await;
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("fetched    3 of 6 pieces"), "{stdout}");
    assert!(stdout.contains("FAILED     3 pieces"), "{stdout}");
    let failures: Vec<&str> = stdout.lines().filter(|l| l.contains("HTTP 500")).collect();
    assert_eq!(
        failures.len(),
        3,
        "each failed piece named with its error: {stdout}"
    );
    assert!(stderr.contains("FAILED: transient error"), "{stderr}");

    let (code, stdout, stderr) =
        fetch(Api::HdfcSky, &sim, &store, "2026-01-05", "2026-02-20").await;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("fetched    3 of 3 pieces"),
        "only the failed ones: {stdout}"
    );
    assert_eq!(
        served_days(&[sim.server.history_served()]),
        every_day(from, to)
    );
    assert!(stored(&store, from, to) == expected(from, to));
}
