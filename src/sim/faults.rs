//! Answers "is this fault on now?" for the simulator's handlers, on the simulated clock.

use std::collections::HashMap;

use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::scenario::{Fault, FaultKind};
use crate::calendar::{ist_instant, to_ist};

/// A truncated length-delimited field: no feed frame of either broker decodes from it.
pub const NOT_PROTOBUF: &[u8] = b"\x12\xff\xff\xff";

/// What the scripted faults do to an open feed connection at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedFaults {
    /// Gone without a close frame, as a network drop looks to the client.
    pub dropped: bool,
    /// Nothing at all is sent: no data, no heartbeat, no ping.
    pub silent: bool,
    /// A frame that is not protobuf goes out too.
    pub garbage: bool,
}

/// Sends one second's `message` on a feed connection as the faults allow; false when the connection is over.
pub async fn send_second(
    socket: &mut axum::extract::ws::WebSocket,
    faults: FeedFaults,
    message: axum::extract::ws::Message,
) -> bool {
    use axum::extract::ws::Message;
    if faults.dropped {
        return false;
    }
    if faults.silent {
        return true;
    }
    if faults.garbage
        && socket
            .send(Message::Binary(NOT_PROTOBUF.to_vec().into()))
            .await
            .is_err()
    {
        return false;
    }
    socket.send(message).await.is_ok()
}

/// What the scripted faults do to order matching at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct OrderFaults {
    /// Fill only this share of what is left, at most once a simulated second.
    pub partial: Option<f64>,
    /// LIMIT orders do not fill.
    pub hold_limits: bool,
    /// New orders are rejected by the risk system right after they are accepted.
    pub reject_after_ack: bool,
}

/// What the scripted faults do to the answer of a placed order (the order itself exists either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AckFaults {
    /// The answer waits this long (`ack_delay`), or an hour of simulated time (`lost_ack`): past any timeout.
    pub delay_ms: Option<u64>,
    /// The answer is a 2xx nobody can read (`garbled_ack`), as a proxy's error page would be.
    pub garbled: bool,
}

/// An acknowledgement that never comes: an hour of simulated time, far past any client's timeout.
pub(super) const NEVER_MS: u64 = 3_600_000;

/// A 2xx body no client can read.
const GARBLED_ACK_BODY: &str = "<html><body>upstream hiccup</body></html>";

/// How the scripted faults misreport streamed trade times at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamReport {
    shift_ms: i64,
    whole_seconds: bool,
    zero_prices: bool,
    hundredfold_prices: bool,
}

impl StreamReport {
    /// The epoch milliseconds a feed reports for a trade at `ltt_ms` (0, no trade yet, stays 0).
    pub fn report(self, ltt_ms: i64) -> i64 {
        if ltt_ms == 0 {
            return 0;
        }
        let shifted = ltt_ms + self.shift_ms;
        if self.whole_seconds {
            shifted - shifted.rem_euclid(1000)
        } else {
            shifted
        }
    }

    /// The last price a feed reports for a trade at `ltp`.
    pub fn price(self, ltp: Decimal) -> Decimal {
        if self.zero_prices {
            Decimal::ZERO
        } else if self.hundredfold_prices {
            ltp * Decimal::ONE_HUNDRED
        } else {
            ltp
        }
    }
}

const DAY_MS: i64 = 86_400_000;

pub struct FaultBook {
    faults: Vec<Fault>,
    /// Calls seen so far inside a counted episode (`attempts`, `after`), per fault and day.
    refusals: HashMap<(usize, NaiveDate), u32>,
}

/// What a scripted fault does to one historical candle call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryFault {
    ServerError,
    RateLimited,
    /// Never answered (an hour of simulated time, past any client's timeout).
    Stall,
}

impl FaultBook {
    pub fn new(faults: Vec<Fault>) -> Self {
        FaultBook {
            faults,
            refusals: HashMap::new(),
        }
    }

    /// The fault of `kind` whose window holds `now`, if any.
    pub fn active(&self, kind: FaultKind, now: DateTime<Utc>) -> Option<&Fault> {
        self.position(kind, now).map(|i| &self.faults[i])
    }

    fn position(&self, kind: FaultKind, now: DateTime<Utc>) -> Option<usize> {
        let time = to_ist(now).time();
        self.faults.iter().position(|f| {
            f.kind == kind && f.from <= time && f.until.is_none_or(|until| time < until)
        })
    }

    /// Whether this handshake is refused with 403; a counted episode refuses only its first `attempts`.
    pub fn refuse_handshake(&mut self, now: DateTime<Utc>) -> bool {
        self.strikes(FaultKind::Handshake403, now)
    }

    /// Whether this LTP call is refused with 429; a counted episode refuses only its first `attempts`, so a
    /// test can script an exact burst whatever the machine's load.
    pub fn refuse_ltp(&mut self, now: DateTime<Utc>) -> bool {
        self.strikes(FaultKind::Ltp429, now)
    }

    /// What the scripted faults do to this historical candle call, if anything.
    pub fn on_history(&mut self, now: DateTime<Utc>) -> Option<HistoryFault> {
        if self.strikes(FaultKind::History5xx, now) {
            Some(HistoryFault::ServerError)
        } else if self.strikes(FaultKind::History429, now) {
            Some(HistoryFault::RateLimited)
        } else if self.strikes(FaultKind::HistoryStall, now) {
            Some(HistoryFault::Stall)
        } else {
            None
        }
    }

    /// Whether a fault of `kind` strikes this call: inside its window, past the `after` calls it lets through,
    /// and within its `attempts` when counted.
    fn strikes(&mut self, kind: FaultKind, now: DateTime<Utc>) -> bool {
        let Some(i) = self.position(kind, now) else {
            return false;
        };
        let (after, attempts) = (self.faults[i].after, self.faults[i].attempts);
        if after == 0 && attempts.is_none() {
            return true;
        }
        let seen = self
            .refusals
            .entry((i, to_ist(now).date_naive()))
            .or_insert(0);
        *seen += 1;
        *seen > after && attempts.is_none_or(|limit| *seen <= after + limit)
    }

    /// The faults on a feed connection opened at `connected_at`, at `now`.
    pub fn on_feed(&self, connected_at: DateTime<Utc>, now: DateTime<Utc>) -> FeedFaults {
        FeedFaults {
            dropped: self.drop_due(FaultKind::Drop, connected_at, now),
            silent: self.active(FaultKind::Silence, now).is_some(),
            garbage: self.active(FaultKind::BadFrame, now).is_some(),
        }
    }

    /// How order matching is disturbed at `now`.
    pub fn on_orders(&self, now: DateTime<Utc>) -> OrderFaults {
        OrderFaults {
            partial: self.active(FaultKind::PartialFill, now).map(|f| f.fraction),
            hold_limits: self.active(FaultKind::NoFill, now).is_some(),
            reject_after_ack: self.active(FaultKind::RejectAfterAck, now).is_some(),
        }
    }

    /// How the answer to an order placed at `now` is disturbed.
    pub fn on_ack(&self, now: DateTime<Utc>) -> AckFaults {
        AckFaults {
            delay_ms: self
                .active(FaultKind::AckDelay, now)
                .map(|f| f.delay_ms)
                .or_else(|| self.active(FaultKind::LostAck, now).map(|_| NEVER_MS)),
            garbled: self.active(FaultKind::GarbledAck, now).is_some(),
        }
    }

    /// How streamed trade times and prices are misreported at `now`.
    pub fn stream_report(&self, now: DateTime<Utc>) -> StreamReport {
        let on = |kind| self.active(kind, now).is_some();
        let shift_ms = if on(FaultKind::TradeTimeAhead) {
            DAY_MS
        } else if on(FaultKind::TradeTimeBehind) {
            -DAY_MS
        } else {
            0
        };
        StreamReport {
            shift_ms,
            whole_seconds: on(FaultKind::TradeTimeSeconds),
            zero_prices: on(FaultKind::ZeroPrice),
            hundredfold_prices: on(FaultKind::PriceHundredfold),
        }
    }

    /// Whether a connection opened at `since` meets a scripted drop of `kind` by `now`.
    pub fn drop_due(&self, kind: FaultKind, since: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        let date = to_ist(now).date_naive();
        self.faults.iter().any(|f| {
            let at = ist_instant(date, f.from);
            f.kind == kind && since < at && at <= now
        })
    }
}

/// `rows` as JSON, with one currency-derivatives row no equity type reads while `odd_book_row` is active.
pub(super) fn with_odd_row<T: serde::Serialize>(
    faults: &FaultBook,
    now: DateTime<Utc>,
    rows: Vec<T>,
) -> Vec<serde_json::Value> {
    let mut rows: Vec<serde_json::Value> = rows
        .into_iter()
        .filter_map(|r| serde_json::to_value(r).ok())
        .collect();
    if faults.active(FaultKind::OddBookRow, now).is_some() {
        rows.push(serde_json::json!({
            "exchange": "CDS",
            "segment": "CDS",
            "instrument_token": "CDS_FUT|USDINR26DECFUT",
            "quantity": "1 lot",
            "status": null,
        }));
    }
    rows
}

/// The answer to an order that exists: as it is, late (past the client's timeout), or unreadable.
pub(super) async fn acknowledge(
    state: &super::state::SimState,
    ack: AckFaults,
    answer: Response,
) -> Response {
    if ack.garbled {
        return (axum::http::StatusCode::OK, GARBLED_ACK_BODY).into_response();
    }
    if let Some(ms) = ack.delay_ms {
        state
            .clock
            .sleep(std::time::Duration::from_millis(ms))
            .await;
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        ist_instant(
            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            NaiveTime::from_hms_opt(h, m, 0).unwrap(),
        )
    }

    fn fault(
        kind: FaultKind,
        from: (u32, u32),
        until: Option<(u32, u32)>,
        attempts: Option<u32>,
    ) -> Fault {
        let t = |(h, m)| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        Fault {
            kind,
            from: t(from),
            until: until.map(t),
            attempts,
            after: 0,
            delay_ms: 0,
            fraction: 0.5,
        }
    }

    #[test]
    fn windows_counted_refusals_and_drops() {
        let mut book = FaultBook::new(vec![
            fault(FaultKind::Silence, (11, 0), Some((11, 2)), None),
            fault(FaultKind::Handshake403, (9, 20), None, Some(2)),
            fault(FaultKind::Drop, (10, 30), None, None),
        ]);
        assert!(book.active(FaultKind::Silence, at(10, 59)).is_none());
        assert!(book.active(FaultKind::Silence, at(11, 1)).is_some());
        assert!(book.active(FaultKind::Silence, at(11, 2)).is_none());
        assert!(!book.refuse_handshake(at(9, 19)));
        assert!(book.refuse_handshake(at(9, 21)));
        assert!(book.refuse_handshake(at(9, 22)));
        assert!(
            !book.refuse_handshake(at(9, 23)),
            "the third attempt gets through"
        );
        assert!(book.drop_due(FaultKind::Drop, at(10, 0), at(10, 31)));
        assert_eq!(book.stream_report(at(10, 0)).report(1_234), 1_234);
        assert!(
            !book.drop_due(FaultKind::Drop, at(10, 31), at(10, 40)),
            "a connection made after the drop survives"
        );
    }

    #[test]
    fn a_counted_storm_can_let_calls_through_first() {
        let mut storm = fault(FaultKind::History5xx, (0, 0), None, Some(2));
        storm.after = 3;
        let mut book = FaultBook::new(vec![storm]);
        let struck: Vec<bool> = (0..7)
            .map(|_| book.on_history(at(10, 0)) == Some(HistoryFault::ServerError))
            .collect();
        assert_eq!(struck, [false, false, false, true, true, false, false]);
        let mut endless = FaultBook::new(vec![fault(FaultKind::HistoryStall, (0, 0), None, None)]);
        assert_eq!(endless.on_history(at(10, 0)), Some(HistoryFault::Stall));
    }

    #[test]
    fn trade_times_misreported_in_their_windows() {
        let book = FaultBook::new(vec![
            fault(FaultKind::TradeTimeAhead, (10, 0), Some((10, 1)), None),
            fault(FaultKind::TradeTimeBehind, (10, 1), Some((10, 2)), None),
            fault(FaultKind::TradeTimeSeconds, (10, 0), None, None),
        ]);
        let traded = at(10, 0).timestamp_millis() + 1_234;
        let whole = at(10, 0).timestamp_millis() + 1_000;
        assert_eq!(book.stream_report(at(9, 59)).report(traded), traded);
        assert_eq!(book.stream_report(at(10, 0)).report(traded), whole + DAY_MS);
        assert_eq!(book.stream_report(at(10, 1)).report(traded), whole - DAY_MS);
        assert_eq!(book.stream_report(at(10, 2)).report(traded), whole);
        assert_eq!(book.stream_report(at(10, 2)).report(0), 0, "no trade yet");
    }
}
