//! Sending one alert over one channel (Telegram's Bot API, or a JSON webhook), with a timeout on each request
//! and a few retries when the failure may pass (no answer, a 5xx, a 429 after the wait it names), none when it
//! will not (another 4xx). Each channel is a `Courier` serving its own queue, so an outage of one delays
//! neither trading nor the other channel.
//!
//! The bot token sits in Telegram's URL path and a webhook's URL is usually its password, so no URL is ever
//! shown: reqwest's errors are stripped of theirs (`without_url`) and described in a fixed vocabulary, and
//! every text that leaves here is scrubbed of the secrets once more.

use std::time::Duration;

use chrono::SecondsFormat;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::time::Instant;
use url::Url;

use super::event_mapping::Alert;
use crate::calendar::to_ist;
use crate::config::{TelegramTarget, WebhookTarget};

/// How hard one alert is tried.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// One request, from connecting to the last byte of the answer.
    pub timeout: Duration,
    /// The waits before the second, third, … try; their number is the number of retries.
    pub waits: Vec<Duration>,
    /// The longest `retry_after` honoured on a 429.
    pub longest_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            timeout: Duration::from_secs(5),
            waits: vec![Duration::from_secs(1), Duration::from_secs(2)],
            longest_retry_after: Duration::from_secs(60),
        }
    }
}

/// The most of an answer read: Telegram's are a few hundred bytes.
const ANSWER_LIMIT: usize = 16 * 1024;

/// The latest instant a stopping dalal still sends at (`None` while it runs).
pub type StopBy = watch::Receiver<Option<Instant>>;

pub struct Courier {
    channel: &'static str,
    client: reqwest::Client,
    url: Url,
    /// Telegram's `chat_id`; `None` for a webhook.
    chat_id: Option<Value>,
    paper: bool,
    secrets: Vec<String>,
    policy: RetryPolicy,
}

enum Attempt {
    Delivered,
    /// May pass: tried again after the policy's wait (or the answer's `retry_after`).
    Failed {
        why: String,
        retry_after: Option<Duration>,
    },
    /// Will not pass by trying again.
    Refused(String),
}

impl Courier {
    pub fn telegram(
        api: &Url,
        target: &TelegramTarget,
        paper: bool,
        policy: RetryPolicy,
    ) -> Result<Courier, String> {
        let token = target.bot_token.expose();
        let address = format!(
            "{}/bot{token}/sendMessage",
            api.as_str().trim_end_matches('/')
        );
        let url = Url::parse(&address).map_err(|_| "the Telegram API address is not usable")?;
        let chat_id = match target.chat_id.parse::<i64>() {
            Ok(number) => json!(number),
            Err(_) => json!(target.chat_id),
        };
        let mut secrets = vec![token.to_string()];
        secrets.extend(token.split_once(':').map(|(_, secret)| secret.to_string()));
        Self::new("telegram", url, Some(chat_id), paper, secrets, policy)
    }

    pub fn webhook(
        target: &WebhookTarget,
        paper: bool,
        policy: RetryPolicy,
    ) -> Result<Courier, String> {
        let url = target.expose_url().clone();
        let mut secrets = vec![url.as_str().to_string(), url.path().to_string()];
        secrets.extend(url.query().map(str::to_string));
        secrets.extend(url.password().map(str::to_string));
        secrets.extend(url.query_pairs().map(|(_, value)| value.into_owned()));
        secrets.extend(
            url.path_segments()
                .into_iter()
                .flatten()
                .map(str::to_string),
        );
        Self::new("webhook", url, None, paper, secrets, policy)
    }

    fn new(
        channel: &'static str,
        url: Url,
        chat_id: Option<Value>,
        paper: bool,
        mut secrets: Vec<String>,
        policy: RetryPolicy,
    ) -> Result<Courier, String> {
        // Short pieces ("/", "v1") are no secret and would garble every message they were scrubbed from.
        secrets.retain(|s| s.len() >= 6);
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let client = reqwest::Client::builder()
            .user_agent(concat!("dalal/", env!("CARGO_PKG_VERSION"), " alerts"))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot set up the {channel} client: {}", e.without_url()))?;
        Ok(Courier {
            channel,
            client,
            url,
            chat_id,
            paper,
            secrets,
            policy,
        })
    }

    pub fn channel(&self) -> &'static str {
        self.channel
    }

    /// Sends `alert`, retrying as the policy says; the number of tries it took, or why it was not delivered
    /// (scrubbed). A stopping dalal sends nothing after `stop_by`.
    pub async fn deliver(&self, alert: &Alert, stop_by: &mut StopBy) -> Result<u32, String> {
        let body = self.body(alert);
        let mut tries = 0;
        let mut last = String::new();
        loop {
            let Some(timeout) = self.time_left(stop_by) else {
                return Err(self.scrub(&stopped(tries, &last)));
            };
            tries += 1;
            let why = match self.attempt(&body, timeout).await {
                Attempt::Delivered => return Ok(tries),
                Attempt::Refused(why) => {
                    return Err(self.scrub(&format!("{why} (not retried)")));
                }
                Attempt::Failed { why, retry_after } => {
                    let Some(wait) = self.policy.waits.get(tries as usize - 1) else {
                        return Err(self.scrub(&format!("after {}: {why}", count(tries))));
                    };
                    let wait = retry_after.map_or(*wait, |asked| {
                        asked.min(self.policy.longest_retry_after).max(*wait)
                    });
                    if !pause(wait, stop_by).await {
                        return Err(self.scrub(&stopped(tries, &why)));
                    }
                    why
                }
            };
            last = why;
        }
    }

    fn body(&self, alert: &Alert) -> Value {
        match &self.chat_id {
            Some(chat_id) => json!({ "chat_id": chat_id, "text": alert.text }),
            None => {
                let at = alert.source.at;
                json!({
                    "event": alert.event.name(),
                    "at": at.to_rfc3339_opts(SecondsFormat::Millis, true),
                    "at_ist": to_ist(at).to_rfc3339_opts(SecondsFormat::Millis, true),
                    "paper": self.paper,
                    "text": alert.text,
                    "entry": serde_json::to_value(&alert.source.entry).unwrap_or(Value::Null),
                })
            }
        }
    }

    /// The timeout of the next request: the policy's, cut to what is left before a stop.
    fn time_left(&self, stop_by: &StopBy) -> Option<Duration> {
        match *stop_by.borrow() {
            None => Some(self.policy.timeout),
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                (!left.is_zero()).then(|| left.min(self.policy.timeout))
            }
        }
    }

    async fn attempt(&self, body: &Value, timeout: Duration) -> Attempt {
        let request = self
            .client
            .post(self.url.clone())
            .json(body)
            .timeout(timeout);
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => {
                return Attempt::Failed {
                    why: transport_failure(&e.without_url(), timeout),
                    retry_after: None,
                };
            }
        };
        let status = response.status();
        let retry_header = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let answer = read_capped(response).await;
        if status.is_success() {
            return Attempt::Delivered;
        }
        let parsed: Option<Value> = serde_json::from_slice(&answer).ok();
        let detail = parsed
            .as_ref()
            .and_then(|v| v.get("description")?.as_str().map(str::to_string))
            .unwrap_or_else(|| snippet(&answer));
        let why = format!("HTTP {}: {detail}", status.as_u16());
        if status == StatusCode::TOO_MANY_REQUESTS {
            let asked = parsed
                .as_ref()
                .and_then(|v| v.get("parameters")?.get("retry_after")?.as_u64())
                .or(retry_header);
            Attempt::Failed {
                why,
                retry_after: asked.map(Duration::from_secs),
            }
        } else if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
            Attempt::Failed {
                why,
                retry_after: None,
            }
        } else {
            Attempt::Refused(why)
        }
    }

    /// `text` with every secret of this channel replaced.
    pub fn scrub(&self, text: &str) -> String {
        self.secrets.iter().fold(text.to_string(), |text, secret| {
            text.replace(secret.as_str(), "<redacted>")
        })
    }
}

/// Waits `wait`, unless a stop comes whose deadline it would pass: false then.
async fn pause(wait: Duration, stop_by: &mut StopBy) -> bool {
    let until = Instant::now() + wait;
    loop {
        if let Some(deadline) = *stop_by.borrow_and_update() {
            if until > deadline {
                return false;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep_until(until) => return true,
            changed = stop_by.changed() => {
                if changed.is_err() {
                    tokio::time::sleep_until(until).await;
                    return true;
                }
            }
        }
    }
}

fn count(tries: u32) -> String {
    match tries {
        1 => "1 try".into(),
        n => format!("{n} tries"),
    }
}

fn stopped(tries: u32, last: &str) -> String {
    if tries == 0 {
        "not sent: dalal stopped before it could be".into()
    } else {
        format!(
            "not retried after {}, dalal was stopping: {last}",
            count(tries)
        )
    }
}

/// A failed request in a fixed vocabulary, with the innermost cause (an OS error, never a URL).
fn transport_failure(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("no answer within {:.1} s", timeout.as_secs_f64());
    }
    let mut cause: &dyn std::error::Error = e;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    let what = if e.is_connect() {
        "cannot connect"
    } else {
        "the request failed"
    };
    format!("{what}: {cause}")
}

async fn read_capped(mut response: reqwest::Response) -> Vec<u8> {
    let mut answer = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = ANSWER_LIMIT - answer.len();
        answer.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if answer.len() >= ANSWER_LIMIT {
            break;
        }
    }
    answer
}

fn snippet(answer: &[u8]) -> String {
    let text = String::from_utf8_lossy(answer);
    let text: String = text.trim().chars().take(200).collect();
    if text.is_empty() {
        "no answer body".into()
    } else {
        text
    }
}
