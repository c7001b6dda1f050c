//! The HDFC Sky client against the simulator's HDFC Sky API: the feed's query-string auth (and the 401 every
//! wrong form earns), GenericDTO frames decoded and merged, `fetch-ltp` in tens, and orders: MARKET refused,
//! market intent sent as a protected LIMIT, fills seen by polling the order book.

use std::sync::Arc;
use std::time::Duration;

use dalal::broker::hdfcsky::{
    HdfcSkyOrders, LTP_ITEMS_PER_CALL, SESSION_PATH, ScripId, SkyFeedSocket, SubscriptionType,
    protected_limit, session_url,
};
use dalal::broker::{ErrorClass, OrderBroker, OrderState, StreamEvent};
use dalal::config::Secret;
use dalal::domain::{
    Exchange, Instrument, InstrumentId, OrderKind, OrderRequest, OrderTag, Product, Segment, Side,
    TickSize, Validity,
};
use dalal::execution::{Executor, SubmitOutcome};
use dalal::sim::SkyAccount;
use rust_decimal::dec;

use crate::support::{SIM_TOKEN, SimHarness, date, ist, quiet_scenario, scenario_with};

fn api_key() -> Secret {
    Secret::new(SkyAccount::default().api_key)
}

pub(crate) fn reliance() -> Instrument {
    Instrument {
        id: InstrumentId::new(Exchange::Nse, "RELIANCE").unwrap(),
        segment: Segment::Equity,
        isin: None,
        upstox_key: None,
        hdfcsky_token: Some("2885".into()),
        tick_size: Some(TickSize::new(dec!(0.1)).unwrap()),
        lot_size: 1,
        has_derivatives: true,
    }
}

fn scrip(text: &str) -> ScripId {
    text.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_accepts_token_and_api_key_in_the_query_and_refuses_every_other_form_with_401() {
    let sim = SimHarness::start(quiet_scenario(), ist(2026, 11, 23, 10, 0, 0), 1.0).await;
    let token = Secret::new(SIM_TOKEN);
    let right = session_url(&sim.server.base_url(), &token, &api_key()).unwrap();
    let socket = SkyFeedSocket::connect(&right, None)
        .await
        .expect("?token=&api_key= connects");
    socket.close().await;

    let base = right.as_str().split('?').next().unwrap().to_string();
    let key = SkyAccount::default().api_key;
    let wrong_forms = [
        (
            format!("{base}?access_token={SIM_TOKEN}&api_key={key}"),
            None,
        ),
        (format!("{base}?access_token={SIM_TOKEN}"), None),
        (format!("{base}?token={SIM_TOKEN}"), None),
        (base.clone(), Some(&token)),
        (base.clone(), None),
        (
            format!("{base}?token={SIM_TOKEN}&api_key=another-key"),
            None,
        ),
    ];
    for (url, header) in wrong_forms {
        let url = url::Url::parse(&url).unwrap();
        let e = SkyFeedSocket::connect(&url, header)
            .await
            .err()
            .expect("refused");
        assert_eq!((e.status, e.class), (Some(401), ErrorClass::Auth), "{e}");
        assert!(e.message.contains("Full authentication is required"), "{e}");
        assert!(
            !e.to_string().contains(SIM_TOKEN),
            "the token leaked into the error"
        );
    }
    assert!(base.ends_with(SESSION_PATH));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_decode_into_prices_with_depth_and_heartbeats_count_as_alive() {
    let sim = SimHarness::start(quiet_scenario(), ist(2026, 11, 23, 9, 14, 50), 2.0).await;
    let url = session_url(&sim.server.base_url(), &Secret::new(SIM_TOKEN), &api_key()).unwrap();
    let mut socket = SkyFeedSocket::connect(&url, None).await.unwrap();
    let first = socket.next_event().await;
    assert!(
        matches!(first, StreamEvent::Alive),
        "a bare heartbeat packet before any subscription: {first:?}"
    );

    let wanted = [scrip("NSE_2885"), scrip("NSE_INDEX_26000")];
    socket
        .subscribe(&wanted, SubscriptionType::All)
        .await
        .unwrap();
    let mut priced = std::collections::HashSet::new();
    for _ in 0..40 {
        if let StreamEvent::Prices(prices) = socket.next_event().await {
            for price in prices {
                assert!(price.last_price > dec!(0));
                assert!(
                    price.previous_close.is_some(),
                    "ALL packets carry the previous close"
                );
                priced.insert(price.instrument_key);
            }
        }
        if priced.len() == 2 {
            break;
        }
    }
    assert_eq!(
        priced.len(),
        2,
        "prices for the stock and the index: {priced:?}"
    );
    let reliance = socket.quote(&wanted[0]).unwrap();
    assert_eq!(
        (reliance.bids.len(), reliance.asks.len()),
        (5, 5),
        "depth read with the price"
    );
    assert!(
        reliance.ltp > 0.0 && reliance.previous_close > 0.0,
        "the price stayed with its depth"
    );
    assert!(reliance.bids[0].price < reliance.ltp && reliance.asks[0].price > reliance.ltp);
    socket.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_ltp_asks_in_tens_and_an_eleventh_item_would_fail_the_whole_request() {
    let mut scenario = String::from("seed = 7\n");
    for i in 0..23u32 {
        scenario.push_str(&format!(
            "[[instrument]]\nsymbol = \"S{i}\"\nid = \"INE002A01018\"\nhdfcsky_token = {}\nprevious_close = {}\ntick_size = 0.05\n",
            5000 + i,
            100 + i
        ));
    }
    let scenario = dalal::sim::Scenario::parse("23 stocks", &scenario).unwrap();
    let sim = SimHarness::start(scenario, ist(2026, 11, 23, 10, 0, 0), 1.0).await;
    let rest = sim.sky_rest(SIM_TOKEN);
    let scrips: Vec<ScripId> = (0..23)
        .map(|i| scrip(&format!("NSE_{}", 5000 + i)))
        .collect();
    let quotes = rest.fetch_ltp(&scrips).await.unwrap();
    assert_eq!(
        quotes.len(),
        23,
        "three requests of at most {LTP_ITEMS_PER_CALL}"
    );
    assert_eq!(quotes[22].instrument_key, "NSE_5022");
    assert_eq!(quotes[22].previous_close, Some(dec!(122)));

    let items: Vec<_> = (0..11)
        .map(|i| serde_json::json!({"exchange": "NSE", "token": (5000 + i).to_string()}))
        .collect();
    let mut url = sim.server.base_url().join("/oapi/v1/fetch-ltp").unwrap();
    url.query_pairs_mut()
        .append_pair("api_key", &SkyAccount::default().api_key);
    let eleven = reqwest::Client::new()
        .put(url)
        .header("User-Agent", dalal::broker::hdfcsky::USER_AGENT)
        .header("Authorization", SIM_TOKEN)
        .json(&serde_json::json!({ "data": items }))
        .send()
        .await
        .unwrap();
    assert_eq!(eleven.status().as_u16(), 400);
    let body: serde_json::Value = eleven.json().await.unwrap();
    assert_eq!(body["message"], "maximum 10 items allowed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_polled_under_nse_is_silently_absent_and_an_expired_token_is_an_auth_error() {
    let sim = SimHarness::start(
        crate::support::scenario_with("[[fault]]\nkind = \"token_expiry\"\nfrom = \"10:00:30\""),
        ist(2026, 11, 23, 10, 0, 0),
        1.0,
    )
    .await;
    let rest = sim.sky_rest(SIM_TOKEN);
    let quotes = rest
        .fetch_ltp(&[scrip("NSE_26000"), scrip("NSE_INDEX_26000")])
        .await
        .unwrap();
    let keys: Vec<&str> = quotes.iter().map(|q| q.instrument_key.as_str()).collect();
    assert_eq!(keys, ["NSE_INDEX_26000"]);
    sim.clock.sleep(Duration::from_secs(31)).await;
    let e = rest.profile().await.unwrap_err();
    assert_eq!((e.class, e.status), (ErrorClass::Auth, Some(401)));
    assert_eq!(e.message, "invalid credentials");
}

fn exit_request(number: u32, kind: OrderKind, side: Side) -> OrderRequest {
    OrderRequest {
        tag: OrderTag::ours(date(2026, 11, 23), "RELIANCE", 'X', number),
        instrument: reliance().id,
        side,
        quantity: 5,
        kind,
        product: Product::Intraday,
        validity: Validity::Day,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn market_intent_goes_out_as_a_protected_limit_while_a_raw_market_order_is_refused() {
    let sim = SimHarness::start(quiet_scenario(), ist(2026, 11, 23, 10, 0, 0), 1.0).await;
    let rest = Arc::new(sim.sky_rest(SIM_TOKEN));
    let orders = HdfcSkyOrders::for_universe(Arc::clone(&rest), &[reliance()], sim.clock.clone());
    let ltp = rest.fetch_ltp(&[scrip("NSE_2885")]).await.unwrap()[0].last_price;

    let request = exit_request(1, OrderKind::Market, Side::Sell);
    let ids = orders.place(&request).await.unwrap();
    let book = orders.orders_tagged(&request.tag).await.unwrap();
    let [report] = &book[..] else {
        panic!("one order: {book:?}")
    };
    assert_eq!(report.order_id, ids[0]);
    assert_eq!(report.tag.as_deref(), Some(request.tag.as_str()));
    assert_eq!(report.order_type, "LIMIT");
    let expected = protected_limit(Side::Sell, ltp, &reliance());
    assert!(
        (report.price - expected).abs() <= dec!(0.5),
        "{} vs {expected} at ltp {ltp}",
        report.price
    );
    assert!(
        report.price < ltp,
        "a protected sell sits below the last price"
    );
    assert_eq!(
        report.state,
        OrderState::Complete,
        "marketable, so it filled"
    );

    let mut url = sim.server.base_url().join("/oapi/v1/orders").unwrap();
    url.query_pairs_mut()
        .append_pair("api_key", &SkyAccount::default().api_key);
    let raw = serde_json::json!({
        "exchange": "NSE", "instrument_token": "2885", "client_id": "SIM0001", "order_type": "MARKET",
        "order_side": "SELL", "product": "MIS", "quantity": 1, "price": 0.0, "trigger_price": 0.0,
        "disclosed_quantity": 0, "validity": "DAY", "device": "WEB", "execution_type": "REGULAR",
        "amo": false, "user_order_id": 42
    });
    let refused = reqwest::Client::new()
        .post(url)
        .header("User-Agent", dalal::broker::hdfcsky::USER_AGENT)
        .header("Authorization", SIM_TOKEN)
        .json(&raw)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    let e =
        dalal::broker::hdfcsky::classify(403, &refused.bytes().await.unwrap(), "/oapi/v1/orders");
    assert_eq!(e.class, ErrorClass::Rejected, "{e}");
    assert!(e.message.contains("Limit type"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fills_are_seen_by_polling_the_order_book_and_tags_survive_a_restart() {
    // The same with a CDS row in each list, which dalal's types do not read: skipped, the others still count.
    for scenario in [
        quiet_scenario(),
        scenario_with("[[fault]]\nkind = \"odd_book_row\"\nfrom = \"09:00\""),
    ] {
        fills_seen_and_tags_kept(scenario).await;
    }
}

async fn fills_seen_and_tags_kept(scenario: dalal::sim::Scenario) {
    let sim = SimHarness::start(scenario, ist(2026, 11, 23, 10, 0, 0), 1.0).await;
    let rest = Arc::new(sim.sky_rest(SIM_TOKEN));
    let ltp = rest.fetch_ltp(&[scrip("NSE_2885")]).await.unwrap()[0].last_price;
    let orders = Arc::new(HdfcSkyOrders::for_universe(
        Arc::clone(&rest),
        &[reliance()],
        sim.clock.clone(),
    ));
    let (engine, entry) = crate::execution::engine_with_entry(ltp, false);
    drop(engine);
    let mut executor = Executor::new(
        Arc::clone(&orders),
        sim.clock.clone(),
        8,
        Duration::from_secs(5),
    );
    let (outcome, _) = executor.submit(&entry).await;
    assert!(
        matches!(outcome, SubmitOutcome::Accepted(ref ids) if ids.len() == 1),
        "{outcome:?}"
    );
    let events = executor.sync().await.unwrap();
    let [dalal::engine::EngineEvent::Fill(fill)] = &events[..] else {
        panic!("one fill from the order book: {events:?}");
    };
    assert_eq!(fill.tag.as_ref(), Some(&entry.request().tag));
    assert_eq!(fill.quantity, entry.request().quantity);

    // A new process knows none of the numbers it placed, and still reads the tag back from the book.
    let restarted =
        HdfcSkyOrders::for_universe(Arc::clone(&rest), &[reliance()], sim.clock.clone());
    let book = restarted.order_book().await.unwrap();
    assert_eq!(book.len(), 1);
    assert_eq!(book[0].tag.as_deref(), Some(entry.request().tag.as_str()));
    let positions =
        dalal::broker::AccountBroker::positions(&dalal::broker::hdfcsky::HdfcSkyAccount::new(
            rest,
            dalal::config::TokenSource::Fixed(Secret::new(SIM_TOKEN)),
        ))
        .await
        .unwrap();
    assert_eq!(positions.len(), 1);
    assert_eq!(positions[0].instrument_key, "NSE_2885");
    assert_eq!(positions[0].net_quantity, i64::from(fill.quantity));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_takes_at_most_300_scrips() {
    let sim = SimHarness::start(quiet_scenario(), ist(2026, 11, 23, 10, 0, 0), 1.0).await;
    let url = session_url(&sim.server.base_url(), &Secret::new(SIM_TOKEN), &api_key()).unwrap();
    let mut socket = SkyFeedSocket::connect(&url, None).await.unwrap();
    let first: Vec<ScripId> = (1..=250).map(|t| scrip(&format!("NSE_{t}"))).collect();
    socket
        .subscribe(&first, SubscriptionType::Ltp)
        .await
        .unwrap();
    socket
        .subscribe(&first[..10], SubscriptionType::Ltp)
        .await
        .expect("scrips subscribed already do not count twice");
    let more: Vec<ScripId> = (251..=301).map(|t| scrip(&format!("NSE_{t}"))).collect();
    let e = socket
        .subscribe(&more, SubscriptionType::Ltp)
        .await
        .unwrap_err();
    assert_eq!(e.class, ErrorClass::Rejected);
    assert!(e.message.contains("at most 300"), "{e}");
    socket
        .subscribe(&more[..50], SubscriptionType::Ltp)
        .await
        .expect("exactly 300 fit");
    socket.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_greek_entry_is_accepted_beside_the_others_in_one_subscribe_frame() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let sim = SimHarness::start(quiet_scenario(), ist(2026, 11, 23, 10, 0, 0), 1.0).await;
    let url = session_url(&sim.server.base_url(), &Secret::new(SIM_TOKEN), &api_key()).unwrap();
    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap();
    let frame = serde_json::json!({"subscribe": [
        {"scripId": "NSE_2885", "type": "ALL"},
        {"scripId": "NFO_43919", "type": "GREEK"},
    ]});
    ws.send(Message::Text(frame.to_string().into()))
        .await
        .unwrap();
    for _ in 0..20 {
        let message = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("an answer")
            .unwrap()
            .unwrap();
        match message {
            Message::Text(text) => assert!(!text.contains("error"), "refused: {text}"),
            Message::Binary(bytes) => {
                let packets = dalal::broker::hdfcsky::decode_packets(&bytes).unwrap();
                if packets.iter().any(|p| {
                    p.mbp_data
                        .as_ref()
                        .is_some_and(|m| m.last_traded_price > 0.0)
                }) {
                    return;
                }
            }
            _ => {}
        }
    }
    panic!("no price for the ALL entry of a frame that also asked for greeks");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn positions_honour_live_and_historical_and_refuse_any_other_type() {
    let sim = SimHarness::start(quiet_scenario(), ist(2026, 11, 23, 10, 0, 0), 1.0).await;
    let status = |kind: &'static str| {
        let mut url = sim.server.base_url().join("/oapi/v1/positions").unwrap();
        url.query_pairs_mut()
            .append_pair("api_key", &SkyAccount::default().api_key)
            .append_pair("client_id", "SIM0001")
            .append_pair("type", kind);
        async move {
            reqwest::Client::new()
                .get(url)
                .header("User-Agent", dalal::broker::hdfcsky::USER_AGENT)
                .header("Authorization", SIM_TOKEN)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(status("live").await, 200);
    assert_eq!(status("historical").await, 200);
    assert_eq!(status("weekly").await, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modify_takes_the_documented_body_with_numbers_as_text_and_refuses_other_fields() {
    let sim = SimHarness::start(quiet_scenario(), ist(2026, 11, 23, 10, 0, 0), 1.0).await;
    let rest = Arc::new(sim.sky_rest(SIM_TOKEN));
    let orders = HdfcSkyOrders::for_universe(Arc::clone(&rest), &[reliance()], sim.clock.clone());
    let ltp = rest.fetch_ltp(&[scrip("NSE_2885")]).await.unwrap()[0].last_price;
    // A buy far below the market rests; dalal's client changes it through the documented body.
    let far = (ltp * dec!(0.8)).round_dp(1);
    let mut request = exit_request(2, OrderKind::Limit { price: far }, Side::Buy);
    let id = orders.place(&request).await.unwrap().remove(0);
    request.kind = OrderKind::Limit {
        price: far - dec!(1),
    };
    orders.modify(&id, &request).await.unwrap();
    let price = |book: Vec<dalal::broker::OrderReport>| book[0].price;
    assert_eq!(
        price(orders.orders_tagged(&request.tag).await.unwrap()),
        far - dec!(1)
    );

    let mut url = sim.server.base_url().join("/oapi/v1/orders").unwrap();
    url.query_pairs_mut()
        .append_pair("api_key", &SkyAccount::default().api_key);
    let put = |body: serde_json::Value| {
        let url = url.clone();
        async move {
            reqwest::Client::new()
                .put(url)
                .header("User-Agent", dalal::broker::hdfcsky::USER_AGENT)
                .header("Authorization", SIM_TOKEN)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let mut documented = serde_json::json!({
        "exchange": "NSE", "instrument_token": 2885, "client_id": "SIM0001", "oms_order_id": id,
        "order_type": "LIMIT", "product": "MIS", "quantity": "5", "price": (far - dec!(2)).to_string(),
        "trigger_price": "0", "disclosed_quantity": "0", "validity": "DAY", "execution_type": "REGULAR"
    });
    assert_eq!(put(documented.clone()).await, 200, "numbers as text");
    assert_eq!(
        price(orders.orders_tagged(&request.tag).await.unwrap()),
        far - dec!(2)
    );
    documented["order_side"] = "BUY".into();
    assert_eq!(put(documented).await, 400, "a field the page does not list");
}
