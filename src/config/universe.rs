//! The `[[universe]]` entries of dalal.toml, checked and completed: each names an instrument by symbol and, where
//! the broker needs it, an ISIN, an Upstox key or an HDFC Sky token. With an instrument master at hand (see
//! `instrument_master`), an entry may give its symbol alone: the master supplies the ISIN and the key, and the tick
//! size of every listed instrument, so orders round to the exchange's real tick; where no master lists an
//! instrument and the entry gives none, its tick falls back to NSE's price-band table.

use rust_decimal::Decimal;
use serde::Deserialize;

use super::bot::BrokerName;
use super::checker::Checker;
use super::error::ConfigErrorKind;
use super::instrument_master::{InstrumentMaster, MasterRow};
use super::values;
use crate::domain::{
    Exchange, Instrument, InstrumentError, InstrumentId, Isin, Segment, TickSize, UpstoxKey,
};

/// One `[[universe]]` entry as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UniverseEntry {
    symbol: String,
    #[serde(default = "default_exchange")]
    exchange: String,
    isin: Option<String>,
    upstox_key: Option<String>,
    hdfcsky_token: Option<String>,
    #[serde(default, deserialize_with = "values::optional_decimal")]
    tick_size: Option<Decimal>,
    #[serde(default = "one")]
    lot_size: u32,
    #[serde(default)]
    has_derivatives: bool,
    #[serde(default)]
    index: bool,
}

fn default_exchange() -> String {
    "NSE".into()
}

fn one() -> u32 {
    1
}

/// No cash-equity tick is above ₹100; a larger one is a misread.
const MAX_TICK: Decimal = Decimal::ONE_HUNDRED;

/// Where the universe's tick sizes came from, for the check-config summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickSources {
    pub from_config: usize,
    pub from_master: usize,
    /// Neither gave one: NSE's price-band table, by price.
    pub from_price_band: usize,
    /// The master at hand, and when it was read, if any.
    pub master: Option<(String, chrono::DateTime<chrono::Utc>)>,
}

impl Checker<'_> {
    pub(super) fn universe(
        &mut self,
        entries: &[UniverseEntry],
        broker: BrokerName,
        master: Option<&InstrumentMaster>,
    ) -> (Vec<Instrument>, TickSources) {
        let listed = master.map(InstrumentMaster::by_symbol).unwrap_or_default();
        let mut ticks = TickSources {
            master: master.map(|m| (m.source.clone(), m.read_at)),
            ..TickSources::default()
        };
        if entries.is_empty() {
            self.fail(
                ConfigErrorKind::MissingKey,
                "universe",
                "the universe is empty, so there is nothing to trade".into(),
                "add at least one [[universe]] entry with symbol and isin".into(),
            );
        }
        let mut out: Vec<Instrument> = Vec::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            let key = |field: &str| format!("universe[{i}].{field}");
            let row = listed
                .get(&(e.exchange.to_ascii_uppercase().as_str(), e.symbol.as_str()))
                .copied();
            let Some(instrument) = self.instrument(e, row, &key) else {
                continue;
            };
            if out.iter().any(|o| o.id == instrument.id) {
                self.fail(
                    ConfigErrorKind::Inconsistent,
                    &key("symbol"),
                    format!("{} is listed twice", instrument.id),
                    "keep one [[universe]] entry per instrument".into(),
                );
                continue;
            }
            let broker_key_missing = match broker {
                BrokerName::Upstox => instrument
                    .upstox_key()
                    .is_none()
                    .then_some("isin (or upstox_key)"),
                BrokerName::HdfcSky => instrument
                    .hdfcsky_token
                    .is_none()
                    .then_some("hdfcsky_token"),
                BrokerName::Sim => None,
            };
            if let Some(field) = broker_key_missing {
                self.fail(
                    ConfigErrorKind::MissingKey,
                    &format!("universe[{i}]"),
                    format!(
                        "broker `{}` cannot name {} without its {field}",
                        broker.as_str(),
                        instrument.id
                    ),
                    format!(
                        "add {field} to this entry, from the broker's instrument master{}",
                        if broker == BrokerName::Upstox {
                            ", or run `dalal instruments upstox` so the stored master names it"
                        } else {
                            ""
                        }
                    ),
                );
            }
            match (e.tick_size, instrument.tick_size) {
                (Some(_), _) => ticks.from_config += 1,
                (None, Some(_)) => ticks.from_master += 1,
                (None, None) => ticks.from_price_band += 1,
            }
            out.push(instrument);
        }
        (out, ticks)
    }

    /// One entry, completed from its master `row` where it leaves something out.
    fn instrument(
        &mut self,
        e: &UniverseEntry,
        row: Option<&MasterRow>,
        key: &dyn Fn(&str) -> String,
    ) -> Option<Instrument> {
        let before = self.errors.len();
        let from_master =
            |field: &str| format!("correct the {field} from the broker's instrument master");
        let exchange = self.parsed(
            &key("exchange"),
            e.exchange.parse::<Exchange>(),
            "use NSE or BSE".into(),
        );
        let id = exchange.and_then(|x| {
            let result = InstrumentId::new(x, &e.symbol);
            self.parsed(&key("symbol"), result, from_master("symbol"))
        });
        let isin = e
            .isin
            .as_deref()
            .and_then(|v| self.parsed(&key("isin"), v.parse::<Isin>(), from_master("isin")));
        let upstox_key = e.upstox_key.as_deref().and_then(|v| {
            self.parsed(
                &key("upstox_key"),
                v.parse::<UpstoxKey>(),
                from_master("upstox_key"),
            )
        });
        if let Some(token) = e
            .hdfcsky_token
            .as_deref()
            .filter(|t| t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()))
        {
            self.fail(
                ConfigErrorKind::WrongType,
                &key("hdfcsky_token"),
                format!("`{token}` is not an exchange token: it is a number such as \"2885\""),
                from_master("hdfcsky_token"),
            );
        }
        let tick_size = e.tick_size.and_then(|step| {
            let tick = TickSize::new(step).ok().filter(|t| t.value() <= MAX_TICK);
            if tick.is_none() {
                self.fail(
                    ConfigErrorKind::OutOfRange,
                    &key("tick_size"),
                    format!("tick size {step} is not a positive price step of at most ₹100"),
                    "use the instrument master's tick_size (e.g. 0.05 or 0.1), or leave it out"
                        .into(),
                );
            }
            tick
        });
        if e.lot_size == 0 {
            self.fail(
                ConfigErrorKind::OutOfRange,
                &key("lot_size"),
                "lot size 0 would make every order empty".into(),
                "cash equities trade in lots of 1: remove the key or set lot_size = 1".into(),
            );
        }
        if self.errors.len() > before {
            return None;
        }
        // The master names what the entry does not (an entry's own values win): by symbol alone, the ISIN and
        // key; for every listed instrument, the tick. A row whose ISIN is not the entry's is another security
        // (a symbol reused after a listing change) and lends nothing.
        let row = row.filter(|r| {
            isin.as_ref()
                .is_none_or(|mine| r.isin.as_deref() == Some(mine.as_str()))
        });
        let (isin, upstox_key) = match row {
            Some(row) if isin.is_none() && upstox_key.is_none() => (
                row.isin.as_deref().and_then(|v| v.parse::<Isin>().ok()),
                row.upstox_key.parse::<UpstoxKey>().ok(),
            ),
            _ => (isin, upstox_key),
        };
        let tick_size = tick_size.or_else(|| {
            row.and_then(|r| r.tick_size)
                .and_then(|t| TickSize::new(t).ok())
                .filter(|t| t.value() <= MAX_TICK)
        });
        Some(Instrument {
            id: id?,
            segment: if e.index {
                Segment::Index
            } else {
                Segment::Equity
            },
            isin,
            upstox_key,
            hdfcsky_token: e.hdfcsky_token.clone(),
            tick_size,
            lot_size: e.lot_size,
            has_derivatives: e.has_derivatives,
        })
    }

    fn parsed<T>(
        &mut self,
        key: &str,
        result: Result<T, InstrumentError>,
        fix: String,
    ) -> Option<T> {
        result
            .map_err(|err| self.fail(ConfigErrorKind::WrongType, key, err.to_string(), fix))
            .ok()
    }
}
