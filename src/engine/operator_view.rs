//! What others ask of the engine, read-only and kept apart from the trading logic: the operator's console (an
//! instrument by the name an operator types, our working orders), the day book (the position a fill finds), and
//! a backtest (the instruments traded today, and those it need give no more prices).

use super::{Engine, EngineEvent, SetupState};
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

    /// Whether nothing a price of `instrument` could bring would change anything today: its setup is
    /// disqualified (for good: a setup never re-qualifies the same day) and it has no position, no order of
    /// ours and nothing to send again. A backtest gives such an instrument no more prices; a live session
    /// still does (its minute bars, the console's last price).
    pub fn done_for_the_day(&self, instrument: &InstrumentId) -> bool {
        self.books.get(instrument).is_none_or(|b| {
            matches!(b.setup.state, SetupState::Disqualified(_))
                && b.trade.is_none()
                && b.pending.is_none()
                && b.protective.is_none()
                && b.retry.is_none()
                && b.position.is_flat()
        })
    }

    /// The instruments with a fill today, in the order of their first.
    pub fn traded_today(&self) -> &[InstrumentId] {
        &self.traded_today
    }
}
