//! The 2026 rules for API orders (exchange circular NSE/INVG/67858 and Upstox's notices) and the refusals that
//! enforce them, each with what the trader does about it. The REST client names them in its errors, so the log
//! and the journal say the fix; `dalal doctor` names the last one it finds in the journal.

/// One refusal a rule causes.
pub struct RuleRefusal {
    pub code: &'static str,
    pub meaning: &'static str,
    pub fix: &'static str,
}

/// Most pressing first: a wrong IP or algo name stops every order; the market-order codes only those types.
pub const RULE_REFUSALS: [RuleRefusal; 4] = [
    RuleRefusal {
        code: "UDAPI1154",
        meaning: "static IP not whitelisted",
        fix: "run dalal from the machine whose public IP is registered on your Upstox app (the IP may be changed \
              once a week, and changing it ends the day's token: log in again)",
    },
    RuleRefusal {
        code: "UDAPI1156",
        meaning: "invalid algo name",
        fix: "set algo_name in dalal.toml to the algo name registered for your app, or remove the line",
    },
    RuleRefusal {
        code: "UDAPI1158",
        meaning: "market orders blocked",
        fix: "send LIMIT orders with price protection (dalal's entries, exits and stops are LIMIT and SL)",
    },
    RuleRefusal {
        code: "UDAPI1159",
        meaning: "market protection above 25 %",
        fix: "set market_protection to -1 (automatic) or 0–25 on MARKET and SL-M orders",
    },
];

pub fn rule_refusal(code: &str) -> Option<&'static RuleRefusal> {
    RULE_REFUSALS.iter().find(|r| r.code == code)
}
