//! Who an instrument is, to the exchange and to each broker.
//!
//! The engine and the journal name an instrument by `InstrumentId` (`NSE:RELIANCE`); the brokers name it by their
//! own keys (Upstox `NSE_EQ|INE002A01018`, HDFC Sky's numeric exchange token). `Instrument` holds all of them
//! together with the trading facts that orders must respect: tick size and lot size.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use thiserror::Error;

use super::price::TickSize;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum InstrumentError {
    #[error("unknown exchange `{0}`: use NSE or BSE")]
    UnknownExchange(String),
    #[error(
        "`{0}` is not an ISIN: it must be 12 characters, two letters, nine letters or digits, and a check digit"
    )]
    IsinShape(String),
    #[error("ISIN `{0}` fails its check digit: it is mistyped")]
    IsinCheckDigit(String),
    #[error("`{0}` is not an Upstox instrument key: it must look like NSE_EQ|INE002A01018")]
    UpstoxKeyShape(String),
    #[error("trading symbol `{0}` must be 1 to 40 upper-case letters, digits, `-`, `&` or `_`")]
    Symbol(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Exchange {
    Nse,
    Bse,
}

impl Exchange {
    pub fn as_str(self) -> &'static str {
        match self {
            Exchange::Nse => "NSE",
            Exchange::Bse => "BSE",
        }
    }
}

impl FromStr for Exchange {
    type Err = InstrumentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "NSE" => Ok(Exchange::Nse),
            "BSE" => Ok(Exchange::Bse),
            _ => Err(InstrumentError::UnknownExchange(s.to_string())),
        }
    }
}

impl fmt::Display for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The market segment an instrument trades in. dalal trades cash equities and reads index levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Segment {
    Equity,
    Index,
}

/// The broker-neutral name of an instrument: exchange and trading symbol, shown as `NSE:RELIANCE`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstrumentId {
    pub exchange: Exchange,
    pub symbol: String,
}

impl InstrumentId {
    pub fn new(exchange: Exchange, symbol: &str) -> Result<Self, InstrumentError> {
        let valid = (1..=40).contains(&symbol.len())
            && symbol
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b"-&_".contains(&b));
        if !valid {
            return Err(InstrumentError::Symbol(symbol.to_string()));
        }
        Ok(InstrumentId {
            exchange,
            symbol: symbol.to_string(),
        })
    }
}

impl fmt::Display for InstrumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.exchange, self.symbol)
    }
}

impl FromStr for InstrumentId {
    type Err = InstrumentError;
    /// `NSE:RELIANCE`, as `Display` writes it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (exchange, symbol) = s
            .split_once(':')
            .ok_or_else(|| InstrumentError::Symbol(s.to_string()))?;
        InstrumentId::new(exchange.parse()?, symbol)
    }
}

/// An International Securities Identification Number, check digit verified so a typo is caught at load time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Isin(String);

impl Isin {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Isin {
    type Err = InstrumentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        let shape_ok = b.len() == 12
            && b[..2].iter().all(u8::is_ascii_uppercase)
            && b[2..11]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && b[11].is_ascii_digit();
        if !shape_ok {
            return Err(InstrumentError::IsinShape(s.to_string()));
        }
        if !isin_check_digit_ok(b) {
            return Err(InstrumentError::IsinCheckDigit(s.to_string()));
        }
        Ok(Isin(s.to_string()))
    }
}

/// ISO 6166: letters become two digits (A=10 … Z=35), then the Luhn check runs over the digit string.
fn isin_check_digit_ok(isin: &[u8]) -> bool {
    let mut digits = Vec::with_capacity(24);
    for &c in isin {
        if c.is_ascii_digit() {
            digits.push(c - b'0');
        } else {
            let v = c - b'A' + 10;
            digits.push(v / 10);
            digits.push(v % 10);
        }
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let doubled = d * 2;
                doubled / 10 + doubled % 10
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

impl fmt::Display for Isin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Upstox's instrument key, `SEGMENT|IDENTIFIER` (e.g. `NSE_EQ|INE002A01018`, `NSE_INDEX|Nifty 50`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UpstoxKey(String);

impl UpstoxKey {
    pub fn for_isin(exchange: Exchange, segment: Segment, isin: &Isin) -> Self {
        let suffix = match segment {
            Segment::Equity => "EQ",
            Segment::Index => "INDEX",
        };
        UpstoxKey(format!("{exchange}_{suffix}|{isin}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for UpstoxKey {
    type Err = InstrumentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('|') {
            Some((segment, id))
                if !segment.is_empty()
                    && !id.is_empty()
                    && segment.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') =>
            {
                Ok(UpstoxKey(s.to_string()))
            }
            _ => Err(InstrumentError::UpstoxKeyShape(s.to_string())),
        }
    }
}

impl fmt::Display for UpstoxKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Everything the bot knows about one tradable instrument.
#[derive(Debug, Clone, PartialEq)]
pub struct Instrument {
    pub id: InstrumentId,
    pub segment: Segment,
    pub isin: Option<Isin>,
    pub upstox_key: Option<UpstoxKey>,
    /// HDFC Sky's exchange token (a number as text), from its instrument master.
    pub hdfcsky_token: Option<String>,
    /// From the broker's instrument master; `None` falls back to NSE's price-band table.
    pub tick_size: Option<TickSize>,
    pub lot_size: u32,
    /// Stocks with listed derivatives close through the closing auction from 3 Aug 2026.
    pub has_derivatives: bool,
}

impl Instrument {
    /// The tick to round to, given a reference price for the band fallback (previous close, or the last price).
    pub fn tick_size_at(&self, reference_price: Decimal) -> TickSize {
        self.tick_size
            .unwrap_or_else(|| TickSize::nse_price_band(reference_price))
    }

    /// The Upstox key, given explicitly or derived from the ISIN.
    pub fn upstox_key(&self) -> Option<UpstoxKey> {
        self.upstox_key.clone().or_else(|| {
            self.isin
                .as_ref()
                .map(|isin| UpstoxKey::for_isin(self.id.exchange, self.segment, isin))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn real_isins_pass_and_typos_fail_the_check_digit() {
        for good in [
            "INE002A01018",
            "INE009A01021",
            "INE040A01034",
            "US0378331005",
        ] {
            assert!(good.parse::<Isin>().is_ok(), "{good}");
        }
        assert_eq!(
            "INE002A01019".parse::<Isin>(),
            Err(InstrumentError::IsinCheckDigit("INE002A01019".into()))
        );
        assert!(matches!(
            "INE002A0101".parse::<Isin>(),
            Err(InstrumentError::IsinShape(_))
        ));
        assert!(matches!(
            "ine002a01018".parse::<Isin>(),
            Err(InstrumentError::IsinShape(_))
        ));
    }

    #[test]
    fn upstox_key_is_derived_from_exchange_segment_and_isin() {
        let isin: Isin = "INE002A01018".parse().unwrap();
        let mut reliance = Instrument {
            id: InstrumentId::new(Exchange::Nse, "RELIANCE").unwrap(),
            segment: Segment::Equity,
            isin: Some(isin.clone()),
            upstox_key: None,
            hdfcsky_token: None,
            tick_size: None,
            lot_size: 1,
            has_derivatives: true,
        };
        assert_eq!(
            reliance.upstox_key().unwrap().as_str(),
            "NSE_EQ|INE002A01018"
        );
        assert_eq!(
            UpstoxKey::for_isin(Exchange::Bse, Segment::Equity, &isin).as_str(),
            "BSE_EQ|INE002A01018"
        );
        reliance.upstox_key = Some("NSE_EQ|OVERRIDE1".parse().unwrap());
        assert_eq!(reliance.upstox_key().unwrap().as_str(), "NSE_EQ|OVERRIDE1");
        assert_eq!(reliance.id.to_string(), "NSE:RELIANCE");
        assert_eq!(reliance.tick_size_at(dec!(1543.2)).value(), dec!(0.1));
    }

    #[test]
    fn malformed_names_are_refused() {
        assert!("NSE_EQ".parse::<UpstoxKey>().is_err());
        assert!("|INE002A01018".parse::<UpstoxKey>().is_err());
        assert!("NSE_INDEX|Nifty 50".parse::<UpstoxKey>().is_ok());
        assert!(InstrumentId::new(Exchange::Nse, "reliance").is_err());
        assert!(InstrumentId::new(Exchange::Nse, "M&M").is_ok());
        assert!("MCX".parse::<Exchange>().is_err());
    }
}
