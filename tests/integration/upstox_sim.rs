//! The Upstox client against the simulator over loopback: REST round trips, error classes, the V3 feed from
//! authorize to live updates, and the feed's refusals.

use std::time::{Duration, Instant};

use dalal::broker::upstox::rest_types::PlaceOrderBody;
use dalal::broker::upstox::{FeedEvent, FeedMode, FrameKind, RestSettings, UpstoxFeedSocket};
use dalal::broker::{ErrorClass, OrderState};
use dalal::domain::Side;
use rust_decimal::Decimal;

use crate::support::{SIM_TOKEN, SimHarness, ist, quiet_scenario, scenario_with};

const RELIANCE: &str = "NSE_EQ|INE002A01018";

fn order(
    key: &str,
    side: &str,
    quantity: u32,
    order_type: &str,
    price: f64,
    trigger: f64,
    tag: &str,
) -> PlaceOrderBody {
    PlaceOrderBody {
        quantity,
        product: "I".into(),
        validity: "DAY".into(),
        price,
        tag: Some(tag.into()),
        instrument_token: key.into(),
        order_type: order_type.into(),
        transaction_type: side.into(),
        disclosed_quantity: 0,
        trigger_price: trigger,
        is_amo: false,
        slice: false,
        market_protection: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ltp_for_more_than_500_keys_takes_two_calls_and_returns_every_price() {
    let mut extra = String::new();
    for i in 0..620 {
        extra.push_str(&format!(
            "[[instrument]]\nsymbol = \"IDX{i}\"\nid = \"Index {i}\"\nindex = true\nprevious_close = {}.5\ntick_size = 0.05\n",
            1000 + i
        ));
    }
    let sim = SimHarness::start(scenario_with(&extra), ist(2026, 11, 23, 9, 0, 0), 1.0).await;
    let rest = sim.rest(SIM_TOKEN);
    let keys: Vec<String> = (0..620).map(|i| format!("NSE_INDEX|Index {i}")).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let quotes = rest.ltp(&refs).await.unwrap();
    assert_eq!(quotes.len(), 620);
    for (i, key) in keys.iter().enumerate() {
        let quote = quotes
            .iter()
            .find(|q| &q.instrument_key == key)
            .expect("every key answered");
        let close: Decimal = format!("{}.5", 1000 + i).parse().unwrap();
        assert_eq!(quote.previous_close, Some(close), "{key}");
        assert_eq!(
            quote.last_price, close,
            "before the open the last price is the close"
        );
        assert_eq!(quote.symbol, format!("IDX{i}"));
    }

    // The simulator refuses 501 keys in one call, as Upstox does.
    let url = format!(
        "{}v3/market-quote/ltp?instrument_key={}",
        sim.server.base_url(),
        keys[..501].join(",")
    );
    let response = reqwest::Client::new()
        .get(url)
        .bearer_auth(SIM_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("UDAPI100043"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_is_an_auth_error_with_its_udapi_code() {
    let sim = SimHarness::start(quiet_scenario(), ist(2026, 11, 23, 10, 0, 0), 1.0).await;
    let err = sim.rest("not-the-token").profile().await.unwrap_err();
    assert_eq!(err.class, ErrorClass::Auth);
    assert_eq!(err.code.as_deref(), Some("UDAPI100050"));
    assert_eq!(err.status, Some(401));
    assert!(!err.to_string().contains("not-the-token"), "{err}");
    let rest = sim.rest(SIM_TOKEN);
    assert_eq!(rest.profile().await.unwrap().user_id, "SIM001");
    assert_eq!(rest.market_status("NSE").await.unwrap(), "NORMAL_OPEN");
    let holidays = rest.holidays().await.unwrap();
    assert!(holidays.contains(&dalal::calendar::BrokerDay {
        date: chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
        name: "Prakash Gurpurb Sri Guru Nanak Dev".to_string(),
        session: None,
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_that_expires_mid_session_turns_every_call_into_401() {
    // Real-time clock: the token is good for two more seconds.
    let sim = SimHarness::start(
        scenario_with("[[fault]]\nkind = \"token_expiry\"\nfrom = \"10:01\""),
        ist(2026, 11, 23, 10, 0, 58),
        1.0,
    )
    .await;
    let rest = sim.rest(SIM_TOKEN);
    rest.profile().await.unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(rest.profile().await.unwrap_err().class, ErrorClass::Auth);
    assert_eq!(
        rest.authorize_feed().await.unwrap_err().class,
        ErrorClass::Auth
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_classified_and_a_read_is_retried_after_backoff() {
    // Real-time clock: 429s for the first two seconds; the retrying client backs off for 2.5 s.
    let fault = "[[fault]]\nkind = \"ltp_429\"\nfrom = \"10:00\"\nuntil = \"10:00:02\"";
    let sim = SimHarness::start(scenario_with(fault), ist(2026, 11, 23, 10, 0, 0), 1.0).await;
    let no_retry = sim.rest_with(
        SIM_TOKEN,
        RestSettings {
            read_attempts: 1,
            ..RestSettings::default()
        },
    );
    let err = no_retry.ltp(&[RELIANCE]).await.unwrap_err();
    assert_eq!(err.class, ErrorClass::RateLimited);
    assert_eq!(err.code.as_deref(), Some("UDAPI10005"));

    let sim = SimHarness::start(scenario_with(fault), ist(2026, 11, 23, 10, 0, 0), 1.0).await;
    let retrying = sim.rest_with(
        SIM_TOKEN,
        RestSettings {
            read_attempts: 2,
            read_backoff: Duration::from_millis(2500),
            ..RestSettings::default()
        },
    );
    let started = Instant::now();
    let quotes = retrying.ltp(&[RELIANCE]).await.unwrap();
    assert_eq!(quotes.len(), 1);
    assert!(
        started.elapsed() >= Duration::from_millis(2500),
        "the retry waited for the backoff"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn place_then_order_book_trades_and_positions_agree() {
    // The same with a row in each list that no equity type reads: it is skipped, the others still count.
    for scenario in [
        quiet_scenario(),
        scenario_with("[[fault]]\nkind = \"odd_book_row\"\nfrom = \"09:00\""),
    ] {
        book_trades_and_positions_agree(scenario).await;
    }
}

async fn book_trades_and_positions_agree(scenario: dalal::sim::Scenario) {
    let sim = SimHarness::start(scenario, ist(2026, 11, 23, 10, 0, 0), 1.0).await;
    let rest = sim.rest(SIM_TOKEN);
    let ltp = rest.ltp(&[RELIANCE]).await.unwrap()[0].last_price;

    let ids = rest
        .place_order(&order(RELIANCE, "BUY", 10, "MARKET", 0.0, 0.0, "DL-T1"))
        .await
        .unwrap();
    assert_eq!(ids.len(), 1);
    let book = rest.order_book().await.unwrap();
    let placed = book.iter().find(|o| o.order_id == ids[0]).unwrap();
    assert_eq!(placed.state, OrderState::Complete);
    assert_eq!(placed.side, Side::Buy);
    assert_eq!(placed.filled_quantity, 10);
    assert_eq!(placed.tag.as_deref(), Some("DL-T1"));
    let fill = placed.average_price.unwrap();
    assert!(
        fill >= ltp,
        "a market buy fills at or above the last price: {fill} vs {ltp}"
    );

    let trades = rest.trades().await.unwrap();
    assert_eq!(trades.len(), 1);
    assert_eq!(
        (
            trades[0].order_id.as_str(),
            trades[0].quantity,
            trades[0].price
        ),
        (ids[0].as_str(), 10, fill)
    );

    let positions = rest.positions().await.unwrap();
    assert_eq!(positions.len(), 1);
    assert_eq!(positions[0].net_quantity, 10);
    assert_eq!(positions[0].average_price, fill);

    // Found again by its tag, as an ambiguous submit is resolved.
    let by_tag = rest.order_history_by_tag("DL-T1").await.unwrap();
    assert_eq!(by_tag.len(), 1);
    assert_eq!(by_tag[0].order_id, ids[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resting_limit_can_be_modified_and_cancelled_and_bad_orders_are_refused() {
    let sim = SimHarness::start(quiet_scenario(), ist(2026, 11, 23, 10, 0, 0), 1.0).await;
    let rest = sim.rest(SIM_TOKEN);
    let ltp: f64 = rest.ltp(&[RELIANCE]).await.unwrap()[0]
        .last_price
        .to_string()
        .parse()
        .unwrap();
    let far_below = ((ltp * 0.8) * 10.0).round() / 10.0;
    let id = rest
        .place_order(&order(RELIANCE, "BUY", 5, "LIMIT", far_below, 0.0, "DL-T2"))
        .await
        .unwrap()[0]
        .clone();
    assert_eq!(
        rest.order_details(&id).await.unwrap().state,
        OrderState::Open
    );

    let modify = dalal::broker::upstox::rest_types::ModifyOrderBody {
        order_id: id.clone(),
        order_type: "LIMIT".into(),
        price: far_below - 1.0,
        trigger_price: 0.0,
        validity: "DAY".into(),
        quantity: Some(7),
    };
    rest.modify_order(&modify).await.unwrap();
    let details = rest.order_details(&id).await.unwrap();
    assert_eq!(
        (details.quantity, details.state.clone()),
        (7, OrderState::Open)
    );

    rest.cancel_order(&id).await.unwrap();
    assert_eq!(
        rest.order_details(&id).await.unwrap().state,
        OrderState::Cancelled
    );
    let again = rest.cancel_order(&id).await.unwrap_err();
    assert_eq!(
        (again.class, again.code.as_deref()),
        (ErrorClass::Rejected, Some("UDAPI100040"))
    );

    let off_tick = rest
        .place_order(&order(RELIANCE, "BUY", 5, "LIMIT", 1500.03, 0.0, "DL-T3"))
        .await
        .unwrap_err();
    assert_eq!(off_tick.class, ErrorClass::Rejected);
    assert!(off_tick.message.contains("tick size"), "{off_tick}");
    let zero = rest
        .place_order(&order(RELIANCE, "BUY", 0, "MARKET", 0.0, 0.0, "DL-T4"))
        .await
        .unwrap_err();
    assert_eq!(zero.code.as_deref(), Some("UDAPI1052"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_outside_the_session_is_rejected_by_the_exchange() {
    let sim = SimHarness::start(quiet_scenario(), ist(2026, 11, 23, 8, 30, 0), 1.0).await;
    let rest = sim.rest(SIM_TOKEN);
    let id = rest
        .place_order(&order(RELIANCE, "BUY", 1, "MARKET", 0.0, 0.0, "DL-T5"))
        .await
        .unwrap()[0]
        .clone();
    let details = rest.order_details(&id).await.unwrap();
    assert_eq!(details.state, OrderState::Rejected);
    assert!(details.message.unwrap().contains("outside market hours"));
}

/// Reads events until `want` accepts one, failing after `limit` events.
async fn until<T>(
    socket: &mut UpstoxFeedSocket,
    limit: usize,
    mut want: impl FnMut(FeedEvent) -> Option<T>,
) -> T {
    for _ in 0..limit {
        let event = tokio::time::timeout(Duration::from_secs(10), socket.next_event())
            .await
            .expect("an event in time");
        if let Some(found) = want(event) {
            return found;
        }
    }
    panic!("no matching event in {limit} events");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorize_connect_subscribe_snapshot_then_live_updates() {
    let sim = SimHarness::start(quiet_scenario(), ist(2026, 11, 23, 10, 0, 0), 20.0).await;
    let rest = sim.rest(SIM_TOKEN);
    let url = rest.authorize_feed().await.unwrap();
    let mut socket = UpstoxFeedSocket::connect(&url).await.unwrap();

    let FeedEvent::Frame(first) = socket.next_event().await else {
        panic!("the first event is a frame");
    };
    assert_eq!(first.kind, FrameKind::MarketInfo);
    assert!(first.ticks.is_empty());

    let keys = [RELIANCE, "NSE_EQ|INE009A01021", "NSE_INDEX|Nifty 50"];
    socket.subscribe(FeedMode::Full, &keys).await.unwrap();
    let snapshot = until(&mut socket, 5, |e| match e {
        FeedEvent::Frame(f) if f.kind == FrameKind::InitialFeed => Some(f),
        _ => None,
    })
    .await;
    let got: Vec<&str> = snapshot
        .ticks
        .iter()
        .map(|t| t.instrument_key.as_str())
        .collect();
    assert_eq!(
        got,
        [
            "NSE_EQ|INE002A01018",
            "NSE_EQ|INE009A01021",
            "NSE_INDEX|Nifty 50"
        ]
    );
    let reliance = &snapshot.ticks[0];
    assert_eq!(reliance.cp, Some("1543.2".parse().unwrap()));
    assert!(reliance.ltt_ms > 0 && reliance.ltq > 0);

    let live = until(&mut socket, 50, |e| match e {
        FeedEvent::Frame(f) if f.kind == FrameKind::LiveFeed && !f.ticks.is_empty() => Some(f),
        _ => None,
    })
    .await;
    assert!(
        live.ticks
            .iter()
            .all(|t| keys.contains(&t.instrument_key.as_str()))
    );
    assert!(live.current_ts_ms > snapshot.current_ts_ms);

    // Changing the mode answers with a fresh snapshot of those instruments.
    socket
        .change_mode(FeedMode::Ltpc, &keys[..1])
        .await
        .unwrap();
    let changed = until(&mut socket, 50, |e| match e {
        FeedEvent::Frame(f) if f.kind == FrameKind::InitialFeed => Some(f),
        _ => None,
    })
    .await;
    assert_eq!(changed.ticks.len(), 1);
    assert_eq!(changed.ticks[0].instrument_key, RELIANCE);

    socket.unsubscribe(&keys).await.unwrap();
    socket.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_one_time_url_is_refused_with_403() {
    let sim = SimHarness::start(quiet_scenario(), ist(2026, 11, 23, 10, 0, 0), 1.0).await;
    let url = sim.rest(SIM_TOKEN).authorize_feed().await.unwrap();
    let first = UpstoxFeedSocket::connect(&url).await.unwrap();
    first.close().await;
    let err = UpstoxFeedSocket::connect(&url)
        .await
        .err()
        .expect("a second use is refused");
    assert_eq!((err.class, err.status), (ErrorClass::Forbidden, Some(403)));
    assert!(err.message.contains("reused one-time URL"), "{err}");
    assert!(
        !err.to_string().contains("code="),
        "the one-time URL never appears in an error: {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_beyond_the_limit_and_a_scripted_episode_are_refused_with_403() {
    let sim = SimHarness::start(
        scenario_with("[[fault]]\nkind = \"handshake_403\"\nfrom = \"11:00\"\nattempts = 1"),
        ist(2026, 11, 23, 10, 59, 59),
        1.0,
    )
    .await;
    let rest = sim.rest(SIM_TOKEN);
    let a = UpstoxFeedSocket::connect(&rest.authorize_feed().await.unwrap())
        .await
        .unwrap();
    let b = UpstoxFeedSocket::connect(&rest.authorize_feed().await.unwrap())
        .await
        .unwrap();
    let third = UpstoxFeedSocket::connect(&rest.authorize_feed().await.unwrap())
        .await
        .err()
        .unwrap();
    assert_eq!(
        third.class,
        ErrorClass::Forbidden,
        "two connections is the limit"
    );
    a.close().await;
    b.close().await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let episode = UpstoxFeedSocket::connect(&rest.authorize_feed().await.unwrap())
        .await
        .err()
        .unwrap();
    assert_eq!(
        episode.class,
        ErrorClass::Forbidden,
        "the scripted 403 at 11:00"
    );
    let after = UpstoxFeedSocket::connect(&rest.authorize_feed().await.unwrap()).await;
    assert!(after.is_ok(), "the episode refused one attempt only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_path_answers_with_a_redirect_to_a_fresh_one_time_url() {
    let sim = SimHarness::start(quiet_scenario(), ist(2026, 11, 23, 10, 0, 0), 1.0).await;
    let direct = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = direct
        .get(format!("{}v3/feed/market-data-feed", sim.server.base_url()))
        .bearer_auth(SIM_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 307);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(&format!(
        "ws://{}/market-data-feeder/v3/",
        sim.server.addr()
    )));
    // The redirect target is itself a fresh one-time URL.
    let socket = UpstoxFeedSocket::connect(&location.parse().unwrap())
        .await
        .unwrap();
    socket.close().await;

    // tokio-tungstenite does not follow it: the reason dalal always authorizes first.
    use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};
    let mut request = format!("ws://{}/v3/feed/market-data-feed", sim.server.addr())
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Authorization",
        format!("Bearer {SIM_TOKEN}").parse().unwrap(),
    );
    match tokio_tungstenite::connect_async(request).await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 307),
        other => panic!(
            "expected the unfollowed redirect, got {:?}",
            other.map(|_| ())
        ),
    }
    // Without the token the same path is a 401.
    let url = format!("ws://{}/v3/feed/market-data-feed", sim.server.addr())
        .parse()
        .unwrap();
    let err = UpstoxFeedSocket::connect(&url).await.err().unwrap();
    assert_eq!(
        (err.class, err.status),
        (ErrorClass::Auth, Some(401)),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_frame_is_reported_and_the_connection_keeps_delivering() {
    let sim = SimHarness::start(
        scenario_with("[[fault]]\nkind = \"bad_frame\"\nfrom = \"10:00\"\nuntil = \"10:30\""),
        ist(2026, 11, 23, 10, 0, 0),
        20.0,
    )
    .await;
    let mut socket =
        UpstoxFeedSocket::connect(&sim.rest(SIM_TOKEN).authorize_feed().await.unwrap())
            .await
            .unwrap();
    socket.subscribe(FeedMode::Ltpc, &[RELIANCE]).await.unwrap();
    let mut bad = 0;
    let mut live_after_bad = 0;
    for _ in 0..200 {
        match tokio::time::timeout(Duration::from_secs(10), socket.next_event())
            .await
            .unwrap()
        {
            FeedEvent::BadFrame(e) => {
                assert!(e.to_string().contains("not a Market Data Feed V3 frame"));
                bad += 1;
            }
            FeedEvent::Frame(f) if bad > 0 && f.kind == FrameKind::LiveFeed => live_after_bad += 1,
            FeedEvent::Closed(reason) => panic!("the connection must survive bad frames: {reason}"),
            _ => {}
        }
        if bad >= 2 && live_after_bad >= 2 {
            return;
        }
    }
    panic!("saw {bad} bad frames and {live_after_bad} live frames after them");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scripted_drop_closes_the_connection_without_a_close_frame() {
    let sim = SimHarness::start(
        scenario_with("[[fault]]\nkind = \"drop\"\nfrom = \"10:00:20\""),
        ist(2026, 11, 23, 10, 0, 0),
        10.0,
    )
    .await;
    let mut socket =
        UpstoxFeedSocket::connect(&sim.rest(SIM_TOKEN).authorize_feed().await.unwrap())
            .await
            .unwrap();
    socket.subscribe(FeedMode::Ltpc, &[RELIANCE]).await.unwrap();
    let reason = until(&mut socket, 500, |e| match e {
        FeedEvent::Closed(reason) => Some(reason),
        _ => None,
    })
    .await;
    assert!(
        !reason.contains("closed by the server"),
        "a drop has no close frame: {reason}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_orders_wait_for_their_trigger() {
    let sim = SimHarness::start(quiet_scenario(), ist(2026, 11, 23, 10, 0, 0), 1.0).await;
    let rest = sim.rest(SIM_TOKEN);
    let ltp: f64 = rest.ltp(&[RELIANCE]).await.unwrap()[0]
        .last_price
        .to_string()
        .parse()
        .unwrap();
    let far_above = ((ltp * 1.2) * 10.0).round() / 10.0;
    let below = ((ltp * 0.9) * 10.0).round() / 10.0;
    let waiting = rest
        .place_order(&order(RELIANCE, "BUY", 2, "SL-M", 0.0, far_above, "DL-S1"))
        .await
        .unwrap();
    let triggered = rest
        .place_order(&order(RELIANCE, "BUY", 2, "SL-M", 0.0, below, "DL-S2"))
        .await
        .unwrap();
    assert_eq!(
        rest.order_details(&waiting[0]).await.unwrap().state,
        OrderState::TriggerPending
    );
    assert_eq!(
        rest.order_details(&triggered[0]).await.unwrap().state,
        OrderState::Complete
    );
    let history = rest.order_history(&triggered[0]).await.unwrap();
    assert_eq!(history[0].order_type, "SL-M");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_5xx_is_transient_and_places_nothing() {
    let sim = SimHarness::start(
        scenario_with("[[fault]]\nkind = \"order_5xx\"\nfrom = \"10:00\""),
        ist(2026, 11, 23, 10, 0, 0),
        1.0,
    )
    .await;
    let rest = sim.rest(SIM_TOKEN);
    let err = rest
        .place_order(&order(RELIANCE, "BUY", 1, "MARKET", 0.0, 0.0, "DL-X1"))
        .await
        .unwrap_err();
    assert_eq!((err.class, err.status), (ErrorClass::Transient, Some(500)));
    assert!(rest.order_book().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_acknowledgement_times_out_but_the_order_is_found_by_its_tag() {
    let sim = SimHarness::start(
        scenario_with("[[fault]]\nkind = \"ack_delay\"\nfrom = \"10:00\"\ndelay_ms = 20000"),
        ist(2026, 11, 23, 10, 0, 0),
        1.0,
    )
    .await;
    let impatient = sim.rest_with(
        SIM_TOKEN,
        RestSettings {
            timeout: Duration::from_millis(400),
            ..RestSettings::default()
        },
    );
    let err = impatient
        .place_order(&order(RELIANCE, "BUY", 4, "MARKET", 0.0, 0.0, "DL-AMB1"))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Transient);
    assert!(err.message.contains("timed out"), "{err}");
    let found = impatient.order_history_by_tag("DL-AMB1").await.unwrap();
    assert_eq!(
        found.len(),
        1,
        "the order exists although its acknowledgement never came"
    );
    assert_eq!(found[0].filled_quantity, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_window_sends_nothing_then_the_feed_resumes() {
    let sim = SimHarness::start(
        scenario_with("[[fault]]\nkind = \"silence\"\nfrom = \"10:00:10\"\nuntil = \"10:00:30\""),
        ist(2026, 11, 23, 10, 0, 0),
        10.0,
    )
    .await;
    let mut socket =
        UpstoxFeedSocket::connect(&sim.rest(SIM_TOKEN).authorize_feed().await.unwrap())
            .await
            .unwrap();
    socket
        .subscribe(FeedMode::Ltpc, &[RELIANCE, "NSE_EQ|INE009A01021"])
        .await
        .unwrap();
    let silent_from = ist(2026, 11, 23, 10, 0, 11).timestamp_millis();
    let silent_until = ist(2026, 11, 23, 10, 0, 30).timestamp_millis();
    let mut after = 0;
    while after < 3 {
        let event = tokio::time::timeout(Duration::from_secs(10), socket.next_event())
            .await
            .unwrap();
        if let FeedEvent::Frame(f) = event {
            assert!(
                !(silent_from..silent_until).contains(&f.current_ts_ms),
                "a frame at {} inside the silent window",
                f.current_ts_ms
            );
            if f.current_ts_ms >= silent_until {
                after += 1;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_calls_carry_the_algo_name_and_a_wrong_one_is_refused_with_its_fix() {
    let sim = SimHarness::start(quiet_scenario(), ist(2026, 11, 23, 10, 0, 0), 1.0).await;
    let limit = |tag: &str| order(RELIANCE, "BUY", 1, "LIMIT", 1000.0, 0.0, tag);
    let registered = sim
        .rest(SIM_TOKEN)
        .with_algo_name(Some("dalal-sim-algo".into()));
    let id = registered.place_order(&limit("DL-A1")).await.unwrap();
    registered.cancel_order(&id[0]).await.unwrap();

    let wrong = sim
        .rest(SIM_TOKEN)
        .with_algo_name(Some("not-registered".into()));
    let err = wrong.place_order(&limit("DL-A2")).await.unwrap_err();
    assert_eq!(err.code.as_deref(), Some("UDAPI1156"), "{err}");
    let said = err.to_string();
    assert!(said.contains("set algo_name in dalal.toml"), "{said}");
    let tags: Vec<_> = registered
        .order_book()
        .await
        .unwrap()
        .into_iter()
        .filter_map(|o| o.tag)
        .collect();
    assert_eq!(tags, ["DL-A1"], "the refused order was not placed");
}
