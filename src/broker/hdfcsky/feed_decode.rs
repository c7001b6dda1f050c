//! Decoding HDFC Sky's binary feed frames and merging what they carry, one record per instrument.
//!
//! A frame is normally a `GenericDTOList`; some deployments send a bare `GenericDTO`, so a frame that does not
//! decode as a list, or decodes to an empty one, is tried as a single packet. The packet type says which
//! segment the instrument id belongs to (two segments can share a token number) and which part to read.
//! Depth and OI can arrive in packets of their own, so a packet only overwrites what it carries: a zero or an
//! empty depth never wipes a known value. Packets for instruments nobody subscribed to are dropped.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use prost::Message;
use thiserror::Error;

use super::feed_proto::{GenericDto, GenericDtoList, PacketType};
use super::scrip::{ScripId, SkySegment};
use crate::broker::PriceUpdate;
use crate::domain::{decimal_from_wire, epoch_millis};

#[derive(Debug, Error, PartialEq, Eq)]
#[error("a {bytes}-byte binary frame is neither a GenericDTOList nor a GenericDTO: {reason}")]
pub struct SkyDecodeError {
    pub bytes: usize,
    pub reason: String,
}

/// The packets of one binary frame.
pub fn decode_packets(bytes: &[u8]) -> Result<Vec<GenericDto>, SkyDecodeError> {
    match GenericDtoList::decode(bytes) {
        Ok(list) if !list.generic_dto_list.is_empty() => Ok(list.generic_dto_list),
        list => match GenericDto::decode(bytes) {
            Ok(packet) if packet == GenericDto::default() => Ok(Vec::new()),
            Ok(packet) => Ok(vec![packet]),
            Err(e) => Err(SkyDecodeError {
                bytes: bytes.len(),
                reason: list.err().map_or_else(|| e.to_string(), |l| l.to_string()),
            }),
        },
    }
}

/// The segment a packet type belongs to; `None` for heartbeats, greeks, orders, trades and unknown types.
pub fn segment_of(packet_type: PacketType) -> Option<SkySegment> {
    use PacketType as P;
    Some(match packet_type {
        P::NseCmAll | P::NseCmCirc => SkySegment::NseCash,
        P::NseIndex => SkySegment::NseIndex,
        P::NseFoAll | P::NseFoCirc | P::NseFoOi => SkySegment::NseFno,
        P::NseCdAll | P::NseCdCirc | P::NseCdOi => SkySegment::NseCurrency,
        P::BseCm => SkySegment::BseCash,
        P::BseIndex => SkySegment::BseIndex,
        P::BseFoAll | P::BseFoOi => SkySegment::BseFno,
        P::McxPkt => SkySegment::Mcx,
        P::Order | P::Trade | P::Heartbeat | P::NseFoGreek | P::BseFoGreek => return None,
    })
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DepthLevel {
    pub price: f64,
    pub quantity: i64,
    pub orders: i64,
}

/// Everything known about one instrument, merged over its packets, in the feed's own units.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MergedQuote {
    pub ltp: f64,
    /// Epoch milliseconds of the last trade or, for an index, of its packet.
    pub time_ms: i64,
    pub ltq: i64,
    pub previous_close: f64,
    pub volume: i64,
    pub oi: i64,
    pub bids: Vec<DepthLevel>,
    pub asks: Vec<DepthLevel>,
}

fn keep_f64(slot: &mut f64, value: f64) {
    if value != 0.0 && value.is_finite() {
        *slot = value;
    }
}

fn keep_i64(slot: &mut i64, value: i64) {
    if value != 0 {
        *slot = value;
    }
}

/// What one packet did to the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// It carried a last price: a tick.
    Priced(ScripId),
    /// It carried only other fields (depth, OI, circuit limits), merged in.
    Merged(ScripId),
    Heartbeat,
    Skipped,
}

#[derive(Debug, Default)]
pub struct QuoteBook {
    wanted: HashSet<ScripId>,
    quotes: HashMap<ScripId, MergedQuote>,
}

impl QuoteBook {
    pub fn want(&mut self, scrips: &[ScripId]) {
        self.wanted.extend(scrips.iter().copied());
    }

    pub fn unwant(&mut self, scrips: &[ScripId]) {
        for scrip in scrips {
            self.wanted.remove(scrip);
            self.quotes.remove(scrip);
        }
    }

    pub fn is_wanted(&self, scrip: &ScripId) -> bool {
        self.wanted.contains(scrip)
    }

    pub fn wanted(&self) -> usize {
        self.wanted.len()
    }

    pub fn get(&self, scrip: &ScripId) -> Option<&MergedQuote> {
        self.quotes.get(scrip)
    }

    pub fn apply(&mut self, packet: &GenericDto) -> Applied {
        let Ok(packet_type) = PacketType::try_from(packet.packet_type) else {
            return Applied::Skipped;
        };
        if packet_type == PacketType::Heartbeat {
            return Applied::Heartbeat;
        }
        // proto3 writes no zero, so a packet without an instrument is an empty NSE_CM_ALL: nothing to read.
        let (Some(segment), Ok(token)) =
            (segment_of(packet_type), u64::try_from(packet.instrument_id))
        else {
            return Applied::Skipped;
        };
        let scrip = ScripId { segment, token };
        if token == 0 || !self.wanted.contains(&scrip) {
            return Applied::Skipped;
        }
        let quote = self.quotes.entry(scrip).or_default();
        let priced;
        if let Some(index) = &packet.index_data {
            priced = index.index_value != 0.0;
            keep_f64(&mut quote.ltp, index.index_value);
            keep_f64(&mut quote.previous_close, index.closing_index);
            keep_i64(
                &mut quote.time_ms,
                if index.packet_time_stamp != 0 {
                    index.packet_time_stamp
                } else {
                    packet.packet_timestamp
                },
            );
        } else if let Some(mbp) = &packet.mbp_data {
            priced = mbp.last_traded_price != 0.0;
            keep_f64(&mut quote.ltp, mbp.last_traded_price);
            keep_f64(&mut quote.previous_close, mbp.closing_price);
            keep_i64(&mut quote.time_ms, epoch_millis(mbp.last_trade_time));
            keep_i64(&mut quote.ltq, mbp.last_trade_quantity);
            keep_i64(&mut quote.volume, mbp.volume_traded_today);
            keep_i64(&mut quote.oi, mbp.oi);
            let levels = mbp
                .market_depth_dto_list
                .as_ref()
                .map(|d| d.market_depth_dto.as_slice())
                .unwrap_or_default();
            if !levels.is_empty() {
                let level = |d: &super::feed_proto::MarketDepthDto| DepthLevel {
                    price: d.price,
                    quantity: d.quantity,
                    orders: d.number_of_orders,
                };
                quote.bids = levels.iter().filter(|d| d.buy_flag).map(level).collect();
                quote.asks = levels.iter().filter(|d| !d.buy_flag).map(level).collect();
            }
        } else {
            return Applied::Skipped;
        }
        if priced {
            Applied::Priced(scrip)
        } else {
            Applied::Merged(scrip)
        }
    }

    /// The instrument's price as dalal uses it, once a last price is known.
    pub fn price_update(&self, scrip: &ScripId) -> Option<PriceUpdate> {
        let quote = self.quotes.get(scrip)?;
        let last_price = decimal_from_wire(quote.ltp).ok().filter(|p| !p.is_zero())?;
        Some(PriceUpdate {
            instrument_key: scrip.to_string(),
            last_price,
            last_trade_time: (quote.time_ms > 0)
                .then(|| DateTime::<Utc>::from_timestamp_millis(quote.time_ms))
                .flatten(),
            last_quantity: u64::try_from(quote.ltq).ok().filter(|q| *q > 0),
            previous_close: decimal_from_wire(quote.previous_close)
                .ok()
                .filter(|p| !p.is_zero()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::feed_proto::{IndexData, MarketDepthDto, MarketDepthDtoList, MbpData};
    use super::*;

    fn cash(token: i64, mbp: MbpData) -> GenericDto {
        GenericDto {
            instrument_id: token,
            mbp_data: Some(mbp),
            packet_type: PacketType::NseCmAll as i32,
            ..GenericDto::default()
        }
    }

    fn book_for(scrips: &[&str]) -> QuoteBook {
        let mut book = QuoteBook::default();
        let scrips: Vec<ScripId> = scrips.iter().map(|s| s.parse().unwrap()).collect();
        book.want(&scrips);
        book
    }

    #[test]
    fn a_list_a_bare_packet_and_garbage() {
        let packet = cash(
            2885,
            MbpData {
                last_traded_price: 1550.5,
                ..MbpData::default()
            },
        );
        let list = GenericDtoList {
            generic_dto_list: vec![packet.clone(), packet.clone()],
        };
        assert_eq!(decode_packets(&list.encode_to_vec()).unwrap().len(), 2);
        assert_eq!(
            decode_packets(&packet.encode_to_vec()).unwrap(),
            vec![packet]
        );
        let heartbeat = GenericDto {
            packet_type: PacketType::Heartbeat as i32,
            ..GenericDto::default()
        };
        let decoded = decode_packets(&heartbeat.encode_to_vec()).unwrap();
        assert_eq!(book_for(&[]).apply(&decoded[0]), Applied::Heartbeat);
        let e = decode_packets(b"\x12\xff\xff\xff").unwrap_err();
        assert_eq!(e.bytes, 4);
    }

    #[test]
    fn depth_and_oi_from_separate_packets_merge_without_zeros_wiping_them() {
        let mut book = book_for(&["NFO_35001"]);
        let fo = |mbp| GenericDto {
            instrument_id: 35001,
            mbp_data: Some(mbp),
            packet_type: PacketType::NseFoAll as i32,
            ..GenericDto::default()
        };
        let depth = MarketDepthDtoList {
            market_depth_dto: vec![
                MarketDepthDto {
                    quantity: 50,
                    price: 101.5,
                    number_of_orders: 2,
                    buy_flag: true,
                },
                MarketDepthDto {
                    quantity: 75,
                    price: 101.6,
                    number_of_orders: 3,
                    buy_flag: false,
                },
            ],
        };
        let with_depth = fo(MbpData {
            last_traded_price: 101.55,
            last_trade_quantity: 25,
            market_depth_dto_list: Some(depth),
            ..MbpData::default()
        });
        let with_oi = GenericDto {
            packet_type: PacketType::NseFoOi as i32,
            ..fo(MbpData {
                oi: 120_000,
                ..MbpData::default()
            })
        };
        let scrip: ScripId = "NFO_35001".parse().unwrap();
        assert_eq!(book.apply(&with_depth), Applied::Priced(scrip));
        assert_eq!(book.apply(&with_oi), Applied::Merged(scrip));
        let quote = book.get(&scrip).unwrap();
        assert_eq!((quote.ltp, quote.ltq, quote.oi), (101.55, 25, 120_000));
        assert_eq!(
            quote.bids,
            vec![DepthLevel {
                price: 101.5,
                quantity: 50,
                orders: 2
            }]
        );
        assert_eq!(quote.asks.len(), 1);
    }

    #[test]
    fn the_segment_comes_from_the_packet_type_and_strangers_are_dropped() {
        let mut book = book_for(&["NSE_2885", "NSE_INDEX_26000"]);
        let bse = GenericDto {
            packet_type: PacketType::BseCm as i32,
            ..cash(
                2885,
                MbpData {
                    last_traded_price: 9.0,
                    ..MbpData::default()
                },
            )
        };
        assert_eq!(book.apply(&bse), Applied::Skipped);
        let index = GenericDto {
            instrument_id: 26000,
            index_data: Some(IndexData {
                index_value: 26_210.35,
                closing_index: 26_205.3,
                packet_time_stamp: 1_795_000_000_123,
                ..IndexData::default()
            }),
            packet_type: PacketType::NseIndex as i32,
            ..GenericDto::default()
        };
        let scrip: ScripId = "NSE_INDEX_26000".parse().unwrap();
        assert_eq!(book.apply(&index), Applied::Priced(scrip));
        let update = book.price_update(&scrip).unwrap();
        assert_eq!(update.last_price.to_string(), "26210.35");
        assert_eq!(update.previous_close.unwrap().to_string(), "26205.3");
        assert_eq!(
            update.last_trade_time.unwrap().timestamp_millis(),
            1_795_000_000_123
        );
        let seconds = cash(
            2885,
            MbpData {
                last_traded_price: 1550.5,
                last_trade_time: 1_795_000_000,
                ..MbpData::default()
            },
        );
        book.apply(&seconds);
        let update = book.price_update(&"NSE_2885".parse().unwrap()).unwrap();
        assert_eq!(update.last_trade_time.unwrap().timestamp(), 1_795_000_000);
    }
}
