//! How long dalal lets an order work before it acts on it (`[orders]` in dalal.toml): an entry that has not
//! (wholly) filled is cancelled, an exit that has not filled is re-priced toward the market a bounded number of
//! times and then escalated. These are execution policy, not strategy: the same for every strategy file.

use std::time::Duration;

use serde::Deserialize;

use super::checker::Checker;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OrderPolicy {
    /// An entry not wholly filled this long after it was sent is cancelled; what filled is a position, guarded
    /// from its first fill.
    pub entry_fill_timeout_s: u64,
    /// An exit not filled this long after it was sent or last re-priced is re-priced toward the market.
    pub exit_reprice_after_s: u64,
    /// Re-pricings, each reaching further through the last price, before the exit is escalated: it keeps
    /// following the market at the widest reach, and the trader is told.
    pub exit_reprice_steps: u32,
    /// Paper mode only: each print fills at most the quantity traded in it, so a large order fills in parts
    /// over several prices as it would queue at the exchange; off, an order fills whole at its first price.
    pub paper_fills_by_trade_size: bool,
}

impl Default for OrderPolicy {
    fn default() -> Self {
        OrderPolicy {
            entry_fill_timeout_s: 20,
            exit_reprice_after_s: 3,
            exit_reprice_steps: 3,
            paper_fills_by_trade_size: false,
        }
    }
}

impl OrderPolicy {
    pub fn entry_fill_timeout(&self) -> Duration {
        Duration::from_secs(self.entry_fill_timeout_s)
    }

    pub fn exit_reprice_after(&self) -> Duration {
        Duration::from_secs(self.exit_reprice_after_s)
    }
}

impl Checker<'_> {
    pub(super) fn orders(&mut self, o: &OrderPolicy) {
        self.range(
            "orders.entry_fill_timeout_s",
            o.entry_fill_timeout_s,
            1,
            600,
            " s",
        );
        self.range(
            "orders.exit_reprice_after_s",
            o.exit_reprice_after_s,
            1,
            60,
            " s",
        );
        self.range(
            "orders.exit_reprice_steps",
            u64::from(o.exit_reprice_steps),
            0,
            10,
            "",
        );
    }
}
