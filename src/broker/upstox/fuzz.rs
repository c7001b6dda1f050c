//! Fuzz targets for everything dalal reads from Upstox: V3 feed frames, every REST answer the client reads
//! (through the same `read_answer`, row reading and conversions as the client), and the login's token answer
//! and redirect. See `crate::fuzz_input` for how inputs are made and counted.

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use serde::de::DeserializeOwned;

use super::feed_frame::FeedFrame;
use super::instrument_master::read_master;
use super::login::{code_from_redirect, read_token_answer};
use super::order_update_frame::read_order_update;
use super::rest_client::{ltp_quotes, read_answer};
use super::rest_types::{
    AuthorizeData, CandleData, HolidayData, LtpData, MarketStatusData, OrderData, OrderIdData,
    OrderIdsData, PositionData, ProfileData, TradeData,
};
use super::wire_convert::{candle, order_report, position_report, trade_report};
use crate::broker::{BrokerError, RowSkips, readable_rows};
use crate::fuzz_input::{answer_body, damaged, status};

/// Field names of Upstox's answers, for the JSON trees.
const KEYS: &[&str] = &[
    "access_token",
    "authorizedRedirectUri",
    "authorized_redirect_uri",
    "authorized_redirect_uri_camel",
    "average_price",
    "broker",
    "closed_exchanges",
    "cp",
    "data",
    "date",
    "day_buy_price",
    "day_buy_quantity",
    "day_sell_price",
    "day_sell_quantity",
    "description",
    "disclosed_quantity",
    "email",
    "end_time",
    "errorCode",
    "error_code",
    "error_code_camel",
    "errors",
    "exchange",
    "exchange_timestamp",
    "exchanges",
    "filled_quantity",
    "freeze_quantity",
    "holiday_type",
    "instrument_key",
    "instrument_token",
    "invalidValue",
    "invalid_value",
    "invalid_value_camel",
    "is_active",
    "is_amo",
    "isin",
    "last_price",
    "last_updated",
    "latency",
    "lot_size",
    "ltq",
    "market_protection",
    "message",
    "metadata",
    "open_exchanges",
    "order_id",
    "order_ids",
    "order_timestamp",
    "order_type",
    "order_types",
    "pending_quantity",
    "pnl",
    "price",
    "product",
    "products",
    "profile",
    "propertyPath",
    "property_path",
    "property_path_camel",
    "quantity",
    "realised",
    "segment",
    "slice",
    "start_time",
    "status",
    "status_message",
    "tag",
    "tick_size",
    "trade_id",
    "trading_symbol",
    "transaction_type",
    "trigger_price",
    "unrealised",
    "update_type",
    "user_id",
    "user_name",
    "validity",
    "variety",
    "volume",
];

const SAMPLES: &[&str] = &[
    r#"{"status":"success","data":{"NSE_EQ:RELIANCE":{"last_price":1016.05,"instrument_token":"NSE_EQ|INE002A01018","ltq":5,"volume":100,"cp":1000.0}}}"#,
    r#"{"status":"success","data":[{"exchange":"NSE","product":"I","price":1016.1,"quantity":5,"status":"complete","tag":"dalal-261123-RELI-E1","instrument_token":"NSE_EQ|INE002A01018","trading_symbol":"RELIANCE","order_type":"LIMIT","validity":"DAY","trigger_price":0,"transaction_type":"BUY","average_price":1016.0,"filled_quantity":5,"pending_quantity":0,"order_id":"231123000001","order_timestamp":"2026-11-23 10:15:00","status_message":null}]}"#,
    r#"{"status":"success","data":[{"exchange":"NSE","product":"I","trading_symbol":"RELIANCE","instrument_token":"NSE_EQ|INE002A01018","order_id":"1","transaction_type":"SELL","quantity":5,"average_price":1020.5,"trade_id":"T1","order_timestamp":"2026-11-23 10:20:00","exchange_timestamp":"2026-11-23 10:20:00","tag":"x"}]}"#,
    r#"{"status":"success","data":[{"exchange":"NSE","product":"I","quantity":-5,"instrument_token":"NSE_EQ|INE002A01018","trading_symbol":"RELIANCE","average_price":1016.0,"last_price":1020.0,"pnl":20.0,"realised":0,"unrealised":20.0,"day_buy_quantity":0,"day_sell_quantity":5,"day_buy_price":0,"day_sell_price":1016}]}"#,
    r#"{"status":"error","errors":[{"errorCode":"UDAPI100050","message":"Invalid token used to access API","propertyPath":null,"invalidValue":null}]}"#,
    r#"{"status":"success","data":[{"date":"2026-11-24","description":"Guru Nanak Jayanti","holiday_type":"TRADING_HOLIDAY","closed_exchanges":["NSE","BSE"],"open_exchanges":[{"exchange":"MCX","start_time":1700000000000,"end_time":1700010000000}]}]}"#,
    r#"{"status":"success","data":{"candles":[["2026-11-23T09:16:00+05:30",1016.05,1017.5,1015.0,1017.0,1200,0],["2026-11-23T09:15:00+05:30",1012.0,1016.1,1011.5,1016.05,3400,0]]}}"#,
    r#"{"email":"a@b.c","exchanges":["NSE"],"products":["I"],"broker":"UPSTOX","user_id":"AB1234","user_name":"A B","order_types":["LIMIT"],"user_type":"individual","poa":false,"is_active":true,"access_token":"eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3MDAwMDAwMDB9.c2ln"}"#,
    r#"{"update_type":"order","user_id":"AB1234","exchange":"NSE","instrument_token":"NSE_EQ|INE002A01018","instrument_key":"NSE_EQ|INE002A01018","trading_symbol":"RELIANCE","product":"I","order_type":"LIMIT","transaction_type":"BUY","average_price":1016.05,"price":1016.1,"trigger_price":0,"quantity":5,"pending_quantity":0,"validity":"DAY","status":"complete","tag":"dalal-261202-RELI-E1","order_id":"261202000001","filled_quantity":5}"#,
    r#"[{"segment":"NSE_EQ","exchange":"NSE","isin":"INE002A01018","instrument_type":"EQ","instrument_key":"NSE_EQ|INE002A01018","lot_size":1,"freeze_quantity":100000.0,"tick_size":10.0,"trading_symbol":"RELIANCE"}]"#,
];

fn body() -> impl Strategy<Value = Vec<u8>> {
    answer_body(SAMPLES, KEYS)
}

fn rows<T: DeserializeOwned, R>(
    status: u16,
    body: &[u8],
    convert: impl Fn(T) -> Result<R, BrokerError>,
) -> Result<Vec<R>, BrokerError> {
    let raw: Vec<serde_json::Value> = read_answer(status, body, "/rows")?;
    Ok(readable_rows(raw, "/rows", &RowSkips::default(), convert))
}

/// Every reading of a REST answer the client does.
fn read_every_answer(status: u16, body: &[u8]) {
    let _ = read_answer::<ProfileData>(status, body, "/profile");
    let _ = read_answer::<LtpData>(status, body, "/ltp").and_then(ltp_quotes);
    let _ = read_answer::<MarketStatusData>(status, body, "/status");
    let _ = read_answer::<AuthorizeData>(status, body, "/authorize")
        .map(|a| a.authorized_redirect_uri.map(|u| url::Url::parse(&u)));
    let _ = read_answer::<OrderIdsData>(status, body, "/place");
    let _ = read_answer::<OrderIdData>(status, body, "/modify");
    let _ = read_answer::<OrderData>(status, body, "/details").and_then(order_report);
    let _ = rows::<OrderData, _>(status, body, order_report);
    let _ = rows::<TradeData, _>(status, body, trade_report);
    let _ = rows::<PositionData, _>(status, body, position_report);
    let _ = rows::<HolidayData, _>(status, body, Ok);
    // The portfolio stream's text frames, read by the same shapes, and the instrument master's JSON.
    let _ = read_order_update(&String::from_utf8_lossy(body));
    let _ = read_master(&gzipped(body));
    let _ = read_answer::<CandleData>(status, body, "/candles")
        .map(|d| readable_rows(d.candles, "/candles", &RowSkips::default(), candle));
}

fn gzipped(body: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(body).unwrap();
    encoder.finish().unwrap()
}

fn v3_samples() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/upstox-v3");
    let mut frames: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .expect("tests/vectors/upstox-v3")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "bin"))
        .filter_map(|p| std::fs::read(p).ok())
        .collect();
    frames.sort();
    frames
}

#[test]
fn the_undamaged_samples_read_so_damage_starts_from_valid_input() {
    let frames = v3_samples();
    assert!(frames.len() >= 4);
    assert!(frames.iter().all(|f| FeedFrame::decode(f).is_ok()));
    let quotes = read_answer::<LtpData>(200, SAMPLES[0].as_bytes(), "/ltp").and_then(ltp_quotes);
    assert_eq!(quotes.map(|q| q.len()).ok(), Some(1));
    let book = rows::<OrderData, _>(200, SAMPLES[1].as_bytes(), order_report);
    assert_eq!(book.map(|b| b.len()).ok(), Some(1));
    let bars = read_answer::<CandleData>(200, SAMPLES[6].as_bytes(), "/candles")
        .map(|d| readable_rows(d.candles, "/candles", &RowSkips::default(), candle));
    assert_eq!(bars.map(|b| b.len()).ok(), Some(2));
    assert!(matches!(read_order_update(SAMPLES[8]), Ok(Some(_))));
    assert_eq!(
        read_master(&gzipped(SAMPLES[9].as_bytes())).map(|(rows, _)| rows.len()),
        Ok(1)
    );
}

proptest! {
    #[test]
    fn fuzz_upstox_v3_frame(frame in damaged(v3_samples())) {
        let _ = FeedFrame::decode(&frame);
    }

    #[test]
    fn fuzz_upstox_rest_answers(status in status(), body in body()) {
        read_every_answer(status, &body);
    }

    #[test]
    fn fuzz_upstox_token_answer(status in status(), body in body()) {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap();
        let _ = read_token_answer(status, &body, now);
    }

    #[test]
    fn fuzz_upstox_login_redirect(answer in crate::fuzz_input::damaged_text(&[
        "http://127.0.0.1:5055/callback?code=Ab12Cd&state=0123456789abcdef0123456789abcdef",
        "Ab12Cd",
        "https://example.com/cb?state=0123456789abcdef0123456789abcdef&code=%41b",
    ])) {
        let _ = code_from_redirect(&answer, "0123456789abcdef0123456789abcdef");
    }
}
