//! Keeps the broker's order-update stream open beside the order desk, as the failover feed keeps the market
//! feed: connect (authorizing afresh each time), pass every order report on, and say when the stream is up and
//! when it is refused, dropped or silent, so the desk polls the order book quickly exactly while it is not up.
//!
//! The stream carries nothing while no order moves, so silence is found by pinging: a connection that answers
//! nothing (no pong, no update) for `SILENT_AFTER` is closed and opened again. A broker without a stream (HDFC
//! Sky, the paper broker) ends the task at once and the desk polls as before.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use tokio::sync::mpsc;

use crate::broker::{ErrorClass, OrderBroker, OrderReport, OrderUpdate, OrderUpdateSocket};
use crate::calendar::Clock;
use crate::feed::Backoff;

/// How often an open stream is pinged.
const PING_EVERY: Duration = Duration::from_secs(1);
/// A stream that answers nothing for this long is silent: the same three seconds as the market feed.
pub const SILENT_AFTER: Duration = Duration::from_secs(3);
/// A connect (authorize and handshake) that has not finished by then is given up and tried again later.
const CONNECT_WITHIN: Duration = Duration::from_secs(10);
const RECONNECT_MIN: Duration = Duration::from_millis(500);
const RECONNECT_MAX: Duration = Duration::from_secs(30);

/// What the stream says to the desk.
#[derive(Debug)]
pub enum StreamNews {
    /// Connected: order updates flow from now on.
    Up,
    Report(OrderReport),
    /// An update came that could not be read: what it said is in the order book, so the desk reads it now.
    Missed,
    /// Refused, dropped or silent, and why; the desk polls until the next `Up`.
    Down(String),
}

/// Starts following `broker`'s order stream; the task ends when the receiver is dropped, or at once when the
/// broker has no stream (the receiver then yields `None`).
pub fn follow_order_stream<B: OrderBroker>(
    broker: Arc<B>,
    clock: Clock,
) -> mpsc::UnboundedReceiver<StreamNews> {
    let (news, receiver) = mpsc::unbounded_channel();
    tokio::spawn(keep_open(broker, clock, news));
    receiver
}

async fn keep_open<B: OrderBroker>(
    broker: Arc<B>,
    clock: Clock,
    news: mpsc::UnboundedSender<StreamNews>,
) {
    let mut backoff = Backoff::with_jitter(RECONNECT_MIN, RECONNECT_MAX, 0x0de5);
    // Whether the desk was last told `Down`: a refusal repeated while reconnecting is said once.
    let mut said_down = false;
    loop {
        let connected = tokio::select! {
            connected = connect(broker.as_ref()) => connected,
            () = clock.sleep(CONNECT_WITHIN) => Err(format!(
                "no answer to the connect within {} s",
                CONNECT_WITHIN.as_secs()
            )),
            () = news.closed() => return,
        };
        let (why, was_up) = match connected {
            Ok(None) => return,
            Ok(Some(socket)) => match follow(socket, &clock, &news).await {
                Some(ended) => ended,
                None => return,
            },
            Err(why) => (why, false),
        };
        if was_up {
            said_down = false;
            backoff.reset();
        }
        if said_down {
            tracing::debug!(%why, "order stream still down");
        } else {
            tracing::warn!(%why, "order stream down: polling the order book every second");
            said_down = true;
            if news.send(StreamNews::Down(why)).is_err() {
                return;
            }
        }
        tokio::select! {
            () = clock.sleep(backoff.next_wait()) => {}
            () = news.closed() => return,
        }
    }
}

/// Opens the stream; after a 401 the token is re-read once and the connect tried again.
async fn connect<B: OrderBroker>(broker: &B) -> Result<Option<OrderUpdateSocket>, String> {
    match broker.order_stream().await {
        Err(e) if e.class == ErrorClass::Auth && broker.reload_token().await => {
            broker.order_stream().await
        }
        other => other,
    }
    .map_err(|e| e.to_string())
}

/// Reads `socket` until it closes or falls silent (`Some((why, whether it was ever up))`), or until the desk is
/// gone (`None`). The stream is up from its first answer (a pong to the first ping, or an update), so a
/// connection that opens and then says nothing never counts as up.
async fn follow(
    mut socket: OrderUpdateSocket,
    clock: &Clock,
    news: &mpsc::UnboundedSender<StreamNews>,
) -> Option<(String, bool)> {
    let silent_after = TimeDelta::from_std(SILENT_AFTER).expect("a small duration");
    let ping_every = TimeDelta::from_std(PING_EVERY).expect("a small duration");
    let mut up = false;
    let mut heard = clock.now();
    let mut next_ping = heard;
    loop {
        tokio::select! {
            update = socket.next_update() => {
                heard = clock.now();
                if !up && !matches!(update, OrderUpdate::Closed(_)) {
                    up = true;
                    tracing::info!("order stream up: fills arrive as they happen");
                    if news.send(StreamNews::Up).is_err() {
                        break;
                    }
                }
                match update {
                    OrderUpdate::Report(report) => {
                        if news.send(StreamNews::Report(report)).is_err() {
                            break;
                        }
                    }
                    OrderUpdate::Alive => {}
                    OrderUpdate::Unreadable(why) => {
                        tracing::warn!(%why, "order stream message skipped; reading the order book instead");
                        if news.send(StreamNews::Missed).is_err() {
                            break;
                        }
                    }
                    OrderUpdate::Closed(why) => return Some((why, up)),
                }
            }
            () = clock.sleep_until(next_ping.min(heard + silent_after)) => {
                if clock.now() >= heard + silent_after {
                    // Dropped, not closed: a close handshake on a dead connection would only delay the polling.
                    drop(socket);
                    return Some((format!("silent for {} s", SILENT_AFTER.as_secs()), up));
                }
                next_ping = clock.now() + ping_every;
                if let Err(why) = socket.ping().await {
                    return Some((why, up));
                }
            }
            () = news.closed() => break,
        }
    }
    socket.close().await;
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::{BrokerError, OrderBroker, OrderReport};
    use crate::calendar::SimulatedClock;
    use crate::domain::{OrderRequest, OrderTag};

    /// A broker whose stream connect never answers, as a handshake to a host that accepted the TCP connection
    /// and then went quiet.
    struct HangingStream;

    fn unused<T>() -> Result<T, BrokerError> {
        Err(BrokerError::new(ErrorClass::Rejected, "test", "not used"))
    }

    impl OrderBroker for HangingStream {
        async fn place(&self, _: &OrderRequest) -> Result<Vec<String>, BrokerError> {
            unused()
        }
        async fn cancel(&self, _: &str) -> Result<(), BrokerError> {
            unused()
        }
        async fn modify(&self, _: &str, _: &OrderRequest) -> Result<(), BrokerError> {
            unused()
        }
        async fn orders_tagged(&self, _: &OrderTag) -> Result<Vec<OrderReport>, BrokerError> {
            unused()
        }
        async fn order_book(&self) -> Result<Vec<OrderReport>, BrokerError> {
            unused()
        }
        async fn order_stream(&self) -> Result<Option<OrderUpdateSocket>, BrokerError> {
            std::future::pending().await
        }
    }

    #[tokio::test]
    async fn a_connect_that_never_answers_is_given_up_and_said_down() {
        let start = chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap();
        let clock: Clock = SimulatedClock::new(start, 1000.0).unwrap().into();
        let mut news = follow_order_stream(Arc::new(HangingStream), clock.clone());
        let said = tokio::time::timeout(Duration::from_secs(5), news.recv())
            .await
            .expect("said within 10 s of market time");
        match said {
            Some(StreamNews::Down(why)) => assert!(why.contains("no answer"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(clock.now() - start >= TimeDelta::from_std(CONNECT_WITHIN).unwrap());
    }
}
