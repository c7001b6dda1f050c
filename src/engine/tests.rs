//! The engine on scripted prices: each test is one trading story, told tick by tick in IST.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rust_decimal::{Decimal, dec};

use super::*;
use crate::calendar::{CalendarData, ist_instant};
use crate::config::{RiskLimits, SessionCutoffs, StrategyConfig};
use crate::domain::{
    Exchange, Fill, Instrument, InstrumentId, OrderKind, Segment, Side, Tick, TickSize, TickSource,
};

const STRATEGY: &str = include_str!("../../strategies/continuation.toml");

pub(super) fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    ist_instant(
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        NaiveTime::from_hms_opt(h, m, s).unwrap(),
    )
}

pub(super) fn id(symbol: &str) -> InstrumentId {
    InstrumentId::new(Exchange::Nse, symbol).unwrap()
}

fn instrument(symbol: &str) -> Instrument {
    Instrument {
        id: id(symbol),
        segment: Segment::Equity,
        isin: None,
        upstox_key: None,
        hdfcsky_token: None,
        tick_size: Some(TickSize::new(dec!(0.1)).unwrap()),
        lot_size: 1,
        has_derivatives: false,
    }
}

fn engine_with(limits: RiskLimits) -> Engine {
    let strategy: StrategyConfig = toml::from_str(STRATEGY).unwrap();
    let mut engine = Engine::new(
        MarketCalendar::new(CalendarData::default()),
        strategy,
        limits,
        SessionCutoffs::default(),
        vec![instrument("RELI"), instrument("INFY")],
    );
    engine.on_event(EngineEvent::TradingEnabled(true));
    engine
}

pub(super) fn engine() -> Engine {
    engine_with(RiskLimits::default())
}

fn tick_from(
    symbol: &str,
    price: Decimal,
    received_at: DateTime<Utc>,
    source: TickSource,
) -> EngineEvent {
    EngineEvent::Tick(Tick {
        instrument: id(symbol),
        last_price: price,
        last_trade_time: Some(received_at),
        last_quantity: Some(10),
        previous_close: Some(dec!(1000)),
        source,
        received_at,
    })
}

pub(super) fn tick(symbol: &str, price: Decimal, at: DateTime<Utc>) -> EngineEvent {
    tick_from(symbol, price, at, TickSource::Stream)
}

pub(super) fn placed(commands: &[Command]) -> Vec<&ApprovedOrder> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::Place(order) => Some(order),
            _ => None,
        })
        .collect()
}

pub(super) fn refusals(commands: &[Command]) -> Vec<&Refusal> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::Note(EngineNote::Refused { refusal, .. }) => Some(refusal),
            _ => None,
        })
        .collect()
}

pub(super) fn fill(order: &ApprovedOrder, price: Decimal, time: DateTime<Utc>) -> EngineEvent {
    let request = order.request();
    EngineEvent::Fill(Fill {
        order_id: "1".into(),
        tag: Some(request.tag.clone()),
        instrument: request.instrument.clone(),
        side: request.side,
        quantity: request.quantity,
        price,
        time,
    })
}

/// RELI gaps up 1.2 % off 1000, builds a 1008–1015 opening range, and breaks it at 09:30:01 at 1016.
pub(super) fn enter_long(engine: &mut Engine) -> ApprovedOrder {
    engine.on_event(tick("RELI", dec!(1012), at(9, 15, 0)));
    for (minute, price) in [(1, dec!(1015)), (5, dec!(1008)), (10, dec!(1013))] {
        assert!(placed(&engine.on_event(tick("RELI", price, at(9, 15 + minute, 0)))).is_empty());
    }
    let commands = engine.on_event(tick("RELI", dec!(1016), at(9, 30, 1)));
    let orders = placed(&commands);
    assert_eq!(orders.len(), 1, "{commands:?}");
    orders[0].clone()
}

#[test]
fn a_gapper_qualifies_enters_on_the_range_break_and_is_stopped_out() {
    let mut engine = engine();
    let entry = enter_long(&mut engine);
    let request = entry.request();
    assert_eq!(request.side, Side::Buy);
    // Risk 500 over a stop distance of 1016 − 1008 = 8: 62 shares.
    assert_eq!(request.quantity, 62);
    // A marketable LIMIT 0.5 % through the last price, rounded up onto the 0.1 tick.
    assert_eq!(
        request.kind,
        OrderKind::Limit {
            price: dec!(1021.1)
        }
    );
    assert_eq!(entry.signal_price(), dec!(1016));
    assert!(request.tag.as_str().starts_with("D261123-RELI-E"));

    engine.on_event(fill(&entry, dec!(1016.2), at(9, 30, 2)));
    let trade = engine.open_trade(&id("RELI")).unwrap();
    assert_eq!((trade.stop, trade.target), (dec!(1008), dec!(1028)));

    assert!(placed(&engine.on_event(tick("RELI", dec!(1008.1), at(9, 40, 0)))).is_empty());
    let commands = engine.on_event(tick("RELI", dec!(1007.9), at(9, 41, 0)));
    let exit = placed(&commands)[0].clone();
    assert!(commands.contains(&Command::Note(EngineNote::Exit {
        instrument: id("RELI"),
        reason: ExitReason::Stop,
        price: dec!(1007.9)
    })));
    assert_eq!(exit.request().side, Side::Sell);
    assert_eq!(exit.request().quantity, 62);
    assert_eq!(
        exit.request().kind,
        OrderKind::Limit {
            price: dec!(1002.8)
        }
    );

    engine.on_event(fill(&exit, dec!(1007.8), at(9, 41, 1)));
    let position = engine.position(&id("RELI")).unwrap();
    assert!(position.is_flat());
    assert_eq!(position.realized_pnl, dec!(-520.8));
    assert!(engine.open_trade(&id("RELI")).is_none());
}

#[test]
fn a_gap_outside_the_window_or_a_range_through_the_close_is_not_traded() {
    let mut engine = engine();
    let commands = engine.on_event(tick("RELI", dec!(1040), at(9, 15, 0)));
    assert!(matches!(
        commands[0],
        Command::Note(EngineNote::Disqualified {
            why: Disqualified::GapOutsideWindow { .. },
            ..
        })
    ));
    engine.on_event(tick("INFY", dec!(1010), at(9, 15, 0)));
    let commands = engine.on_event(tick("INFY", dec!(999), at(9, 20, 0)));
    assert!(matches!(
        commands[0],
        Command::Note(EngineNote::Disqualified {
            why: Disqualified::RangeCrossedPreviousClose,
            ..
        })
    ));
    assert!(placed(&engine.on_event(tick("INFY", dec!(1030), at(9, 31, 0)))).is_empty());
}

#[test]
fn the_target_is_taken() {
    let mut engine = engine();
    let entry = enter_long(&mut engine);
    engine.on_event(fill(&entry, dec!(1016), at(9, 30, 2)));
    let commands = engine.on_event(tick("RELI", dec!(1028), at(10, 0, 0)));
    assert!(commands.iter().any(|c| matches!(
        c,
        Command::Note(EngineNote::Exit {
            reason: ExitReason::Target,
            ..
        })
    )));
}

#[test]
fn the_trailing_stop_follows_the_best_price_and_exits() {
    let mut engine = engine();
    let entry = enter_long(&mut engine);
    engine.on_event(fill(&entry, dec!(1016), at(9, 30, 2)));
    // One R (8) in profit arms the trail: 0.5 % under the best price.
    engine.on_event(tick("RELI", dec!(1026), at(9, 45, 0)));
    let trade = engine.open_trade(&id("RELI")).unwrap();
    assert!(trade.trailing);
    assert_eq!(trade.stop, dec!(1020.87));
    assert!(placed(&engine.on_event(tick("RELI", dec!(1021), at(9, 46, 0)))).is_empty());
    let commands = engine.on_event(tick("RELI", dec!(1020.8), at(9, 47, 0)));
    assert!(commands.iter().any(|c| matches!(
        c,
        Command::Note(EngineNote::Exit {
            reason: ExitReason::TrailingStop,
            ..
        })
    )));
}

#[test]
fn everything_is_flat_at_the_flat_time() {
    let mut engine = engine();
    let entry = enter_long(&mut engine);
    engine.on_event(fill(&entry, dec!(1016), at(9, 30, 2)));
    assert!(placed(&engine.on_event(EngineEvent::Timer(at(15, 4, 59)))).is_empty());
    let commands = engine.on_event(EngineEvent::Timer(at(15, 5, 0)));
    assert!(commands.iter().any(|c| matches!(
        c,
        Command::Note(EngineNote::Exit {
            reason: ExitReason::TimeExit,
            ..
        })
    )));
    assert_eq!(placed(&commands).len(), 1);
    // The exit is not sent twice while it works.
    assert!(placed(&engine.on_event(EngineEvent::Timer(at(15, 5, 1)))).is_empty());
}

/// With `kill_switch_on_daily_loss`, the switch is asked for once, after the loss limit and only once flat.
#[test]
fn the_kill_switch_follows_the_daily_loss_limit_once_everything_is_flat() {
    for switch in [true, false] {
        let mut engine = engine_with(RiskLimits {
            max_daily_loss: dec!(300),
            kill_switch_on_daily_loss: switch,
            ..RiskLimits::default()
        });
        let kill_switches = |commands: &[Command]| {
            commands
                .iter()
                .filter(|c| matches!(c, Command::KillSwitch { .. }))
                .count()
        };
        let entry = enter_long(&mut engine);
        engine.on_event(fill(&entry, dec!(1016), at(9, 30, 2)));
        let tripped = engine.on_event(tick("RELI", dec!(1011), at(9, 35, 0)));
        assert_eq!(kill_switches(&tripped), 0, "not while a position is open");
        let exit = placed(&tripped)[0].clone();
        assert_eq!(
            kill_switches(&engine.on_event(EngineEvent::Timer(at(9, 35, 1)))),
            0
        );
        let mut asked = Vec::new();
        asked.extend(engine.on_event(fill(&exit, dec!(1011), at(9, 35, 2))));
        for s in 3..6 {
            asked.extend(engine.on_event(EngineEvent::Timer(at(9, 35, s))));
        }
        let expected = usize::from(switch);
        assert_eq!(kill_switches(&asked), expected, "switch on: {switch}");
        if switch {
            assert!(asked.contains(&Command::KillSwitch {
                exchanges: vec![Exchange::Nse]
            }));
        }
    }
}

#[test]
fn the_daily_loss_limit_cancels_entries_flattens_and_blocks_new_ones() {
    let mut engine = engine_with(RiskLimits {
        max_daily_loss: dec!(300),
        ..RiskLimits::default()
    });
    // INFY's range is watched from the open too; its entry is pending when the loss hits.
    engine.on_event(tick("INFY", dec!(1012), at(9, 15, 0)));
    engine.on_event(tick("INFY", dec!(1014), at(9, 15, 5)));
    let entry = enter_long(&mut engine);
    engine.on_event(fill(&entry, dec!(1016), at(9, 30, 2)));
    let infy_entry = placed(&engine.on_event(tick("INFY", dec!(1015), at(9, 30, 5))))[0].clone();
    // 62 × (1016 − 1011) = 310 unrealized loss: past the 300 limit.
    let commands = engine.on_event(tick("RELI", dec!(1011), at(9, 35, 0)));
    assert!(
        commands
            .iter()
            .any(|c| matches!(c, Command::Note(EngineNote::DailyLossTripped { .. })))
    );
    assert!(commands.contains(&Command::Cancel(infy_entry.request().tag.clone())));
    let exits = placed(&commands);
    assert_eq!(exits.len(), 1);
    assert_eq!(exits[0].request().side, Side::Sell);
    engine.on_event(EngineEvent::OrderEnded {
        rejected: false,
        tag: infy_entry.request().tag.clone(),
        reason: "cancelled".into(),
    });
    let later = engine.on_event(tick("INFY", dec!(1020), at(9, 40, 0)));
    assert!(placed(&later).is_empty());
}

#[test]
fn no_entry_on_a_stale_price_or_while_the_feed_is_refused() {
    // Polling every 5 s is slower than the 3 s limit: the prices are stale.
    let mut slow = engine();
    for (i, price) in [dec!(1012), dec!(1014), dec!(1008)].into_iter().enumerate() {
        slow.on_event(tick_from(
            "RELI",
            price,
            at(9, 15 + 5 * i as u32, 0),
            TickSource::Poll,
        ));
    }
    slow.on_event(tick_from(
        "RELI",
        dec!(1013),
        at(9, 30, 0),
        TickSource::Poll,
    ));
    let commands = slow.on_event(tick_from(
        "RELI",
        dec!(1016),
        at(9, 30, 5),
        TickSource::Poll,
    ));
    assert!(placed(&commands).is_empty());
    assert!(
        matches!(
            refusals(&commands)[..],
            [Refusal::PriceStale { age_ms: 5000 }]
        ),
        "{commands:?}"
    );

    // A catch-up poll right after a late one is no sign of fast polling: the cadence is the floor.
    let mut catching_up = engine().with_poll_cadence(std::time::Duration::from_secs(5));
    catching_up.on_event(tick("RELI", dec!(1012), at(9, 15, 0)));
    catching_up.on_event(tick("RELI", dec!(1008), at(9, 20, 0)));
    catching_up.on_event(tick_from(
        "RELI",
        dec!(1010),
        at(9, 30, 0),
        TickSource::Poll,
    ));
    let commands = catching_up.on_event(tick_from(
        "RELI",
        dec!(1016),
        at(9, 30, 0) + chrono::TimeDelta::milliseconds(700),
        TickSource::Poll,
    ));
    assert!(
        matches!(
            refusals(&commands)[..],
            [Refusal::PriceStale { age_ms: 5000 }]
        ),
        "{commands:?}"
    );

    let mut refused = engine();
    refused.on_event(EngineEvent::FeedHealth(false));
    refused.on_event(tick("RELI", dec!(1012), at(9, 15, 0)));
    refused.on_event(tick("RELI", dec!(1008), at(9, 20, 0)));
    let commands = refused.on_event(tick("RELI", dec!(1016), at(9, 30, 1)));
    assert_eq!(refusals(&commands), [&Refusal::FeedAuthFailed]);

    // A price processed after a later event is judged by that later time.
    let mut late = engine();
    late.on_event(tick("RELI", dec!(1012), at(9, 15, 0)));
    late.on_event(tick("RELI", dec!(1008), at(9, 20, 0)));
    late.on_event(EngineEvent::Timer(at(9, 30, 10)));
    let commands = late.on_event(tick("RELI", dec!(1016), at(9, 30, 1)));
    assert!(
        matches!(refusals(&commands)[..], [Refusal::PriceStale { .. }]),
        "{commands:?}"
    );
}

#[test]
fn no_entry_before_trading_is_enabled() {
    let strategy: StrategyConfig = toml::from_str(STRATEGY).unwrap();
    let mut engine = Engine::new(
        MarketCalendar::new(CalendarData::default()),
        strategy,
        RiskLimits::default(),
        SessionCutoffs::default(),
        vec![instrument("RELI")],
    );
    engine.on_event(tick("RELI", dec!(1012), at(9, 15, 0)));
    engine.on_event(tick("RELI", dec!(1008), at(9, 20, 0)));
    let commands = engine.on_event(tick("RELI", dec!(1016), at(9, 30, 1)));
    assert_eq!(refusals(&commands), [&Refusal::TradingDisabled]);
}

#[test]
fn a_setup_beyond_its_trigger_is_refused_once_and_spends_no_tag() {
    let mut engine = engine();
    engine.on_event(tick("INFY", dec!(1012), at(9, 15, 0)));
    let entry = enter_long(&mut engine);
    engine.on_event(fill(&entry, dec!(1016), at(9, 30, 2)));
    let exit = placed(&engine.on_event(tick("RELI", dec!(1028), at(10, 0, 0))))[0].clone();
    engine.on_event(fill(&exit, dec!(1028), at(10, 0, 1)));
    // The day's one trade is used: every later price above the range high is a refused signal.
    let mut noted = Vec::new();
    for second in 2..50 {
        noted.extend(engine.on_event(tick("RELI", dec!(1029), at(10, 0, second))));
    }
    assert_eq!(refusals(&noted), vec![&Refusal::MaxTradesReached]);
    // The refusals took no sequence numbers: INFY's entry follows RELI's exit (X2) as E3.
    assert!(exit.request().tag.as_str().ends_with("-X2"));
    engine.on_event(tick("INFY", dec!(1012), at(10, 1, 0)));
    let commands = engine.on_event(tick("INFY", dec!(1013), at(10, 1, 1)));
    assert_eq!(
        placed(&commands)[0].request().tag.as_str(),
        "D261123-INFY-E3"
    );
}

#[test]
fn tags_stay_within_twenty_characters_however_long_the_day() {
    let engine = engine();
    for number in [1, 9_999, 123_456, 999_999_999] {
        let tag = engine.tag(&id("HDFCBANK"), 'X', at(15, 0, 0), number);
        assert!(tag.as_str().len() <= 20, "{tag}");
        assert!(tag.as_str().ends_with(&format!("-X{number}")), "{tag}");
    }
}

#[test]
fn a_restored_engine_guards_its_position_and_continues_the_tag_sequence() {
    let mut engine = engine();
    let restoration = Restoration {
        sequence: 7,
        trades_today: [(id("RELI"), 1)].into_iter().collect(),
        fills: vec![Fill {
            order_id: "B1".into(),
            tag: Some("D261123-RELI-E7".parse().unwrap()),
            instrument: id("RELI"),
            side: Side::Buy,
            quantity: 62,
            price: dec!(1016),
            time: at(9, 30, 2),
        }],
        guards: [(id("RELI"), (dec!(1008), dec!(1028)))]
            .into_iter()
            .collect(),
        trailed: HashMap::new(),
        protective: HashMap::new(),
        left_working: HashMap::new(),
    };
    let mut trailed = restoration.clone();
    assert!(engine.restore(&restoration, at(11, 0, 0)).is_empty());
    let trade = engine.open_trade(&id("RELI")).unwrap();
    assert_eq!((trade.quantity, trade.stop), (62, dec!(1008)));
    let commands = engine.on_event(tick("RELI", dec!(1007.5), at(11, 0, 0)));
    let exit = placed(&commands)[0];
    assert_eq!(exit.request().tag.as_str(), "D261123-RELI-X8");
    assert_eq!(exit.request().quantity, 62);

    // The trail had reached 1020.87 before the restart: the trade comes back with that stop, not the signal's.
    trailed.trailed.insert(id("RELI"), dec!(1020.87));
    let mut restarted = self::engine();
    restarted.restore(&trailed, at(11, 0, 0));
    let trade = restarted.open_trade(&id("RELI")).unwrap();
    assert_eq!(trade.stop, dec!(1020.87));
    let commands = restarted.on_event(tick("RELI", dec!(1020.5), at(11, 0, 1)));
    assert_eq!(
        placed(&commands).len(),
        1,
        "stopped out at the trailed stop"
    );
}

#[test]
fn a_shutdown_cancels_pending_entries_and_flattens_only_when_asked() {
    let mut kept = engine();
    let entry = enter_long(&mut kept);
    let commands = kept.on_event(EngineEvent::Shutdown {
        at: at(9, 31, 0),
        flatten: false,
    });
    assert_eq!(commands, vec![Command::Cancel(entry.request().tag.clone())]);

    let mut flattened = engine();
    let entry = enter_long(&mut flattened);
    flattened.on_event(fill(&entry, dec!(1016), at(9, 30, 2)));
    let commands = flattened.on_event(EngineEvent::Shutdown {
        at: at(9, 31, 0),
        flatten: true,
    });
    assert_eq!(placed(&commands)[0].request().side, Side::Sell);
    assert!(commands.iter().any(|c| matches!(
        c,
        Command::Note(EngineNote::Exit {
            reason: ExitReason::Shutdown,
            ..
        })
    )));
    // No entry after a shutdown, whatever the price does.
    assert!(placed(&flattened.on_event(tick("INFY", dec!(1012), at(9, 32, 0)))).is_empty());
}

fn modified(commands: &[Command]) -> Vec<&ApprovedOrder> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::Modify(order) => Some(order),
            _ => None,
        })
        .collect()
}

fn protected_engine() -> Engine {
    let mut engine = engine();
    engine.strategy.exit.protective_stop = true;
    engine
}

#[test]
fn a_protective_stop_rests_at_the_broker_follows_the_trail_and_becomes_the_exit() {
    let mut engine = protected_engine();
    let entry = enter_long(&mut engine);
    let commands = engine.on_event(fill(&entry, dec!(1016), at(9, 30, 2)));
    let stop = placed(&commands)[0].clone();
    assert!(stop.request().tag.as_str().contains("-P"));
    assert_eq!(stop.request().side, Side::Sell);
    assert_eq!(stop.request().quantity, 62);
    // Triggers at the range low; may fill down to the price protection below it.
    assert_eq!(
        stop.request().kind,
        OrderKind::StopLoss {
            trigger: dec!(1008),
            price: dec!(1002.9)
        }
    );

    // The trail arms at one R: the resting stop moves up with it, in place.
    let commands = engine.on_event(tick("RELI", dec!(1026), at(9, 45, 0)));
    let moved = modified(&commands);
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0].request().tag, stop.request().tag);
    assert_eq!(moved[0].request().kind.trigger_price(), Some(dec!(1020.9)));

    // The trailing stop is hit: the same order becomes a marketable LIMIT; no second order is placed.
    let commands = engine.on_event(tick("RELI", dec!(1020.8), at(9, 47, 0)));
    assert!(placed(&commands).is_empty(), "{commands:?}");
    let exit = modified(&commands)[0].clone();
    assert_eq!(exit.request().tag, stop.request().tag);
    assert!(matches!(exit.request().kind, OrderKind::Limit { .. }));
    engine.on_event(fill(&exit, dec!(1020.8), at(9, 47, 1)));
    assert!(engine.position(&id("RELI")).unwrap().is_flat());
    assert!(engine.open_trade(&id("RELI")).is_none());
}

#[test]
fn a_protective_stop_that_fires_at_the_broker_closes_the_trade() {
    let mut engine = protected_engine();
    let entry = enter_long(&mut engine);
    let stop = placed(&engine.on_event(fill(&entry, dec!(1016), at(9, 30, 2))))[0].clone();
    // dalal saw no price below the stop (it was down, or the feed was slow): the broker's stop filled.
    let commands = engine.on_event(fill(&stop, dec!(1007.5), at(9, 40, 0)));
    assert!(placed(&commands).is_empty() && modified(&commands).is_empty());
    assert!(engine.position(&id("RELI")).unwrap().is_flat());
    assert!(engine.open_trade(&id("RELI")).is_none());
    // A shutdown without flattening leaves a resting stop alone: only entries are cancelled.
    let mut kept = protected_engine();
    let entry = enter_long(&mut kept);
    kept.on_event(fill(&entry, dec!(1016), at(9, 30, 2)));
    let commands = kept.on_event(EngineEvent::Shutdown {
        at: at(9, 31, 0),
        flatten: false,
    });
    assert!(commands.is_empty(), "{commands:?}");
}

fn lost(order: &ApprovedOrder) -> EngineEvent {
    EngineEvent::OrderLost {
        tag: order.request().tag.clone(),
        reason: "not in the book".into(),
    }
}

#[test]
fn a_lost_exit_is_sent_again_under_a_new_tag_and_the_position_stays_watched() {
    let mut engine = engine();
    let entry = enter_long(&mut engine);
    engine.on_event(fill(&entry, dec!(1016), at(9, 30, 2)));
    let exit = placed(&engine.on_event(tick("RELI", dec!(1007.9), at(9, 41, 0))))[0].clone();
    // While the exit's fate is unknown, nothing else is sent for the instrument.
    assert!(placed(&engine.on_event(tick("RELI", dec!(1007.5), at(9, 41, 5)))).is_empty());
    let commands = engine.on_event(lost(&exit));
    let again = placed(&commands);
    assert_eq!(again.len(), 1, "{commands:?}");
    assert_ne!(again[0].request().tag, exit.request().tag, "a new intent");
    assert_eq!(again[0].request().side, Side::Sell);
    assert_eq!(again[0].request().quantity, 62);
    engine.on_event(fill(again[0], dec!(1007.4), at(9, 41, 40)));
    assert!(engine.position(&id("RELI")).unwrap().is_flat());
}

#[test]
fn a_lost_resting_stop_is_rested_again_and_a_lost_entry_leaves_nothing_open() {
    let mut protected = protected_engine();
    let entry = enter_long(&mut protected);
    let stop = placed(&protected.on_event(fill(&entry, dec!(1016), at(9, 30, 2))))[0].clone();
    let commands = protected.on_event(lost(&stop));
    let rested = placed(&commands);
    assert_eq!(rested.len(), 1, "{commands:?}");
    assert_ne!(rested[0].request().tag, stop.request().tag);
    assert_eq!(rested[0].request().kind, stop.request().kind);

    let mut unprotected = engine();
    let entry = enter_long(&mut unprotected);
    assert!(unprotected.on_event(lost(&entry)).is_empty());
    assert!(unprotected.position(&id("RELI")).unwrap().is_flat());
    assert!(unprotected.open_trade(&id("RELI")).is_none());
}

fn partial_fill(
    order: &ApprovedOrder,
    quantity: u32,
    price: Decimal,
    time: DateTime<Utc>,
) -> EngineEvent {
    let EngineEvent::Fill(whole) = fill(order, price, time) else {
        unreachable!()
    };
    EngineEvent::Fill(Fill { quantity, ..whole })
}

fn cancelled(commands: &[Command]) -> Vec<&OrderTag> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::Cancel(tag) => Some(tag),
            _ => None,
        })
        .collect()
}

fn limit(order: &ApprovedOrder) -> Decimal {
    order.request().kind.limit_price().unwrap()
}

#[test]
fn a_partly_filled_entry_is_a_guarded_position_at_once_and_its_rest_is_cancelled_in_time() {
    let mut engine = protected_engine();
    let entry = enter_long(&mut engine);
    let commands = engine.on_event(partial_fill(&entry, 20, dec!(1016), at(9, 30, 2)));
    let stop = placed(&commands);
    assert_eq!(
        stop.len(),
        1,
        "a resting stop for the 20 filled: {commands:?}"
    );
    assert_eq!(stop[0].request().quantity, 20);
    let stop = stop[0].clone();
    // More of the entry fills: the same resting stop grows to cover it.
    let commands = engine.on_event(partial_fill(&entry, 10, dec!(1016), at(9, 30, 5)));
    let grown = modified(&commands);
    assert_eq!(grown.len(), 1, "{commands:?}");
    assert_eq!(grown[0].request().tag, stop.request().tag);
    assert_eq!(grown[0].request().quantity, 30);
    // Twenty seconds after it was sent, the rest of the entry is cancelled; the 30 shares stay guarded.
    assert!(cancelled(&engine.on_event(EngineEvent::Timer(at(9, 30, 20)))).is_empty());
    let commands = engine.on_event(EngineEvent::Timer(at(9, 30, 21)));
    assert_eq!(cancelled(&commands), [&entry.request().tag]);
    assert!(cancelled(&engine.on_event(EngineEvent::Timer(at(9, 30, 22)))).is_empty());
    assert_eq!(engine.open_trade(&id("RELI")).unwrap().quantity, 30);
}

#[test]
fn a_partly_filled_entry_is_stop_monitored_and_its_rest_cancelled_when_the_stop_is_hit() {
    let mut engine = engine();
    let entry = enter_long(&mut engine);
    engine.on_event(partial_fill(&entry, 20, dec!(1016), at(9, 30, 2)));
    let commands = engine.on_event(tick("RELI", dec!(1007.9), at(9, 30, 10)));
    assert_eq!(cancelled(&commands), [&entry.request().tag], "{commands:?}");
    let exit = placed(&commands);
    assert_eq!(exit.len(), 1, "{commands:?}");
    assert_eq!(exit[0].request().quantity, 20);
    assert_eq!(exit[0].request().side, Side::Sell);
}

#[test]
fn an_unfilled_exit_is_repriced_toward_the_market_then_escalated_and_keeps_following() {
    let mut engine = engine();
    let entry = enter_long(&mut engine);
    engine.on_event(fill(&entry, dec!(1016), at(9, 30, 2)));
    let exit = placed(&engine.on_event(tick("RELI", dec!(1000), at(9, 41, 0))))[0].clone();
    assert_eq!(limit(&exit), dec!(995), "0.5 % through 1000");
    assert!(modified(&engine.on_event(EngineEvent::Timer(at(9, 41, 2)))).is_empty());
    let mut limits = Vec::new();
    let mut escalations = 0;
    for second in [3, 6, 9, 12, 15] {
        let commands = engine.on_event(EngineEvent::Timer(at(9, 41, second)));
        let moved = modified(&commands);
        assert_eq!(moved.len(), 1, "re-priced at +{second} s: {commands:?}");
        assert_eq!(moved[0].request().tag, exit.request().tag, "in place");
        assert_eq!(moved[0].request().quantity, 62);
        limits.push(limit(moved[0]));
        escalations += commands
            .iter()
            .filter(|c| matches!(c, Command::Note(EngineNote::ExitEscalated { .. })))
            .count();
    }
    assert_eq!(
        limits,
        [dec!(990), dec!(985), dec!(980), dec!(980), dec!(980)],
        "1 %, 1.5 %, 2 %, then 2 % again"
    );
    assert_eq!(escalations, 1, "the trader is told once");
    // The market moves on: the escalated exit follows it.
    engine.on_event(tick("RELI", dec!(990), at(9, 41, 16)));
    let commands = engine.on_event(EngineEvent::Timer(at(9, 41, 18)));
    assert_eq!(limit(modified(&commands)[0]), dec!(970.2));
}

#[test]
fn a_refused_exit_is_sent_again_one_step_further_and_a_refused_change_is_replaced() {
    let mut engine = engine();
    let entry = enter_long(&mut engine);
    engine.on_event(fill(&entry, dec!(1016), at(9, 30, 2)));
    let exit = placed(&engine.on_event(EngineEvent::Timer(at(15, 5, 0))))[0].clone();
    engine.on_event(EngineEvent::OrderEnded {
        tag: exit.request().tag.clone(),
        rejected: true,
        reason: "RMS: price out of range".into(),
    });
    // Not resent as it was: after the re-pricing interval, a new tag one step further.
    let early = engine.on_event(EngineEvent::Timer(at(15, 5, 1)));
    assert!(placed(&early).is_empty(), "{early:?}");
    let again = placed(&engine.on_event(EngineEvent::Timer(at(15, 5, 4))))[0].clone();
    assert_ne!(again.request().tag, exit.request().tag);
    assert!(limit(&again) < limit(&exit), "reaches further");

    // The broker refuses to re-price it: asked once more, then cancelled and replaced at once.
    let moved = modified(&engine.on_event(EngineEvent::Timer(at(15, 5, 7))))[0].clone();
    let failed = || EngineEvent::ModifyFailed {
        tag: again.request().tag.clone(),
        reason: "modify refused".into(),
    };
    let retried = engine.on_event(failed());
    assert_eq!(modified(&retried).len(), 1, "{retried:?}");
    assert_eq!(limit(modified(&retried)[0]), limit(&moved));
    let gave_up = engine.on_event(failed());
    assert_eq!(cancelled(&gave_up), [&again.request().tag]);
    assert!(modified(&engine.on_event(EngineEvent::Timer(at(15, 5, 11)))).is_empty());
    let commands = engine.on_event(EngineEvent::OrderEnded {
        tag: again.request().tag.clone(),
        rejected: false,
        reason: "cancelled".into(),
    });
    assert!(placed(&commands).is_empty());
    let replacement = placed(&engine.on_event(EngineEvent::Timer(at(15, 5, 12))))[0].clone();
    assert_ne!(replacement.request().tag, again.request().tag);
    assert_eq!(replacement.request().quantity, 62);
}

#[test]
fn a_refused_cancel_is_asked_again_and_a_refused_replacement_goes_back_to_re_pricing() {
    let mut engine = engine();
    let entry = enter_long(&mut engine);
    engine.on_event(partial_fill(&entry, 20, dec!(1016), at(9, 30, 2)));
    let first = engine.on_event(EngineEvent::Timer(at(9, 30, 21)));
    assert_eq!(cancelled(&first), [&entry.request().tag]);
    let refused = || EngineEvent::CancelFailed {
        tag: entry.request().tag.clone(),
        reason: "cancel refused".into(),
    };
    engine.on_event(refused());
    // Not on every price: after the re-pricing interval.
    assert!(cancelled(&engine.on_event(tick("RELI", dec!(1017), at(9, 30, 22)))).is_empty());
    let again = engine.on_event(EngineEvent::Timer(at(9, 30, 24)));
    assert_eq!(cancelled(&again), [&entry.request().tag], "{again:?}");

    // An exit the broker will neither change nor cancel is changed again when due, then replaced again.
    let mut engine = self::engine();
    let entry = enter_long(&mut engine);
    engine.on_event(fill(&entry, dec!(1016), at(9, 30, 2)));
    let exit = placed(&engine.on_event(EngineEvent::Timer(at(15, 5, 0))))[0].clone();
    let tag = exit.request().tag.clone();
    let failed = || EngineEvent::ModifyFailed {
        tag: tag.clone(),
        reason: "modify refused".into(),
    };
    assert_eq!(
        modified(&engine.on_event(EngineEvent::Timer(at(15, 5, 3)))).len(),
        1
    );
    engine.on_event(failed());
    assert_eq!(cancelled(&engine.on_event(failed())), [&tag]);
    engine.on_event(EngineEvent::CancelFailed {
        tag: tag.clone(),
        reason: "cancel refused".into(),
    });
    let commands = engine.on_event(EngineEvent::Timer(at(15, 5, 6)));
    assert_eq!(
        modified(&commands).len(),
        1,
        "re-priced again: {commands:?}"
    );
    assert!(
        limit(modified(&commands)[0]) < limit(&exit),
        "further toward the market"
    );
}

#[test]
fn an_entry_left_working_by_the_previous_run_is_cancelled_and_what_fills_is_guarded() {
    let mut engine = protected_engine();
    let tag: OrderTag = "D261123-RELI-E3".parse().unwrap();
    let restoration = Restoration {
        sequence: 3,
        guards: [(id("RELI"), (dec!(1008), dec!(1028)))]
            .into_iter()
            .collect(),
        left_working: [(
            tag.clone(),
            crate::engine::LeftWorking {
                instrument: id("RELI"),
                side: Side::Buy,
                price: dec!(1016),
                quantity: 62,
                remaining: 62,
                entry: true,
            },
        )]
        .into_iter()
        .collect(),
        ..Restoration::default()
    };
    assert!(engine.restore(&restoration, at(11, 0, 0)).is_empty());
    assert!(engine.open_trade(&id("RELI")).is_none());
    let commands = engine.on_event(EngineEvent::Timer(at(11, 0, 1)));
    assert_eq!(cancelled(&commands), [&tag], "cancelled again at once");
    // It fills before the cancel lands: a trade with the signal's stop, and a resting stop for it.
    let fill = EngineEvent::Fill(Fill {
        order_id: "B1".into(),
        tag: Some(tag.clone()),
        instrument: id("RELI"),
        side: Side::Buy,
        quantity: 30,
        price: dec!(1016),
        time: at(11, 0, 3),
    });
    let commands = engine.on_event(fill);
    let trade = engine.open_trade(&id("RELI")).unwrap();
    assert_eq!((trade.quantity, trade.stop), (30, dec!(1008)));
    let stop = placed(&commands);
    assert_eq!(stop.len(), 1, "{commands:?}");
    assert_eq!(stop[0].request().quantity, 30);
    assert!(stop[0].request().tag.as_str().ends_with("-P4"));
}

#[test]
fn the_flat_time_cancels_the_rest_of_an_entry_and_closes_what_filled() {
    let mut engine = engine();
    let entry = enter_long(&mut engine);
    engine.on_event(partial_fill(&entry, 20, dec!(1016), at(9, 30, 2)));
    // A long entry timeout, so the entry is still working at the flat time.
    engine.policy.entry_fill_timeout_s = 600;
    engine.on_event(EngineEvent::Timer(at(9, 30, 3)));
    let commands = engine.on_event(EngineEvent::Timer(at(9, 35, 0)));
    assert!(cancelled(&commands).is_empty());
    engine.cutoffs.square_off_time = chrono::NaiveTime::from_hms_opt(9, 36, 0).unwrap();
    engine.strategy.time.flat_time = chrono::NaiveTime::from_hms_opt(9, 36, 0).unwrap();
    let commands = engine.on_event(EngineEvent::Timer(at(9, 36, 0)));
    assert_eq!(cancelled(&commands), [&entry.request().tag], "{commands:?}");
    let exit = placed(&commands);
    assert_eq!(exit.len(), 1, "{commands:?}");
    assert_eq!(exit[0].request().quantity, 20);
}

#[test]
fn started_after_the_open_an_instrument_sits_out_rather_than_trade_a_range_it_never_saw() {
    let mut engine = engine();
    let commands = engine.on_event(tick("RELI", dec!(1012), at(10, 0, 0)));
    assert!(
        commands.iter().any(|c| matches!(
            c,
            Command::Note(EngineNote::Disqualified {
                why: Disqualified::OpeningRangeNotSeen,
                ..
            })
        )),
        "{commands:?}"
    );
    for (second, price) in [(1, dec!(1013)), (2, dec!(1020)), (3, dec!(1030))] {
        assert!(placed(&engine.on_event(tick("RELI", price, at(10, 0, second)))).is_empty());
    }
}

/// One-minute bars of RELI from 09:15 for `minutes`, inside the 1008–1015 opening range, with `after_range` as
/// the high of every bar after 09:30.
fn reli_minutes(minutes: u32, after_range: Decimal) -> Vec<crate::domain::Candle> {
    (0..minutes)
        .map(|m| {
            let start = at(9, 15, 0) + chrono::TimeDelta::minutes(i64::from(m));
            let (high, low) = match m {
                0 => (dec!(1015), dec!(1010)),
                5 => (dec!(1012), dec!(1008)),
                _ if m >= 15 => (after_range, dec!(1011)),
                _ => (dec!(1013), dec!(1010)),
            };
            crate::domain::Candle {
                start,
                open: dec!(1012),
                high,
                low,
                close: dec!(1012),
                volume: 100,
            }
        })
        .collect()
}

#[test]
fn started_late_an_instrument_trades_the_range_its_candles_show_and_sits_out_a_missed_breakout() {
    let mut late = engine();
    let now = at(9, 40, 30);
    let notes = late.replay_minutes(&id("RELI"), &reli_minutes(25, dec!(1014)), dec!(1000), now);
    assert!(notes.is_empty(), "{notes:?}");
    let commands = late.on_event(tick(
        "RELI",
        dec!(1016),
        now + chrono::TimeDelta::seconds(5),
    ));
    let orders = placed(&commands);
    assert_eq!(
        orders.len(),
        1,
        "the rebuilt range's break enters: {commands:?}"
    );
    assert_eq!(
        orders[0].request().quantity,
        62,
        "stop at the rebuilt range's low, 1008"
    );

    let mut missed = engine();
    let notes = missed.replay_minutes(&id("RELI"), &reli_minutes(25, dec!(1017)), dec!(1000), now);
    assert!(
        matches!(
            &notes[..],
            [Command::Note(EngineNote::Disqualified {
                why: Disqualified::BreakoutMissed,
                ..
            })]
        ),
        "{notes:?}"
    );
    assert!(placed(&missed.on_event(tick("RELI", dec!(1016), now))).is_empty());

    // Candles that do not start at the open cannot show the range: the first live price sits it out.
    let mut partial = engine();
    let from_nine_twenty = reli_minutes(25, dec!(1014)).split_off(5);
    assert!(
        partial
            .replay_minutes(&id("RELI"), &from_nine_twenty, dec!(1000), now)
            .is_empty()
    );
    let commands = partial.on_event(tick("RELI", dec!(1016), now));
    assert!(placed(&commands).is_empty());
    assert!(commands.iter().any(|c| matches!(
        c,
        Command::Note(EngineNote::Disqualified {
            why: Disqualified::OpeningRangeNotSeen,
            ..
        })
    )));
}

#[test]
fn a_zero_price_is_refused_not_divided_by() {
    let strategy = STRATEGY.replace("direction = \"long_only\"", "direction = \"both\"");
    let mut engine = Engine::new(
        MarketCalendar::new(CalendarData::default()),
        toml::from_str(&strategy).unwrap(),
        RiskLimits::default(),
        SessionCutoffs::default(),
        vec![instrument("RELI")],
    );
    engine.on_event(EngineEvent::TradingEnabled(true));
    engine.on_event(tick("RELI", dec!(988), at(9, 15, 0)));
    for (minute, price) in [(1, dec!(985)), (5, dec!(992)), (10, dec!(987))] {
        engine.on_event(tick("RELI", price, at(9, 15 + minute, 0)));
    }
    let commands = engine.on_event(tick("RELI", Decimal::ZERO, at(9, 30, 1)));
    assert!(placed(&commands).is_empty(), "{commands:?}");
    assert_eq!(refusals(&commands), [&Refusal::NonPositivePrice]);
}
