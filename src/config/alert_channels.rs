//! Where alerts go: the channels set in the environment. The bot token, the chat and the webhook URL (which
//! often carries a secret of its own) come only from the environment or the private `.env`, like the broker
//! credentials, and are never shown: a channel is on when its variables are set.

use std::fmt;
use std::path::{Path, PathBuf};

use url::Url;

use super::error::{ConfigError, ConfigErrorKind};
use super::secrets::{Secret, secret_variable};

pub const TELEGRAM_BOT_TOKEN: &str = "DALAL_TELEGRAM_BOT_TOKEN";
pub const TELEGRAM_CHAT_ID: &str = "DALAL_TELEGRAM_CHAT_ID";
pub const ALERT_WEBHOOK_URL: &str = "DALAL_ALERT_WEBHOOK_URL";

/// A Telegram chat to send alerts to, through one bot.
#[derive(Clone)]
pub struct TelegramTarget {
    pub bot_token: Secret,
    /// A chat id (`-1001234567890`) or a public channel's `@username`.
    pub chat_id: String,
}

/// An address to POST each alert to as JSON. The URL is a secret: a webhook's path usually is its password.
#[derive(Clone)]
pub struct WebhookTarget {
    url: Url,
}

impl WebhookTarget {
    pub fn expose_url(&self) -> &Url {
        &self.url
    }
}

/// Where alerts go: the channels whose environment variables are set.
#[derive(Clone, Default)]
pub struct AlertTargets {
    pub telegram: Option<TelegramTarget>,
    pub webhook: Option<WebhookTarget>,
}

impl fmt::Debug for AlertTargets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AlertTargets({})", self.describe())
    }
}

impl AlertTargets {
    /// Reads the channels from `env` (the process environment in production), else the private `.env` at
    /// `dotenv`. A half-configured or malformed channel is an error naming its variable, never its value.
    pub fn load(
        env: impl Fn(&str) -> Option<String>,
        dotenv: &Path,
    ) -> Result<AlertTargets, Vec<ConfigError>> {
        let mut errors = Vec::new();
        let mut read = |variable: &str| {
            secret_variable(variable, &env, dotenv)
                .map_err(|e| errors.push(e))
                .ok()
                .flatten()
        };
        let token = read(TELEGRAM_BOT_TOKEN);
        let chat = read(TELEGRAM_CHAT_ID);
        let webhook = read(ALERT_WEBHOOK_URL);
        let telegram = match (token, chat) {
            (Some(bot_token), Some(chat)) => {
                if !is_bot_token(bot_token.expose()) {
                    errors.push(env_error(
                        ConfigErrorKind::WrongType,
                        TELEGRAM_BOT_TOKEN,
                        "it is not a Telegram bot token (digits, a colon, then letters, digits, `_` or `-`)".into(),
                        "copy the token @BotFather gave you, whole".into(),
                    ));
                }
                if !is_chat_id(chat.expose()) {
                    errors.push(env_error(
                        ConfigErrorKind::WrongType,
                        TELEGRAM_CHAT_ID,
                        "the value is not a chat id".to_string(),
                        "give the chat's number (e.g. 123456789, or -1001234567890 for a group) or a channel's \
                         @username"
                            .into(),
                    ));
                }
                Some(TelegramTarget {
                    bot_token,
                    chat_id: chat.expose().to_string(),
                })
            }
            (Some(_), None) => {
                errors.push(half_telegram(TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID));
                None
            }
            (None, Some(_)) => {
                errors.push(half_telegram(TELEGRAM_CHAT_ID, TELEGRAM_BOT_TOKEN));
                None
            }
            (None, None) => None,
        };
        let webhook = webhook.and_then(|secret| match Url::parse(secret.expose()) {
            Ok(url) if matches!(url.scheme(), "https" | "http") && url.has_host() => {
                Some(WebhookTarget { url })
            }
            _ => {
                errors.push(env_error(
                    ConfigErrorKind::WrongType,
                    ALERT_WEBHOOK_URL,
                    "it is not an http(s) address (its value is not shown: it may hold a secret)"
                        .into(),
                    "give the whole address, e.g. https://hooks.example.com/…".into(),
                ));
                None
            }
        });
        if errors.is_empty() {
            Ok(AlertTargets { telegram, webhook })
        } else {
            Err(errors)
        }
    }

    pub fn is_empty(&self) -> bool {
        self.telegram.is_none() && self.webhook.is_none()
    }

    /// The channels that are on, for people: "telegram and webhook", "none".
    pub fn describe(&self) -> String {
        match (self.telegram.is_some(), self.webhook.is_some()) {
            (true, true) => "telegram and webhook".into(),
            (true, false) => "telegram".into(),
            (false, true) => "webhook".into(),
            (false, false) => "none".into(),
        }
    }
}

fn is_bot_token(token: &str) -> bool {
    let valid_secret = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    match token.split_once(':') {
        Some((id, secret)) => {
            !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) && valid_secret(secret)
        }
        None => false,
    }
}

fn is_chat_id(chat: &str) -> bool {
    let digits = chat.strip_prefix('-').unwrap_or(chat);
    let numeric = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    let username = chat.strip_prefix('@').is_some_and(|name| {
        name.len() >= 4 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    });
    numeric || username
}

fn half_telegram(set: &str, missing: &str) -> ConfigError {
    env_error(
        ConfigErrorKind::MissingSecret,
        missing,
        format!("{set} is set but {missing} is not: Telegram alerts need both"),
        format!(
            "export {missing}=… as well (docker run -e {missing}), or unset {set} to send no Telegram alerts"
        ),
    )
}

fn env_error(kind: ConfigErrorKind, variable: &str, problem: String, fix: String) -> ConfigError {
    ConfigError {
        kind,
        file: PathBuf::from("environment or .env"),
        key: Some(variable.to_string()),
        line: None,
        problem,
        fix,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "123456789:AAE-test_secret_part_of_the_token";

    fn load(vars: &[(&str, &str)]) -> Result<AlertTargets, Vec<ConfigError>> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        AlertTargets::load(
            |k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()),
            Path::new("/nonexistent/.env"),
        )
    }

    #[test]
    fn a_channel_is_on_when_its_variables_are_set() {
        let none = load(&[]).unwrap();
        assert!(none.is_empty());
        let both = load(&[
            (TELEGRAM_BOT_TOKEN, TOKEN),
            (TELEGRAM_CHAT_ID, "-1001234567890"),
            (
                ALERT_WEBHOOK_URL,
                "https://hooks.example.com/T0/B0/xyz?key=s3cret",
            ),
        ])
        .unwrap();
        assert_eq!(both.describe(), "telegram and webhook");
        assert_eq!(both.telegram.as_ref().unwrap().chat_id, "-1001234567890");
        let debug = format!("{both:?}");
        assert!(
            !debug.contains("AAE") && !debug.contains("s3cret"),
            "{debug}"
        );
    }

    #[test]
    fn a_half_or_malformed_channel_is_named_and_its_secret_not_shown() {
        let errors = load(&[(TELEGRAM_BOT_TOKEN, TOKEN)]).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].key.as_deref(), Some(TELEGRAM_CHAT_ID));
        assert_eq!(errors[0].kind, ConfigErrorKind::MissingSecret);

        let errors = load(&[
            (TELEGRAM_BOT_TOKEN, "not a token/with a slash"),
            (TELEGRAM_CHAT_ID, "my chat"),
            (ALERT_WEBHOOK_URL, "hooks.example.com/s3cret"),
        ])
        .unwrap_err();
        let keys: Vec<_> = errors.iter().filter_map(|e| e.key.as_deref()).collect();
        assert_eq!(
            keys,
            [TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID, ALERT_WEBHOOK_URL]
        );
        let shown: String = errors.iter().map(|e| format!("{e}\n")).collect();
        assert!(!shown.contains("with a slash"), "{shown}");
        assert!(!shown.contains("s3cret"), "{shown}");
    }

    #[test]
    fn chat_ids_and_tokens_in_their_shapes() {
        for good in ["123456789", "-1001234567890", "@dalal_alerts"] {
            assert!(is_chat_id(good), "{good}");
        }
        for bad in ["", "-", "12 34", "@ab", "chat"] {
            assert!(!is_chat_id(bad), "{bad}");
        }
        assert!(is_bot_token(TOKEN));
        for bad in [
            "123456789",
            ":abc",
            "12a:abc",
            "123:",
            "123:ab/cd",
            "123:ab cd",
        ] {
            assert!(!is_bot_token(bad), "{bad}");
        }
    }
}
