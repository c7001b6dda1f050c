//! Client-side request budgets, so the bot never earns a 429 by itself.
//!
//! Brokers count requests over several windows at once (Upstox: a second, a minute and 30 minutes); a request
//! waits until every window has room. governor's GCRA limiter keeps each window without a timer task.
//!
//! A broker counts an account's requests, not a client's: the feed's polling, the account checks, orders and
//! cancels each have a client of their own, so the budget of one API class at one broker host is one limiter
//! shared by every client in the process (`RateLimit::shared`).

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// How many requests a category may make in each window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateBudget {
    pub per_second: u32,
    pub per_minute: u32,
    pub per_30_minutes: u32,
    /// Requests go out evenly spread over each second rather than in a burst: for a broker that answers bursts
    /// with 429 even under its per-second count.
    pub paced: bool,
}

impl RateBudget {
    /// Upstox standard APIs (quotes, order book, positions, …).
    pub const UPSTOX_STANDARD: RateBudget = RateBudget {
        per_second: 50,
        per_minute: 500,
        per_30_minutes: 2000,
        paced: false,
    };

    /// Upstox order APIs for an unregistered retail algo.
    pub const UPSTOX_ORDERS: RateBudget = RateBudget {
        per_second: 10,
        per_minute: 500,
        per_30_minutes: 2000,
        paced: false,
    };

    /// HDFC Sky publishes no limits; this stays under what integrators met 429s above: requests about 150 ms
    /// apart, so the `fetch-ltp` calls of one poll are spaced, never sent within a millisecond of each other.
    pub const HDFCSKY_STANDARD: RateBudget = RateBudget {
        per_second: 6,
        per_minute: 300,
        per_30_minutes: 6000,
        paced: true,
    };

    /// HDFC Sky orders: under the exchange's 10 a second for a retail algo.
    pub const HDFCSKY_ORDERS: RateBudget = RateBudget {
        per_second: 8,
        per_minute: 300,
        per_30_minutes: 2000,
        paced: false,
    };
}

pub struct RateLimit {
    windows: Vec<DefaultDirectRateLimiter>,
}

impl RateLimit {
    pub fn new(budget: RateBudget) -> Self {
        let window = |count: u32, period: Duration, burst: bool| {
            let count = NonZeroU32::new(count.max(1)).expect("at least one");
            let quota = Quota::with_period(period / count.get())
                .expect("a positive period")
                .allow_burst(if burst { count } else { NonZeroU32::MIN });
            RateLimiter::direct(quota)
        };
        RateLimit {
            windows: vec![
                window(budget.per_second, Duration::from_secs(1), !budget.paced),
                window(budget.per_minute, Duration::from_secs(60), true),
                window(budget.per_30_minutes, Duration::from_secs(1800), true),
            ],
        }
    }

    /// The process's one limiter for `class` requests at `host` (the first client to ask sets its budget); it
    /// lives while a client holds it.
    pub fn shared(host: &url::Url, class: &str, budget: RateBudget) -> Arc<RateLimit> {
        static SHARED: OnceLock<Mutex<HashMap<String, Weak<RateLimit>>>> = OnceLock::new();
        let key = format!("{} {class}", host.origin().ascii_serialization());
        let mut shared = SHARED
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(limit) = shared.get(&key).and_then(Weak::upgrade) {
            return limit;
        }
        shared.retain(|_, limit| limit.strong_count() > 0);
        let limit = Arc::new(RateLimit::new(budget));
        shared.insert(key, Arc::downgrade(&limit));
        limit
    }

    /// Waits until every window has room, then takes one request from each.
    pub async fn acquire(&self) {
        for window in &self.windows {
            window.until_ready().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[tokio::test]
    async fn a_burst_beyond_the_per_second_budget_waits() {
        let limit = RateLimit::new(RateBudget {
            per_second: 10,
            per_minute: 500,
            per_30_minutes: 2000,
            paced: false,
        });
        let start = Instant::now();
        for _ in 0..11 {
            limit.acquire().await;
        }
        assert!(
            start.elapsed() >= Duration::from_millis(90),
            "the eleventh waits for room"
        );
    }

    #[tokio::test]
    async fn clients_of_one_host_share_its_budget_and_other_hosts_do_not() {
        let budget = RateBudget {
            per_second: 10,
            per_minute: 500,
            per_30_minutes: 2000,
            paced: false,
        };
        let host = url::Url::parse("http://127.0.0.1:9/").unwrap();
        let feed = RateLimit::shared(&host, "standard", budget);
        let account = RateLimit::shared(&host, "standard", budget);
        let other = url::Url::parse("http://127.0.0.2:9/").unwrap();
        let elsewhere = RateLimit::shared(&other, "standard", budget);
        let start = Instant::now();
        for _ in 0..10 {
            feed.acquire().await;
        }
        elsewhere.acquire().await;
        assert!(
            start.elapsed() < Duration::from_millis(50),
            "room at another host"
        );
        account.acquire().await;
        assert!(
            start.elapsed() >= Duration::from_millis(90),
            "the eleventh request of the host waits, whichever client sends it"
        );
    }

    #[tokio::test]
    async fn a_paced_budget_spaces_every_request() {
        let limit = RateLimit::new(RateBudget::HDFCSKY_STANDARD);
        let mut sent = Vec::new();
        for _ in 0..3 {
            limit.acquire().await;
            sent.push(Instant::now());
        }
        for pair in sent.windows(2) {
            let apart = pair[1] - pair[0];
            assert!(
                apart >= Duration::from_millis(150),
                "requests {apart:?} apart; 6 a second paced is about 167 ms"
            );
        }
    }
}
