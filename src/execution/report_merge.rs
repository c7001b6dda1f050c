//! How the executor takes a broker's word on an order when the order book and the order stream both speak and
//! race: the report that says less (fewer fills, or still working after an end) is the older one, and a
//! `complete` short of its quantity is not yet an end.

use crate::broker::{OrderReport, OrderState};

/// Where the reports taken in came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Seen {
    /// A poll of the whole order book: an order missing from it is not at the broker.
    WholeBook,
    /// One order's update pushed by the stream: it says nothing of other orders.
    Pushed,
}

impl Seen {
    pub(super) fn source(self) -> &'static str {
        match self {
            Seen::WholeBook => "order book",
            Seen::Pushed => "order stream",
        }
    }
}

/// Whether `new` may replace `old` for the same broker order: fills only grow and an ended order stays ended, so
/// a report that says less is the older one.
pub(super) fn fresher_than(new: &OrderReport, old: &OrderReport) -> bool {
    new.filled_quantity >= old.filled_quantity && (ended(new) || !ended(old))
}

/// Whether a report says the order is over. A `complete` that shows less filled than ordered is a report that
/// has not caught up (a pushed update ahead of its fill count): believed, it would end the order and lose the
/// rest of its fills, so the order is followed until a report agrees.
pub(super) fn ended(report: &OrderReport) -> bool {
    match report.state {
        OrderState::Complete => report.filled_quantity >= report.quantity,
        ref state => state.is_final(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Side;
    use rust_decimal::Decimal;

    fn report(state: OrderState, filled: u32) -> OrderReport {
        OrderReport {
            order_id: "1".into(),
            tag: Some("t".into()),
            instrument_key: "NSE_EQ|INE002A01018".into(),
            side: Side::Buy,
            order_type: "LIMIT".into(),
            quantity: 10,
            filled_quantity: filled,
            price: Decimal::ONE_HUNDRED,
            trigger_price: Decimal::ZERO,
            average_price: (filled > 0).then_some(Decimal::ONE_HUNDRED),
            state,
            status_text: String::new(),
            message: None,
        }
    }

    #[test]
    fn a_report_that_says_less_never_replaces_one_that_said_more() {
        let done = report(OrderState::Complete, 10);
        let part = report(OrderState::Open, 4);
        assert!(fresher_than(&done, &part));
        assert!(!fresher_than(&part, &done), "an older poll after a push");
        assert!(
            !fresher_than(&report(OrderState::Open, 10), &done),
            "ended stays ended"
        );
        assert!(
            fresher_than(&report(OrderState::Open, 4), &part),
            "the same again"
        );
    }

    #[test]
    fn a_complete_short_of_its_quantity_has_not_ended() {
        assert!(!ended(&report(OrderState::Complete, 6)));
        assert!(ended(&report(OrderState::Complete, 10)));
        assert!(ended(&report(OrderState::Cancelled, 6)));
        assert!(!ended(&report(OrderState::Open, 6)));
        // So a full report still replaces it.
        assert!(fresher_than(
            &report(OrderState::Complete, 10),
            &report(OrderState::Complete, 6)
        ));
    }
}
