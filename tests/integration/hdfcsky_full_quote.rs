//! A cash equity's `ALL` subscription on the simulator's HDFC Sky feed, read off the socket packet by packet: the
//! price rides in one MBP packet with five levels of depth, the average trade price, total buy and sell
//! quantities, circuit limits and the net change, all plausible for the price; and dalal's decoder takes that
//! one packet as a priced quote with its depth.

use std::time::Duration;

use dalal::broker::hdfcsky::feed_proto::{GenericDto, MbpData, PacketType};
use dalal::broker::hdfcsky::{Applied, QuoteBook, ScripId, decode_packets, session_url};
use dalal::config::Secret;
use dalal::domain::{TickSize, decimal_from_wire};
use dalal::sim::SkyAccount;
use futures_util::{SinkExt, StreamExt};
use rust_decimal::{Decimal, dec};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{SIM_TOKEN, SimHarness, ist, quiet_scenario};

/// RELIANCE's tick in the built-in scenario.
const TICK: Decimal = dec!(0.1);

/// The first binary frame's packets for `token` after subscribing it with `ALL`.
async fn first_packets(sim: &SimHarness, token: i64) -> Vec<GenericDto> {
    let key = Secret::new(SkyAccount::default().api_key);
    let url = session_url(&sim.server.base_url(), &Secret::new(SIM_TOKEN), &key).unwrap();
    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap();
    let subscribe =
        serde_json::json!({"subscribe": [{"scripId": format!("NSE_{token}"), "type": "ALL"}]});
    ws.send(Message::Text(subscribe.to_string().into()))
        .await
        .unwrap();
    for _ in 0..20 {
        let message = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a frame")
            .unwrap()
            .unwrap();
        let Message::Binary(bytes) = message else {
            continue;
        };
        let packets: Vec<GenericDto> = decode_packets(&bytes)
            .unwrap()
            .into_iter()
            .filter(|p| p.instrument_id == token)
            .collect();
        if !packets.is_empty() {
            return packets;
        }
    }
    panic!("no packet for {token}");
}

fn price(value: f64) -> Decimal {
    decimal_from_wire(value).unwrap()
}

fn assert_plausible(mbp: &MbpData) {
    let tick = TickSize::new(TICK).unwrap();
    let on_grid = |value: f64| tick.is_on_grid(price(value));
    let ltp = price(mbp.last_traded_price);
    let levels = &mbp
        .market_depth_dto_list
        .as_ref()
        .expect("depth")
        .market_depth_dto;
    let (bids, asks): (Vec<_>, Vec<_>) = levels.iter().partition(|l| l.buy_flag);
    assert_eq!((bids.len(), asks.len()), (5, 5), "five levels a side");
    for side in [&bids, &asks] {
        assert!(
            side.iter()
                .all(|l| on_grid(l.price) && l.quantity > 0 && l.number_of_orders > 0)
        );
    }
    assert!(
        price(bids[0].price) < ltp && ltp < price(asks[0].price),
        "the book brackets {ltp}"
    );
    assert!(
        bids.windows(2).all(|w| w[1].price < w[0].price),
        "bids best first"
    );
    assert!(
        asks.windows(2).all(|w| w[1].price > w[0].price),
        "asks best first"
    );

    let atp = price(mbp.average_trade_price);
    assert!(on_grid(mbp.average_trade_price), "{atp}");
    assert!(
        price(mbp.low_price) <= atp && atp <= price(mbp.high_price),
        "{atp}"
    );
    assert!(mbp.total_buy_quantity > 0 && mbp.total_sell_quantity > 0);
    assert!(mbp.total_buy_quantity <= mbp.volume_traded_today);

    let (lower, upper) = (
        price(mbp.lower_circuit_limit),
        price(mbp.upper_circuit_limit),
    );
    assert!(on_grid(mbp.lower_circuit_limit) && on_grid(mbp.upper_circuit_limit));
    assert!(lower < ltp && ltp < upper, "{lower} < {ltp} < {upper}");
    let close = price(mbp.closing_price);
    assert!(
        (upper - close - (close - lower)).abs() <= TICK,
        "centred on the close"
    );

    let change = ltp - close;
    let sign = match change {
        c if c > Decimal::ZERO => "+",
        c if c < Decimal::ZERO => "-",
        _ => "",
    };
    assert_eq!(mbp.net_change_indicator, sign);
    let paise = Decimal::from(mbp.net_price_change_from_closing_price);
    assert_eq!(
        paise,
        change.abs() * Decimal::ONE_HUNDRED,
        "net change in paise"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cash_all_packet_carries_price_and_depth_together_and_dalal_reads_it_as_one_quote() {
    let sim = SimHarness::start(quiet_scenario(), ist(2026, 11, 23, 10, 0, 0), 1.0).await;
    let packets = first_packets(&sim, 2885).await;
    let [packet] = packets.as_slice() else {
        panic!("one packet for the instrument, not a price and a depth packet: {packets:?}");
    };
    assert_eq!(packet.packet_type, PacketType::NseCmAll as i32);
    let mbp = packet.mbp_data.as_ref().expect("MBP data");
    assert!(mbp.last_traded_price > 0.0);
    assert_plausible(mbp);

    let scrip: ScripId = "NSE_2885".parse().unwrap();
    let mut book = QuoteBook::default();
    book.want(&[scrip]);
    assert_eq!(book.apply(packet), Applied::Priced(scrip));
    let quote = book.get(&scrip).unwrap();
    assert_eq!((quote.bids.len(), quote.asks.len()), (5, 5));
    assert_eq!(quote.ltp, mbp.last_traded_price);
    let update = book.price_update(&scrip).expect("a price");
    assert_eq!(update.last_price, price(mbp.last_traded_price));
    assert_eq!(update.previous_close, Some(price(mbp.closing_price)));
}
