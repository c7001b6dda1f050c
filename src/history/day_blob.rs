//! One trading day's candles as one packed little-endian blob: the store's unit of reading and writing.
//!
//! Layout: a version byte, the scale byte (every price is a decimal mantissa at this one scale, the largest
//! scale the day's prices need, so 1543.2 and 812.35 are both exact), then 42 bytes a candle: its minute of the
//! IST day (u16), open, high, low and close mantissas (i64) and the volume (u64). Fixed width, so a reader
//! walks it with no parsing and no allocation beyond the candles themselves; a year of fifty instruments is
//! about 200 MB. Writing refuses what it cannot keep exactly rather than rounding it.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use rust_decimal::Decimal;
use thiserror::Error;

use crate::calendar::ist_instant;
use crate::domain::Candle;

const VERSION: u8 = 1;
const HEADER: usize = 2;
const RECORD: usize = 2 + 4 * 8 + 8;
/// Minutes in a day: a candle's minute of the day is below this.
const DAY_MINUTES: i64 = 24 * 60;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BlobError {
    #[error("candle {index} starts at {start}, not on a whole minute of {date} (IST)")]
    OffTheDay {
        index: usize,
        start: DateTime<Utc>,
        date: NaiveDate,
    },
    #[error(
        "candle {index} does not start after the one before it: candles must be sorted, one per start"
    )]
    Unsorted { index: usize },
    #[error("candle {index}'s price {price} does not fit 64 bits at scale {scale}")]
    PriceTooLarge {
        index: usize,
        price: Decimal,
        scale: u32,
    },
    #[error("the blob is {length} bytes, not a whole number of candles after its header")]
    BadLength { length: usize },
    #[error("the blob's format version {0} is not one this dalal reads")]
    UnknownVersion(u8),
    #[error("the blob's scale {0} is above 28")]
    BadScale(u8),
}

/// The midnight (IST) that starts `date`, as a UTC instant: candle starts are counted from it.
pub(super) fn day_start(date: NaiveDate) -> DateTime<Utc> {
    ist_instant(date, NaiveTime::MIN)
}

/// Packs `candles` (sorted, all on `date` IST, on whole minutes) into one blob.
pub fn encode_day(date: NaiveDate, candles: &[Candle]) -> Result<Vec<u8>, BlobError> {
    let midnight = day_start(date);
    let scale = candles
        .iter()
        .flat_map(|c| [c.open, c.high, c.low, c.close])
        .map(|p| p.normalize().scale())
        .max()
        .unwrap_or(0);
    let mut blob = Vec::with_capacity(HEADER + RECORD * candles.len());
    blob.extend_from_slice(&[VERSION, scale as u8]);
    let mut previous = None;
    for (index, c) in candles.iter().enumerate() {
        let offset = c.start - midnight;
        let minute = offset.num_minutes();
        if offset != TimeDelta::minutes(minute) || !(0..DAY_MINUTES).contains(&minute) {
            return Err(BlobError::OffTheDay {
                index,
                start: c.start,
                date,
            });
        }
        if previous.is_some_and(|p| p >= minute) {
            return Err(BlobError::Unsorted { index });
        }
        previous = Some(minute);
        blob.extend_from_slice(&(minute as u16).to_le_bytes());
        for price in [c.open, c.high, c.low, c.close] {
            blob.extend_from_slice(&mantissa(price, scale, index)?.to_le_bytes());
        }
        blob.extend_from_slice(&c.volume.to_le_bytes());
    }
    Ok(blob)
}

/// `price` as an integer count of 10^-scale.
fn mantissa(price: Decimal, scale: u32, index: usize) -> Result<i64, BlobError> {
    let price = price.normalize();
    let too_large = || BlobError::PriceTooLarge {
        index,
        price,
        scale,
    };
    let shift = scale.checked_sub(price.scale()).ok_or_else(too_large)?;
    10i128
        .checked_pow(shift)
        .and_then(|factor| price.mantissa().checked_mul(factor))
        .and_then(|m| i64::try_from(m).ok())
        .ok_or_else(too_large)
}

/// Unpacks a blob of `date` into `out` (cleared first), so one buffer serves a whole read.
pub fn decode_day(date: NaiveDate, blob: &[u8], out: &mut Vec<Candle>) -> Result<(), BlobError> {
    out.clear();
    let (&version, &scale) = match blob {
        [version, scale, ..] => (version, scale),
        _ => return Err(BlobError::BadLength { length: blob.len() }),
    };
    if version != VERSION {
        return Err(BlobError::UnknownVersion(version));
    }
    if scale > 28 {
        return Err(BlobError::BadScale(scale));
    }
    let records = &blob[HEADER..];
    if records.len() % RECORD != 0 {
        return Err(BlobError::BadLength { length: blob.len() });
    }
    let midnight = day_start(date);
    let scale = u32::from(scale);
    let word =
        |r: &[u8], at: usize| i64::from_le_bytes(r[at..at + 8].try_into().expect("eight bytes"));
    out.reserve(records.len() / RECORD);
    for r in records.chunks_exact(RECORD) {
        let minute = u16::from_le_bytes([r[0], r[1]]);
        out.push(Candle {
            start: midnight + TimeDelta::minutes(i64::from(minute)),
            open: Decimal::new(word(r, 2), scale),
            high: Decimal::new(word(r, 10), scale),
            low: Decimal::new(word(r, 18), scale),
            close: Decimal::new(word(r, 26), scale),
            volume: word(r, 34) as u64,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal::dec;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 14).unwrap()
    }

    fn candle(minute: i64, open: Decimal) -> Candle {
        Candle {
            start: day_start(day()) + TimeDelta::minutes(minute),
            open,
            high: open,
            low: open,
            close: open,
            volume: 10,
        }
    }

    /// A price as exchanges print them: up to four decimals, up to ten crore rupees.
    fn price() -> impl Strategy<Value = Decimal> {
        (1i64..1_000_000_000_000, 0u32..=4).prop_map(|(m, s)| Decimal::new(m, s))
    }

    proptest! {
        #[test]
        fn a_day_round_trips_exactly(
            rows in prop::collection::btree_map(0i64..1440, (price(), price(), price(), price(), any::<u64>()), 0..60)
        ) {
            let candles: Vec<Candle> = rows
                .into_iter()
                .map(|(minute, (open, high, low, close, volume))| Candle {
                    start: day_start(day()) + TimeDelta::minutes(minute),
                    open, high, low, close, volume,
                })
                .collect();
            let blob = encode_day(day(), &candles).unwrap();
            let mut back = Vec::new();
            decode_day(day(), &blob, &mut back).unwrap();
            prop_assert_eq!(back, candles);
        }

        #[test]
        fn any_bytes_decode_to_candles_or_an_error(blob in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode_day(day(), &blob, &mut Vec::new());
        }
    }

    #[test]
    fn prices_keep_their_decimals_at_the_days_one_scale() {
        let candles = [
            candle(555, dec!(1543.2)),
            candle(556, dec!(812.35)),
            candle(557, dec!(26205)),
        ];
        let blob = encode_day(day(), &candles).unwrap();
        assert_eq!(blob[1], 2, "the largest scale the day needs");
        let mut back = Vec::new();
        decode_day(day(), &blob, &mut back).unwrap();
        assert_eq!(back[0].open.to_string(), "1543.20");
        assert_eq!(back, candles);
    }

    #[test]
    fn what_cannot_be_kept_exactly_is_refused() {
        let off_minute = Candle {
            start: candle(600, dec!(1)).start + TimeDelta::seconds(30),
            ..candle(600, dec!(1))
        };
        assert!(matches!(
            encode_day(day(), &[off_minute]),
            Err(BlobError::OffTheDay { .. })
        ));
        let next_day = candle(1440, dec!(1));
        assert!(matches!(
            encode_day(day(), &[next_day]),
            Err(BlobError::OffTheDay { .. })
        ));
        let unsorted = [candle(600, dec!(1)), candle(600, dec!(1))];
        assert_eq!(
            encode_day(day(), &unsorted),
            Err(BlobError::Unsorted { index: 1 })
        );
        let huge = candle(600, Decimal::MAX);
        assert!(matches!(
            encode_day(day(), &[huge]),
            Err(BlobError::PriceTooLarge { .. })
        ));
        let mut out = Vec::new();
        assert_eq!(
            decode_day(day(), &[9, 2], &mut out),
            Err(BlobError::UnknownVersion(9))
        );
        assert!(matches!(
            decode_day(day(), &[1, 2, 0], &mut out),
            Err(BlobError::BadLength { .. })
        ));
    }
}
