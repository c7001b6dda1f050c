//! The WebSocket check, the one that matters most: authorize → handshake → first frame → first price, and when
//! something fails, small experiments that tell the causes apart (Upstox's own 403 causes are in
//! `docs/brokers.md`):
//! - a second handshake on a fresh one-time URL separates "this URL was already used / a passing refusal" from
//!   a refusal that holds (another connection still open, the plan, a block);
//! - reconnecting to a URL that was just used shows the one-time rule at work, the commonest 403 of all;
//! - the SDKs' direct path shows the redirect that a non-following client fails on.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::report::Check;
use crate::broker::upstox::{FeedEvent, FeedMode, UpstoxFeedSocket, UpstoxRest, UpstoxStream};
use crate::broker::{BrokerError, ErrorClass, FeedStream, StreamEvent};
use crate::calendar::Clock;
use crate::config::Secret;

pub const NAME: &str = "websocket";

/// The causes of a 403 on a fresh one-time URL with an accepted token, likeliest first.
const HELD_403_CAUSES: &str = "another connection of this account is still open (Upstox allows 2, 5 with Plus: \
     another dalal, a notebook or SDK streamer, or a connection not closed cleanly, which clears within a \
     minute); or the plan does not include the feed; or an Upstox-side block";

pub struct ProbeSettings {
    /// How long to wait for the first frame after the handshake.
    pub frame_timeout: Duration,
    /// How long, in continuous trading, to wait for the first price after subscribing.
    pub price_timeout: Duration,
}

/// The check, and the server time the feed reported with the local time it arrived.
pub struct ProbeOutcome {
    pub check: Check,
    pub server_time: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

fn login_remedy() -> String {
    "log in again with `dalal login upstox` and give dalal the token file it writes (Upstox tokens end at 03:30 IST every day)"
        .into()
}

pub(super) fn outcome(check: Check) -> ProbeOutcome {
    ProbeOutcome {
        check,
        server_time: None,
    }
}

pub async fn probe(
    rest: &UpstoxRest,
    token: &Secret,
    keys: &[String],
    clock: &Clock,
    in_session: bool,
    settings: &ProbeSettings,
) -> ProbeOutcome {
    let url = match rest.authorize_feed().await {
        Ok(url) => url,
        Err(e) if e.class == ErrorClass::Auth => {
            return outcome(Check::fail(
                NAME,
                format!("authorize answered 401: the token is wrong or expired ({e})"),
                login_remedy(),
            ));
        }
        Err(e) => {
            return outcome(Check::fail(
                NAME,
                format!("authorize failed: {e}"),
                "check the network and Upstox's status; the REST checks above say whether the API answers",
            ));
        }
    };
    let redirect = direct_path_note(rest, token).await;
    let started = Instant::now();
    match UpstoxFeedSocket::connect(&url).await {
        Ok(socket) => {
            let handshake_ms = started.elapsed().as_millis();
            let mut result =
                connected(socket, keys, clock, in_session, settings, handshake_ms).await;
            result.check.evidence = format!(
                "{}; {}; {redirect}",
                result.check.evidence,
                reuse_note(&url).await
            );
            result
        }
        Err(e) => outcome(refused(rest, &e, &redirect).await),
    }
}

async fn connected(
    mut socket: UpstoxFeedSocket,
    keys: &[String],
    clock: &Clock,
    in_session: bool,
    settings: &ProbeSettings,
    handshake_ms: u128,
) -> ProbeOutcome {
    let first = tokio::select! {
        event = socket.next_event() => Some(event),
        _ = clock.sleep(settings.frame_timeout) => None,
    };
    let server_time = match &first {
        Some(FeedEvent::Frame(frame)) if frame.current_ts_ms > 0 => {
            DateTime::from_timestamp_millis(frame.current_ts_ms).map(|ts| (ts, clock.now()))
        }
        _ => None,
    };
    if let Some(FeedEvent::Closed(why)) = &first {
        return outcome(Check::fail(
            NAME,
            format!("handshake in {handshake_ms} ms, then closed before any frame: {why}"),
            "another connection may have replaced this one; close other sessions of this account",
        ));
    }
    if !in_session || keys.is_empty() {
        socket.close().await;
        return ProbeOutcome {
            check: Check::pass(
                NAME,
                format!(
                    "handshake in {handshake_ms} ms, first frame {}; outside continuous trading no prices are expected",
                    if server_time.is_some() {
                        "received"
                    } else {
                        "not seen"
                    }
                ),
            ),
            server_time,
        };
    }
    let mut stream = UpstoxStream::new(socket, FeedMode::Ltpc);
    let check = first_price(&mut stream, keys, clock, settings, handshake_ms).await;
    stream.close().await;
    ProbeOutcome { check, server_time }
}

/// Subscribes to a few of `keys` and waits for the first price: a connection that takes subscriptions and
/// sends nothing is the silent feed that leaves bots blind.
pub async fn first_price<S: FeedStream>(
    stream: &mut S,
    keys: &[String],
    clock: &Clock,
    settings: &ProbeSettings,
    handshake_ms: u128,
) -> Check {
    let keys: Vec<String> = keys.iter().take(5).cloned().collect();
    if let Err(e) = stream.subscribe(&keys).await {
        return Check::fail(
            NAME,
            format!("connected, but the subscription could not be sent: {e}"),
            "retry; if it persists the connection is being cut right after the handshake",
        );
    }
    let asked = Instant::now();
    let deadline =
        clock.now() + chrono::TimeDelta::from_std(settings.price_timeout).unwrap_or_default();
    let priced = loop {
        let event = tokio::select! {
            event = stream.next_event() => event,
            _ = clock.sleep_until(deadline) => break false,
        };
        match event {
            StreamEvent::Prices(_) => break true,
            StreamEvent::Closed(_) => break false,
            _ => {}
        }
    };
    if priced {
        Check::pass(
            NAME,
            format!(
                "handshake in {handshake_ms} ms, first price {} ms after subscribing",
                asked.elapsed().as_millis()
            ),
        )
    } else {
        Check::fail(
            NAME,
            format!(
                "connected and subscribed to {} instruments, but no price came in {} s of continuous trading: \
                 the feed is silent",
                keys.len(),
                settings.price_timeout.as_secs()
            ),
            "dalal falls back to polling after feed.stall_timeout_ms; if it persists, report the time to the broker",
        )
    }
}

/// A refused handshake, classified; a 403 gets a second handshake on a fresh URL.
async fn refused(rest: &UpstoxRest, first: &BrokerError, redirect: &str) -> Check {
    match first.status {
        Some(401) => Check::fail(
            NAME,
            format!(
                "the handshake was refused with 401 although authorize, a REST call, accepted the same token a \
                 moment before: the token is good and the socket alone refuses it. dalal run polls LTP on it \
                 meanwhile and probes the socket every few seconds; {redirect}"
            ),
            "run doctor again in a minute; if the socket still refuses, ask Upstox with the time of this check",
        ),
        Some(status @ 300..=399) => Check::fail(
            NAME,
            format!("the handshake answered a {status} redirect that was not followed; {redirect}"),
            "connect to the URL from the authorize endpoint (dalal does), or use a client that follows redirects",
        ),
        Some(403) => {
            let second = match rest.authorize_feed().await {
                Ok(url) => UpstoxFeedSocket::connect(&url).await,
                Err(e) => Err(e),
            };
            match second {
                Ok(socket) => {
                    socket.close().await;
                    Check::warn(
                        NAME,
                        format!(
                            "the first handshake was refused with 403, a second on a fresh one-time URL connected: \
                             the first URL had been used already, or the refusal passed; {redirect}"
                        ),
                        "authorize afresh for every connection (a one-time URL serves one); dalal does, and \
                         polls meanwhile",
                    )
                }
                Err(e) => Check::fail(
                    NAME,
                    format!(
                        "403 on two fresh one-time URLs while the token is accepted (second: {e}); the causes, \
                         likeliest first: {HELD_403_CAUSES}; {redirect}"
                    ),
                    "close other sessions of this account (other bots, notebooks, SDK streamers) and run doctor \
                     again; if it still fails, check the plan and ask Upstox with the time of this check",
                ),
            }
        }
        _ => Check::fail(
            NAME,
            format!("the handshake failed: {first}; {redirect}"),
            "check the network and any proxy between this machine and Upstox",
        ),
    }
}

/// Reconnecting to a URL that was just used: Upstox refuses it with 403.
async fn reuse_note(url: &url::Url) -> String {
    match UpstoxFeedSocket::connect(url).await {
        Err(e) if e.status == Some(403) => {
            "reconnecting to the used URL was refused with 403 as documented: the commonest 403 is a reused \
             one-time URL, so authorize before every connect"
                .into()
        }
        Err(e) => format!("reconnecting to the used URL failed otherwise: {e}"),
        Ok(socket) => {
            socket.close().await;
            "reconnecting to the used URL was accepted (Upstox documents them as one-time)".into()
        }
    }
}

/// What the SDKs' direct path answers: a redirect that clients must follow.
async fn direct_path_note(rest: &UpstoxRest, token: &Secret) -> String {
    match UpstoxFeedSocket::connect_direct(&rest.hosts().api, token).await {
        Err(e) if matches!(e.status, Some(300..=399)) => format!(
            "the SDKs' path /v3/feed/market-data-feed answers a {} redirect, which clients that do not follow \
             redirects (tokio-tungstenite, browsers) fail on",
            e.status.unwrap_or_default()
        ),
        Err(e) => format!("the SDKs' path /v3/feed/market-data-feed: {e}"),
        Ok(socket) => {
            socket.close().await;
            "the SDKs' path /v3/feed/market-data-feed connected without a redirect".into()
        }
    }
}
