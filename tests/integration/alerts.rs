//! Alerts against local stand-ins for the Telegram Bot API and a webhook (axum on 127.0.0.1:0, recording what
//! they receive and answering as scripted): the chosen events arrive worded for the trader and the others do
//! not; an outage is retried, then journaled without the token, while recording goes on undelayed, and
//! recovery delivers again; Telegram's `retry_after` is honoured; the rate limit drops and journals; `[alerts]`
//! errors name their key; and `dalal run` days send their summary, or journal why not, with the token in none of
//! their output even at TRACE.

use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use chrono::{DateTime, NaiveDate, Utc};
use dalal::alerts::AlertTask;
use dalal::calendar::{Clock, SimulatedClock};
use dalal::config::{
    ALERT_WEBHOOK_URL, AlertEvent, AlertSettings, AlertTargets, Config, ConfigErrorKind,
    TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID,
};
use dalal::journal::{Journal, JournalEntry, JournalWriter, Recorded, Store};
use rust_decimal::dec;
use serde_json::{Value, json};

use crate::run_command::{sigterm, sim_journal, start_run_with_env, wait_with_limit};
use crate::support::{ConfigTree, ist};

const TOKEN: &str = "7712345678:AAHsecretPartOfTheBotToken_x-1";
const TOKEN_SECRET: &str = "AAHsecretPartOfTheBotToken_x-1";
const CHAT: &str = "-1001234567890";
const HOOK_SECRET: &str = "hook-s3cret-9f8e7d";
const DALAL: &str = "config/dalal.toml";

// ---- the stand-ins ----

#[derive(Clone)]
struct Answer {
    status: u16,
    body: Value,
}

impl Answer {
    fn ok() -> Answer {
        Answer {
            status: 200,
            body: json!({ "ok": true, "result": { "message_id": 1 } }),
        }
    }

    fn telegram_error(status: u16, description: &str) -> Answer {
        Answer {
            status,
            body: json!({ "ok": false, "error_code": status, "description": description }),
        }
    }
}

struct Received {
    at: Instant,
    path: String,
    body: Value,
}

#[derive(Default)]
struct Scripted {
    received: Vec<Received>,
    /// Answers to give in turn; then `otherwise`, or 200.
    script: VecDeque<Answer>,
    otherwise: Option<Answer>,
}

/// A Bot API (or webhook) stand-in on 127.0.0.1: records each POST and answers as scripted.
#[derive(Clone, Default)]
struct StandIn(Arc<Mutex<Scripted>>);

impl StandIn {
    async fn start() -> (StandIn, SocketAddr) {
        let stand_in = StandIn::default();
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(stand_in.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (stand_in, addr)
    }

    fn answer_always(&self, answer: Answer) {
        self.0.lock().unwrap().otherwise = Some(answer);
    }

    fn answer_first(&self, answers: Vec<Answer>) {
        self.0.lock().unwrap().script = answers.into();
    }

    fn count(&self) -> usize {
        self.0.lock().unwrap().received.len()
    }

    fn with_received<T>(&self, look: impl FnOnce(&[Received]) -> T) -> T {
        look(&self.0.lock().unwrap().received)
    }

    /// What the alerts said, in order (Telegram's `text`, the webhook's too).
    fn texts(&self) -> Vec<String> {
        self.with_received(|r| {
            r.iter()
                .map(|r| r.body["text"].as_str().unwrap_or_default().to_string())
                .collect()
        })
    }
}

async fn answer(
    State(stand_in): State<StandIn>,
    uri: Uri,
    body: axum::body::Bytes,
) -> (StatusCode, Json<Value>) {
    let mut scripted = stand_in.0.lock().unwrap();
    scripted.received.push(Received {
        at: Instant::now(),
        path: uri.path().to_string(),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    let answer = scripted
        .script
        .pop_front()
        .or_else(|| scripted.otherwise.clone())
        .unwrap_or_else(Answer::ok);
    (
        StatusCode::from_u16(answer.status).unwrap(),
        Json(answer.body),
    )
}

/// An address nothing listens on.
fn closed_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

// ---- the journal and the alerts under test ----

/// A journal of its own, with a clock on Monday 23 Nov 2026 for the `alert_failed` entries.
struct Bench {
    _dir: tempfile::TempDir,
    path: PathBuf,
    writer: JournalWriter,
    journal: Journal,
    clock: Clock,
}

impl Bench {
    fn open() -> Bench {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.sqlite");
        let writer = JournalWriter::open(&path, true).unwrap();
        let clock = SimulatedClock::new(ist(2026, 11, 23, 16, 0, 0), 1.0)
            .unwrap()
            .into();
        Bench {
            journal: writer.journal(),
            _dir: dir,
            path,
            writer,
            clock,
        }
    }

    fn alerts(&self, settings: &AlertSettings, targets: &AlertTargets) -> AlertTask {
        AlertTask::start(
            settings,
            targets,
            self.journal.clone(),
            self.clock.clone(),
            true,
        )
        .unwrap()
        .expect("a channel is set")
    }

    fn record(&self, at: DateTime<Utc>, entry: JournalEntry) {
        self.journal.record(at, entry);
    }

    /// Closes the journal and reads the day back.
    fn close(self) -> Vec<Recorded> {
        self.writer.close().unwrap();
        read_day(&self.path)
    }
}

fn read_day(path: &Path) -> Vec<Recorded> {
    Store::open(path)
        .unwrap()
        .between(ist(2026, 11, 23, 0, 0, 0), ist(2026, 11, 24, 0, 0, 0))
        .unwrap()
}

fn settings(events: &[AlertEvent], per_minute: u32, telegram_api: SocketAddr) -> AlertSettings {
    AlertSettings {
        events: events.iter().copied().collect(),
        per_minute,
        telegram_api: format!("http://{telegram_api}").parse().unwrap(),
    }
}

/// Telegram to `TOKEN`/`CHAT` when `telegram`, the webhook at `webhook` (path `/hooks/HOOK_SECRET`) when given.
fn targets(telegram: bool, webhook: Option<SocketAddr>) -> AlertTargets {
    let mut env = HashMap::new();
    if telegram {
        env.insert(TELEGRAM_BOT_TOKEN, TOKEN.to_string());
        env.insert(TELEGRAM_CHAT_ID, CHAT.to_string());
    }
    if let Some(addr) = webhook {
        env.insert(
            ALERT_WEBHOOK_URL,
            format!("http://{addr}/hooks/{HOOK_SECRET}?source=dalal"),
        );
    }
    AlertTargets::load(|k| env.get(k).cloned(), Path::new("/nonexistent/.env")).unwrap()
}

/// The `alert_failed` entries: (channel, event, error).
fn failures(entries: &[Recorded]) -> Vec<(String, String, String)> {
    entries
        .iter()
        .filter_map(|r| match &r.entry {
            JournalEntry::AlertFailed {
                channel,
                event,
                error,
            } => Some((channel.clone(), event.clone(), error.clone())),
            _ => None,
        })
        .collect()
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in [TOKEN_SECRET, HOOK_SECRET, "/bot7712345678"] {
        assert!(!text.contains(secret), "{what} carries {secret:?}:\n{text}");
    }
}

fn journal_text(entries: &[Recorded]) -> String {
    entries.iter().map(|r| format!("{:?}\n", r.entry)).collect()
}

/// Waits until the journal's watcher sees an entry `wanted` accepts.
async fn seen(
    watcher: &mut tokio::sync::broadcast::Receiver<Arc<dalal::journal::JournalEvent>>,
    wanted: impl Fn(&JournalEntry) -> bool,
) -> JournalEntry {
    let wait = async {
        loop {
            let event = watcher.recv().await.unwrap();
            if wanted(&event.entry) {
                return event.entry.clone();
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), wait)
        .await
        .expect("the entry within 20 s")
}

// ---- entries of a day ----

fn feed(state: &str, reason: Option<&str>) -> JournalEntry {
    JournalEntry::FeedState {
        state: state.into(),
        reason: reason.map(str::to_string),
    }
}

fn control(action: &str) -> JournalEntry {
    JournalEntry::Control {
        action: action.into(),
        accepted: true,
        detail: format!("{action} done"),
    }
}

fn day_summary() -> JournalEntry {
    JournalEntry::DaySummary {
        date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        trading_enabled: true,
        ticks: 52_000,
        orders: 2,
        fills: 2,
        round_trips: 1,
        realized_pnl: dec!(-520.8),
        charges: dec!(31.47),
        seconds_streaming: 22_000,
        seconds_polling: 325,
        fallbacks: vec!["10:42:05 IST: WebSocket handshake refused with 401".into()],
        failures: vec![],
        broker_open: None,
    }
}

const REFUSED: &str = "WebSocket handshake refused with 401";
const FALLBACK_TEXT: &str = "dalal (paper): feed fell back to polling at 10:42:05 IST: WebSocket handshake refused with 401";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chosen_events_reach_telegram_and_the_webhook_worded_for_the_trader_and_unchosen_ones_do_not()
 {
    let (telegram, api) = StandIn::start().await;
    let (webhook, hook) = StandIn::start().await;
    let bench = Bench::open();
    let chosen = [
        AlertEvent::FeedFallback,
        AlertEvent::FeedReturn,
        AlertEvent::OrderRejected,
        AlertEvent::DaySummary,
    ];
    let task = bench.alerts(&settings(&chosen, 20, api), &targets(true, Some(hook)));
    let tag = "D261123-RELI-E1";
    bench.record(ist(2026, 11, 23, 9, 0, 1), feed("streaming", None));
    bench.record(
        ist(2026, 11, 23, 9, 31, 0),
        JournalEntry::Signal {
            instrument: "NSE:RELIANCE".into(),
            side: "BUY".into(),
            price: dec!(1016),
            stop: dec!(1008),
            target: dec!(1028),
            reason: "broke the opening-range high".into(),
        },
    );
    bench.record(ist(2026, 11, 23, 10, 42, 5), feed("polling", Some(REFUSED)));
    bench.record(
        ist(2026, 11, 23, 10, 42, 9),
        feed("reconnecting", Some("WebSocket dropped: reset")),
    );
    bench.record(ist(2026, 11, 23, 10, 47, 30), feed("streaming", None));
    bench.record(
        ist(2026, 11, 23, 11, 5, 0),
        JournalEntry::Order {
            tag: tag.into(),
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
    );
    // Acknowledged first, rejected afterwards: the rejection traders asked for.
    bench.record(
        ist(2026, 11, 23, 11, 5, 2),
        JournalEntry::OrderEnded {
            tag: tag.into(),
            rejected: true,
            reason: "RMS: margin exceeds".into(),
        },
    );
    bench.record(
        ist(2026, 11, 23, 11, 6, 0),
        JournalEntry::Fill {
            tag: "D261123-INFY-E1".into(),
            instrument: "NSE:INFY".into(),
            side: "BUY".into(),
            quantity: 10,
            price: dec!(1500),
        },
    );
    bench.record(ist(2026, 11, 23, 15, 40, 0), day_summary());
    task.finish(Duration::from_secs(5)).await;
    let entries = bench.close();

    let expected = [
        FALLBACK_TEXT,
        "dalal (paper): feed streaming again at 10:47:30 IST, after 5 min 25 s without the stream (since \
         10:42:05 IST)",
        "dalal (paper): order D261123-RELI-E1 (BUY 62 NSE:RELIANCE) rejected at 11:05:02 IST: RMS: margin \
         exceeds",
        "dalal (paper): Mon 23 Nov 2026: 1 round trip, P&L ₹-520.80 gross, charges ≈ ₹31.47, net ₹-552.27; 1 \
         fallback to polling (10:42:05 IST: WebSocket handshake refused with 401)",
    ];
    assert_eq!(telegram.texts(), expected);
    telegram.with_received(|received| {
        for r in received {
            assert_eq!(r.path, format!("/bot{TOKEN}/sendMessage"));
            assert_eq!(r.body["chat_id"], json!(-1001234567890_i64));
        }
    });
    assert_eq!(webhook.texts(), expected);
    webhook.with_received(|received| {
        let events: Vec<&str> = received
            .iter()
            .map(|r| r.body["event"].as_str().unwrap())
            .collect();
        assert_eq!(
            events,
            [
                "feed_fallback",
                "feed_return",
                "order_rejected",
                "day_summary"
            ]
        );
        assert!(
            received
                .iter()
                .all(|r| r.path == format!("/hooks/{HOOK_SECRET}"))
        );
        let first = &received[0].body;
        assert_eq!(first["at"], "2026-11-23T05:12:05.000Z");
        assert_eq!(first["at_ist"], "2026-11-23T10:42:05.000+05:30");
        assert_eq!(first["paper"], true);
        assert_eq!(
            first["entry"],
            json!({ "kind": "feed_state", "state": "polling", "reason": REFUSED })
        );
        assert_eq!(received[3].body["entry"]["round_trips"], 1);
    });
    assert_eq!(failures(&entries), []);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_is_retried_then_journaled_without_the_token_and_recovery_delivers_again() {
    let (telegram, api) = StandIn::start().await;
    telegram.answer_always(Answer::telegram_error(500, "Internal Server Error"));
    let bench = Bench::open();
    let mut watcher = bench.journal.watch();
    let chosen = [AlertEvent::FeedFallback, AlertEvent::FeedReturn];
    let task = bench.alerts(&settings(&chosen, 20, api), &targets(true, None));
    bench.record(ist(2026, 11, 23, 10, 42, 5), feed("polling", Some(REFUSED)));
    // Trading goes on meanwhile: recording never waits for an alert.
    let started = Instant::now();
    for i in 0..1000 {
        bench.record(
            ist(2026, 11, 23, 10, 42, 6),
            JournalEntry::Fill {
                tag: format!("D261123-SBIN-E{i}"),
                instrument: "NSE:SBIN".into(),
                side: "BUY".into(),
                quantity: 1,
                price: dec!(800),
            },
        );
    }
    let recording = started.elapsed();
    assert!(
        recording < Duration::from_secs(1),
        "1000 entries took {recording:?} during the outage"
    );
    let failed = seen(&mut watcher, |e| {
        matches!(e, JournalEntry::AlertFailed { .. })
    })
    .await;
    let tries: Vec<Instant> = telegram.with_received(|r| r.iter().map(|r| r.at).collect());
    assert_eq!(tries.len(), 3, "three tries, then given up");
    let (first_wait, second_wait) = (tries[1] - tries[0], tries[2] - tries[1]);
    assert!(
        first_wait >= Duration::from_millis(950) && second_wait >= Duration::from_millis(1950),
        "backoff {first_wait:?}, {second_wait:?}"
    );
    println!("outage: tries {first_wait:?} and {second_wait:?} apart, then {failed:?}");

    telegram.answer_always(Answer::ok());
    bench.record(ist(2026, 11, 23, 10, 47, 30), feed("streaming", None));
    task.finish(Duration::from_secs(5)).await;
    let entries = bench.close();

    let texts = telegram.texts();
    assert_eq!(texts.len(), 4);
    assert!(texts[..3].iter().all(|t| t == FALLBACK_TEXT), "{texts:#?}");
    assert!(
        texts[3].starts_with("dalal (paper): feed streaming again at 10:47:30 IST"),
        "{texts:#?}"
    );
    assert_eq!(
        failures(&entries),
        [(
            "telegram".to_string(),
            "feed_fallback".to_string(),
            "after 3 tries: HTTP 500: Internal Server Error".to_string()
        )]
    );
    assert_no_secret("the journal", &journal_text(&entries));
    let fills = entries.iter().filter(|r| r.entry.kind() == "fill").count();
    assert_eq!(
        fills, 1000,
        "every fill recorded during the outage is journaled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_host_or_a_refusal_is_journaled_without_the_token_or_the_webhook_secret() {
    let (telegram, api) = StandIn::start().await;
    telegram.answer_always(Answer::telegram_error(400, "Bad Request: chat not found"));
    let bench = Bench::open();
    let chosen = [AlertEvent::DaySummary];
    // Telegram answers 400 and the webhook's host is down; another Telegram whose API host is down.
    let refusing = bench.alerts(
        &settings(&chosen, 20, api),
        &targets(true, Some(closed_port())),
    );
    let unreachable = bench.alerts(&settings(&chosen, 20, closed_port()), &targets(true, None));
    bench.record(ist(2026, 11, 23, 15, 40, 0), day_summary());
    let (_, _) = tokio::join!(
        refusing.finish(Duration::from_secs(10)),
        unreachable.finish(Duration::from_secs(10))
    );
    let entries = bench.close();

    assert_eq!(telegram.count(), 1, "a 400 is not retried");
    let mut failed = failures(&entries);
    failed.sort();
    assert_eq!(failed.len(), 3, "{failed:#?}");
    let telegram_errors: Vec<&str> = failed
        .iter()
        .filter(|(channel, event, _)| channel == "telegram" && event == "day_summary")
        .map(|(_, _, error)| error.as_str())
        .collect();
    assert_eq!(telegram_errors.len(), 2, "{failed:#?}");
    assert!(
        telegram_errors.contains(&"HTTP 400: Bad Request: chat not found (not retried)"),
        "{failed:#?}"
    );
    let down = telegram_errors
        .iter()
        .find(|e| e.starts_with("after 3 tries: cannot connect: "))
        .unwrap_or_else(|| panic!("{failed:#?}"));
    println!("telegram down: {down}");
    let webhook_error = &failed.iter().find(|(c, _, _)| c == "webhook").unwrap().2;
    assert!(
        webhook_error.starts_with("after 3 tries: cannot connect: "),
        "{webhook_error}"
    );
    let journal = journal_text(&entries);
    assert_no_secret("the journal", &journal);
    assert!(
        !journal.contains("http://"),
        "a URL in the journal:\n{journal}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telegram_429_is_tried_again_after_the_retry_after_it_names() {
    let (telegram, api) = StandIn::start().await;
    let mut too_many = Answer::telegram_error(429, "Too Many Requests: retry after 2");
    too_many.body["parameters"] = json!({ "retry_after": 2 });
    telegram.answer_first(vec![too_many]);
    let bench = Bench::open();
    let task = bench.alerts(
        &settings(&[AlertEvent::Control], 20, api),
        &targets(true, None),
    );
    bench.record(ist(2026, 11, 23, 11, 0, 0), control("pause"));
    task.finish(Duration::from_secs(10)).await;
    let entries = bench.close();

    let tries: Vec<Instant> = telegram.with_received(|r| r.iter().map(|r| r.at).collect());
    assert_eq!(tries.len(), 2);
    let waited = tries[1] - tries[0];
    // The policy alone would wait 1 s.
    assert!(waited >= Duration::from_millis(1950), "waited {waited:?}");
    assert_eq!(
        telegram.texts()[1],
        "dalal (paper): control `pause` carried out at 11:00:00 IST: pause done"
    );
    assert_eq!(failures(&entries), []);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_drops_alerts_beyond_per_minute_and_journals_each() {
    let (telegram, api) = StandIn::start().await;
    let (webhook, hook) = StandIn::start().await;
    let bench = Bench::open();
    let task = bench.alerts(
        &settings(&[AlertEvent::Control], 3, api),
        &targets(true, Some(hook)),
    );
    for (i, action) in ["pause", "resume", "flatten", "pause", "resume"]
        .iter()
        .enumerate()
    {
        bench.record(ist(2026, 11, 23, 11, 0, i as u32), control(action));
    }
    task.finish(Duration::from_secs(5)).await;
    let entries = bench.close();

    let sent: Vec<String> = ["pause", "resume", "flatten"]
        .iter()
        .enumerate()
        .map(|(i, a)| {
            format!("dalal (paper): control `{a}` carried out at 11:00:0{i} IST: {a} done")
        })
        .collect();
    assert_eq!(telegram.texts(), sent);
    assert_eq!(webhook.texts(), sent);
    let dropped = failures(&entries);
    assert_eq!(dropped.len(), 2, "{dropped:#?}");
    for (channel, event, error) in &dropped {
        assert_eq!(
            (channel.as_str(), event.as_str()),
            ("telegram+webhook", "control")
        );
        assert!(
            error.contains("dropped by the rate limit: more than 3 alerts in a minute"),
            "{error}"
        );
    }
}

#[test]
fn alerts_settings_that_cannot_work_are_refused_naming_their_key() {
    /// The errors after replacing `from` with `to` in the shipped dalal.toml: kind, key and line of each, the
    /// text shown, and the lines of `needles` in the edited file.
    type Found = Vec<(ConfigErrorKind, String, Option<usize>)>;
    fn refused(from: &str, to: &str, needles: &[&str]) -> (Found, String, Vec<Option<usize>>) {
        let tree = ConfigTree::shipped();
        tree.edit(DALAL, from, to);
        let errors = Config::load(&tree.config()).expect_err("refused");
        let found = errors
            .iter()
            .map(|e| (e.kind, e.key.clone().unwrap_or_default(), e.line))
            .collect();
        let lines = needles
            .iter()
            .map(|needle| Some(tree.line_of(DALAL, needle)))
            .collect();
        (found, errors.to_string(), lines)
    }

    let (found, shown, lines) = refused("\"stop_hit\",", "\"stop_hits\",", &["\"stop_hits\""]);
    assert_eq!(
        found,
        [(
            ConfigErrorKind::OutOfRange,
            "alerts.events[5]".into(),
            lines[0]
        )],
        "{shown}"
    );
    assert!(shown.contains("unknown variant `stop_hits`"), "{shown}");

    let (found, shown, lines) = refused(
        "per_minute = 20 ",
        "per_minute = 0\ntelegram_api = \"http://api.telegram.org\" ",
        &["per_minute = 0", "telegram_api ="],
    );
    assert_eq!(
        found,
        [
            (
                ConfigErrorKind::OutOfRange,
                "alerts.per_minute".into(),
                lines[0]
            ),
            (
                ConfigErrorKind::OutOfRange,
                "alerts.telegram_api".into(),
                lines[1]
            ),
        ],
        "{shown}"
    );
    assert!(shown.contains("use https"), "{shown}");

    let (found, shown, _) = refused("per_minute = 20 ", "per_minute = \"twenty\" ", &[]);
    assert_eq!(found[0].0, ConfigErrorKind::WrongType, "{shown}");
    assert_eq!(found[0].1, "alerts.per_minute", "{shown}");

    let (found, shown, _) = refused(
        "per_minute = 20 ",
        "per_minute = 20\nbot_token = \"1:abc\" ",
        &[],
    );
    assert_eq!(found[0].0, ConfigErrorKind::SecretInFile, "{shown}");
    assert_eq!(found[0].1, "alerts.bot_token", "{shown}");
    assert!(
        shown.contains(TELEGRAM_BOT_TOKEN) && !shown.contains("1:abc"),
        "{shown}"
    );

    let shipped = Config::load(&crate::support::shipped_config()).unwrap();
    assert_eq!(shipped.bot.alerts, AlertSettings::default());
}

// ---- `dalal run` with alerts ----

/// Both pipes read all along: at TRACE the log is large, and a full pipe would stall the bot.
fn drain(pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    let mut pipe = pipe;
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

/// The events line of the shipped config.
const SHIPPED_EVENTS: &str = "events = [
  \"feed_fallback\", \"feed_return\", \"token_refused\", \"check_failed\", \"order_rejected\",
  \"stop_hit\", \"daily_loss\", \"control\", \"day_summary\",
]";

/// The shipped tree with Telegram's API at `api`, sending `events`.
fn tree_with_alerts(api: SocketAddr, events: &str) -> ConfigTree {
    let tree = ConfigTree::shipped();
    tree.edit(
        DALAL,
        SHIPPED_EVENTS,
        &format!("events = {events}\ntelegram_api = \"http://{api}\""),
    );
    tree
}

fn telegram_env(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut env = vec![(TELEGRAM_BOT_TOKEN, TOKEN), (TELEGRAM_CHAT_ID, CHAT)];
    env.extend_from_slice(extra);
    env
}

#[cfg(unix)]
#[test]
fn a_paper_day_sends_its_summary_to_telegram_and_no_output_carries_the_token_even_at_trace() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (telegram, api) = runtime.block_on(StandIn::start());
    let tree = tree_with_alerts(api, r#"["day_summary"]"#);
    let mut run = start_run_with_env(
        &tree,
        &["--start", "2026-11-23T15:22", "--speed", "60"],
        &telegram_env(&[("RUST_LOG", "trace")]),
    );
    let pipes = [
        drain(run.stdout.take().unwrap()),
        drain(run.stderr.take().unwrap()),
    ];
    let (code, _, _) = wait_with_limit(run, Duration::from_secs(120));
    let [stdout, stderr] = pipes.map(|p| p.join().unwrap());
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("alerts: telegram for day_summary (at most 20 a minute)"),
        "{stderr}"
    );
    // dalal's own DEBUG lines prove the filter let the level through; dependencies' TRACE is what it drops.
    assert!(stderr.contains("DEBUG"), "no DEBUG line at TRACE");

    let texts = telegram.texts();
    assert_eq!(texts.len(), 1, "{texts:#?}");
    assert!(
        texts[0].starts_with("dalal (paper): Mon 23 Nov 2026: ") && texts[0].contains("round trip"),
        "{texts:#?}"
    );
    telegram.with_received(|r| assert_eq!(r[0].path, format!("/bot{TOKEN}/sendMessage")));
    let entries = sim_journal(&tree);
    assert_eq!(failures(&entries), []);
    let journal = journal_text(&entries);
    for (what, text) in [
        ("stdout", &stdout),
        ("stderr", &stderr),
        ("the journal", &journal),
    ] {
        assert_no_secret(what, text);
    }
    println!(
        "{}\n{} log lines at TRACE, no token in any",
        texts[0],
        stderr.lines().count()
    );
}

#[cfg(unix)]
#[test]
fn with_telegram_down_the_day_trades_on_and_each_lost_alert_is_journaled_without_the_token() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (telegram, api) = runtime.block_on(StandIn::start());
    telegram.answer_always(Answer::telegram_error(500, "Internal Server Error"));
    let tree = tree_with_alerts(api, r#"["signal", "fill", "day_summary"]"#);
    let mut run = start_run_with_env(
        &tree,
        &["--start", "2026-11-23T09:14:30", "--speed", "60"],
        &telegram_env(&[]),
    );
    let pipes = [
        drain(run.stdout.take().unwrap()),
        drain(run.stderr.take().unwrap()),
    ];
    let deadline = Instant::now() + Duration::from_secs(120);
    while !sim_journal(&tree).iter().any(|r| r.entry.kind() == "fill") {
        assert!(Instant::now() < deadline, "no fill within 120 s");
        std::thread::sleep(Duration::from_millis(200));
    }
    sigterm(&run);
    let (code, _, _) = wait_with_limit(run, Duration::from_secs(60));
    let [stdout, stderr] = pipes.map(|p| p.join().unwrap());
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("stopped before the close (a signal"),
        "{stdout}"
    );

    let entries = sim_journal(&tree);
    let failed = failures(&entries);
    assert!(
        failed.contains(&(
            "telegram".into(),
            "signal".into(),
            "after 3 tries: HTTP 500: Internal Server Error".into()
        )),
        "{failed:#?}"
    );
    assert!(entries.iter().any(|r| r.entry.kind() == "day_summary"));
    assert!(
        failed.iter().any(|(_, event, _)| event == "day_summary"),
        "the summary that could not go out is journaled: {failed:#?}"
    );
    assert!(failed.iter().all(|(channel, _, _)| channel == "telegram"));
    // The signal's three tries reached the stand-in.
    let signal_tries = telegram
        .texts()
        .iter()
        .filter(|t| t.starts_with("dalal (paper): signal at "))
        .count();
    assert!(signal_tries >= 3, "{:#?}", telegram.texts());
    let journal = journal_text(&entries);
    for (what, text) in [
        ("stdout", &stdout),
        ("stderr", &stderr),
        ("the journal", &journal),
    ] {
        assert_no_secret(what, text);
    }
    println!(
        "{} alerts journaled as not delivered, the day traded on: {failed:#?}",
        failed.len()
    );
}

#[test]
fn dalal_run_refuses_a_half_set_telegram_naming_the_missing_variable() {
    let tree = ConfigTree::shipped();
    let run = start_run_with_env(&tree, &[], &[(TELEGRAM_BOT_TOKEN, TOKEN)]);
    let (code, _, stderr) = wait_with_limit(run, Duration::from_secs(30));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("key `DALAL_TELEGRAM_CHAT_ID`: DALAL_TELEGRAM_BOT_TOKEN is set but"),
        "{stderr}"
    );
    assert_no_secret("stderr", &stderr);
}
