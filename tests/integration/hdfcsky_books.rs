//! HDFC Sky's books as the simulator serves them, read the way other clients read them: order and trade times in
//! epoch seconds, and position rows complete enough that P&L computed from their amounts is the P&L of dalal's
//! position report.

use std::sync::Arc;
use std::time::Duration;

use dalal::broker::hdfcsky::HdfcSkyOrders;
use dalal::broker::{OrderBroker, PositionReport};
use dalal::domain::{
    OrderKind, OrderRequest, OrderTag, Product, Side, Validity, decimal_from_wire,
};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::hdfcsky_api::reliance;
use crate::support::{SIM_TOKEN, SimHarness, date, ist, quiet_scenario};

const ACCOUNT: (&str, &str) = ("client_id", "SIM0001");

/// The fields HDFC Sky documents for a position row.
const POSITION_FIELDS: [&str; 24] = [
    "net_quantity",
    "buy_quantity",
    "sell_quantity",
    "average_buy_price",
    "average_sell_price",
    "buy_amount",
    "sell_amount",
    "net_amount",
    "multiplier",
    "realized_mtm",
    "ltp",
    "previous_close",
    "product",
    "prod_type",
    "exchange",
    "instrument_token",
    "token",
    "trading_symbol",
    "symbol",
    "segment",
    "cf_buy_quantity",
    "cf_buy_amount",
    "cf_sell_quantity",
    "cf_sell_amount",
];

pub(crate) fn money(value: &Value) -> Decimal {
    let number = value
        .as_f64()
        .unwrap_or_else(|| panic!("a number: {value}"));
    decimal_from_wire(number).unwrap()
}

/// Places a marketable order of `quantity` RELIANCE shares (it fills at once), then lets 20 simulated seconds
/// pass so the next one trades at another price. Returns the clock's whole seconds just before and after.
pub(crate) async fn trade(
    sim: &SimHarness,
    orders: &HdfcSkyOrders,
    number: u32,
    side: Side,
    quantity: u32,
) -> (i64, i64) {
    let request = OrderRequest {
        tag: OrderTag::ours(date(2026, 11, 23), "RELIANCE", 'E', number),
        instrument: reliance().id,
        side,
        quantity,
        kind: OrderKind::Market,
        product: Product::Intraday,
        validity: Validity::Day,
    };
    let before = sim.clock.now().timestamp();
    orders.place(&request).await.unwrap();
    let after = sim.clock.now().timestamp();
    sim.clock.sleep(Duration::from_secs(20)).await;
    (before, after)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn position_amounts_give_dalals_pnl_and_book_times_are_epoch_seconds() {
    let sim = SimHarness::start(quiet_scenario(), ist(2026, 11, 23, 10, 0, 0), 10.0).await;
    let rest = Arc::new(sim.sky_rest(SIM_TOKEN));
    let orders = HdfcSkyOrders::for_universe(Arc::clone(&rest), &[reliance()], sim.clock.clone());
    // In, part out, more in, at the prices of three moments: long 12, with realised and open P&L.
    let windows = [
        trade(&sim, &orders, 1, Side::Buy, 10).await,
        trade(&sim, &orders, 2, Side::Sell, 4).await,
        trade(&sim, &orders, 3, Side::Buy, 6).await,
    ];

    let completed = sim
        .sky_data("/oapi/v1/orders", &[ACCOUNT, ("type", "completed")])
        .await;
    let trades = sim.sky_data("/oapi/v1/trades", &[ACCOUNT]).await;
    let (completed, trades) = (
        completed["orders"].as_array().unwrap(),
        trades["trades"].as_array().unwrap(),
    );
    assert_eq!((completed.len(), trades.len()), (3, 3));
    let (mut bought, mut sold) = (Decimal::ZERO, Decimal::ZERO);
    for ((order, trade), (before, after)) in completed.iter().zip(trades).zip(windows) {
        let entered = order["order_entry_time"].as_i64().unwrap();
        assert!(
            (before..=after).contains(&entered),
            "{entered} not in {before}..={after}: {order}"
        );
        let traded = trade["trade_time"].as_i64().unwrap();
        assert!(
            (before..=after).contains(&traded),
            "{traded} not in {before}..={after}: {trade}"
        );
        assert_eq!(
            order["exchange_time"].as_i64(),
            Some(traded),
            "the fill was the exchange's last act on the order"
        );
        assert_eq!(trade["oms_order_id"], order["oms_order_id"]);
        assert_eq!(trade["product"], "MIS");
        let quantity = Decimal::from(trade["trade_quantity"].as_u64().unwrap());
        let amount = money(&trade["trade_price"]) * quantity;
        match trade["order_side"].as_str() {
            Some("BUY") => bought += amount,
            _ => sold += amount,
        }
    }

    // Prices move between two reads: compare a raw row with a report of dalal's that saw the same last price.
    for _ in 0..20 {
        let rows = sim
            .sky_data("/oapi/v1/positions", &[ACCOUNT, ("type", "live")])
            .await;
        let reports: Vec<PositionReport> = rest.positions().await.unwrap();
        let ([row], [report]) = (rows.as_array().unwrap().as_slice(), reports.as_slice()) else {
            panic!("one position: {rows} {reports:?}");
        };
        if money(&row["ltp"]) != report.last_price {
            continue;
        }
        let missing: Vec<&str> = POSITION_FIELDS
            .into_iter()
            .filter(|f| row.get(*f).is_none())
            .collect();
        assert!(missing.is_empty(), "{missing:?} missing from {row}");
        assert_eq!(
            (row["buy_quantity"].as_i64(), row["sell_quantity"].as_i64()),
            (Some(16), Some(4))
        );
        assert_eq!(
            (money(&row["buy_amount"]), money(&row["sell_amount"])),
            (bought, sold),
            "the trade book's sums"
        );
        assert_eq!(
            money(&row["average_buy_price"]),
            (bought / Decimal::from(16)).round_dp(2)
        );
        assert_eq!(money(&row["net_amount"]), sold - bought);
        assert_eq!(
            [&row["symbol"], &row["trading_symbol"], &row["segment"]],
            ["RELIANCE", "RELIANCE-EQ", "Capital"]
        );
        assert_eq!(
            (row["prod_type"].as_i64(), row["product"].as_str()),
            (Some(2), Some("MIS"))
        );
        assert_eq!(row["token"], row["instrument_token"]);
        assert!(money(&row["previous_close"]) > Decimal::ZERO);

        let net = Decimal::from(row["net_quantity"].as_i64().unwrap());
        let by_amounts = (money(&row["sell_amount"]) - money(&row["buy_amount"]))
            + net * money(&row["ltp"]) * money(&row["multiplier"]);
        assert_eq!(report.net_quantity, 12);
        assert_eq!(
            by_amounts,
            report.realized_pnl + report.unrealized_pnl,
            "{row}"
        );
        return;
    }
    panic!("no two reads saw the same last price");
}
