//! The simulator's HDFC Sky funds and holdings, behind the same checks as the books (User-Agent, `api_key`, the
//! token, `client_id`).
//!
//! Funds answer on the V1 path, `GET /oapi/v1/funds/view?type=all`, in the shape integrators found live: `data`
//! holds `[label, value]` rows (values as text) and the MTM figures by name. The V2 path the docs describe,
//! `/oapi/v2/funds/view`, answers 404 with an empty body, as production does. The figures follow the day:
//! open positions block margin (a fifth of their value intraday, all of it for delivery), realised P&L is
//! available at once and an unrealised loss is set against it (an unrealised gain is not). Holdings are an empty
//! list: the simulated account trades intraday only.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use rust_decimal::Decimal;
use rust_decimal::dec;

use super::hdfcsky_rest::{Answer, caller, invalid, success};
use super::state::{Inner, SimState};
use crate::broker::hdfcsky::funds::{AVAILABLE_MARGIN, MARGIN_USED, REALIZED_MTM, UNREALIZED_MTM};
use crate::broker::hdfcsky::rest_types::FundsView;

type Shared = State<Arc<SimState>>;
type Params = Query<HashMap<String, String>>;

/// The share of an intraday (MIS) position's value blocked as margin: five times leverage.
const INTRADAY_MARGIN: Decimal = dec!(0.2);

/// The account's day in rupees, as the funds view states it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AccountDay {
    opening_balance: Decimal,
    margin_used: Decimal,
    realized: Decimal,
    unrealized: Decimal,
}

impl AccountDay {
    fn of(inner: &Inner, opening_balance: Decimal) -> AccountDay {
        let mut day = AccountDay {
            opening_balance,
            margin_used: Decimal::ZERO,
            realized: Decimal::ZERO,
            unrealized: Decimal::ZERO,
        };
        let market = &inner.market;
        for ((key, product), totals) in inner.book.day_totals() {
            let Some(index) = market.index_of(&key) else {
                continue;
            };
            let ltp = market.get(index).1.ltp;
            let share = if product == "I" {
                INTRADAY_MARGIN
            } else {
                Decimal::ONE
            };
            day.margin_used += Decimal::from(totals.net_quantity().abs()) * ltp * share;
            day.realized += totals.realized();
            day.unrealized += totals.unrealized(ltp);
        }
        day
    }

    fn available_margin(&self) -> Decimal {
        self.opening_balance + self.realized + self.unrealized.min(Decimal::ZERO) - self.margin_used
    }

    /// The V1 view: rows in the order HDFC Sky lists them, values as text to the paisa.
    fn view(&self, client_id: String) -> FundsView {
        let text =
            |amount: Decimal| serde_json::Value::String(format!("{:.2}", amount.round_dp(2)));
        let zero = Decimal::ZERO;
        let rows = [
            (AVAILABLE_MARGIN, self.available_margin()),
            (MARGIN_USED, self.margin_used),
            ("Opening Balance", self.opening_balance),
            ("Adhoc Deposit", zero),
            ("Notion", zero),
            ("Pay In", zero),
            ("Pay out", zero),
            ("Pledge Benefit", zero),
            ("Equity Credit Sell", zero),
            ("Option Credit For Sell", zero),
            (REALIZED_MTM, self.realized),
            (UNREALIZED_MTM, self.unrealized),
        ];
        FundsView {
            client_id,
            headers: vec!["Description".into(), "all".into()],
            values: rows
                .into_iter()
                .map(|(label, amount)| serde_json::json!([label, text(amount)]))
                .collect(),
            realized_mtm: text(self.realized),
            unrealized_mtm: text(self.unrealized),
        }
    }
}

pub async fn funds(State(state): Shared, Query(params): Params, headers: HeaderMap) -> Answer {
    let client_id = caller(&state, &headers, &params, true)?;
    // The documented query is `type=all`; what HDFC Sky does with any other is unknown, so it is refused.
    if params.get("type").map(String::as_str) != Some("all") {
        return Err(invalid("type"));
    }
    let (inner, _) = state.at_now();
    success(AccountDay::of(&inner, state.sky.opening_balance).view(client_id))
}

/// The V2 path of the docs, not deployed: 404 with an empty body, whoever asks.
pub async fn funds_v2() -> axum::response::Response {
    StatusCode::NOT_FOUND.into_response()
}

pub async fn holdings(State(state): Shared, Query(params): Params, headers: HeaderMap) -> Answer {
    caller(&state, &headers, &params, true)?;
    success(serde_json::json!({ "holdings": [] }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::hdfcsky::funds::read_funds;

    #[test]
    fn the_view_reads_back_with_losses_counted_and_gains_not() {
        let losing = AccountDay {
            opening_balance: dec!(500000),
            margin_used: dec!(3120.4),
            realized: dec!(150.25),
            unrealized: dec!(-40.5),
        };
        let funds = read_funds(losing.view("SIM0001".into())).unwrap();
        assert_eq!(funds.available_margin, dec!(496989.35));
        assert_eq!(funds.margin_used, Some(dec!(3120.40)));
        assert_eq!(
            (funds.realized_mtm, funds.unrealized_mtm),
            (Some(dec!(150.25)), Some(dec!(-40.50)))
        );
        let gaining = AccountDay {
            unrealized: dec!(40.5),
            ..losing
        };
        assert_eq!(gaining.available_margin(), dec!(497029.85));
    }
}
