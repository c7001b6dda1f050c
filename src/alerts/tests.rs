//! The mapping from journal entries to alerts, told as the entries of a day: which entries alert, which stay
//! quiet (a second fallback in one episode, the first stream of the day, a refused token again and again), and
//! what the trader reads.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use rust_decimal::dec;

use super::AlertMapper;
use crate::calendar::ist_instant;
use crate::config::{AlertEvent, AlertSettings};
use crate::journal::{JournalEntry, JournalEvent};

fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    let date = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    ist_instant(date, chrono::NaiveTime::from_hms_opt(h, m, s).unwrap())
}

fn feed(state: &str, reason: Option<&str>) -> JournalEntry {
    JournalEntry::FeedState {
        state: state.into(),
        reason: reason.map(str::to_string),
    }
}

/// The alerts `entries` raise, as (event, text).
fn alerts(
    mapper: &mut AlertMapper,
    entries: Vec<(DateTime<Utc>, JournalEntry)>,
) -> Vec<(AlertEvent, String)> {
    entries
        .into_iter()
        .filter_map(|(at, entry)| mapper.map(&Arc::new(JournalEvent { at, entry })))
        .map(|alert| (alert.event, alert.text))
        .collect()
}

fn summary(date: NaiveDate) -> JournalEntry {
    JournalEntry::DaySummary {
        date,
        trading_enabled: true,
        ticks: 1000,
        orders: 4,
        fills: 4,
        round_trips: 2,
        realized_pnl: dec!(-120.5),
        charges: dec!(61.2),
        seconds_streaming: 20000,
        seconds_polling: 300,
        fallbacks: vec!["10:42:05 IST: WebSocket handshake refused with 403".into()],
        failures: vec![],
        broker_open: None,
    }
}

#[test]
fn a_fallback_is_one_alert_per_episode_and_the_first_stream_of_the_day_is_no_return() {
    let mut mapper = AlertMapper::new(false);
    let refused = Some("WebSocket handshake refused with 401");
    let raised = alerts(
        &mut mapper,
        vec![
            (at(9, 0, 1), feed("streaming", None)),
            (at(10, 42, 5), feed("polling", refused)),
            (
                at(10, 42, 9),
                feed("reconnecting", Some("WebSocket dropped: reset")),
            ),
            (at(10, 42, 12), feed("polling", refused)),
            (at(10, 47, 30), feed("streaming", None)),
            (at(11, 0, 0), feed("streaming", None)),
        ],
    );
    assert_eq!(
        raised,
        [
            (
                AlertEvent::FeedFallback,
                "dalal: feed fell back to polling at 10:42:05 IST: WebSocket handshake refused with 401".into()
            ),
            (
                AlertEvent::FeedReturn,
                "dalal: feed streaming again at 10:47:30 IST, after 5 min 25 s without the stream (since \
                 10:42:05 IST)"
                    .into()
            ),
        ]
    );
    // A new episode alerts again; a day's end forgets an episode still open, so the next day's first stream
    // is no return.
    let raised = alerts(
        &mut mapper,
        vec![
            (
                at(13, 0, 0),
                feed("reconnecting", Some("WebSocket dropped: eof")),
            ),
            (
                at(15, 40, 0),
                summary(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()),
            ),
            (at(9, 0, 1) + TimeDelta::days(1), feed("streaming", None)),
        ],
    );
    let events: Vec<AlertEvent> = raised.iter().map(|(e, _)| *e).collect();
    assert_eq!(events, [AlertEvent::FeedFallback, AlertEvent::DaySummary]);
    assert!(
        raised[0]
            .1
            .contains("feed lost its stream at 13:00:00 IST, reconnecting"),
        "{raised:?}"
    );
}

#[test]
fn a_refused_token_alerts_once_until_something_changes() {
    let mut mapper = AlertMapper::new(true);
    let auth = |m: &str| JournalEntry::Error {
        class: "auth".into(),
        message: m.into(),
    };
    let raised = alerts(
        &mut mapper,
        vec![
            (at(9, 20, 0), feed("streaming", None)),
            (
                at(9, 30, 0),
                auth("auth error from /v2/order/retrieve-all (HTTP 401): Invalid token"),
            ),
            (
                at(9, 30, 1),
                auth("auth error from /v2/order/retrieve-all (HTTP 401): Invalid token"),
            ),
            (at(9, 31, 0), feed("auth_failed", None)),
            (
                at(9, 50, 0),
                auth("auth error from /v2/order/retrieve-all (HTTP 401): Invalid token"),
            ),
            // A new token: the feed streams again, and a later refusal is news.
            (at(10, 0, 0), feed("streaming", None)),
            (at(10, 5, 0), feed("auth_failed", None)),
        ],
    );
    let events: Vec<AlertEvent> = raised.iter().map(|(e, _)| *e).collect();
    assert_eq!(
        events,
        [
            AlertEvent::TokenRefused,
            AlertEvent::TokenRefused,
            AlertEvent::FeedReturn,
            AlertEvent::TokenRefused
        ],
        "{raised:#?}"
    );
    assert!(
        raised[0]
            .1
            .starts_with("dalal (paper): the broker refused the token at 09:30:00 IST: auth error")
    );
    // 09:50 is 20 min after the first: a reminder.
    assert!(raised[1].1.contains("09:50:00 IST"), "{raised:#?}");
    assert!(raised[2].1.contains("since 09:31:00 IST"), "{raised:#?}");
}

#[test]
fn checks_stops_losses_and_rejections_alert_with_what_the_trader_needs() {
    let mut mapper = AlertMapper::new(false);
    let check = |passed: bool| JournalEntry::Check {
        name: "token".into(),
        passed,
        detail: if passed {
            "accepted".into()
        } else {
            "the broker refused the token (HTTP 401)".into()
        },
        remedy: (!passed).then(|| "log in again".to_string()),
    };
    let trade = |reason: &str| JournalEntry::Trade {
        instrument: "NSE:RELIANCE".into(),
        side: "BUY".into(),
        quantity: 62,
        entry_time: at(9, 31, 0),
        entry_price: dec!(1016.2),
        exit_time: at(9, 42, 10),
        exit_price: dec!(1007.8),
        pnl: dec!(-520.8),
        charges: dec!(31.466),
        slippage: dec!(0),
        exit_reason: reason.into(),
    };
    let raised = alerts(
        &mut mapper,
        vec![
            (at(9, 5, 0), check(false)),
            (at(9, 6, 0), check(false)),
            (at(9, 7, 0), check(true)),
            (at(9, 8, 0), check(true)),
            (
                at(9, 31, 0),
                JournalEntry::Order {
                    tag: "D261123-RELI-E1".into(),
                    broker_ids: vec!["1".into()],
                    instrument: "NSE:RELIANCE".into(),
                    side: "BUY".into(),
                    quantity: 62,
                    order_type: "LIMIT".into(),
                    limit_price: Some(dec!(1021.1)),
                    signal_price: dec!(1016),
                    state: "open".into(),
                    price_age_ms: None,
                },
            ),
            (
                at(9, 31, 2),
                JournalEntry::OrderEnded {
                    tag: "D261123-RELI-E1".into(),
                    rejected: true,
                    reason: "RMS: margin exceeds".into(),
                },
            ),
            (
                at(9, 31, 3),
                JournalEntry::OrderEnded {
                    tag: "D261123-RELI-E2".into(),
                    rejected: false,
                    reason: "cancelled".into(),
                },
            ),
            (at(9, 42, 11), trade("stop")),
            (at(9, 42, 12), trade("trailing stop")),
            (at(9, 42, 13), trade("target")),
            (
                at(11, 2, 33),
                JournalEntry::Error {
                    class: "risk".into(),
                    message:
                        "daily loss limit reached at ₹-5012.40: entries blocked, positions closed"
                            .into(),
                },
            ),
            (
                at(11, 2, 34),
                JournalEntry::Error {
                    class: "risk".into(),
                    message: "something else".into(),
                },
            ),
        ],
    );
    let texts: Vec<&str> = raised.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(
        texts,
        [
            "dalal: pre-open check `token` failed at 09:05:00 IST, new entries stay off: the broker refused the \
             token (HTTP 401). Fix: log in again",
            "dalal: pre-open check `token` passes again at 09:07:00 IST",
            "dalal: order D261123-RELI-E1 (BUY 62 NSE:RELIANCE) rejected at 09:31:02 IST: RMS: margin exceeds",
            "dalal: stop hit on NSE:RELIANCE at 09:42:10 IST: long 62 from ₹1016.2, out at ₹1007.8, P&L \
             ₹-520.80 (charges ≈ ₹31.47)",
            "dalal: trailing stop hit on NSE:RELIANCE at 09:42:10 IST: long 62 from ₹1016.2, out at ₹1007.8, \
             P&L ₹-520.80 (charges ≈ ₹31.47)",
            "dalal: daily loss limit reached at ₹-5012.40: entries blocked, positions closed (11:02:33 IST)",
        ]
    );
    let events: Vec<AlertEvent> = raised.iter().map(|(e, _)| *e).collect();
    assert_eq!(
        events,
        [
            AlertEvent::CheckFailed,
            AlertEvent::CheckFailed,
            AlertEvent::OrderRejected,
            AlertEvent::StopHit,
            AlertEvent::StopHit,
            AlertEvent::DailyLoss
        ]
    );
}

#[test]
fn the_day_summary_is_short_and_says_what_went_wrong() {
    let mut mapper = AlertMapper::new(false);
    let date = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let raised = alerts(&mut mapper, vec![(at(15, 40, 0), summary(date))]);
    assert_eq!(
        raised[0].1,
        "dalal: Mon 23 Nov 2026: 2 round trips, P&L ₹-120.50 gross, charges ≈ ₹61.20, net ₹-181.70; 1 fallback \
         to polling (10:42:05 IST: WebSocket handshake refused with 403)"
    );
    let mut bad = summary(date);
    if let JournalEntry::DaySummary {
        trading_enabled,
        failures,
        broker_open,
        fallbacks,
        ..
    } = &mut bad
    {
        *trading_enabled = false;
        *failures = vec!["FAIL token: refused".into()];
        *broker_open = Some(vec!["NSE:SBIN 10".into()]);
        *fallbacks = (0..5).map(|i| format!("1{i}:00:00 IST: silent")).collect();
    }
    let raised = alerts(&mut mapper, vec![(at(15, 40, 0), bad)]);
    let text = &raised[0].1;
    assert!(text.contains("5 fallbacks to polling (10:00:00 IST: silent; 11:00:00 IST: silent; 12:00:00 IST: silent and 2 more)"), "{text}");
    assert!(
        text.contains("new entries stayed off: FAIL token: refused"),
        "{text}"
    );
    assert!(
        text.ends_with("STILL OPEN at the broker: NSE:SBIN 10"),
        "{text}"
    );
}

#[test]
fn controls_signals_and_fills_map_to_their_events_and_the_defaults_leave_the_routine_out() {
    let mut mapper = AlertMapper::new(false);
    let raised = alerts(
        &mut mapper,
        vec![
            (
                at(10, 0, 0),
                JournalEntry::Control {
                    action: "pause".into(),
                    accepted: true,
                    detail: "new entries paused".into(),
                },
            ),
            (
                at(10, 0, 1),
                JournalEntry::Control {
                    action: "flatten".into(),
                    accepted: false,
                    detail: "wrong key".into(),
                },
            ),
            (
                at(10, 1, 0),
                JournalEntry::Signal {
                    instrument: "NSE:INFY".into(),
                    side: "SELL".into(),
                    price: dec!(1500.5),
                    stop: dec!(1510),
                    target: dec!(1481.5),
                    reason: "broke the opening-range low".into(),
                },
            ),
            (
                at(10, 1, 2),
                JournalEntry::Fill {
                    tag: "D261123-INFY-E1".into(),
                    instrument: "NSE:INFY".into(),
                    side: "SELL".into(),
                    quantity: 20,
                    price: dec!(1500.4),
                },
            ),
            (at(10, 1, 3), JournalEntry::Calendar { detail: "x".into() }),
        ],
    );
    let texts: Vec<&str> = raised.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(
        texts,
        [
            "dalal: control `pause` carried out at 10:00:00 IST: new entries paused",
            "dalal: control `flatten` refused at 10:00:01 IST: wrong key",
            "dalal: signal at 10:01:00 IST: SELL NSE:INFY at ₹1500.5 (stop ₹1510, target ₹1481.5): broke the \
             opening-range low",
            "dalal: filled SELL 20 NSE:INFY at ₹1500.4 at 10:01:02 IST (D261123-INFY-E1)",
        ]
    );
    let defaults = AlertSettings::default().events;
    assert!(!defaults.contains(&AlertEvent::Signal) && !defaults.contains(&AlertEvent::Fill));
    assert_eq!(defaults.len(), AlertEvent::ALL.len() - 2);
}
