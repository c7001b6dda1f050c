//! HDFC Sky's `user_order_id` is a number the caller makes up, and its order book carries no free-text tag.
//! dalal derives the number from its order tag (FNV-1a of the tag, below 10⁹), so the same tag always gives the
//! same number, and reads a number back as a tag from the tags it placed; after a restart it recovers the tag
//! by trying today's tags for the order's instrument, which are few and follow a known pattern.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::NaiveDate;

use crate::domain::OrderTag;

/// Numbers stay below this, as integrators' own (epoch ms mod 10⁹) do.
const NUMBER_SPACE: u64 = 1_000_000_000;
/// How far into a day's tag sequence recovery searches: far beyond a day's orders.
const RECOVERY_SEARCH: u32 = 20_000;
const PURPOSES: [char; 3] = ['E', 'X', 'P'];

/// The `user_order_id` for `tag`: never zero, the same for the same tag.
pub fn user_order_id(tag: &OrderTag) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in tag.as_str().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash % (NUMBER_SPACE - 1) + 1
}

/// Tags seen or recovered by their number, and numbers found not to be ours (`None`), so that a foreign order
/// is searched for once.
#[derive(Default)]
pub struct OrderNumbers {
    known: Mutex<HashMap<u64, Option<OrderTag>>>,
}

impl OrderNumbers {
    pub fn remember(&self, tag: &OrderTag) -> u64 {
        let number = user_order_id(tag);
        self.lock().insert(number, Some(tag.clone()));
        number
    }

    /// The tag behind `number`: one this process placed, or one of ours for `symbol` on `date`.
    pub fn tag_of(&self, number: u64, date: NaiveDate, symbol: &str) -> Option<OrderTag> {
        if let Some(known) = self.lock().get(&number) {
            return known.clone();
        }
        let found = (1..=RECOVERY_SEARCH).find_map(|n| {
            PURPOSES
                .iter()
                .map(|p| OrderTag::ours(date, symbol, *p, n))
                .find(|tag| user_order_id(tag) == number)
        });
        self.lock().insert(number, found.clone());
        found
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Option<OrderTag>>> {
        self.known.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_stable_and_recoverable_after_a_restart() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let tag = OrderTag::ours(date, "RELIANCE", 'P', 4_321);
        let number = user_order_id(&tag);
        assert_eq!(number, user_order_id(&tag.clone()));
        assert!((1..NUMBER_SPACE).contains(&number));
        assert_ne!(
            number,
            user_order_id(&OrderTag::ours(date, "RELIANCE", 'P', 4_322))
        );
        let fresh = OrderNumbers::default();
        assert_eq!(fresh.tag_of(number, date, "RELIANCE"), Some(tag));
        assert_eq!(
            fresh.tag_of(12_345, date, "RELIANCE"),
            None,
            "not one of ours"
        );
        let placed = OrderTag::ours(date, "INFY", 'E', 1);
        let numbers = OrderNumbers::default();
        assert_eq!(
            numbers.tag_of(numbers.remember(&placed), date, "OTHER"),
            Some(placed)
        );
    }
}
