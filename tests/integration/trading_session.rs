//! A continuous session end to end on the simulator: the failover feed's prices drive the engine, orders go
//! through the executor (paper fills, or the simulator's matching as a live broker), fills come back, and the
//! journal records it all. Paper and live sessions leave journals of the same shape.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use dalal::broker::OrderBroker;
use dalal::broker::upstox::{FeedMode, RestSettings, UpstoxFeedBroker, UpstoxOrders};
use dalal::calendar::MarketCalendar;
use dalal::config::{Config, Secret, TokenSource};
use dalal::engine::{Engine, EngineEvent};
use dalal::execution::{Executor, PaperBroker};
use dalal::feed::{FailoverFeed, FeedTimings};
use dalal::journal::{JournalEntry, JournalWriter, Store};
use dalal::runner::{SessionSummary, TradingSession};
use dalal::status::{ControlInbox, StatusBoard};
use rust_decimal::dec;
use tokio::sync::{mpsc, watch};

use crate::support::{SIM_TOKEN, SimHarness, ist, quiet_scenario, scenario_with, shipped_config};

async fn run_session<O: OrderBroker>(
    sim: &SimHarness,
    orders: Arc<O>,
    paper: Option<Arc<PaperBroker>>,
    journal_path: &std::path::Path,
) -> SessionSummary {
    run_session_until(
        sim,
        orders,
        paper,
        journal_path,
        ist(2026, 11, 23, 10, 45, 0),
        |_| {},
    )
    .await
}

/// A session from the simulator's start until `until`, with the shipped config changed by `adjust`.
pub(crate) async fn run_session_until<O: OrderBroker>(
    sim: &SimHarness,
    orders: Arc<O>,
    paper: Option<Arc<PaperBroker>>,
    journal_path: &std::path::Path,
    until: chrono::DateTime<chrono::Utc>,
    adjust: impl FnOnce(&mut Config),
) -> SessionSummary {
    let mut config = Config::load(&shipped_config()).unwrap();
    // At 300x a few milliseconds of scheduling are seconds of market time: staleness is tested elsewhere, this
    // test is about the wiring, so allow the longest price age the config accepts.
    config.bot.risk.max_price_age_ms = 60_000;
    adjust(&mut config);
    let calendar = MarketCalendar::new(config.bot.calendar.clone());
    let instruments: HashMap<String, _> = config
        .bot
        .universe
        .iter()
        .map(|i| (i.upstox_key().unwrap().to_string(), i.id.clone()))
        .collect();
    let rest = sim.rest_with(
        SIM_TOKEN,
        RestSettings {
            read_attempts: 1,
            ..RestSettings::default()
        },
    );
    let broker = Arc::new(UpstoxFeedBroker::new(
        rest,
        TokenSource::Fixed(Secret::new(SIM_TOKEN)),
        FeedMode::Ltpc,
    ));
    let (tx, mut rx) = mpsc::channel(4096);
    let feed = FailoverFeed::new(
        broker,
        sim.clock.clone(),
        calendar.clone(),
        FeedTimings::from(&config.bot.feed),
        instruments,
        tx,
    );
    let (stop, stopped) = watch::channel(false);
    let feed_task = tokio::spawn(feed.run(stopped));

    let mut engine = Engine::new(
        calendar,
        config.strategy.clone(),
        config.bot.risk.clone(),
        config.bot.session.clone(),
        config.bot.universe.clone(),
    )
    .with_order_policy(config.bot.orders);
    engine.on_event(EngineEvent::TradingEnabled(true));
    let executor = Executor::new(
        orders,
        sim.clock.clone(),
        config.bot.risk.max_orders_per_second,
        Duration::from_secs(5),
    );
    let writer = JournalWriter::open(journal_path, paper.is_some()).unwrap();
    let board = StatusBoard::new(Duration::from_secs(3));
    let mut session = TradingSession::new(
        sim.clock.clone(),
        engine,
        executor,
        paper,
        writer.journal(),
        board,
        config.bot.charges,
    );
    let (_keep_running, mut running) = watch::channel(false);
    let summary = session
        .run_until(&mut rx, until, &mut running, &mut ControlInbox::none())
        .await;
    // Nobody reads the feed any more: closing the channel ends it even if it is blocked on a full channel.
    drop(rx);
    let _ = stop.send(true);
    feed_task.await.unwrap();
    writer.close().unwrap();
    summary
}

fn journal_kinds(path: &std::path::Path) -> (Vec<JournalEntry>, BTreeSet<&'static str>) {
    let entries: Vec<JournalEntry> = Store::open(path)
        .unwrap()
        .between(ist(2026, 11, 23, 0, 0, 0), ist(2026, 11, 24, 0, 0, 0))
        .unwrap()
        .into_iter()
        .map(|r| r.entry)
        .collect();
    let kinds = entries.iter().map(|e| e.kind()).collect();
    (entries, kinds)
}

/// Every order in the journal is followed by fills of its tag, carrying the signal price that caused it.
fn assert_orders_filled(entries: &[JournalEntry]) {
    let orders: Vec<(&String, u32)> = entries
        .iter()
        .filter_map(|e| match e {
            JournalEntry::Order {
                tag,
                quantity,
                signal_price,
                ..
            } => {
                assert!(*signal_price > dec!(0));
                Some((tag, *quantity))
            }
            _ => None,
        })
        .collect();
    assert!(!orders.is_empty(), "the session traded");
    for (tag, quantity) in orders {
        let filled: u32 = entries
            .iter()
            .filter_map(|e| match e {
                JournalEntry::Fill {
                    tag: t, quantity, ..
                } if t == tag => Some(*quantity),
                _ => None,
            })
            .sum();
        assert_eq!(filled, quantity, "order {tag} filled completely");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paper_and_live_sessions_trade_the_same_way_and_journal_the_same_shape() {
    let dir = tempfile::tempdir().unwrap();

    let sim = SimHarness::start(quiet_scenario(), ist(2026, 11, 23, 9, 14, 30), 300.0).await;
    let paper = Arc::new(PaperBroker::new(dec!(5)));
    let paper_path = dir.path().join("paper.sqlite");
    let paper_summary = run_session(&sim, Arc::clone(&paper), Some(paper), &paper_path).await;

    let sim = SimHarness::start(quiet_scenario(), ist(2026, 11, 23, 9, 14, 30), 300.0).await;
    let universe = Config::load(&shipped_config()).unwrap().bot.universe;
    let live_orders = Arc::new(UpstoxOrders::for_universe(
        Arc::new(sim.rest(SIM_TOKEN)),
        &universe,
    ));
    let live_path = dir.path().join("live.sqlite");
    let live_summary = run_session(&sim, live_orders, None, &live_path).await;

    let (paper_entries, paper_kinds) = journal_kinds(&paper_path);
    let (live_entries, live_kinds) = journal_kinds(&live_path);
    for kinds in [&paper_kinds, &live_kinds] {
        for kind in ["feed_state", "tick_summary", "signal", "order", "fill"] {
            assert!(kinds.contains(kind), "{kind} missing from {kinds:?}");
        }
    }
    // The same shape: every kind both journals hold has the same fields in both.
    for kind in paper_kinds.intersection(&live_kinds) {
        let fields = |entries: &[JournalEntry]| -> BTreeSet<String> {
            entries
                .iter()
                .filter(|e| e.kind() == *kind)
                .flat_map(|e| {
                    serde_json::to_value(e)
                        .unwrap()
                        .as_object()
                        .unwrap()
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        assert_eq!(
            fields(&paper_entries),
            fields(&live_entries),
            "{kind} entries differ in shape"
        );
    }
    assert_orders_filled(&paper_entries);
    assert_orders_filled(&live_entries);
    assert!(paper_summary.ticks > 1000 && live_summary.ticks > 1000);
    assert!(paper_summary.fills >= 1 && live_summary.fills >= 1);
    println!("paper: {paper_summary:?}\nlive:  {live_summary:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prices_reach_the_engine_while_a_submit_hangs() {
    // Every order is placed at once but acknowledged 15 s later, past the 5 s submit timeout: each submit waits
    // out its timeout and then finds the order by its tag.
    let fault = "[[fault]]\nkind = \"ack_delay\"\nfrom = \"09:15\"\ndelay_ms = 15000";
    let sim = SimHarness::start(scenario_with(fault), ist(2026, 11, 23, 9, 14, 55), 20.0).await;
    let universe = Config::load(&shipped_config()).unwrap().bot.universe;
    let orders = Arc::new(UpstoxOrders::for_universe(
        Arc::new(sim.rest(SIM_TOKEN)),
        &universe,
    ));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hanging.sqlite");
    let summary = run_session_until(
        &sim,
        orders,
        None,
        &path,
        ist(2026, 11, 23, 9, 19, 0),
        // A one-minute opening range, so entries come within a short run.
        |config| config.strategy.qualify.or_minutes = 1,
    )
    .await;
    let (entries, _) = journal_kinds(&path);
    let hung = entries
        .iter()
        .filter(
            |e| matches!(e, JournalEntry::Order { state, .. } if state.starts_with("found by tag")),
        )
        .count();
    assert!(
        hung >= 1,
        "a submit hung and was resolved by its tag: {entries:#?}"
    );
    let waited = summary.longest_price_wait.as_secs_f64();
    assert!(
        waited <= 1.0,
        "a price waited {waited} s for the engine while {hung} submits hung"
    );
    println!(
        "{hung} submits hung past the 5 s timeout; longest price-to-engine delay {:.3} s over {} prices",
        waited, summary.ticks
    );
}
