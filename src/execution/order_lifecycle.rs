//! One order's lifecycle as dalal follows it: the states an order of ours can be in, every legal transition
//! listed in one place (`OrderStatus::may_become`), and each transition kept as an `OrderTransition` for the
//! journal. The executor moves an order only through `OrderLifecycle::advance`; a broker answer that would take
//! an order where it cannot go (filled, then rejected) is refused here and reported, not followed.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::domain::OrderTag;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    /// Sent; no answer yet.
    Submitted,
    /// The broker holds it, nothing filled.
    Accepted,
    PartiallyFilled,
    Filled,
    /// A change was sent and not yet answered.
    PendingModify,
    /// A cancel was sent and the broker has not shown the order ended.
    PendingCancel,
    Cancelled,
    Rejected,
    /// The submit's outcome is unknown (a timeout, a 5xx, a 2xx that cannot be read): looked up by its tag.
    Unknown,
    /// Unknown past its deadline and not in the broker's book: declared lost, never re-sent as it was.
    Lost,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 10] = [
        OrderStatus::Submitted,
        OrderStatus::Accepted,
        OrderStatus::PartiallyFilled,
        OrderStatus::Filled,
        OrderStatus::PendingModify,
        OrderStatus::PendingCancel,
        OrderStatus::Cancelled,
        OrderStatus::Rejected,
        OrderStatus::Unknown,
        OrderStatus::Lost,
    ];

    pub fn is_final(self) -> bool {
        matches!(
            self,
            OrderStatus::Filled
                | OrderStatus::Cancelled
                | OrderStatus::Rejected
                | OrderStatus::Lost
        )
    }

    /// Every legal transition. A refused change or cancel returns a working order to where it was; an order
    /// whose outcome was unknown may turn up in any state the broker reports, or be cancelled before it turns up
    /// (the cancel is sent once it does) and so be lost while a cancel is pending.
    pub fn may_become(self, next: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, next),
            (Submitted, Accepted | Rejected | Unknown)
                | (
                    Unknown,
                    Accepted
                        | PartiallyFilled
                        | Filled
                        | PendingCancel
                        | Cancelled
                        | Rejected
                        | Lost
                )
                | (
                    Accepted | PartiallyFilled,
                    PartiallyFilled | Filled | PendingModify | PendingCancel | Cancelled | Rejected
                )
                | (
                    PendingModify,
                    Accepted | PartiallyFilled | Filled | PendingCancel | Cancelled | Rejected
                )
                | (
                    PendingCancel,
                    Accepted | PartiallyFilled | Filled | Cancelled | Rejected | Lost
                )
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Submitted => "submitted",
            OrderStatus::Accepted => "accepted",
            OrderStatus::PartiallyFilled => "partially_filled",
            OrderStatus::Filled => "filled",
            OrderStatus::PendingModify => "pending_modify",
            OrderStatus::PendingCancel => "pending_cancel",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Rejected => "rejected",
            OrderStatus::Unknown => "unknown",
            OrderStatus::Lost => "lost",
        }
    }

    /// The working state for `filled` of `quantity` shares: what a refused change or cancel returns to.
    pub fn working(filled: u32, quantity: u32) -> OrderStatus {
        match filled {
            0 => OrderStatus::Accepted,
            f if f >= quantity => OrderStatus::Filled,
            _ => OrderStatus::PartiallyFilled,
        }
    }
}

impl std::str::FromStr for OrderStatus {
    type Err = String;

    /// The journal's name of a state back (see `as_str`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrderStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| format!("no order state is called {s}"))
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One step of an order's life, for the journal (`order_state`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderTransition {
    pub tag: OrderTag,
    /// None for the first state: sent, or adopted from a previous run.
    pub from: Option<OrderStatus>,
    pub to: OrderStatus,
    pub at: DateTime<Utc>,
    pub why: String,
}

/// An order's current state; its transitions go to the log each call is given.
#[derive(Debug)]
pub struct OrderLifecycle {
    status: OrderStatus,
}

impl OrderLifecycle {
    /// An order in its first state, with that first transition recorded in `log`.
    pub fn begin(
        tag: &OrderTag,
        status: OrderStatus,
        at: DateTime<Utc>,
        why: &str,
        log: &mut Vec<OrderTransition>,
    ) -> Self {
        log.push(OrderTransition {
            tag: tag.clone(),
            from: None,
            to: status,
            at,
            why: why.to_string(),
        });
        OrderLifecycle { status }
    }

    pub fn status(&self) -> OrderStatus {
        self.status
    }

    /// Moves to `next` when the move is legal, recording it in `log`; staying put records nothing. An illegal
    /// move is refused with a warning and the state kept.
    pub fn advance(
        &mut self,
        tag: &OrderTag,
        next: OrderStatus,
        at: DateTime<Utc>,
        why: &str,
        log: &mut Vec<OrderTransition>,
    ) -> bool {
        if next == self.status && next != OrderStatus::PartiallyFilled {
            return true;
        }
        if !self.status.may_become(next) {
            tracing::warn!(%tag, from = %self.status, to = %next, why, "an order transition that cannot happen was refused");
            return false;
        }
        log.push(OrderTransition {
            tag: tag.clone(),
            from: Some(self.status),
            to: next,
            at,
            why: why.to_string(),
        });
        self.status = next;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;
    use super::*;

    const ALL: [OrderStatus; 10] = OrderStatus::ALL;

    #[test]
    fn every_state_reads_back_from_its_journal_name() {
        for status in ALL {
            assert_eq!(status.as_str().parse::<OrderStatus>(), Ok(status));
        }
    }

    #[test]
    fn a_final_state_goes_nowhere_and_only_an_order_not_yet_found_can_be_lost() {
        for from in ALL.iter().filter(|s| s.is_final()) {
            assert!(ALL.iter().all(|to| !from.may_become(*to)), "{from} moved");
        }
        for from in ALL {
            let unknown_before = matches!(from, Unknown | PendingCancel);
            assert_eq!(from.may_become(Lost), unknown_before, "{from} → lost");
        }
        assert!(!Filled.may_become(Rejected), "a fill is never taken back");
        assert!(
            PendingCancel.may_become(PartiallyFilled),
            "fills race a cancel"
        );
        assert!(
            PendingModify.may_become(Accepted),
            "a refused change returns"
        );
    }

    #[test]
    fn transitions_are_recorded_in_order_and_an_illegal_one_is_refused() {
        let tag: OrderTag = "D261123-RELI-E1".parse().unwrap();
        let at = chrono::Utc::now();
        let mut log = Vec::new();
        let mut order = OrderLifecycle::begin(&tag, Submitted, at, "sent", &mut log);
        assert!(order.advance(&tag, Unknown, at, "timed out", &mut log));
        assert!(order.advance(&tag, Accepted, at, "found by its tag", &mut log));
        assert!(order.advance(&tag, PartiallyFilled, at, "2 of 5", &mut log));
        assert!(order.advance(&tag, PartiallyFilled, at, "4 of 5", &mut log));
        assert!(order.advance(&tag, Filled, at, "5 of 5", &mut log));
        assert!(!order.advance(&tag, Rejected, at, "rejected after the fill", &mut log));
        assert_eq!(order.status(), Filled);
        let steps: Vec<(Option<OrderStatus>, OrderStatus)> =
            log.iter().map(|t| (t.from, t.to)).collect();
        assert_eq!(
            steps,
            [
                (None, Submitted),
                (Some(Submitted), Unknown),
                (Some(Unknown), Accepted),
                (Some(Accepted), PartiallyFilled),
                (Some(PartiallyFilled), PartiallyFilled),
                (Some(PartiallyFilled), Filled),
            ]
        );
    }
}
