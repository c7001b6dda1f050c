//! Orders from the engine to a broker and fills back: the executor against the simulator (live path) and the
//! paper broker (paper path), including the ambiguous submit that must not become two orders.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use dalal::broker::hdfcsky::HdfcSkyOrders;
use dalal::broker::upstox::{RestSettings, UpstoxOrders};
use dalal::broker::{OrderBroker, OrderState};
use dalal::calendar::{CalendarData, MarketCalendar};
use dalal::config::{RiskLimits, SessionCutoffs, StrategyConfig, TokenSource};
use dalal::domain::{
    Exchange, Instrument, InstrumentId, OrderKind, Segment, Side, Tick, TickSize, TickSource,
    UpstoxKey,
};
use dalal::engine::{ApprovedOrder, Command, Engine, EngineEvent};
use dalal::execution::{Executor, OrderStatus, PaperBroker, SubmitOutcome};
use rust_decimal::{Decimal, dec};

use crate::day_runner::Api;
use crate::support::{RENEWED_TOKEN, SIM_TOKEN, SimHarness, ist, quiet_scenario, scenario_with};

pub(crate) const RELIANCE_KEY: &str = "NSE_EQ|INE002A01018";

fn reliance() -> Instrument {
    Instrument {
        id: InstrumentId::new(Exchange::Nse, "RELIANCE").unwrap(),
        segment: Segment::Equity,
        isin: Some("INE002A01018".parse().unwrap()),
        upstox_key: None,
        hdfcsky_token: None,
        tick_size: Some(TickSize::new(dec!(0.1)).unwrap()),
        lot_size: 1,
        has_derivatives: true,
    }
}

fn tick(price: Decimal, previous_close: Decimal, at: DateTime<Utc>) -> EngineEvent {
    EngineEvent::Tick(Tick {
        instrument: reliance().id,
        last_price: price,
        last_trade_time: Some(at),
        last_quantity: Some(1),
        previous_close: Some(previous_close),
        source: TickSource::Stream,
        received_at: at,
    })
}

/// The engine's entry for a long continuation that breaks out at `price`: a gap of about 1 % and an opening
/// range just under `price`.
pub(crate) fn entry_at(price: Decimal) -> ApprovedOrder {
    engine_with_entry(price, false).1
}

/// The engine that decided `entry_at(price)`, with protective stops on or off, and its entry.
pub(crate) fn engine_with_entry(price: Decimal, protective_stop: bool) -> (Engine, ApprovedOrder) {
    let mut strategy: StrategyConfig =
        toml::from_str(include_str!("../../strategies/continuation.toml")).unwrap();
    strategy.exit.protective_stop = protective_stop;
    let mut engine = Engine::new(
        MarketCalendar::new(CalendarData::default()),
        strategy,
        RiskLimits::default(),
        SessionCutoffs::default(),
        vec![reliance()],
    );
    engine.on_event(EngineEvent::TradingEnabled(true));
    let tick_size = TickSize::new(dec!(0.1)).unwrap();
    let close = tick_size.round_nearest(price / dec!(1.012));
    let level =
        |pct: Decimal| tick_size.round_nearest(price * (Decimal::ONE - pct / Decimal::ONE_HUNDRED));
    engine.on_event(tick(level(dec!(0.4)), close, ist(2026, 11, 23, 9, 15, 0)));
    engine.on_event(tick(level(dec!(0.8)), close, ist(2026, 11, 23, 9, 20, 0)));
    engine.on_event(tick(level(dec!(0.1)), close, ist(2026, 11, 23, 9, 25, 0)));
    let commands = engine.on_event(tick(price, close, ist(2026, 11, 23, 9, 30, 1)));
    let entry = commands
        .into_iter()
        .find_map(|c| match c {
            Command::Place(order) => Some(order),
            _ => None,
        })
        .expect("the engine enters");
    (engine, entry)
}

pub(crate) fn upstox_orders(sim: &SimHarness, settings: RestSettings) -> Arc<UpstoxOrders> {
    let keys: HashMap<InstrumentId, UpstoxKey> =
        [(reliance().id, RELIANCE_KEY.parse().unwrap())].into();
    Arc::new(UpstoxOrders::new(
        Arc::new(sim.rest_with(SIM_TOKEN, settings)),
        keys,
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_is_placed_filled_and_reported_back_as_a_fill() {
    let sim = SimHarness::start(quiet_scenario(), ist(2026, 11, 23, 10, 0, 0), 1.0).await;
    let ltp = sim.rest(SIM_TOKEN).ltp(&[RELIANCE_KEY]).await.unwrap()[0].last_price;
    let order = entry_at(ltp);
    let OrderKind::Limit { price: limit } = order.request().kind else {
        panic!("entries are protected LIMIT orders");
    };
    let broker = upstox_orders(&sim, RestSettings::default());
    let mut executor = Executor::new(
        Arc::clone(&broker),
        sim.clock.clone(),
        8,
        Duration::from_secs(5),
    );
    let (outcome, events) = executor.submit(&order).await;
    assert!(
        matches!(outcome, SubmitOutcome::Accepted(ref ids) if ids.len() == 1),
        "{outcome:?}"
    );
    assert!(events.is_empty());

    let events = executor.sync().await.unwrap();
    let [EngineEvent::Fill(fill)] = &events[..] else {
        panic!("one fill: {events:?}");
    };
    assert_eq!(fill.tag.as_ref(), Some(&order.request().tag));
    assert_eq!(fill.quantity, order.request().quantity);
    assert!(
        fill.price <= limit,
        "a buy LIMIT never fills above its limit: {} > {limit}",
        fill.price
    );
    assert!(
        executor.sync().await.unwrap().is_empty(),
        "a fill is reported once"
    );
}

/// A submit whose outcome is unknown under `fault` is found by its tag: one order for one intent, its fills seen,
/// and the same intent submitted again sends nothing; through each broker's API.
async fn an_unknown_outcome_is_resolved_by_looking(fault: &str, submit_timeout: Duration) {
    for api in [Api::Upstox, Api::HdfcSky] {
        let sim = SimHarness::start(
            scenario_with(&format!(
                "[[fault]]\nkind = \"{fault}\"\nfrom = \"10:00\"\ndelay_ms = 30000"
            )),
            ist(2026, 11, 23, 10, 0, 0),
            1.0,
        )
        .await;
        let ltp = sim.rest(SIM_TOKEN).ltp(&[RELIANCE_KEY]).await.unwrap()[0].last_price;
        let order = entry_at(ltp);
        match api {
            Api::Upstox => {
                let broker = upstox_orders(&sim, RestSettings::default());
                resolved_by_looking(fault, broker, &sim, &order, submit_timeout).await;
            }
            Api::HdfcSky => {
                let instrument = Instrument {
                    hdfcsky_token: Some("2885".into()),
                    ..reliance()
                };
                let broker = Arc::new(HdfcSkyOrders::for_universe(
                    Arc::new(sim.sky_rest(SIM_TOKEN)),
                    &[instrument],
                    sim.clock.clone(),
                ));
                resolved_by_looking(fault, broker, &sim, &order, submit_timeout).await;
            }
        }
    }
}

async fn resolved_by_looking<B: OrderBroker>(
    fault: &str,
    broker: Arc<B>,
    sim: &SimHarness,
    order: &ApprovedOrder,
    submit_timeout: Duration,
) {
    let mut executor = Executor::new(Arc::clone(&broker), sim.clock.clone(), 8, submit_timeout);
    let (outcome, events) = executor.submit(order).await;
    assert!(
        matches!(outcome, SubmitOutcome::FoundByTag(ref ids) if ids.len() == 1),
        "{fault}: {outcome:?}"
    );
    assert!(events.is_empty(), "{fault}: not ended: {events:?}");
    let (again, _) = executor.submit(order).await;
    assert_eq!(again, SubmitOutcome::Duplicate);
    let book = broker.order_book().await.unwrap();
    let tagged = book
        .iter()
        .filter(|o| o.tag.as_deref() == Some(order.request().tag.as_str()))
        .count();
    assert_eq!(tagged, 1, "{fault}: exactly one order for one intent");
    let events = executor.sync().await.unwrap();
    assert!(
        matches!(&events[..], [EngineEvent::Fill(f)] if f.quantity == order.request().quantity),
        "{fault}: the fills of the order that exists are seen: {events:?}"
    );
    let steps: Vec<OrderStatus> = executor.take_transitions().iter().map(|t| t.to).collect();
    assert_eq!(
        steps,
        [
            OrderStatus::Submitted,
            OrderStatus::Unknown,
            OrderStatus::Accepted,
            OrderStatus::Filled
        ],
        "{fault}: its lifecycle"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledgement_past_the_timeout_leaves_exactly_one_order_at_the_broker() {
    an_unknown_outcome_is_resolved_by_looking("ack_delay", Duration::from_millis(500)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_yes_in_a_body_that_cannot_be_read_is_looked_up_not_refused() {
    an_unknown_outcome_is_resolved_by_looking("garbled_ack", Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledgement_that_never_comes_is_looked_up_not_resent() {
    an_unknown_outcome_is_resolved_by_looking("lost_ack", Duration::from_millis(500)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_intent_the_broker_never_took_is_declared_lost_at_its_deadline_and_never_resent() {
    let sim = SimHarness::start(
        scenario_with("[[fault]]\nkind = \"order_5xx\"\nfrom = \"10:00\""),
        ist(2026, 11, 23, 10, 0, 0),
        20.0,
    )
    .await;
    let order = entry_at(dec!(1560));
    // A 5xx is ambiguous: the tag is looked up, nothing is found, nothing is re-sent.
    let broker = upstox_orders(&sim, RestSettings::default().for_speed(20.0));
    let mut executor = Executor::new(
        Arc::clone(&broker),
        sim.clock.clone(),
        8,
        Duration::from_secs(5),
    );
    let sent = sim.clock.now();
    let (outcome, _) = executor.submit(&order).await;
    assert_eq!(outcome, SubmitOutcome::Unresolved);
    assert!(executor.has_working_orders(), "still looked for");
    let lost_at = loop {
        sim.clock.sleep(Duration::from_secs(1)).await;
        let events = executor.sync().await.unwrap();
        if let [EngineEvent::OrderLost { tag, .. }] = &events[..] {
            assert_eq!(tag, &order.request().tag);
            break sim.clock.now();
        }
        assert!(events.is_empty(), "{events:?}");
        assert!(
            (sim.clock.now() - sent).num_seconds() < 40,
            "never declared lost"
        );
    };
    let after = (lost_at - sent).num_milliseconds() as f64 / 1000.0;
    assert!(
        (30.0..=33.0).contains(&after),
        "declared lost {after} s after the submit"
    );
    assert!(!executor.has_working_orders());
    assert!(
        broker.order_book().await.unwrap().is_empty(),
        "nothing was sent again"
    );
    let steps: Vec<OrderStatus> = executor.take_transitions().iter().map(|t| t.to).collect();
    assert_eq!(
        steps,
        [
            OrderStatus::Submitted,
            OrderStatus::Unknown,
            OrderStatus::Lost
        ]
    );
}

/// A broker that takes an order but answers its submit with a timeout, and shows it in its book only once told:
/// the order a cancel reaches before anyone knows its id.
#[derive(Default)]
struct ShowsLate {
    order: std::sync::Mutex<Option<dalal::broker::OrderReport>>,
    visible: std::sync::atomic::AtomicBool,
    cancelled: std::sync::Mutex<Vec<String>>,
}

impl OrderBroker for ShowsLate {
    async fn place(
        &self,
        order: &dalal::domain::OrderRequest,
    ) -> Result<Vec<String>, dalal::broker::BrokerError> {
        *self.order.lock().unwrap() = Some(dalal::broker::OrderReport {
            order_id: "B1".into(),
            tag: Some(order.tag.to_string()),
            instrument_key: RELIANCE_KEY.into(),
            side: order.side,
            order_type: "LIMIT".into(),
            quantity: order.quantity,
            filled_quantity: 0,
            price: dec!(1561),
            trigger_price: dec!(0),
            average_price: None,
            state: OrderState::Open,
            status_text: "open".into(),
            message: None,
        });
        Err(dalal::broker::BrokerError::new(
            dalal::broker::ErrorClass::Transient,
            "order place",
            "timed out",
        ))
    }

    async fn cancel(&self, order_id: &str) -> Result<(), dalal::broker::BrokerError> {
        self.cancelled.lock().unwrap().push(order_id.into());
        if let Some(order) = self.order.lock().unwrap().as_mut() {
            order.state = OrderState::Cancelled;
        }
        Ok(())
    }

    async fn modify(
        &self,
        _: &str,
        _: &dalal::domain::OrderRequest,
    ) -> Result<(), dalal::broker::BrokerError> {
        Ok(())
    }

    async fn orders_tagged(
        &self,
        _: &dalal::domain::OrderTag,
    ) -> Result<Vec<dalal::broker::OrderReport>, dalal::broker::BrokerError> {
        self.order_book().await
    }

    async fn order_book(
        &self,
    ) -> Result<Vec<dalal::broker::OrderReport>, dalal::broker::BrokerError> {
        let visible = self.visible.load(std::sync::atomic::Ordering::SeqCst);
        Ok(self
            .order
            .lock()
            .unwrap()
            .clone()
            .filter(|_| visible)
            .into_iter()
            .collect())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_asked_before_an_unknown_order_is_found_is_sent_when_it_is() {
    let broker = Arc::new(ShowsLate::default());
    let mut executor = Executor::new(
        Arc::clone(&broker),
        dalal::calendar::Clock::System,
        8,
        Duration::from_secs(1),
    );
    let order = entry_at(dec!(1561));
    let (outcome, _) = executor.submit(&order).await;
    assert_eq!(outcome, SubmitOutcome::Unresolved);
    executor.cancel(&order.request().tag).await.unwrap();
    assert!(
        broker.cancelled.lock().unwrap().is_empty(),
        "no id to cancel yet"
    );

    broker
        .visible
        .store(true, std::sync::atomic::Ordering::SeqCst);
    executor.sync().await.unwrap();
    assert_eq!(
        *broker.cancelled.lock().unwrap(),
        ["B1"],
        "the owed cancel went out once found"
    );
    let events = executor.sync().await.unwrap();
    assert!(
        matches!(
            &events[..],
            [EngineEvent::OrderEnded {
                rejected: false,
                ..
            }]
        ),
        "{events:?}"
    );
    assert!(!executor.has_working_orders());
    let steps: Vec<OrderStatus> = executor.take_transitions().iter().map(|t| t.to).collect();
    assert_eq!(
        steps,
        [
            OrderStatus::Submitted,
            OrderStatus::Unknown,
            OrderStatus::PendingCancel,
            OrderStatus::Cancelled
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paper_fills_by_trade_size_come_in_parts_one_print_at_a_time() {
    let paper = Arc::new(PaperBroker::new(dec!(0)).with_fills_by_trade_size(true));
    let mut executor = Executor::new(
        Arc::clone(&paper),
        dalal::calendar::Clock::System,
        8,
        Duration::from_secs(1),
    );
    let order = entry_at(dec!(1561));
    let quantity = order.request().quantity;
    assert!(quantity > 2, "an order larger than one print: {quantity}");
    paper.on_price(&reliance().id, dec!(1561), Some(2));
    let (outcome, _) = executor.submit(&order).await;
    assert!(matches!(outcome, SubmitOutcome::Accepted(_)), "{outcome:?}");
    let mut filled = Vec::new();
    let mut price = dec!(1561);
    for _ in 0..quantity {
        for event in executor.sync().await.unwrap() {
            if let EngineEvent::Fill(fill) = event {
                filled.push((fill.quantity, fill.price));
            }
        }
        if filled.iter().map(|(q, _)| q).sum::<u32>() == quantity {
            break;
        }
        price -= dec!(0.1);
        paper.on_price(&reliance().id, price, Some(2));
    }
    assert_eq!(
        filled[0].0, 2,
        "the first print filled its own size: {filled:?}"
    );
    assert!(filled.len() >= 2, "in parts: {filled:?}");
    assert_eq!(
        filled.iter().map(|(q, _)| q).sum::<u32>(),
        quantity,
        "{filled:?}"
    );
    assert!(
        filled.iter().all(|(q, _)| *q <= 2),
        "no part larger than a print: {filled:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paper_orders_fill_against_the_last_price_on_the_same_path() {
    let paper = Arc::new(PaperBroker::new(dec!(5)));
    let clock = dalal::calendar::Clock::System;
    let mut executor = Executor::new(Arc::clone(&paper), clock, 8, Duration::from_secs(1));
    let order = entry_at(dec!(1560));
    let (refused, events) = executor.submit(&order).await;
    assert!(
        matches!(refused, SubmitOutcome::Refused(_)),
        "no price yet: {refused:?}"
    );
    assert!(matches!(&events[..], [EngineEvent::OrderEnded { .. }]));

    // A fresh engine repeats the tag sequence; a fresh executor and paper book go with it.
    let paper = Arc::new(PaperBroker::new(dec!(5)));
    let mut executor = Executor::new(
        Arc::clone(&paper),
        dalal::calendar::Clock::System,
        8,
        Duration::from_secs(1),
    );
    let order = entry_at(dec!(1561));
    paper.on_price(&reliance().id, dec!(1561), None);
    let (outcome, _) = executor.submit(&order).await;
    assert!(matches!(outcome, SubmitOutcome::Accepted(_)), "{outcome:?}");
    let events = executor.sync().await.unwrap();
    let [EngineEvent::Fill(fill)] = &events[..] else {
        panic!("one fill: {events:?}");
    };
    assert_eq!(
        fill.price,
        dec!(1561),
        "a marketable LIMIT fills at the last price"
    );
    let book = paper.order_book().await.unwrap();
    assert_eq!(
        book.iter()
            .filter(|o| o.state == OrderState::Complete)
            .count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paper_protective_stop_is_moved_in_place_and_fills_on_its_trigger() {
    let paper = Arc::new(PaperBroker::new(dec!(5)));
    let mut executor = Executor::new(
        Arc::clone(&paper),
        dalal::calendar::Clock::System,
        8,
        Duration::from_secs(1),
    );
    let (mut engine, entry) = engine_with_entry(dec!(1561), true);
    paper.on_price(&reliance().id, dec!(1561), None);
    executor.submit(&entry).await;
    let mut commands = Vec::new();
    for event in executor.sync().await.unwrap() {
        commands.extend(engine.on_event(event));
    }
    let [Command::Place(stop)] = &commands[..] else {
        panic!("a resting stop after the fill: {commands:?}");
    };
    let (outcome, _) = executor.submit(stop).await;
    assert!(matches!(outcome, SubmitOutcome::Accepted(_)), "{outcome:?}");

    // A trail moves it: over one R in profit (short of the 1.5 R target), the engine modifies the same
    // order to trigger higher.
    let close = TickSize::new(dec!(0.1))
        .unwrap()
        .round_nearest(dec!(1561) / dec!(1.012));
    // As in a session, the paper book sees a price before the engine does.
    paper.on_price(&reliance().id, dec!(1576), None);
    let commands = engine.on_event(tick(dec!(1576), close, ist(2026, 11, 23, 9, 40, 0)));
    let orders: Vec<&Command> = commands
        .iter()
        .filter(|c| !matches!(c, Command::Note(_)))
        .collect();
    let [Command::Modify(moved)] = &orders[..] else {
        panic!("the trail moves the resting stop: {commands:?}");
    };
    let trigger = moved.request().kind.trigger_price().unwrap();
    assert!(trigger > dec!(1561), "trails above the entry: {trigger}");
    executor.modify(moved).await.unwrap();
    paper.on_price(&reliance().id, dec!(1580), None);
    assert!(
        executor.sync().await.unwrap().is_empty(),
        "above the trigger"
    );
    // dalal misses the drop; the broker's stop does not.
    paper.on_price(&reliance().id, trigger - dec!(0.5), None);
    let events = executor.sync().await.unwrap();
    let [EngineEvent::Fill(fill)] = &events[..] else {
        panic!("the stop fills on its trigger: {events:?}");
    };
    assert_eq!(fill.tag.as_ref(), Some(&stop.request().tag));
    assert_eq!(fill.side, Side::Sell);
    assert!(
        executor.modify(moved).await.is_err(),
        "a filled order cannot change"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_on_an_order_is_met_by_re_reading_the_token_and_sending_once_more() {
    use std::os::unix::fs::PermissionsExt;
    let sim = SimHarness::start(
        scenario_with("[[fault]]\nkind = \"token_expiry\"\nfrom = \"10:00\""),
        ist(2026, 11, 23, 10, 0, 0),
        1.0,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("upstox.token");
    let write = |token: &str| {
        std::fs::write(&file, token).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    };
    write(SIM_TOKEN);
    let ltp = sim.rest(RENEWED_TOKEN).ltp(&[RELIANCE_KEY]).await.unwrap()[0].last_price;
    let order = entry_at(ltp);
    let keys: HashMap<InstrumentId, UpstoxKey> =
        [(reliance().id, RELIANCE_KEY.parse().unwrap())].into();
    let rest = Arc::new(sim.rest(SIM_TOKEN));
    let broker = Arc::new(
        UpstoxOrders::new(Arc::clone(&rest), keys).with_tokens(TokenSource::File(file.clone())),
    );
    // The trader logs in again while the bot runs: the token file now holds a token the broker accepts.
    write(RENEWED_TOKEN);
    let mut executor = Executor::new(
        Arc::clone(&broker),
        sim.clock.clone(),
        8,
        Duration::from_secs(5),
    );
    let (outcome, events) = executor.submit(&order).await;
    assert!(
        matches!(outcome, SubmitOutcome::Accepted(ref ids) if ids.len() == 1),
        "{outcome:?}"
    );
    assert!(events.is_empty());
    let tagged = broker.orders_tagged(&order.request().tag).await.unwrap();
    assert_eq!(tagged.len(), 1, "one order for one intent");
}

/// The kill switch through the executor against the simulator: refused while a position is open (UDAPI1184,
/// asked three times), taken once flat, the segment then off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kill_switch_is_refused_while_a_position_is_open_and_taken_once_flat() {
    use dalal::broker::upstox::rest_types::PlaceOrderBody;
    use dalal::domain::Exchange;
    // Ten times real time: a refusal is asked again twice, 5 s of market time apart.
    let sim = SimHarness::start(quiet_scenario(), ist(2026, 11, 23, 10, 0, 0), 10.0).await;
    let rest = sim.rest(SIM_TOKEN);
    let ltp = rest.ltp(&[RELIANCE_KEY]).await.unwrap()[0].last_price;
    let mut executor = Executor::new(
        upstox_orders(&sim, RestSettings::default()),
        sim.clock.clone(),
        8,
        Duration::from_secs(5),
    );
    let entry = entry_at(ltp);
    executor.submit(&entry).await;
    assert!(
        !executor.sync().await.unwrap().is_empty(),
        "the entry filled"
    );

    let refused = executor.kill_switch(&[Exchange::Nse]).await.unwrap_err();
    assert!(refused.to_string().contains("UDAPI1184"), "{refused}");
    assert!(sim.server.switched_off().is_empty());

    let flatten = PlaceOrderBody {
        quantity: entry.request().quantity,
        product: "I".into(),
        validity: "DAY".into(),
        price: 0.0,
        tag: None,
        instrument_token: RELIANCE_KEY.into(),
        order_type: "MARKET".into(),
        transaction_type: "SELL".into(),
        disclosed_quantity: 0,
        trigger_price: 0.0,
        is_amo: false,
        slice: false,
        market_protection: Some(-1.0),
    };
    rest.place_order(&flatten).await.unwrap();
    let said = executor.kill_switch(&[Exchange::Nse]).await.unwrap();
    assert!(said.switched_off, "{said:?}");
    assert!(said.detail.contains("NSE_EQ off (INACTIVE)"), "{said:?}");
    assert_eq!(sim.server.switched_off(), ["NSE_EQ"]);
}
