//! What the simulator's handlers share: the clock, the market, the order book, the faults and the feed's
//! one-time codes, behind one lock that is never held across an await. Releasing the lock after the order book
//! changed tells the order streams (`book_version`).

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;

use chrono::{DateTime, Utc};

use super::faults::FaultBook;
use super::history_calls::HistoryLog;
use super::market::Market;
use super::market_history::MarketHistory;
use super::orders::OrderBook;
use super::scenario::FaultKind;
use super::{SimSettings, SkyAccount, UpstoxApp};
use crate::calendar::Clock;

pub struct SimState {
    pub clock: Clock,
    pub token: String,
    pub renewed_token: Option<String>,
    pub addr: SocketAddr,
    pub connection_limit: usize,
    pub sky: SkyAccount,
    pub upstox: UpstoxApp,
    /// How often a feed connection sends what changed: once a simulated second, or once a trade.
    pub frame_interval: Duration,
    /// The order book's version as of the last release of the lock; order streams wait on it.
    pub book_version: watch::Sender<u64>,
    /// Past trading days, for the historical candle APIs: made from the seed, needing no lock.
    pub history: MarketHistory,
    /// Every historical candle answer served.
    pub history_log: HistoryLog,
    inner: Mutex<Inner>,
}

/// The locked state; releasing it publishes the book's version when it moved.
pub struct Locked<'a> {
    inner: MutexGuard<'a, Inner>,
    book_version: &'a watch::Sender<u64>,
}

impl Deref for Locked<'_> {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

impl DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut Inner {
        &mut self.inner
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        let version = self.inner.book.version();
        self.book_version.send_if_modified(|published| {
            let moved = *published != version;
            *published = version;
            moved
        });
    }
}

/// How far an HDFC Sky login has come, by its token id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkyLoginStep {
    /// The token id was issued: the username is next.
    Started,
    /// The OTP was sent: it is next.
    OtpSent,
    /// The OTP matched: the PIN is next.
    OtpValidated,
    /// The PIN matched: consent is next.
    PinValidated,
}

pub struct Inner {
    pub market: Market,
    pub book: OrderBook,
    pub faults: FaultBook,
    /// One-time feed codes handed out and not yet used.
    pub unused_codes: HashSet<String>,
    pub open_connections: usize,
    pub codes_issued: u64,
    /// HDFC Sky logins in progress, by token id.
    pub sky_logins: HashMap<String, SkyLoginStep>,
    /// HDFC Sky request tokens not yet exchanged, with the token id they belong to.
    pub sky_request_tokens: HashMap<String, String>,
    /// HDFC Sky access tokens issued by the login flow.
    pub sky_tokens: HashSet<String>,
    pub logins_issued: u64,
    /// Upstox login codes not yet exchanged, with the redirect URI each was issued for.
    pub upstox_codes: HashMap<String, String>,
    /// Upstox access tokens issued by the login, with when each expires (the next 03:30 IST).
    pub upstox_tokens: HashMap<String, DateTime<Utc>>,
    /// Segments the kill switch turned off, with when.
    pub switched_off: HashMap<String, DateTime<Utc>>,
}

impl SimState {
    pub fn new(settings: SimSettings, addr: SocketAddr) -> Self {
        let now = settings.clock.now();
        let scenario = settings.scenario;
        let calendar = settings.calendar.with_announced(&scenario.announced);
        SimState {
            clock: settings.clock,
            token: settings.token,
            renewed_token: settings.renewed_token,
            addr,
            connection_limit: scenario.connection_limit,
            sky: settings.sky,
            upstox: settings.upstox,
            frame_interval: Duration::from_secs(1) / scenario.trades_per_second.unwrap_or(1).max(1),
            book_version: watch::channel(0).0,
            history: MarketHistory::new(
                scenario.instruments.clone(),
                scenario.seed,
                calendar.clone(),
            ),
            history_log: HistoryLog::default(),
            inner: Mutex::new(Inner {
                market: Market::new(
                    scenario.instruments,
                    scenario.seed,
                    calendar,
                    now,
                    scenario.trades_per_second,
                ),
                book: OrderBook::default(),
                faults: FaultBook::new(scenario.faults),
                unused_codes: HashSet::new(),
                open_connections: 0,
                codes_issued: 0,
                sky_logins: HashMap::new(),
                sky_request_tokens: HashMap::new(),
                sky_tokens: HashSet::new(),
                logins_issued: 0,
                upstox_codes: HashMap::new(),
                upstox_tokens: HashMap::new(),
                switched_off: HashMap::new(),
            }),
        }
    }

    /// The state brought up to the clock's now: prices stepped and resting orders matched.
    pub fn at_now(&self) -> (Locked<'_>, DateTime<Utc>) {
        let now = self.clock.now();
        let mut inner = Locked {
            inner: self.inner.lock().unwrap_or_else(|p| p.into_inner()),
            book_version: &self.book_version,
        };
        let Inner {
            market,
            book,
            faults,
            ..
        } = &mut *inner;
        market.advance_to(now);
        book.match_all(market, now, faults.on_orders(now));
        (inner, now)
    }

    /// Whether `header` (an `Authorization` value) carries an accepted token that has not expired.
    pub fn token_valid(&self, header: Option<&str>) -> bool {
        header
            .and_then(|h| h.strip_prefix("Bearer "))
            .is_some_and(|token| self.accepts(token))
    }

    /// Whether `header` carries the account's analytics token (`SIM_ANALYTICS_TOKEN`): read-only and valid a
    /// year, so a trading token's expiry does not touch it.
    pub fn analytics_token_valid(&self, header: Option<&str>) -> bool {
        header.and_then(|h| h.strip_prefix("Bearer ")) == Some(super::SIM_ANALYTICS_TOKEN)
    }

    /// Whether `token` is accepted as HDFC Sky sends it: bare, without `Bearer`.
    pub fn sky_token_valid(&self, token: Option<&str>) -> bool {
        token.is_some_and(|t| !t.starts_with("Bearer ") && self.accepts(t))
    }

    fn accepts(&self, token: &str) -> bool {
        if self.renewed_token.as_deref() == Some(token) {
            return true;
        }
        let (inner, now) = self.at_now();
        inner.sky_tokens.contains(token)
            || inner
                .upstox_tokens
                .get(token)
                .is_some_and(|expiry| now < *expiry)
            || (token == self.token && inner.faults.active(FaultKind::TokenExpiry, now).is_none())
    }

    /// Issues a new one-time feed URL.
    pub fn issue_feed_url(&self) -> String {
        self.issue_one_time_url(super::FEED_PATH)
    }

    /// Issues a new one-time URL for the WebSocket at `path`.
    pub fn issue_one_time_url(&self, path: &str) -> String {
        let (mut inner, _) = self.at_now();
        inner.codes_issued += 1;
        let code = format!(
            "{:016x}{:08x}",
            rand_code(inner.codes_issued),
            inner.codes_issued
        );
        inner.unused_codes.insert(code.clone());
        format!(
            "ws://{}{path}?requestId=sim-{}&code={code}",
            self.addr, inner.codes_issued
        )
    }
}

/// Not a secret, only unguessable enough that a client cannot make codes up: a mix of the counter's bits.
fn rand_code(n: u64) -> u64 {
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 31;
    x.wrapping_mul(0xBF58_476D_1CE4_E5B9)
}
