//! The client → server messages of the Market Data Feed V3: JSON in a binary WebSocket frame.

use serde::{Deserialize, Serialize};

/// The subscription modes a client asks for. `full` is reported back as `full_d5`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedMode {
    Ltpc,
    Full,
    OptionGreeks,
    FullD30,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedMethod {
    Sub,
    Unsub,
    ChangeMode,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedRequest {
    pub guid: String,
    pub method: FeedMethod,
    pub data: FeedRequestData,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedRequestData {
    /// Absent on `unsub`; a `sub` without one means `ltpc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<FeedMode>,
    #[serde(rename = "instrumentKeys")]
    pub instrument_keys: Vec<String>,
}

impl FeedRequest {
    pub fn new(guid: String, method: FeedMethod, mode: Option<FeedMode>, keys: &[&str]) -> Self {
        FeedRequest {
            guid,
            method,
            data: FeedRequestData {
                mode,
                instrument_keys: keys.iter().map(|k| k.to_string()).collect(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subscription_is_the_documented_json() {
        let request = FeedRequest::new(
            "g1".into(),
            FeedMethod::Sub,
            Some(FeedMode::Full),
            &["NSE_INDEX|Nifty 50"],
        );
        assert_eq!(
            serde_json::to_string(&request).unwrap(),
            r#"{"guid":"g1","method":"sub","data":{"mode":"full","instrumentKeys":["NSE_INDEX|Nifty 50"]}}"#
        );
        let unsub = FeedRequest::new(
            "g2".into(),
            FeedMethod::Unsub,
            None,
            &["NSE_EQ|INE002A01018"],
        );
        assert!(!serde_json::to_string(&unsub).unwrap().contains("mode"));
    }
}
