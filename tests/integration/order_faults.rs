//! A forced exit (the flat time) under each order fault the simulator can script, in a live session against the
//! simulator's matching: every position ends flat at the broker, the journal agrees, and no intent went out
//! twice. Each case prints its time to flat with `--nocapture`.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveTime;
use dalal::broker::AccountBroker;
use dalal::broker::upstox::{RestSettings, UpstoxAccount, UpstoxOrders};
use dalal::config::{Config, Secret, TokenSource};
use dalal::journal::{JournalEntry, Store};

use crate::support::{SIM_TOKEN, SimHarness, ist, scenario_with, shipped_config};
use crate::trading_session::run_session_until;

const SPEED: f64 = 20.0;

struct Outcome {
    round_trips: usize,
    /// From the flat time to the last exit fill, in seconds of session time.
    to_flat: f64,
    /// Order intents placed (tags) and how many of them the broker holds more than once.
    intents: usize,
    duplicates: usize,
}

/// Entries from 09:16 on a one-minute opening range, the flat time at 09:18, and `fault` (faults joined by `+`,
/// each `kind` or `kind:setting = value`) from 09:17:40 to 09:18:40, so the forced exits meet it.
async fn forced_exit_under(fault: &str, protective_stop: bool) -> Outcome {
    let faults: Vec<String> = fault
        .split('+')
        .map(|spec| {
            let (kind, setting) = spec.split_once(':').unwrap_or((spec, ""));
            format!(
                "[[fault]]\nkind = \"{kind}\"\nfrom = \"09:17:40\"\nuntil = \"09:18:40\"\n{setting}"
            )
        })
        .collect();
    let faults = faults.join("\n\n");
    let sim = SimHarness::start(scenario_with(&faults), ist(2026, 11, 23, 9, 14, 55), SPEED).await;
    let universe = Config::load(&shipped_config()).unwrap().bot.universe;
    let rest = Arc::new(sim.rest_with(SIM_TOKEN, RestSettings::default().for_speed(SPEED)));
    let orders = Arc::new(UpstoxOrders::for_universe(Arc::clone(&rest), &universe));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("faults.sqlite");
    let time = |h, m, s| NaiveTime::from_hms_opt(h, m, s).unwrap();
    let summary = run_session_until(
        &sim,
        orders,
        None,
        &path,
        ist(2026, 11, 23, 9, 21, 0),
        |config| {
            config.strategy.qualify.or_minutes = 1;
            config.strategy.exit.protective_stop = protective_stop;
            config.strategy.time.last_entry_time = time(9, 17, 30);
            config.strategy.time.flat_time = time(9, 18, 0);
            config.bot.session.last_entry_time = time(9, 17, 30);
            config.bot.session.square_off_time = time(9, 18, 0);
        },
    )
    .await;

    let account = UpstoxAccount::new(
        Arc::clone(&rest),
        TokenSource::Fixed(Secret::new(SIM_TOKEN)),
    );
    let open: Vec<_> = account
        .positions()
        .await
        .unwrap()
        .into_iter()
        .filter(|p| p.net_quantity != 0)
        .collect();
    assert!(open.is_empty(), "{fault}: open at the broker: {open:?}");

    let entries: Vec<JournalEntry> = Store::open(&path)
        .unwrap()
        .between(ist(2026, 11, 23, 0, 0, 0), ist(2026, 11, 24, 0, 0, 0))
        .unwrap()
        .into_iter()
        .map(|r| r.entry)
        .collect();
    let flat_at = ist(2026, 11, 23, 9, 18, 0);
    let exits: Vec<_> = entries
        .iter()
        .filter_map(|e| match e {
            JournalEntry::Trade { exit_time, .. } => Some(*exit_time),
            _ => None,
        })
        .collect();
    assert!(
        !exits.is_empty() && summary.round_trips as usize == exits.len(),
        "{fault}: the session traded and every trade closed: {summary:?}"
    );
    let last = exits.into_iter().max().unwrap();
    let mut tags: HashMap<String, usize> = HashMap::new();
    for order in rest.order_book().await.unwrap() {
        *tags.entry(order.tag.unwrap_or_default()).or_default() += 1;
    }
    Outcome {
        round_trips: summary.round_trips as usize,
        to_flat: ((last - flat_at).num_milliseconds() as f64 / 1000.0).max(0.0),
        intents: tags.len(),
        duplicates: tags.values().filter(|n| **n > 1).count(),
    }
}

async fn case(fault: &str, protective_stop: bool, bound: f64) {
    let outcome = forced_exit_under(fault, protective_stop).await;
    assert_eq!(
        outcome.duplicates, 0,
        "{fault}: an intent reached the broker twice"
    );
    assert!(
        outcome.to_flat <= bound,
        "{fault}: flat {} s after the flat time (bound {bound} s)",
        outcome.to_flat
    );
    println!(
        "{fault}{}: {} round trips, {} intents, flat {:.1} s after the flat time",
        if protective_stop {
            " (resting stops)"
        } else {
            ""
        },
        outcome.round_trips,
        outcome.intents,
        outcome.to_flat
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_fills_close_within_seconds() {
    case("partial_fill", false, 10.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_after_the_acknowledgement_is_answered_by_repricing_until_flat() {
    // Every exit is refused until 09:18:40; the next re-pricing after that fills.
    case("reject_after_ack", false, 46.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_that_do_not_fill_are_repriced_and_escalated_until_flat() {
    case("no_fill", false, 44.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_change_to_the_resting_stop_is_replaced_by_a_new_exit() {
    case("modify_fail", true, 10.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resting_stop_that_can_be_neither_changed_nor_cancelled_is_changed_again_until_flat() {
    // Until 09:18:40 every change and every cancel is refused; the next change after that makes it the exit.
    case("modify_fail+cancel_fail", true, 50.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_acknowledgement_is_found_by_its_tag() {
    case("garbled_ack", false, 10.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_acknowledgement_does_not_hold_the_exit() {
    // Every answer 8 s late, past the 5 s submit timeout: the exit is found by its tag, never sent twice.
    case("ack_delay:delay_ms = 8000", false, 12.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_cancels_do_not_hold_the_exit() {
    case("cancel_fail", false, 10.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledgement_that_never_comes_is_found_by_its_tag() {
    case("lost_ack", false, 10.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exit_the_broker_never_took_is_declared_lost_and_sent_again() {
    // Refused with 500 until 09:18:40: each exit is lost 30 s after it was sent, then sent again.
    case("order_5xx", false, 75.0).await;
}
