//! What the operator's console asks of the engine: an instrument by the name an operator types, our working
//! orders, and the position a fill finds (for the day book). Read-only views, kept apart from the trading logic.

use super::{Engine, EngineEvent};
use crate::domain::{InstrumentId, OrderTag};

impl Engine {
    /// The traded instrument `name` names: `NSE:SYMBOL`, or a symbol traded on one exchange only.
    pub fn instrument_named(&self, name: &str) -> Result<InstrumentId, String> {
        let matches: Vec<&InstrumentId> = self
            .books
            .keys()
            .filter(|id| {
                id.to_string().eq_ignore_ascii_case(name) || id.symbol.eq_ignore_ascii_case(name)
            })
            .collect();
        match matches.as_slice() {
            [id] => Ok((*id).clone()),
            [] => Err(format!("{name} is not an instrument this bot trades")),
            _ => Err(format!(
                "{name} trades on more than one exchange: name it as NSE:{name} or BSE:{name}"
            )),
        }
    }

    /// Orders of ours still working: tag, instrument, what it is for (`entry`, or the exit's reason) and the
    /// shares it has left.
    pub fn working_orders(
        &self,
    ) -> impl Iterator<Item = (&OrderTag, &InstrumentId, String, u32)> + '_ {
        self.pending.iter().map(|(tag, p)| {
            let purpose = match (&p.entry, p.exit) {
                (Some(_), _) => "entry".to_string(),
                (None, Some(reason)) => reason.to_string(),
                (None, None) => "order".to_string(),
            };
            (tag, &p.instrument, purpose, p.remaining)
        })
    }

    /// The net quantity `event` (a fill) finds in its instrument's position; 0 for any other event. The day book
    /// journals a fill against it.
    pub fn quantity_before(&self, event: &EngineEvent) -> i64 {
        match event {
            EngineEvent::Fill(fill) => self
                .position(&fill.instrument)
                .map_or(0, |p| p.net_quantity),
            _ => 0,
        }
    }
}
