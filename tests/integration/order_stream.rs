//! The portfolio stream feed against the simulator, through the order desk: fills pushed as they happen while
//! the stream is up, the order book polled every second while it is refused, dropped or silent, and the stream
//! opened again after. Each fill says which path brought it (the order's `Filled` transition names it).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use dalal::broker::upstox::RestSettings;
use dalal::domain::Fill;
use dalal::engine::EngineEvent;
use dalal::execution::{DeskReport, DeskRequest, Executor, OrderDesk, OrderStatus};

use crate::execution::{RELIANCE_KEY, entry_at, upstox_orders};
use crate::support::{SIM_TOKEN, SimHarness, ist, scenario_with};

/// What the desk said, in order.
#[derive(Debug)]
enum Heard {
    Up(DateTime<Utc>),
    Down(String, DateTime<Utc>),
    /// A fill, and the path its `Filled` transition names.
    Filled(Fill, String),
}

/// A day from 10:00 IST with `faults`, an entry placed at once, and what the desk says until the entry fills
/// and `also` has been heard; with how long the fill took to reach the desk after it happened at the simulator.
async fn an_entry_under(faults: &str, also: impl Fn(&[Heard]) -> bool) -> (Vec<Heard>, Duration) {
    let sim = SimHarness::start(scenario_with(faults), ist(2026, 11, 23, 10, 0, 0), 1.0).await;
    let rest = Arc::new(sim.rest(SIM_TOKEN));
    let ltp = rest.ltp(&[RELIANCE_KEY]).await.unwrap()[0].last_price;
    // Prices move and orders match whenever anyone asks, as a live feed keeps asking.
    let market = {
        let rest = Arc::clone(&rest);
        tokio::spawn(async move {
            loop {
                let _ = rest.ltp(&[RELIANCE_KEY]).await;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let executor = Executor::new(
        upstox_orders(&sim, RestSettings::default()),
        sim.clock.clone(),
        8,
        Duration::from_secs(5),
    );
    let mut desk = OrderDesk::start(executor, sim.clock.clone());
    desk.send(DeskRequest::Place(entry_at(ltp)));
    let mut heard = Vec::new();
    let mut filled_why = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !(heard.iter().any(|h| matches!(h, Heard::Filled(..))) && also(&heard)) {
        let report = tokio::time::timeout_at(deadline, desk.next_report())
            .await
            .unwrap_or_else(|_| panic!("no fill within a minute; heard {heard:?}"))
            .expect("the desk runs");
        let now = sim.clock.now();
        match report {
            DeskReport::OrderStream { down: None } => heard.push(Heard::Up(now)),
            DeskReport::OrderStream { down: Some(why) } => heard.push(Heard::Down(why, now)),
            DeskReport::Transitions(steps) => {
                if let Some(step) = steps.iter().find(|s| s.to == OrderStatus::Filled) {
                    filled_why = Some(step.why.clone());
                }
            }
            DeskReport::Synced {
                result: Ok(events), ..
            } => {
                for event in events {
                    if let EngineEvent::Fill(fill) = event {
                        let why = filled_why
                            .clone()
                            .expect("the fill's transition comes first");
                        heard.push(Heard::Filled(fill, why));
                    }
                }
            }
            _ => {}
        }
    }
    market.abort();
    let fill = heard
        .iter()
        .find_map(|h| match h {
            Heard::Filled(fill, _) => Some(fill.clone()),
            _ => None,
        })
        .unwrap();
    let at_sim = sim
        .server
        .fill_instants()
        .into_iter()
        .find(|(id, _)| *id == fill.order_id)
        .map(|(_, at)| at)
        .expect("the simulator filled it");
    let took = (fill.time - at_sim).to_std().unwrap_or_default();
    (heard, took)
}

fn path_of(heard: &[Heard]) -> &str {
    heard
        .iter()
        .find_map(|h| match h {
            Heard::Filled(_, why) => Some(why.as_str()),
            _ => None,
        })
        .unwrap()
}

fn ups(heard: &[Heard]) -> usize {
    heard.iter().filter(|h| matches!(h, Heard::Up(_))).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fill_is_pushed_by_the_order_stream_or_polled_while_the_stream_is_refused() {
    // The entry rests until 10:00:05, so the stream is up (or refused) before it fills.
    let resting = "[[fault]]\nkind = \"no_fill\"\nfrom = \"09:00\"\nuntil = \"10:00:05\"\n";
    let (streamed, streamed_took) = an_entry_under(resting, |_| true).await;
    assert!(
        matches!(streamed.first(), Some(Heard::Up(_))),
        "{streamed:?}"
    );
    assert!(path_of(&streamed).contains("order stream"), "{streamed:?}");

    let refused = format!("{resting}[[fault]]\nkind = \"order_stream_403\"\nfrom = \"09:00\"\n");
    let (polled, polled_took) = an_entry_under(&refused, |_| true).await;
    assert_eq!(ups(&polled), 0, "{polled:?}");
    assert!(
        matches!(polled.first(), Some(Heard::Down(why, _)) if why.contains("403")),
        "{polled:?}"
    );
    assert!(path_of(&polled).contains("order book"), "{polled:?}");
    println!(
        "fill at the simulator to the desk: streamed {} ms, polled {} ms",
        streamed_took.as_millis(),
        polled_took.as_millis()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_order_stream_is_polled_around_then_opened_again() {
    // Dropped at 10:00:03 and refused until 10:00:12; the entry fills at 10:00:06, in the gap.
    let faults = "[[fault]]\nkind = \"no_fill\"\nfrom = \"09:00\"\nuntil = \"10:00:06\"\n\
                  [[fault]]\nkind = \"order_stream_drop\"\nfrom = \"10:00:03\"\n\
                  [[fault]]\nkind = \"order_stream_403\"\nfrom = \"10:00:03\"\nuntil = \"10:00:12\"\n";
    let (heard, _) = an_entry_under(faults, |h| ups(h) == 2).await;
    let [
        Heard::Up(_),
        Heard::Down(why, _),
        Heard::Filled(_, path),
        Heard::Up(back),
    ] = &heard[..]
    else {
        panic!("up, down, a polled fill, up again: {heard:?}");
    };
    assert!(why.contains("connection"), "{why}");
    assert!(path.contains("order book"), "{path}");
    assert!(*back >= ist(2026, 11, 23, 10, 0, 12), "up at {back}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_order_stream_is_given_up_and_polled_around() {
    // Silent from 10:00:03 to 10:00:15: no update, no pong. The entry fills at 10:00:09, in the silence.
    let faults = "[[fault]]\nkind = \"no_fill\"\nfrom = \"09:00\"\nuntil = \"10:00:09\"\n\
                  [[fault]]\nkind = \"order_stream_silence\"\nfrom = \"10:00:03\"\nuntil = \"10:00:15\"\n";
    let (heard, _) = an_entry_under(faults, |h| ups(h) == 2).await;
    let [
        Heard::Up(_),
        Heard::Down(why, down_at),
        Heard::Filled(_, path),
        Heard::Up(back),
    ] = &heard[..]
    else {
        panic!("up, down, a polled fill, up again: {heard:?}");
    };
    assert!(why.contains("silent"), "{why}");
    assert!(
        *down_at - ist(2026, 11, 23, 10, 0, 3) <= TimeDelta::seconds(5),
        "given up at {down_at}"
    );
    assert!(path.contains("order book"), "{path}");
    assert!(*back >= ist(2026, 11, 23, 10, 0, 15), "up at {back}");
}
