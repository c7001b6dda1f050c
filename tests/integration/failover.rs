//! The failover feed against the simulator, on its simulated clock, through each scripted fault: it keeps
//! delivering prices, switches with its stated reasons, and never lets a duplicate or an older price through.
//! Each test prints its measured figures (simulated time) with `--nocapture`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use dalal::broker::upstox::{FeedMode, RestSettings, UpstoxFeedBroker};
use dalal::calendar::Clock;
use dalal::config::{Secret, TokenSource};
use dalal::domain::{Exchange, InstrumentId, Tick, TickSource};
use dalal::feed::{FailoverFeed, FallbackReason, FeedOutput, FeedState, FeedStats, FeedTimings};
use tokio::sync::{mpsc, watch};

use crate::support::{RENEWED_TOKEN, SIM_TOKEN, SimHarness, ist, scenario_with, shipped_calendar};

const INSTRUMENTS: [(&str, &str); 4] = [
    ("NSE_EQ|INE002A01018", "RELIANCE"),
    ("NSE_EQ|INE009A01021", "INFY"),
    ("NSE_EQ|INE040A01034", "HDFCBANK"),
    ("NSE_EQ|INE467B01029", "TCS"),
];

pub(crate) fn timings() -> FeedTimings {
    FeedTimings {
        poll_interval: Duration::from_secs(1),
        stall_timeout: Duration::from_secs(3),
        reconnect_min: Duration::from_millis(500),
        reconnect_max: Duration::from_secs(30),
        probe_min: Duration::from_secs(5),
        probe_max: Duration::from_secs(300),
    }
}

struct Run {
    outputs: Vec<FeedOutput>,
    stats: FeedStats,
}

impl Run {
    fn ticks(&self) -> Vec<&Tick> {
        self.outputs
            .iter()
            .filter_map(|o| match o {
                FeedOutput::Tick(t) => Some(t),
                _ => None,
            })
            .collect()
    }

    fn states(&self) -> Vec<(&FeedState, DateTime<Utc>)> {
        self.outputs
            .iter()
            .filter_map(|o| match o {
                FeedOutput::State { state, at } => Some((state, *at)),
                _ => None,
            })
            .collect()
    }

    fn first_state(&self, want: impl Fn(&FeedState) -> bool) -> Option<DateTime<Utc>> {
        self.states()
            .into_iter()
            .find(|(s, _)| want(s))
            .map(|(_, at)| at)
    }

    /// Every instrument's ticks move strictly forward: no duplicate, nothing older than what came before.
    fn assert_ordered(&self) {
        let mut last: HashMap<&InstrumentId, DateTime<Utc>> = HashMap::new();
        for tick in self.ticks() {
            let as_of = match tick.source {
                TickSource::Stream => tick.last_trade_time.unwrap_or(tick.received_at),
                TickSource::Poll => tick.received_at,
            };
            if let Some(previous) = last.insert(&tick.instrument, as_of) {
                assert!(
                    as_of > previous,
                    "{} went from {previous} back to {as_of}",
                    tick.instrument
                );
            }
        }
    }

    /// The longest time any instrument went without a delivered price between `from` and `to`.
    fn longest_gap_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
        let mut longest: f64 = 0.0;
        for (key, symbol) in INSTRUMENTS {
            let id = InstrumentId::new(Exchange::Nse, symbol).unwrap();
            let mut last = from;
            for tick in self.ticks().into_iter().filter(|t| t.instrument == id) {
                if tick.received_at > from && tick.received_at <= to {
                    longest = longest.max(secs(last, tick.received_at));
                    last = tick.received_at;
                }
            }
            assert!(
                last > from,
                "{key} had no price at all between {from} and {to}"
            );
        }
        longest
    }
}

/// Runs a feed against `sim` until the simulated clock reaches `until`.
async fn run_feed(sim: &SimHarness, tokens: TokenSource, until: DateTime<Utc>) -> Run {
    let rest = sim.rest_with(
        SIM_TOKEN,
        RestSettings {
            read_attempts: 1,
            ..RestSettings::default()
        },
    );
    if let Ok(token) = tokens.read() {
        rest.set_token(token);
    }
    let broker = Arc::new(UpstoxFeedBroker::new(rest, tokens, FeedMode::Ltpc));
    let instruments = INSTRUMENTS
        .iter()
        .map(|(key, symbol)| {
            (
                key.to_string(),
                InstrumentId::new(Exchange::Nse, symbol).unwrap(),
            )
        })
        .collect();
    let (tx, mut rx) = mpsc::channel(4096);
    let feed = FailoverFeed::new(
        broker,
        sim.clock.clone(),
        shipped_calendar(),
        timings(),
        instruments,
        tx,
    );
    let stats = feed.stats();
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(feed.run(stopped));
    let outputs = collect(&sim.clock, &mut rx, until).await;
    stop.send(true).unwrap();
    task.await.unwrap();
    let stats = stats.lock().unwrap().clone();
    Run { outputs, stats }
}

async fn collect(
    clock: &Clock,
    rx: &mut mpsc::Receiver<FeedOutput>,
    until: DateTime<Utc>,
) -> Vec<FeedOutput> {
    let mut outputs = Vec::new();
    loop {
        tokio::select! {
            item = rx.recv() => match item {
                Some(item) => outputs.push(item),
                None => return outputs,
            },
            _ = clock.sleep_until(until) => return outputs,
        }
    }
}

fn fixed() -> TokenSource {
    TokenSource::Fixed(Secret::new(SIM_TOKEN))
}

fn secs(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_milliseconds() as f64 / 1000.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_403_at_start_polls_within_one_interval_then_climbs_back_to_the_stream() {
    let fault = "[[fault]]\nkind = \"handshake_403\"\nfrom = \"10:00\"\nuntil = \"10:00:40\"";
    let sim = SimHarness::start(scenario_with(fault), ist(2026, 11, 23, 10, 0, 0), 10.0).await;
    let run = run_feed(&sim, fixed(), ist(2026, 11, 23, 10, 1, 40)).await;

    let refused = run
        .first_state(|s| {
            matches!(
                s,
                FeedState::Polling {
                    reason: FallbackReason::HandshakeForbidden
                }
            )
        })
        .expect("the 403 is reported");
    let first_poll = run
        .ticks()
        .into_iter()
        .find(|t| t.source == TickSource::Poll)
        .expect("polled prices");
    let to_first_price = secs(refused, first_poll.received_at);
    assert!(
        to_first_price <= 1.0,
        "403 → first polled price took {to_first_price} s"
    );
    let streaming = run
        .first_state(|s| *s == FeedState::Streaming)
        .expect("back to streaming");
    assert!(
        streaming > ist(2026, 11, 23, 10, 0, 40),
        "not before the WebSocket allowed it"
    );
    let connected = run.stats.last_connected_at.expect("connected");
    let overlap = secs(connected, streaming);
    assert!(
        (1.0..=2.5).contains(&overlap),
        "polling stopped {overlap} s after the stream returned"
    );
    assert!(
        run.ticks()
            .iter()
            .all(|t| t.source == TickSource::Stream || t.received_at <= streaming)
    );
    run.assert_ordered();
    let gap = run.longest_gap_between(refused, streaming);
    assert!(
        gap <= 2.0,
        "longest per-instrument gap {gap} s while polling (two poll intervals at most)"
    );
    println!(
        "403 at start: first polled price after {to_first_price:.3} s; stream back at {} IST; polling stopped \
         {overlap:.3} s after the WebSocket connected; longest gap while polling {gap:.3} s; polls {}",
        dalal::calendar::to_ist(streaming).format("%H:%M:%S"),
        run.stats.polls
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drop_reconnects_with_a_fresh_authorization_and_polling_covers_the_gap() {
    let faults = "[[fault]]\nkind = \"drop\"\nfrom = \"10:00:10\"\n\n\
                  [[fault]]\nkind = \"handshake_403\"\nfrom = \"10:00:10\"\nuntil = \"10:00:20\"";
    let sim = SimHarness::start(scenario_with(faults), ist(2026, 11, 23, 10, 0, 0), 10.0).await;
    let run = run_feed(&sim, fixed(), ist(2026, 11, 23, 10, 0, 40)).await;

    let dropped = run
        .first_state(|s| {
            matches!(
                s,
                FeedState::Reconnecting {
                    reason: FallbackReason::Dropped(_)
                }
            )
        })
        .expect("the drop is reported");
    let states: Vec<&str> = run.states().iter().map(|(s, _)| s.name()).collect();
    assert_eq!(states.last(), Some(&"streaming"), "{states:?}");
    assert!(
        run.stats.reconnects >= 1,
        "reconnected with a fresh one-time URL"
    );
    let polled_in_gap = run
        .ticks()
        .iter()
        .filter(|t| t.source == TickSource::Poll && t.received_at > dropped)
        .count();
    assert!(
        polled_in_gap >= 10,
        "polling covered the gap: {polled_in_gap} polled prices"
    );
    let back = run
        .states()
        .into_iter()
        .rev()
        .find(|(s, _)| **s == FeedState::Streaming)
        .unwrap()
        .1;
    let gap = run.longest_gap_between(dropped, back);
    assert!(
        gap <= 2.5,
        "longest per-instrument gap {gap} s between the drop and the stream's return"
    );
    run.assert_ordered();
    println!(
        "drop: reconnects {}, polled prices in the gap {polled_in_gap}, longest per-instrument gap {gap:.3} s",
        run.stats.reconnects
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_connection_is_detected_within_the_stall_timeout_and_replaced() {
    let fault = "[[fault]]\nkind = \"silence\"\nfrom = \"10:00:10\"\nuntil = \"10:00:20\"";
    let sim = SimHarness::start(scenario_with(fault), ist(2026, 11, 23, 10, 0, 0), 10.0).await;
    let run = run_feed(&sim, fixed(), ist(2026, 11, 23, 10, 0, 35)).await;

    let silent_from = ist(2026, 11, 23, 10, 0, 10);
    let detected = run
        .first_state(|s| {
            matches!(
                s,
                FeedState::Polling {
                    reason: FallbackReason::Silent
                }
            )
        })
        .expect("silence detected");
    let detection = secs(silent_from, detected);
    assert!(
        (2.0..=4.5).contains(&detection),
        "silence → polling after {detection} s (stall timeout 3 s)"
    );
    let states: Vec<&str> = run.states().iter().map(|(s, _)| s.name()).collect();
    assert_eq!(states.last(), Some(&"streaming"), "{states:?}");
    assert!(run.stats.reconnects >= 1);
    let back = run
        .states()
        .into_iter()
        .rev()
        .find(|(s, _)| **s == FeedState::Streaming)
        .unwrap()
        .1;
    let gap = run.longest_gap_between(silent_from, back);
    assert!(
        gap <= 4.5,
        "longest per-instrument gap {gap} s while the stream was silent"
    );
    run.assert_ordered();
    println!(
        "silence: polling {detection:.3} s after the feed went quiet; reconnects {}; longest gap {gap:.3} s",
        run.stats.reconnects
    );
}

fn token_file(dir: &Path, token: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("upstox.token");
    std::fs::write(&path, token).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

/// The token expires at 10:00:15 and the feed drops at 10:00:16, so the reconnect meets a 401; the trader logs in
/// again (a new token in the token file) at `login_at`. Runs the feed until `until`.
async fn expire_token_then_log_in_again(
    speed: f64,
    login_at: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Run {
    let faults = "[[fault]]\nkind = \"token_expiry\"\nfrom = \"10:00:15\"\n\n\
                  [[fault]]\nkind = \"drop\"\nfrom = \"10:00:16\"";
    let sim = SimHarness::start(scenario_with(faults), ist(2026, 11, 23, 10, 0, 0), speed).await;
    let dir = tempfile::tempdir().unwrap();
    let path = token_file(dir.path(), SIM_TOKEN);
    let writer = {
        let (clock, dir) = (sim.clock.clone(), dir.path().to_path_buf());
        tokio::spawn(async move {
            clock.sleep_until(login_at).await;
            token_file(&dir, RENEWED_TOKEN);
        })
    };
    let run = run_feed(&sim, TokenSource::File(path), until).await;
    writer.await.unwrap();
    run
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_with_a_refreshed_token_file_recovers_without_a_restart() {
    let run = expire_token_then_log_in_again(
        10.0,
        ist(2026, 11, 23, 10, 0, 13),
        ist(2026, 11, 23, 10, 0, 30),
    )
    .await;
    assert!(
        run.first_state(|s| *s == FeedState::AuthFailed).is_none(),
        "{:?}",
        run.states()
    );
    let after_drop = run
        .ticks()
        .iter()
        .filter(|t| t.source == TickSource::Stream && t.received_at > ist(2026, 11, 23, 10, 0, 17))
        .count();
    assert!(after_drop > 0, "streaming again on the renewed token");
    assert!(run.stats.reconnects >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_without_a_new_token_stops_claiming_prices_until_one_appears() {
    let run = expire_token_then_log_in_again(
        20.0,
        ist(2026, 11, 23, 10, 0, 30),
        ist(2026, 11, 23, 10, 1, 10),
    )
    .await;
    let failed = run
        .first_state(|s| *s == FeedState::AuthFailed)
        .expect("AuthFailed after the 401");
    let recovered = run
        .states()
        .into_iter()
        .find(|(s, at)| **s == FeedState::Streaming && *at > failed)
        .map(|(_, at)| at)
        .expect("streaming again once the new token is there");
    let claimed = run
        .ticks()
        .iter()
        .filter(|t| t.received_at > failed && t.received_at < recovered)
        .count();
    assert_eq!(
        claimed, 0,
        "no price is claimed fresh while the token is refused"
    );
    let waited = secs(failed, recovered);
    assert!(
        waited <= 31.0,
        "the new token was picked up {waited} s after the failure"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ltp_429_bursts_slow_the_polling_and_prices_resume() {
    let faults = "[[fault]]\nkind = \"handshake_403\"\nfrom = \"10:00\"\n\n\
                  [[fault]]\nkind = \"ltp_429\"\nfrom = \"10:00:13\"\nuntil = \"10:00:18\"";
    let sim = SimHarness::start(scenario_with(faults), ist(2026, 11, 23, 10, 0, 0), 10.0).await;
    let run = run_feed(&sim, fixed(), ist(2026, 11, 23, 10, 0, 40)).await;
    assert!(
        run.stats.rate_limited >= 2,
        "429s met: {}",
        run.stats.rate_limited
    );
    let resumed = run
        .ticks()
        .iter()
        .filter(|t| t.source == TickSource::Poll && t.received_at > ist(2026, 11, 23, 10, 0, 18))
        .count();
    assert!(resumed >= 8, "polled prices after the burst: {resumed}");
    run.assert_ordered();
    let gap = run.longest_gap_between(ist(2026, 11, 23, 10, 0, 11), ist(2026, 11, 23, 10, 0, 40));
    println!(
        "429 burst: {} rate-limited polls, longest gap {gap:.3} s",
        run.stats.rate_limited
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_stall_alarm_outside_market_hours() {
    let fault = "[[fault]]\nkind = \"silence\"\nfrom = \"08:00\"\nuntil = \"08:30\"";
    let sim = SimHarness::start(scenario_with(fault), ist(2026, 11, 23, 8, 0, 0), 40.0).await;
    let run = run_feed(&sim, fixed(), ist(2026, 11, 23, 8, 1, 0)).await;
    let states: Vec<&str> = run.states().iter().map(|(s, _)| s.name()).collect();
    assert_eq!(
        states,
        ["streaming"],
        "a quiet connection before the open is not a stall"
    );
    assert_eq!(run.stats.reconnects, 0);
}
