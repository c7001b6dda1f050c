//! Restart safety: before any trading, today's journal is matched against what the broker says about our orders
//! (found by their tags) and the account's positions, and the engine is given back what it had: positions, the
//! stops that guard them, the day's trade counts and the tag sequence.
//!
//! A pure function of its inputs, so every case is a unit test. What it can explain (a fill the broker made
//! while dalal was down, an order still working) becomes an action; what it cannot (a position dalal never
//! opened, a quantity that differs) becomes a mismatch. A mismatch blocks new entries for the day; the instrument
//! it concerns is left to the trader (dalal neither trades nor closes it), while every position dalal can account
//! for keeps its stop and its square-off.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::broker::{OrderReport, PositionReport};
use crate::domain::{
    Fill, InstrumentId, OrderKind, OrderRequest, OrderTag, Product, Side, Validity,
};
use crate::engine::Restoration;
use crate::journal::{JournalEntry, Recorded};

/// What the broker said, in live mode. Paper mode has no broker state: the journal is the whole truth.
pub struct BrokerView<'a> {
    /// Today's order book.
    pub orders: &'a [OrderReport],
    pub positions: &'a [PositionReport],
}

/// The outcome: the engine's restored state, what was done to get there, and what could not be explained.
#[derive(Debug, Default)]
pub struct Reconciled {
    pub restoration: Restoration,
    /// Fills the broker made that the journal lacks: journaled now.
    pub missing_fills: Vec<Fill>,
    /// Our orders still working at the broker: cancelled before trading, since the engine that sent them is gone.
    pub working_orders: Vec<OrderReport>,
    /// Orders of ours at the broker this run follows as its own: resting stops kept for the positions they
    /// protect, and orders whose cancel the broker refused (see `follow_left_working`).
    pub followed: Vec<(OrderRequest, OrderReport)>,
    /// The side, stop and target of each instrument's last journaled signal, open or not: an entry left
    /// working on that side opens its trade with them.
    pub signals: HashMap<InstrumentId, (Side, Decimal, Decimal)>,
    /// One line per action taken, for the journal.
    pub actions: Vec<String>,
    /// One line per difference nobody can explain; any blocks new entries.
    pub mismatches: Vec<String>,
    /// The instruments those differences concern: not restored, not traded, not closed by dalal today.
    pub mismatched: BTreeSet<InstrumentId>,
}

#[derive(Default)]
struct TagRecord {
    instrument: Option<InstrumentId>,
    side: Option<Side>,
    journal_filled: u32,
}

/// `keep_resting_stops`: our protective stops still working for an open position are kept and followed, not
/// cancelled (the strategy's `exit.protective_stop`).
pub fn reconcile(
    date: NaiveDate,
    now: DateTime<Utc>,
    journal: &[Recorded],
    broker: Option<BrokerView<'_>>,
    keys: &HashMap<String, InstrumentId>,
    keep_resting_stops: bool,
) -> Reconciled {
    let by_name: HashMap<String, InstrumentId> = keys
        .values()
        .map(|id| (id.to_string(), id.clone()))
        .collect();
    let prefix = OrderTag::day_prefix(date);
    let mut out = Reconciled::default();
    let mut tags: BTreeMap<String, TagRecord> = BTreeMap::new();
    let mut fills: Vec<Fill> = Vec::new();
    for recorded in journal {
        match &recorded.entry {
            JournalEntry::Order {
                tag,
                instrument,
                side,
                ..
            } if tag.starts_with(&prefix) => {
                let record = tags.entry(tag.clone()).or_default();
                record.instrument = by_name.get(instrument).cloned();
                record.side = side.parse().ok();
            }
            JournalEntry::Fill {
                tag,
                instrument,
                side,
                quantity,
                price,
            } if tag.starts_with(&prefix) => {
                tags.entry(tag.clone()).or_default().journal_filled += quantity;
                if let (Some(instrument), Ok(side)) = (by_name.get(instrument), side.parse()) {
                    fills.push(Fill {
                        order_id: String::new(),
                        tag: tag.parse().ok(),
                        instrument: instrument.clone(),
                        side,
                        quantity: *quantity,
                        price: *price,
                        time: recorded.at,
                    });
                }
            }
            JournalEntry::Signal {
                instrument,
                side,
                stop,
                target,
                ..
            } => {
                if let Some(id) = by_name.get(instrument) {
                    out.restoration.guards.insert(id.clone(), (*stop, *target));
                    out.restoration.trailed.remove(id);
                    match side.parse() {
                        Ok(side) => out.signals.insert(id.clone(), (side, *stop, *target)),
                        Err(_) => out.signals.remove(id),
                    };
                }
            }
            JournalEntry::StopMoved { instrument, stop } => {
                if let Some(id) = by_name.get(instrument) {
                    out.restoration.trailed.insert(id.clone(), *stop);
                }
            }
            _ => {}
        }
    }
    if let Some(view) = &broker {
        add_broker_orders(view.orders, &prefix, now, keys, &mut tags, &mut out);
    }
    for (tag, record) in &tags {
        let Some((purpose, sequence)) = OrderTag::purpose_and_number(tag) else {
            continue;
        };
        let entry = purpose == 'E';
        out.restoration.sequence = out.restoration.sequence.max(sequence);
        if let (true, Some(instrument)) = (entry, &record.instrument) {
            *out.restoration
                .trades_today
                .entry(instrument.clone())
                .or_default() += 1;
        }
    }
    fills.extend(out.missing_fills.iter().cloned());
    let expected = net_positions(&fills);
    out.restoration.fills = fills;
    if let Some(view) = &broker {
        compare_positions(view.positions, &expected, keys, &mut out);
    }
    sort_working_orders(&expected, keys, keep_resting_stops, &mut out);
    for (instrument, quantity) in &expected {
        if *quantity == 0 {
            continue;
        }
        if out.restoration.guards.contains_key(instrument) {
            out.actions.push(format!(
                "re-armed the stop and target of {instrument}: {quantity} shares open"
            ));
        } else {
            out.mismatched.insert(instrument.clone());
            out.mismatches.push(format!(
                "{instrument}: {quantity} shares open by our orders, but no journaled signal says where its stop is; \
                 close it at the broker or add the stop by hand, then restart"
            ));
        }
    }
    out.restoration
        .guards
        .retain(|id, _| expected.get(id).is_some_and(|q| *q != 0));
    leave_mismatched_alone(&mut out);
    out
}

/// Drops what the engine would restore for an instrument that does not add up: squaring off a quantity dalal
/// cannot account for could leave the account short or long instead of flat.
fn leave_mismatched_alone(out: &mut Reconciled) {
    let mismatched = std::mem::take(&mut out.mismatched);
    let restoration = &mut out.restoration;
    restoration.guards.retain(|id, _| !mismatched.contains(id));
    restoration.trailed.retain(|id, _| !mismatched.contains(id));
    restoration
        .protective
        .retain(|id, _| !mismatched.contains(id));
    restoration
        .fills
        .retain(|fill| !mismatched.contains(&fill.instrument));
    out.followed
        .retain(|(request, _)| !mismatched.contains(&request.instrument));
    for id in &mismatched {
        out.actions.push(format!(
            "left alone: {id} does not add up (see the mismatch); dalal neither trades nor closes it today"
        ));
    }
    out.mismatched = mismatched;
}

/// Our tagged orders at the broker: fills the journal lacks, and orders still working.
fn add_broker_orders(
    orders: &[OrderReport],
    prefix: &str,
    now: DateTime<Utc>,
    keys: &HashMap<String, InstrumentId>,
    tags: &mut BTreeMap<String, TagRecord>,
    out: &mut Reconciled,
) {
    let mut broker_filled: BTreeMap<&str, (u32, &OrderReport)> = BTreeMap::new();
    for order in orders {
        let Some(tag) = order.tag.as_deref().filter(|t| t.starts_with(prefix)) else {
            continue;
        };
        let slot = broker_filled.entry(tag).or_insert((0, order));
        slot.0 += order.filled_quantity;
        if !order.state.is_final() {
            out.working_orders.push(order.clone());
        }
    }
    for (tag, (filled, order)) in broker_filled {
        let record = tags.entry(tag.to_string()).or_default();
        if record.instrument.is_none() {
            record.instrument = keys.get(&order.instrument_key).cloned();
            record.side = Some(order.side);
        }
        let Some(missing) = filled.checked_sub(record.journal_filled).filter(|m| *m > 0) else {
            continue;
        };
        let Some(instrument) = record.instrument.clone() else {
            continue;
        };
        let price = order.average_price.unwrap_or(order.price);
        out.actions.push(format!(
            "journaled {missing} shares of {tag} that the broker filled at ₹{price} while dalal was not watching"
        ));
        out.missing_fills.push(Fill {
            order_id: order.order_id.clone(),
            tag: tag.parse::<OrderTag>().ok(),
            instrument,
            side: order.side,
            quantity: missing,
            price,
            time: now,
        });
    }
}

/// Keeps our resting stops that still protect an open position; everything else of ours is cancelled.
fn sort_working_orders(
    expected: &BTreeMap<InstrumentId, i64>,
    keys: &HashMap<String, InstrumentId>,
    keep_resting_stops: bool,
    out: &mut Reconciled,
) {
    for order in std::mem::take(&mut out.working_orders) {
        let tag = order.tag.clone().unwrap_or_default();
        let is_stop = OrderTag::purpose_and_number(&tag).is_some_and(|(purpose, _)| purpose == 'P');
        let instrument = keys
            .get(&order.instrument_key)
            .filter(|id| expected.get(*id).is_some_and(|q| *q != 0));
        let kept = match (keep_resting_stops && is_stop, instrument) {
            (true, Some(id)) => followed_request(&order, id),
            _ => None,
        };
        match kept {
            Some(request) => {
                let remaining = order.quantity.saturating_sub(order.filled_quantity);
                out.actions.push(format!(
                    "kept the resting stop {tag} (broker id {}) for {remaining} shares of {}",
                    order.order_id, request.instrument
                ));
                out.restoration
                    .protective
                    .insert(request.instrument.clone(), (request.tag.clone(), remaining));
                out.followed.push((request, order));
            }
            None => {
                out.actions.push(format!(
                    "cancelling {tag} (broker id {}), still {} at the broker",
                    order.order_id, order.status_text
                ));
                out.working_orders.push(order);
            }
        }
    }
}

/// The request behind an order the broker reports, to follow it again.
pub(super) fn followed_request(
    order: &OrderReport,
    instrument: &InstrumentId,
) -> Option<OrderRequest> {
    let kind = OrderKind::from_code(&order.order_type, order.price, order.trigger_price)?;
    Some(OrderRequest {
        tag: order.tag.as_deref()?.parse().ok()?,
        instrument: instrument.clone(),
        side: order.side,
        quantity: order.quantity,
        kind,
        product: Product::Intraday,
        validity: Validity::Day,
    })
}

pub(super) fn net_positions(fills: &[Fill]) -> BTreeMap<InstrumentId, i64> {
    let mut net = BTreeMap::new();
    for fill in fills {
        *net.entry(fill.instrument.clone()).or_default() +=
            fill.side.sign() * i64::from(fill.quantity);
    }
    net
}

/// Intraday positions at the broker against what our orders add up to.
fn compare_positions(
    positions: &[PositionReport],
    expected: &BTreeMap<InstrumentId, i64>,
    keys: &HashMap<String, InstrumentId>,
    out: &mut Reconciled,
) {
    let mut held: BTreeMap<InstrumentId, i64> = BTreeMap::new();
    for position in positions.iter().filter(|p| p.product == Product::Intraday) {
        match keys.get(&position.instrument_key) {
            Some(id) => *held.entry(id.clone()).or_default() += position.net_quantity,
            None if position.net_quantity != 0 => out.actions.push(format!(
                "left alone: an intraday position of {} in {}, outside dalal's universe",
                position.net_quantity, position.instrument_key
            )),
            None => {}
        }
    }
    let instruments: BTreeSet<&InstrumentId> = held.keys().chain(expected.keys()).collect();
    for id in instruments {
        let at_broker = held.get(id).copied().unwrap_or(0);
        let ours = expected.get(id).copied().unwrap_or(0);
        if at_broker == ours {
            continue;
        }
        out.mismatched.insert(id.clone());
        out.mismatches.push(if ours == 0 {
            format!(
                "{id}: the broker holds {at_broker} shares intraday that dalal never opened; close or explain \
                 them at the broker, then restart"
            )
        } else {
            format!(
                "{id}: our orders add up to {ours} shares but the broker holds {at_broker}; check the broker's \
                 trade book, square off the difference, then restart"
            )
        });
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use rust_decimal::dec;

    use super::*;
    use crate::broker::OrderState;
    use crate::domain::Exchange;

    const RELIANCE_KEY: &str = "NSE_EQ|INE002A01018";
    const INFY_KEY: &str = "NSE_EQ|INE009A01021";

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 4, minute, 0).unwrap()
    }

    fn reliance() -> InstrumentId {
        InstrumentId::new(Exchange::Nse, "RELIANCE").unwrap()
    }

    fn keys() -> HashMap<String, InstrumentId> {
        [
            (RELIANCE_KEY.to_string(), reliance()),
            (
                INFY_KEY.to_string(),
                InstrumentId::new(Exchange::Nse, "INFY").unwrap(),
            ),
        ]
        .into_iter()
        .collect()
    }

    fn recorded(seq: i64, entry: JournalEntry) -> Recorded {
        Recorded {
            seq,
            at: at(seq as u32),
            paper: false,
            entry,
        }
    }

    /// RELIANCE: a signal, a 62-share entry order E3, and (when `filled`) its fill.
    fn journal(filled: bool) -> Vec<Recorded> {
        let mut entries = vec![
            recorded(
                1,
                JournalEntry::Signal {
                    instrument: "NSE:RELIANCE".into(),
                    side: "BUY".into(),
                    price: dec!(1560),
                    stop: dec!(1550),
                    target: dec!(1575),
                    reason: "broke the opening-range high".into(),
                },
            ),
            recorded(
                2,
                JournalEntry::Order {
                    tag: "D261123-RELIAN-E3".into(),
                    broker_ids: vec!["B1".into()],
                    instrument: "NSE:RELIANCE".into(),
                    side: "BUY".into(),
                    quantity: 62,
                    order_type: "LIMIT".into(),
                    limit_price: Some(dec!(1568)),
                    signal_price: dec!(1560),
                    state: "accepted".into(),
                    price_age_ms: Some(120),
                },
            ),
        ];
        if filled {
            entries.push(recorded(
                3,
                JournalEntry::Fill {
                    tag: "D261123-RELIAN-E3".into(),
                    instrument: "NSE:RELIANCE".into(),
                    side: "BUY".into(),
                    quantity: 62,
                    price: dec!(1560.5),
                },
            ));
        }
        entries
    }

    fn order(tag: &str, filled: u32, state: OrderState) -> OrderReport {
        OrderReport {
            order_id: "B1".into(),
            tag: Some(tag.into()),
            instrument_key: RELIANCE_KEY.into(),
            side: Side::Buy,
            order_type: "LIMIT".into(),
            quantity: 62,
            filled_quantity: filled,
            price: dec!(1568),
            trigger_price: dec!(0),
            average_price: (filled > 0).then_some(dec!(1560.5)),
            state,
            status_text: "complete".into(),
            message: None,
        }
    }

    fn position(key: &str, quantity: i64) -> PositionReport {
        PositionReport {
            instrument_key: key.into(),
            product: Product::Intraday,
            net_quantity: quantity,
            average_price: dec!(1560.5),
            last_price: dec!(1561),
            realized_pnl: dec!(0),
            unrealized_pnl: dec!(0),
        }
    }

    #[test]
    fn an_open_position_that_matches_the_broker_is_re_armed_with_its_signal_s_stop() {
        let orders = [order("D261123-RELIAN-E3", 62, OrderState::Complete)];
        let positions = [position(RELIANCE_KEY, 62)];
        let view = BrokerView {
            orders: &orders,
            positions: &positions,
        };
        let out = reconcile(day(), at(30), &journal(true), Some(view), &keys(), false);
        assert!(out.mismatches.is_empty(), "{:?}", out.mismatches);
        assert_eq!(
            out.restoration.guards.get(&reliance()),
            Some(&(dec!(1550), dec!(1575)))
        );
        assert_eq!(out.restoration.sequence, 3);
        assert_eq!(out.restoration.trades_today.get(&reliance()), Some(&1));
        assert_eq!(out.restoration.fills.len(), 1);
        assert!(out.missing_fills.is_empty() && out.working_orders.is_empty());
        assert!(out.actions[0].starts_with("re-armed the stop and target of NSE:RELIANCE"));
    }

    #[test]
    fn a_fill_made_while_dalal_was_down_is_journaled_and_counted() {
        let orders = [order("D261123-RELIAN-E3", 62, OrderState::Complete)];
        let positions = [position(RELIANCE_KEY, 62)];
        let view = BrokerView {
            orders: &orders,
            positions: &positions,
        };
        let out = reconcile(day(), at(30), &journal(false), Some(view), &keys(), false);
        assert!(out.mismatches.is_empty(), "{:?}", out.mismatches);
        assert_eq!(out.missing_fills.len(), 1);
        assert_eq!(out.missing_fills[0].quantity, 62);
        assert_eq!(out.missing_fills[0].price, dec!(1560.5));
        assert!(out.restoration.guards.contains_key(&reliance()));
    }

    #[test]
    fn a_position_dalal_never_opened_or_a_quantity_off_blocks_trading() {
        let positions = [position(INFY_KEY, 10)];
        let view = BrokerView {
            orders: &[],
            positions: &positions,
        };
        let out = reconcile(day(), at(30), &[], Some(view), &keys(), false);
        assert_eq!(out.mismatches.len(), 1);
        assert!(
            out.mismatches[0]
                .contains("NSE:INFY: the broker holds 10 shares intraday that dalal never opened")
        );

        let orders = [order("D261123-RELIAN-E3", 62, OrderState::Complete)];
        let positions = [position(RELIANCE_KEY, 40)];
        let view = BrokerView {
            orders: &orders,
            positions: &positions,
        };
        let out = reconcile(day(), at(30), &journal(true), Some(view), &keys(), false);
        assert_eq!(out.mismatches.len(), 1);
        assert!(
            out.mismatches[0].contains("our orders add up to 62 shares but the broker holds 40")
        );
        // Squaring off 62 would leave the account 22 short: RELIANCE is left to the trader.
        assert!(out.restoration.guards.is_empty());
        assert!(out.restoration.fills.is_empty());
    }

    #[test]
    fn a_trailed_stop_is_taken_back_as_journaled() {
        let mut entries = journal(true);
        for (seq, stop) in [(4, dec!(1552)), (5, dec!(1556.5))] {
            entries.push(recorded(
                seq,
                JournalEntry::StopMoved {
                    instrument: "NSE:RELIANCE".into(),
                    stop,
                },
            ));
        }
        let orders = [order("D261123-RELIAN-E3", 62, OrderState::Complete)];
        let positions = [position(RELIANCE_KEY, 62)];
        let view = BrokerView {
            orders: &orders,
            positions: &positions,
        };
        let out = reconcile(day(), at(30), &entries, Some(view), &keys(), false);
        assert_eq!(
            out.restoration.guards[&reliance()],
            (dec!(1550), dec!(1575))
        );
        assert_eq!(out.restoration.trailed[&reliance()], dec!(1556.5));
    }

    #[test]
    fn a_mismatch_in_one_instrument_leaves_the_positions_dalal_accounts_for_guarded() {
        // RELIANCE is ours and adds up; INFY was opened by someone else.
        let orders = [order("D261123-RELIAN-E3", 62, OrderState::Complete)];
        let positions = [position(RELIANCE_KEY, 62), position(INFY_KEY, 10)];
        let view = BrokerView {
            orders: &orders,
            positions: &positions,
        };
        let out = reconcile(day(), at(30), &journal(true), Some(view), &keys(), false);
        assert_eq!(out.mismatches.len(), 1, "{:?}", out.mismatches);
        let infy = InstrumentId::new(Exchange::Nse, "INFY").unwrap();
        assert_eq!(out.mismatched.iter().collect::<Vec<_>>(), [&infy]);
        assert!(
            out.restoration.guards.contains_key(&reliance()),
            "RELIANCE keeps its stop and square-off"
        );
        assert_eq!(out.restoration.fills.len(), 1);
        assert!(
            out.actions
                .iter()
                .any(|a| a.starts_with("left alone: NSE:INFY does not add up"))
        );
    }

    #[test]
    fn our_orders_still_working_are_cancelled_and_others_left_alone() {
        let mut foreign = order("MANUAL-1", 0, OrderState::Open);
        foreign.order_id = "B9".into();
        let orders = [order("D261123-RELIAN-E3", 0, OrderState::Open), foreign];
        let view = BrokerView {
            orders: &orders,
            positions: &[],
        };
        let out = reconcile(day(), at(30), &journal(false), Some(view), &keys(), false);
        assert_eq!(out.working_orders.len(), 1);
        assert_eq!(out.working_orders[0].order_id, "B1");
        assert!(out.mismatches.is_empty());
        assert!(out.restoration.guards.is_empty());
    }

    #[test]
    fn orders_whose_cancel_was_refused_are_followed_when_dalal_can_account_for_them() {
        let follow =
            |journal: &[Recorded], orders: &[OrderReport], positions: &[PositionReport]| {
                let view = BrokerView { orders, positions };
                let mut out = reconcile(day(), at(30), journal, Some(view), &keys(), false);
                let refused = out.working_orders.clone();
                let unaccounted = out.follow_left_working(refused, &keys());
                (out, unaccounted)
            };
        // An entry left working on the side of its journaled signal: followed, with that signal's stop ready.
        let (out, unaccounted) = follow(
            &journal(false),
            &[order("D261123-RELIAN-E3", 0, OrderState::Open)],
            &[],
        );
        assert!(unaccounted.is_empty());
        let tag: OrderTag = "D261123-RELIAN-E3".parse().unwrap();
        let left = &out.restoration.left_working[&tag];
        assert!(left.entry);
        assert_eq!((left.quantity, left.remaining), (62, 62));
        assert_eq!(
            out.restoration.guards[&reliance()],
            (dec!(1550), dec!(1575))
        );
        assert_eq!(out.followed.len(), 1);

        // An exit of the open position: followed as the exit, from the snapshot that counted its fills.
        let mut entry = order("D261123-RELIAN-E3", 62, OrderState::Complete);
        entry.order_id = "B0".into();
        let mut exit = order("D261123-RELIAN-X4", 10, OrderState::Open);
        exit.side = Side::Sell;
        let (out, unaccounted) = follow(
            &journal(true),
            &[entry, exit],
            &[position(RELIANCE_KEY, 52)],
        );
        assert!(unaccounted.is_empty(), "{unaccounted:?}");
        let left = &out.restoration.left_working[&"D261123-RELIAN-X4".parse().unwrap()];
        assert_eq!((left.entry, left.remaining), (false, 52));
        assert_eq!(out.followed[0].1.filled_quantity, 10);

        // An exit with nothing open, an entry against its signal's side, an order outside the universe: named.
        let mut against = order("D261123-RELIAN-E5", 0, OrderState::Open);
        against.side = Side::Sell;
        let mut foreign = order("D261123-TCS-E6", 0, OrderState::Open);
        foreign.instrument_key = "NSE_EQ|INE467B01029".into();
        let mut flat_exit = order("D261123-RELIAN-X4", 0, OrderState::Open);
        flat_exit.side = Side::Sell;
        for lone in [flat_exit, against, foreign] {
            let (out, unaccounted) = follow(&journal(false), std::slice::from_ref(&lone), &[]);
            assert_eq!(unaccounted.len(), 1, "{lone:?}");
            assert!(out.restoration.left_working.is_empty());
        }
    }

    #[test]
    fn in_paper_mode_the_journal_alone_restores_the_day() {
        let out = reconcile(day(), at(30), &journal(true), None, &keys(), false);
        assert!(out.mismatches.is_empty());
        assert_eq!(out.restoration.fills.len(), 1);
        assert!(out.restoration.guards.contains_key(&reliance()));
        // Yesterday's tags do not count today.
        let out = reconcile(
            day().succ_opt().unwrap(),
            at(30),
            &journal(true),
            None,
            &keys(),
            false,
        );
        assert_eq!(out.restoration.sequence, 0);
        assert!(out.restoration.fills.is_empty());
    }
}
