//! The operator's pause and flatten (`dalal ctl`), told as trading stories like `tests`.

use rust_decimal::dec;

use super::tests::{at, engine, enter_long, fill, id, placed, refusals, tick};
use super::*;
use crate::domain::Side;

#[test]
fn a_paused_engine_refuses_the_entry_and_takes_the_next_break_once_resumed() {
    let mut engine = engine();
    engine.on_event(EngineEvent::EntriesPaused(true));
    engine.on_event(tick("RELI", dec!(1012), at(9, 15, 0)));
    for (minute, price) in [(1, dec!(1015)), (5, dec!(1008)), (10, dec!(1013))] {
        engine.on_event(tick("RELI", price, at(9, 15 + minute, 0)));
    }
    let commands = engine.on_event(tick("RELI", dec!(1016), at(9, 30, 1)));
    assert!(placed(&commands).is_empty(), "{commands:?}");
    assert_eq!(refusals(&commands), [&Refusal::Paused]);

    engine.on_event(EngineEvent::EntriesPaused(false));
    let commands = engine.on_event(tick("RELI", dec!(1016.5), at(9, 30, 5)));
    let orders = placed(&commands);
    assert_eq!(orders.len(), 1, "{commands:?}");
    assert_eq!(orders[0].request().side, Side::Buy);
}

#[test]
fn a_pause_leaves_the_open_trade_guarded() {
    let mut engine = engine();
    let entry = enter_long(&mut engine);
    engine.on_event(fill(&entry, dec!(1016), at(9, 30, 2)));
    engine.on_event(EngineEvent::EntriesPaused(true));
    let commands = engine.on_event(tick("RELI", dec!(1007.9), at(9, 41, 0)));
    assert!(commands.contains(&Command::Note(EngineNote::Exit {
        instrument: id("RELI"),
        reason: ExitReason::Stop,
        price: dec!(1007.9)
    })));
    assert_eq!(placed(&commands)[0].request().side, Side::Sell);
}

#[test]
fn flatten_closes_the_named_instrument_only_and_an_empty_one_does_nothing() {
    let mut engine = engine();
    let entry = enter_long(&mut engine);
    engine.on_event(fill(&entry, dec!(1016), at(9, 30, 2)));

    let nothing = engine.on_event(EngineEvent::Flatten {
        at: at(9, 35, 0),
        instrument: Some(id("INFY")),
    });
    assert!(placed(&nothing).is_empty(), "{nothing:?}");

    let commands = engine.on_event(EngineEvent::Flatten {
        at: at(9, 35, 1),
        instrument: Some(id("RELI")),
    });
    let exits = placed(&commands);
    assert_eq!(exits.len(), 1, "{commands:?}");
    assert_eq!(exits[0].request().side, Side::Sell);
    assert_eq!(exits[0].request().quantity, entry.request().quantity);
    assert!(commands.iter().any(|c| matches!(
        c,
        Command::Note(EngineNote::Exit {
            reason: ExitReason::Operator,
            ..
        })
    )));
    // Asked again while the exit works: no second exit is sent.
    let again = engine.on_event(EngineEvent::Flatten {
        at: at(9, 35, 2),
        instrument: None,
    });
    assert!(placed(&again).is_empty(), "{again:?}");
}

#[test]
fn flatten_cancels_a_pending_entry() {
    let mut engine = engine();
    let entry = enter_long(&mut engine);
    let commands = engine.on_event(EngineEvent::Flatten {
        at: at(9, 30, 3),
        instrument: None,
    });
    assert!(
        commands.contains(&Command::Cancel(entry.request().tag.clone())),
        "{commands:?}"
    );
}

#[test]
fn instruments_are_named_by_symbol_or_exchange_and_symbol() {
    let engine = engine();
    assert_eq!(engine.instrument_named("reli"), Ok(id("RELI")));
    assert_eq!(engine.instrument_named("NSE:INFY"), Ok(id("INFY")));
    assert!(engine.instrument_named("TCS").is_err());
}
