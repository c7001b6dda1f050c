//! HDFC Sky's funds and holdings as the simulator serves them: the V1 funds table of `[label, value]` pairs with
//! the MTM figures by name, following the day's positions and read by dalal's client; the documented V2 path's
//! bare 404; an empty holdings list; and the account checks in front of both.

use std::sync::Arc;

use dalal::broker::hdfcsky::{HdfcSkyOrders, USER_AGENT};
use dalal::domain::Side;
use dalal::sim::SkyAccount;
use rust_decimal::{Decimal, dec};
use serde_json::Value;

use crate::hdfcsky_api::reliance;
use crate::hdfcsky_books::{money, trade};
use crate::support::{SIM_TOKEN, SimHarness, ist, quiet_scenario};

const ACCOUNT: (&str, &str) = ("client_id", "SIM0001");
const ALL: (&str, &str) = ("type", "all");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_funds_view_follows_the_days_positions_and_dalal_reads_it() {
    let sim = SimHarness::start(quiet_scenario(), ist(2026, 11, 23, 10, 0, 0), 10.0).await;
    let rest = Arc::new(sim.sky_rest(SIM_TOKEN));
    let orders = HdfcSkyOrders::for_universe(Arc::clone(&rest), &[reliance()], sim.clock.clone());
    trade(&sim, &orders, 1, Side::Buy, 10).await;
    trade(&sim, &orders, 2, Side::Sell, 4).await;

    let opening = SkyAccount::default().opening_balance;
    // The figures depend on the last price: judge a funds read between two position reads at the same price.
    for _ in 0..20 {
        let row = |rows: Value| rows[0].clone();
        let before = row(sim.sky_data("/oapi/v1/positions", &[ACCOUNT]).await);
        let funds = rest.funds().await.unwrap();
        let after = row(sim.sky_data("/oapi/v1/positions", &[ACCOUNT]).await);
        if before["ltp"] != after["ltp"] {
            continue;
        }
        let (ltp, net) = (money(&after["ltp"]), Decimal::from(6));
        let realized = money(&after["realized_mtm"]);
        let unrealized = money(&after["net_amount"]) + net * ltp - realized;
        let used = net * ltp * dec!(0.2);
        assert_eq!(after["net_quantity"], 6);
        assert_eq!(
            funds.margin_used,
            Some(used.round_dp(2)),
            "a fifth of the open value"
        );
        assert_eq!(
            (funds.realized_mtm, funds.unrealized_mtm),
            (Some(realized.round_dp(2)), Some(unrealized.round_dp(2)))
        );
        let available = opening + realized + unrealized.min(Decimal::ZERO) - used;
        assert_eq!(funds.available_margin, available.round_dp(2));
        return;
    }
    panic!("no two position reads saw the same last price");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn funds_answer_on_v1_as_label_value_pairs_and_v2_is_a_bare_404() {
    let sim = SimHarness::start(quiet_scenario(), ist(2026, 11, 23, 10, 0, 0), 1.0).await;
    let view = sim.sky_data("/oapi/v1/funds/view", &[ACCOUNT, ALL]).await;
    let rows = view["values"].as_array().unwrap();
    let pair = |r: &Value| {
        r.as_array()
            .is_some_and(|p| p.len() == 2 && p.iter().all(Value::is_string))
    };
    assert!(rows.iter().all(pair), "[label, value] pairs: {view}");
    let value = |label: &str| {
        rows.iter()
            .find(|r| r[0] == label)
            .map(|r| r[1].clone())
            .unwrap_or_else(|| panic!("no {label}: {view}"))
    };
    let opening = SkyAccount::default().opening_balance;
    assert_eq!(value("Opening Balance"), format!("{opening:.2}"));
    assert_eq!(
        value("Available Margin"),
        value("Opening Balance"),
        "nothing traded yet"
    );
    assert_eq!(value("Margin Used"), "0.00");
    assert_eq!(
        [&view["realized_mtm"], &view["unrealized_mtm"]],
        ["0.00", "0.00"]
    );

    let funds = sim.sky_rest(SIM_TOKEN).funds().await.unwrap();
    assert_eq!(
        (funds.available_margin, funds.margin_used),
        (opening, Some(Decimal::ZERO))
    );

    let (status, body) = sim
        .sky_get("/oapi/v2/funds/view", &[ACCOUNT, ALL], SIM_TOKEN)
        .await;
    assert_eq!((status, body), (404, Value::Null));
    let mut url = sim.server.base_url().join("/oapi/v2/funds/view").unwrap();
    url.set_query(Some("type=all"));
    let bare = reqwest::get(url).await.unwrap();
    assert_eq!(bare.status().as_u16(), 404);
    assert!(
        bare.bytes().await.unwrap().is_empty(),
        "404 with an empty body"
    );

    let (status, body) = sim
        .sky_get(
            "/oapi/v1/funds/view",
            &[ACCOUNT, ("type", "equity")],
            SIM_TOKEN,
        )
        .await;
    assert_eq!(
        (status, &body["error_code"]),
        (400, &44000.into()),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holdings_are_an_empty_list_and_both_calls_check_the_caller() {
    let sim = SimHarness::start(quiet_scenario(), ist(2026, 11, 23, 10, 0, 0), 1.0).await;
    let holdings = sim.sky_data("/oapi/v1/holdings", &[ACCOUNT]).await;
    assert_eq!(holdings["holdings"], serde_json::json!([]));

    for path in ["/oapi/v1/holdings", "/oapi/v1/funds/view"] {
        let stranger = [("client_id", "SOMEONE"), ALL];
        let (status, body) = sim.sky_get(path, &stranger, SIM_TOKEN).await;
        assert_eq!(
            (status, &body["error_code"]),
            (400, &44000.into()),
            "{path} for another client: {body}"
        );
        let bearer = format!("Bearer {SIM_TOKEN}");
        let (status, body) = sim.sky_get(path, &[ACCOUNT, ALL], &bearer).await;
        assert_eq!(
            (status, &body["error"]),
            (401, &"invalid credentials".into()),
            "{path} with Bearer: {body}"
        );
        let mut url = sim.server.base_url().join(path).unwrap();
        url.query_pairs_mut().extend_pairs([ACCOUNT, ALL]);
        let keyless = reqwest::Client::new()
            .get(url)
            .header("User-Agent", USER_AGENT)
            .header("Authorization", SIM_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(keyless.status().as_u16(), 403, "{path} without api_key");
    }
}
