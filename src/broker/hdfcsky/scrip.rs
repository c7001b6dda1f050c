//! HDFC Sky's names for instruments on the wire: a scrip id `<PREFIX>_<exchange token>` (`NSE_2885`,
//! `NSE_INDEX_26000`) on the feed, and the same pair as `exchange` + `token` in REST bodies.
//!
//! The scrip id is also the key dalal uses for an HDFC Sky instrument everywhere past the broker boundary, so
//! a streamed price and a polled one for the same instrument meet under one name. Two segments can share a
//! token number, so a token alone never names an instrument.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::domain::{Exchange, Instrument, Segment};

/// A market segment as HDFC Sky names it, with the prefix its scrip ids carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SkySegment {
    NseCash,
    NseIndex,
    NseFno,
    NseCurrency,
    BseCash,
    BseIndex,
    BseFno,
    Mcx,
}

/// Longest prefix first, so `NSE_INDEX_26000` is never read as an `NSE_` scrip.
const PREFIXES: [(&str, SkySegment); 8] = [
    ("NSE_INDEX", SkySegment::NseIndex),
    ("BSE_INDEX", SkySegment::BseIndex),
    ("NSE", SkySegment::NseCash),
    ("NFO", SkySegment::NseFno),
    ("NCD", SkySegment::NseCurrency),
    ("BSE", SkySegment::BseCash),
    ("BFO", SkySegment::BseFno),
    ("MCX", SkySegment::Mcx),
];

impl SkySegment {
    /// The scrip-id prefix, which is also the `exchange` that `fetch-ltp` wants (indices need theirs, or the
    /// row is silently left out).
    pub fn prefix(self) -> &'static str {
        PREFIXES
            .iter()
            .find(|(_, s)| *s == self)
            .map(|(p, _)| *p)
            .expect("every segment has a prefix")
    }

    /// The `exchange` an order body names.
    pub fn order_exchange(self) -> &'static str {
        match self {
            SkySegment::NseCash | SkySegment::NseIndex => "NSE",
            SkySegment::NseFno => "NFO",
            SkySegment::NseCurrency => "CDS",
            SkySegment::BseCash | SkySegment::BseIndex => "BSE",
            SkySegment::BseFno => "BFO",
            SkySegment::Mcx => "MCX",
        }
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
#[error("`{0}` is not an HDFC Sky scrip id: it must look like NSE_2885 or NSE_INDEX_26000")]
pub struct ScripIdError(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScripId {
    pub segment: SkySegment,
    pub token: u64,
}

impl ScripId {
    /// The scrip of a configured instrument, when it has its HDFC Sky exchange token.
    pub fn of(instrument: &Instrument) -> Option<ScripId> {
        let token = instrument.hdfcsky_token.as_deref()?.parse().ok()?;
        let segment = match (instrument.id.exchange, instrument.segment) {
            (Exchange::Nse, Segment::Equity) => SkySegment::NseCash,
            (Exchange::Nse, Segment::Index) => SkySegment::NseIndex,
            (Exchange::Bse, Segment::Equity) => SkySegment::BseCash,
            (Exchange::Bse, Segment::Index) => SkySegment::BseIndex,
        };
        Some(ScripId { segment, token })
    }

    /// The scrip from a `fetch-ltp` row's `exchange` and `token`.
    pub fn from_exchange(exchange: &str, token: u64) -> Option<ScripId> {
        PREFIXES
            .iter()
            .find(|(p, _)| p.eq_ignore_ascii_case(exchange))
            .map(|(_, segment)| ScripId {
                segment: *segment,
                token,
            })
    }
}

impl fmt::Display for ScripId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.segment.prefix(), self.token)
    }
}

impl FromStr for ScripId {
    type Err = ScripIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PREFIXES
            .iter()
            .find_map(|(prefix, segment)| {
                let token = s.strip_prefix(prefix)?.strip_prefix('_')?;
                let token = token
                    .bytes()
                    .all(|b| b.is_ascii_digit())
                    .then(|| token.parse().ok())??;
                Some(ScripId {
                    segment: *segment,
                    token,
                })
            })
            .ok_or_else(|| ScripIdError(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_prefix_wins_and_ids_round_trip() {
        let index: ScripId = "NSE_INDEX_26000".parse().unwrap();
        assert_eq!(index.segment, SkySegment::NseIndex);
        assert_eq!(index.token, 26000);
        assert_eq!(index.to_string(), "NSE_INDEX_26000");
        let cash: ScripId = "NSE_2885".parse().unwrap();
        assert_eq!(cash.segment, SkySegment::NseCash);
        assert_eq!(cash.segment.order_exchange(), "NSE");
        for bad in ["NSE2885", "NSE_", "NSE_12a", "XYZ_1", "NSE_INDEX_"] {
            assert!(bad.parse::<ScripId>().is_err(), "{bad}");
        }
        assert_eq!(
            ScripId::from_exchange("bse", 500325).unwrap().to_string(),
            "BSE_500325"
        );
    }
}
