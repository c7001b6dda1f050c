//! Client-side request budgets, so the bot never earns a 429 by itself.
//!
//! Brokers count requests over several windows at once (Upstox: a second, a minute and 30 minutes); a request
//! waits until every window has room. governor's GCRA limiter keeps each window without a timer task.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// How many requests a category may make in each window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateBudget {
    pub per_second: u32,
    pub per_minute: u32,
    pub per_30_minutes: u32,
}

impl RateBudget {
    /// Upstox standard APIs (quotes, order book, positions, …).
    pub const UPSTOX_STANDARD: RateBudget = RateBudget {
        per_second: 50,
        per_minute: 500,
        per_30_minutes: 2000,
    };

    /// Upstox order APIs for an unregistered retail algo.
    pub const UPSTOX_ORDERS: RateBudget = RateBudget {
        per_second: 10,
        per_minute: 500,
        per_30_minutes: 2000,
    };

    /// HDFC Sky publishes no limits; this stays under what integrators met 429s above (150 ms apart).
    pub const HDFCSKY_STANDARD: RateBudget = RateBudget {
        per_second: 6,
        per_minute: 300,
        per_30_minutes: 6000,
    };

    /// HDFC Sky orders: under the exchange's 10 a second for a retail algo.
    pub const HDFCSKY_ORDERS: RateBudget = RateBudget {
        per_second: 8,
        per_minute: 300,
        per_30_minutes: 2000,
    };
}

pub struct RateLimit {
    windows: Vec<DefaultDirectRateLimiter>,
}

impl RateLimit {
    pub fn new(budget: RateBudget) -> Self {
        let window = |count: u32, period: Duration| {
            let count = NonZeroU32::new(count.max(1)).expect("at least one");
            let quota = Quota::with_period(period / count.get())
                .expect("a positive period")
                .allow_burst(count);
            RateLimiter::direct(quota)
        };
        RateLimit {
            windows: vec![
                window(budget.per_second, Duration::from_secs(1)),
                window(budget.per_minute, Duration::from_secs(60)),
                window(budget.per_30_minutes, Duration::from_secs(1800)),
            ],
        }
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
}
