//! The wording of each alert: one or two short sentences a trader reads on a lock screen, times in IST, money to
//! the paisa. Kept apart from the rules of which entry raises which alert so the words can change alone.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use rust_decimal::Decimal;

use crate::calendar::to_ist;

/// Telegram refuses a message over 4096 characters; a day summary with many fallbacks stays well under.
const MAX_CHARS: usize = 3500;
/// Fallbacks named one by one in the day summary; the rest are counted.
const FALLBACKS_LISTED: usize = 3;

pub fn clock(at: DateTime<Utc>) -> String {
    to_ist(at).format("%H:%M:%S IST").to_string()
}

pub fn rupees(amount: Decimal) -> String {
    format!("₹{:.2}", amount.round_dp(2))
}

/// "5 min 25 s", "1 h 02 min", "40 s".
pub fn span(span: TimeDelta) -> String {
    let seconds = span.num_seconds().max(0);
    match (seconds / 3600, (seconds % 3600) / 60, seconds % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, m, _) => format!("{h} h {m:02} min"),
    }
}

/// `text` cut to what one message may carry.
pub fn bounded(text: String) -> String {
    if text.chars().count() <= MAX_CHARS {
        return text;
    }
    let mut cut: String = text.chars().take(MAX_CHARS - 1).collect();
    cut.push('…');
    cut
}

pub fn feed_fell_back(state: &str, reason: Option<&str>, at: DateTime<Utc>) -> String {
    let reason = reason.unwrap_or("no reason given");
    match state {
        "reconnecting" => format!(
            "feed lost its stream at {}, reconnecting (polling in 2 s if it is not back): {reason}",
            clock(at)
        ),
        _ => format!("feed fell back to polling at {}: {reason}", clock(at)),
    }
}

pub fn feed_streaming_again(at: DateTime<Utc>, since: DateTime<Utc>) -> String {
    format!(
        "feed streaming again at {}, after {} without the stream (since {})",
        clock(at),
        span(at - since),
        clock(since)
    )
}

pub fn token_refused_by_feed(at: DateTime<Utc>) -> String {
    format!(
        "the broker refuses the access token at {}: no fresh prices, no new entries. Log in again (`dalal login \
         upstox` or `dalal login hdfcsky`); dalal looks for a new token every 30 s",
        clock(at)
    )
}

pub fn token_refused(message: &str, at: DateTime<Utc>) -> String {
    format!(
        "the broker refused the token at {}: {message}. Log in again (`dalal login upstox` or `dalal login \
         hdfcsky`)",
        clock(at)
    )
}

pub fn check_failed(name: &str, detail: &str, remedy: Option<&str>, at: DateTime<Utc>) -> String {
    let fix = remedy.map(|r| format!(" Fix: {r}")).unwrap_or_default();
    format!(
        "pre-open check `{name}` failed at {}, new entries stay off: {detail}.{fix}",
        clock(at)
    )
}

pub fn check_passes_again(name: &str, at: DateTime<Utc>) -> String {
    format!("pre-open check `{name}` passes again at {}", clock(at))
}

pub struct SignalText<'a> {
    pub instrument: &'a str,
    pub side: &'a str,
    pub price: Decimal,
    pub stop: Decimal,
    pub target: Decimal,
    pub reason: &'a str,
}

pub fn signal(s: &SignalText<'_>, at: DateTime<Utc>) -> String {
    format!(
        "signal at {}: {} {} at ₹{} (stop ₹{}, target ₹{}): {}",
        clock(at),
        s.side,
        s.instrument,
        s.price,
        s.stop,
        s.target,
        s.reason
    )
}

pub fn order_rejected(tag: &str, order: Option<&str>, reason: &str, at: DateTime<Utc>) -> String {
    let what = order.map(|o| format!(" ({o})")).unwrap_or_default();
    format!("order {tag}{what} rejected at {}: {reason}", clock(at))
}

pub fn fill(
    tag: &str,
    side: &str,
    quantity: u32,
    instrument: &str,
    price: Decimal,
    at: DateTime<Utc>,
) -> String {
    format!(
        "filled {side} {quantity} {instrument} at ₹{price} at {} ({tag})",
        clock(at)
    )
}

pub struct TradeText<'a> {
    pub instrument: &'a str,
    pub side: &'a str,
    pub quantity: u32,
    pub entry_price: Decimal,
    pub exit_price: Decimal,
    pub pnl: Decimal,
    pub charges: Decimal,
    pub exit_reason: &'a str,
}

pub fn stop_hit(t: &TradeText<'_>, at: DateTime<Utc>) -> String {
    let held = if t.side.eq_ignore_ascii_case("sell") {
        "short"
    } else {
        "long"
    };
    format!(
        "{} hit on {} at {}: {held} {} from ₹{}, out at ₹{}, P&L {} (charges ≈ {})",
        t.exit_reason,
        t.instrument,
        clock(at),
        t.quantity,
        t.entry_price,
        t.exit_price,
        rupees(t.pnl),
        rupees(t.charges)
    )
}

pub fn daily_loss(message: &str, at: DateTime<Utc>) -> String {
    format!("{message} ({})", clock(at))
}

pub fn kill_switch(switched_off: bool, detail: &str, at: DateTime<Utc>) -> String {
    if switched_off {
        format!(
            "kill switch on at {}: the broker keeps the segments off for 12 hours, manual orders too ({detail})",
            clock(at)
        )
    } else {
        format!(
            "kill switch asked for at {} but not every segment is off: {detail}",
            clock(at)
        )
    }
}

pub fn control(action: &str, accepted: bool, detail: &str, at: DateTime<Utc>) -> String {
    let verdict = if accepted { "carried out" } else { "refused" };
    format!("control `{action}` {verdict} at {}: {detail}", clock(at))
}

pub struct SummaryText<'a> {
    pub date: NaiveDate,
    pub trading_enabled: bool,
    pub round_trips: u64,
    pub realized_pnl: Decimal,
    pub charges: Decimal,
    pub fallbacks: &'a [String],
    pub failures: &'a [String],
    pub broker_open: Option<&'a [String]>,
}

pub fn day_summary(s: &SummaryText<'_>) -> String {
    let mut text = format!(
        "{}: {} round trip{}, P&L {} gross, charges ≈ {}, net {}",
        s.date.format("%a %-d %b %Y"),
        s.round_trips,
        if s.round_trips == 1 { "" } else { "s" },
        rupees(s.realized_pnl),
        rupees(s.charges),
        rupees(s.realized_pnl - s.charges)
    );
    match s.fallbacks.len() {
        0 => text.push_str("; no fallback to polling"),
        n => {
            let listed: Vec<&str> = s
                .fallbacks
                .iter()
                .take(FALLBACKS_LISTED)
                .map(String::as_str)
                .collect();
            let more = n.saturating_sub(FALLBACKS_LISTED);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            text.push_str(&format!(
                "; {n} fallback{} to polling ({}{more})",
                if n == 1 { "" } else { "s" },
                listed.join("; ")
            ));
        }
    }
    if !s.trading_enabled {
        text.push_str(&format!(
            "; new entries stayed off: {}",
            s.failures.join("; ")
        ));
    }
    if let Some(open) = s.broker_open.filter(|o| !o.is_empty()) {
        text.push_str(&format!("; STILL OPEN at the broker: {}", open.join(", ")));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn spans_money_and_long_texts_read_well() {
        assert_eq!(span(TimeDelta::seconds(40)), "40 s");
        assert_eq!(span(TimeDelta::seconds(325)), "5 min 25 s");
        assert_eq!(span(TimeDelta::seconds(3720)), "1 h 02 min");
        assert_eq!(rupees(dec!(-520.8)), "₹-520.80");
        assert_eq!(rupees(dec!(31.466)), "₹31.47");
        let long = bounded("x".repeat(5000));
        assert_eq!(long.chars().count(), MAX_CHARS);
        assert!(long.ends_with('…'));
    }
}
