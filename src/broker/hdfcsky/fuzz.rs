//! Fuzz targets for everything dalal reads from HDFC Sky: feed packets (`GenericDTOList` or a bare `GenericDTO`)
//! through the quote book as the socket applies them, the feed's text frames, every REST answer the client reads
//! (through the same `read_answer`, row reading and conversions, chart candles and funds included), the login
//! steps' answers and the token's claims, and the security master's ZIP and CSV. See `crate::fuzz_input` for how
//! inputs are made and counted.

use proptest::prelude::*;
use prost::Message;
use serde::de::DeserializeOwned;

use super::access_token::TokenClaims;
use super::chart_candles::candle_rows;
use super::feed_decode::{QuoteBook, decode_packets};
use super::feed_proto::{
    GenericDto, GenericDtoList, MarketDepthDto, MarketDepthDtoList, MbpData, PacketType,
};
use super::feed_socket::on_text;
use super::funds::read_funds;
use super::login::login_answer;
use super::rest_client::{RawList, ltp_quotes, read_answer};
use super::rest_types::{
    AccessTokenData, FundsView, LoginProgress, LoginStart, LtpResponse, OrderIdData, PositionRow,
    RequestTokenData, TradingInfo,
};
use super::scrip::ScripId;
use super::security_master::{parse_csv, parse_zip};
use super::wire_convert::{order_report, position_report, trade_report};
use crate::broker::{BrokerError, RowSkips, readable_rows};
use crate::config::Secret;
use crate::fuzz_input::{answer_body, damaged, damaged_text, status};

/// Field names of HDFC Sky's answers (snake and camel case), for the JSON trees.
const KEYS: &[&str] = &[
    "accessToken",
    "access_token",
    "amo",
    "authorised",
    "averageBuyPrice",
    "averagePrice",
    "averageSellPrice",
    "average_buy_price",
    "average_price",
    "average_sell_price",
    "buy_amount",
    "buyQuantity",
    "buy_quantity",
    "callbackUrl",
    "candles",
    "callback_url",
    "clientId",
    "client_id",
    "data",
    "device",
    "disclosedQuantity",
    "disclosed_quantity",
    "errorCode",
    "error_code",
    "exchange",
    "exchange_time",
    "exchangesSubscribed",
    "exchanges_subscribed",
    "executionType",
    "execution_type",
    "filledQuantity",
    "filled_quantity",
    "headers",
    "instrumentToken",
    "instrument_token",
    "loginId",
    "login_id",
    "ltp",
    "message",
    "meta",
    "multiplier",
    "name",
    "net_amount",
    "netQuantity",
    "net_quantity",
    "omsOrderId",
    "oms_order_id",
    "orderEntryTime",
    "orderSide",
    "orderStatus",
    "orderType",
    "order_entry_time",
    "order_side",
    "order_status",
    "order_type",
    "prevClose",
    "prev_close",
    "previous_close",
    "price",
    "prod_type",
    "product",
    "productsEnabled",
    "products_enabled",
    "quantity",
    "question",
    "questions",
    "realizedMtm",
    "realized_mtm",
    "rejectionReason",
    "rejection_reason",
    "remainingQuantity",
    "remaining_quantity",
    "requestToken",
    "request_token",
    "segment",
    "sell_amount",
    "sellQuantity",
    "sell_quantity",
    "status",
    "symbol",
    "token",
    "tokenId",
    "token_id",
    "tradeNumber",
    "tradePrice",
    "tradeQuantity",
    "tradeTime",
    "trade_number",
    "trade_price",
    "trade_quantity",
    "trade_time",
    "tradingSymbol",
    "trading_symbol",
    "triggerPrice",
    "trigger_price",
    "twoFaEnabled",
    "two_fa_enabled",
    "twofa",
    "unrealized_mtm",
    "userOrderId",
    "user_order_id",
    "validity",
    "values",
];

const SAMPLES: &[&str] = &[
    r#"{"status":"success","data":[{"exchange":"NSE","token":2885,"ltp":1550.5,"prevClose":1540.0}]}"#,
    r#"{"status":"success","data":{"orders":[{"oms_order_id":"O1","exchange":"NSE","instrument_token":"2885","trading_symbol":"RELIANCE-EQ","order_side":"BUY","order_type":"LIMIT","product":"MIS","quantity":5,"filled_quantity":5,"remaining_quantity":0,"price":1550.5,"trigger_price":0,"average_price":1550.0,"order_status":"COMPLETE","order_entry_time":1700000000,"user_order_id":"dalal1","rejection_reason":""}]}}"#,
    r#"{"status":"success","data":{"trades":[{"oms_order_id":"O1","trade_number":"T1","exchange":"NSE","instrument_token":"2885","order_side":"SELL","trade_quantity":5,"trade_price":1560.0,"trade_time":1700000100}]}}"#,
    r#"{"status":"success","data":[{"exchange":"NSE","token":"2885","trading_symbol":"RELIANCE-EQ","product":"MIS","net_quantity":-5,"buy_quantity":0,"sell_quantity":5,"average_buy_price":0,"average_sell_price":1560,"realized_mtm":0,"ltp":1555}]}"#,
    r#"{"status":"error","message":"Invalid session","error_code":"40001","data":null}"#,
    r#"{"token_id":"abc","data":{"request_token":"rt","callback_url":"http://x","authorised":true}}"#,
    r#"{"status":"success","data":{"candles":[[1550.5,1552,1549,1551,1200,0,"01-12-2026 09:15",1200],[1540,1560,1530,1555,9000,0,"30-11-2026",9000]]}}"#,
    r#"{"status":"success","data":{"client_id":"C1","name":"A","exchanges_subscribed":["NSE"],"products_enabled":["MIS"],"status":"Activated"}}"#,
    r#"{"status":"success","data":{"client_id":"C1","headers":["Description","all"],"realized_mtm":"0.00","unrealized_mtm":-1.5,"values":[["Available Margin","1,00,000.00"],["Margin Used",19.34],{"0":"Opening Balance","1":"1781.24"}]}}"#,
];

fn body() -> impl Strategy<Value = Vec<u8>> {
    answer_body(SAMPLES, KEYS)
}

fn answer<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<T, BrokerError> {
    let envelope: super::rest_types::Envelope<serde_json::Value> =
        read_answer(status, body, "/answer")?;
    serde_json::from_value(envelope.data).map_err(|e| {
        BrokerError::new(
            crate::broker::ErrorClass::Malformed,
            "/answer",
            e.to_string(),
        )
    })
}

fn read_every_answer(status: u16, body: &[u8]) {
    let skips = RowSkips::default();
    let _ = answer::<TradingInfo>(status, body);
    let _ = read_answer::<LtpResponse>(status, body, "/fetch-ltp").and_then(ltp_quotes);
    if let Ok(value) = read_answer::<serde_json::Value>(status, body, "/fetch-candle") {
        let _ = candle_rows(value, &skips);
    }
    let _ = answer::<OrderIdData>(status, body);
    if let Ok(list) = answer::<RawList>(status, body) {
        let orders = readable_rows(list.orders, "/orders", &skips, |row| {
            order_report(row, None)
        });
        let trades = readable_rows(list.trades, "/trades", &skips, trade_report);
        let _ = (orders, trades);
    }
    if let Ok(view) = answer::<FundsView>(status, body) {
        let _ = read_funds(view);
    }
    if let Ok(raw) = answer::<Vec<serde_json::Value>>(status, body) {
        let _ = readable_rows::<PositionRow, _>(raw, "/positions", &skips, position_report);
    }
    if let Ok(value) = read_answer::<serde_json::Value>(status, body, "/login") {
        let _ = login_answer::<LoginStart>(value.clone(), "/login");
        let _ = login_answer::<LoginProgress>(value.clone(), "/login");
        let _ = login_answer::<RequestTokenData>(value.clone(), "/login");
        let _ = login_answer::<AccessTokenData>(value, "/login");
    }
}

fn packet_samples() -> Vec<Vec<u8>> {
    let priced = GenericDto {
        instrument_id: 2885,
        packet_type: PacketType::NseCmAll as i32,
        mbp_data: Some(MbpData {
            last_traded_price: 1550.5,
            last_trade_time: 1_700_000_000,
            ..MbpData::default()
        }),
        ..GenericDto::default()
    };
    // A cash equity's full quote: the price with its depth and the day's figures in one packet.
    let level = |price: f64, buy_flag: bool| MarketDepthDto {
        quantity: 100,
        price,
        number_of_orders: 1,
        buy_flag,
    };
    let full = GenericDto {
        mbp_data: Some(MbpData {
            average_trade_price: 1549.8,
            market_depth_dto_list: Some(MarketDepthDtoList {
                market_depth_dto: vec![level(1550.4, true), level(1550.6, false)],
            }),
            total_buy_quantity: 5000,
            total_sell_quantity: 3000,
            lower_circuit_limit: 1234.6,
            upper_circuit_limit: 1851.8,
            net_change_indicator: "+".into(),
            net_price_change_from_closing_price: 730,
            ..priced.mbp_data.clone().unwrap_or_default()
        }),
        ..priced.clone()
    };
    let list = GenericDtoList {
        generic_dto_list: vec![priced.clone(), full.clone()],
    };
    vec![
        list.encode_to_vec(),
        priced.encode_to_vec(),
        full.encode_to_vec(),
    ]
}

#[test]
fn the_undamaged_samples_read_so_damage_starts_from_valid_input() {
    assert!(packet_samples().iter().all(|p| decode_packets(p).is_ok()));
    let quotes =
        read_answer::<LtpResponse>(200, SAMPLES[0].as_bytes(), "/ltp").and_then(ltp_quotes);
    assert_eq!(quotes.map(|q| q.len()).ok(), Some(1));
    let chart: serde_json::Value = serde_json::from_str(SAMPLES[6]).unwrap();
    assert_eq!(candle_rows(chart, &RowSkips::default()).len(), 2);
    let (instruments, skipped) = parse_zip(&master_zip()).expect("the sample master");
    assert_eq!((instruments.len(), skipped), (2, 0));
}

proptest! {
    #[test]
    fn fuzz_hdfcsky_feed_packets(bytes in damaged(packet_samples())) {
        let mut book = QuoteBook::default();
        let scrip: ScripId = "NSE_2885".parse().expect("a scrip");
        book.want(std::slice::from_ref(&scrip));
        if let Ok(packets) = decode_packets(&bytes) {
            for packet in &packets {
                book.apply(packet);
            }
            let _ = book.price_update(&scrip);
        }
    }

    #[test]
    fn fuzz_hdfcsky_feed_text(text in damaged_text(&[
        r#"{"status":"error","message":"invalid token"}"#,
        r#"{"status":"success","message":"subscribed"}"#,
    ])) {
        let _ = on_text(&text);
    }

    #[test]
    fn fuzz_hdfcsky_rest_answers(status in status(), body in body()) {
        read_every_answer(status, &body);
    }

    #[test]
    fn fuzz_hdfcsky_token_claims(token in damaged_text(&[
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJDMSIsImV4cCI6MTcwMDAwMDAwMH0.c2ln",
    ])) {
        let _ = TokenClaims::read(&Secret::new(token));
    }

    #[test]
    fn fuzz_hdfcsky_security_master_csv(csv in damaged(vec![MASTER_CSV.as_bytes().to_vec()])) {
        let _ = parse_csv(&csv);
    }

    #[test]
    fn fuzz_hdfcsky_security_master_zip(zip in damaged(vec![master_zip()])) {
        let _ = parse_zip(&zip);
    }
}

const MASTER_CSV: &str = "exchange_token,trading_symbol,tick_size,lot_size,segment,exchange,isin\n\
                          2885,RELIANCE-EQ,0.10,1,CASH,NSE,INE002A01018\n\
                          26000,NIFTY 50,0.05,1,INDEX,NSE,\n";

fn master_zip() -> Vec<u8> {
    use std::io::Write;
    let mut zipped = std::io::Cursor::new(Vec::new());
    {
        let mut writer = zip::ZipWriter::new(&mut zipped);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        writer
            .start_file(super::security_master::CSV_NAME, options)
            .expect("a zip entry");
        writer.write_all(MASTER_CSV.as_bytes()).expect("written");
        writer.finish().expect("finished");
    }
    zipped.into_inner()
}
