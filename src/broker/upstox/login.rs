//! Upstox's daily login, an OAuth2 authorization code (reference §1): the dialog URL a trader opens, the code
//! read back out of the redirect (with the `state` checked), and the one exchange of that code for the day's
//! access token. A code works once and is spent even by an exchange that fails, and the token lives until the
//! next 03:30 IST with no refresh token: this runs every trading morning.

use chrono::{DateTime, Days, NaiveTime, Utc};
use reqwest::header;
use url::Url;

use super::rest_client::{USER_AGENT, error_from_body};
use super::rest_types::TokenData;
use crate::broker::http_policy::{exchange, http_client};
use crate::broker::{BrokerError, ErrorClass, RestSettings, stated_expiry};
use crate::calendar::{IST, ist_instant, to_ist};
use crate::config::Secret;

/// The redirect URI `dalal login upstox` assumes when none is given: register it on the app to let dalal catch
/// the redirect itself (`--listen`).
pub const DEFAULT_REDIRECT_URI: &str = "http://127.0.0.1:5055/callback";

const DIALOG_PATH: &str = "/v2/login/authorization/dialog";
const TOKEN_PATH: &str = "/v2/login/authorization/token";

/// What went wrong in a login, each with what the trader does about it.
#[derive(Debug, thiserror::Error)]
pub enum UpstoxLoginError {
    #[error(
        "Upstox refused the code (UDAPI100057 Invalid Auth code): a code works once and is spent even by an \
         exchange that failed; open the dialog URL again for a new one"
    )]
    CodeRefused,
    #[error(
        "Upstox says the client_id or the redirect URI is wrong (UDAPI100068): the redirect URI must equal the \
         one registered on the app character for character (--redirect-uri or UPSTOX_REDIRECT_URI), and \
         UPSTOX_API_KEY must be that app's key"
    )]
    AppMismatch,
    #[error(
        "Upstox refused the API secret (UDAPI100016 Invalid Credentials): check UPSTOX_API_SECRET against the app \
         in the Upstox developer console; the code is spent, so log in again after fixing it"
    )]
    WrongSecret,
    #[error(
        "the redirect's `state` is not the one this login sent: the address comes from another login (or was \
         tampered with); open the dialog URL printed by this run"
    )]
    StateMismatch,
    #[error("the dialog sent back no code: {0}")]
    NoCode(String),
    #[error("the token exchange failed: {0}")]
    Broker(#[from] BrokerError),
}

/// The day's token and whose it is.
pub struct IssuedToken {
    pub token: Secret,
    pub user_id: String,
    pub user_name: String,
    /// When the token stops working: what the token itself says, else the next 03:30 IST.
    pub expires: DateTime<Utc>,
}

/// One Upstox app (its API key and registered redirect URI) logging in against one host.
pub struct UpstoxLogin {
    http: reqwest::Client,
    base: Url,
    api_key: Secret,
    redirect_uri: Url,
}

impl UpstoxLogin {
    pub fn new(base: Url, api_key: Secret, redirect_uri: Url) -> Result<Self, BrokerError> {
        Ok(UpstoxLogin {
            http: http_client(USER_AGENT, &RestSettings::default())?,
            base,
            api_key,
            redirect_uri,
        })
    }

    pub fn redirect_uri(&self) -> &Url {
        &self.redirect_uri
    }

    /// The page the trader opens to sign in. The API key is the OAuth `client_id`, public by design; the
    /// secret never appears in a URL.
    pub fn dialog_url(&self, state: &str) -> Url {
        let mut url = self.base.join(DIALOG_PATH).expect("a valid path");
        url.query_pairs_mut()
            .append_pair("client_id", self.api_key.expose())
            .append_pair("redirect_uri", self.redirect_uri.as_str())
            .append_pair("response_type", "code")
            .append_pair("state", state);
        url
    }

    /// Exchanges `code` once for the day's token. Never retried: a second try with the same code is refused.
    pub async fn exchange_code(
        &self,
        code: &str,
        api_secret: &Secret,
        now: DateTime<Utc>,
    ) -> Result<IssuedToken, UpstoxLoginError> {
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("code", code)
            .append_pair("client_id", self.api_key.expose())
            .append_pair("client_secret", api_secret.expose())
            .append_pair("redirect_uri", self.redirect_uri.as_str())
            .append_pair("grant_type", "authorization_code")
            .finish();
        let request = self
            .http
            .post(self.base.join(TOKEN_PATH).expect("a valid path"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .header("Api-Version", "2.0")
            .body(form);
        let (status, body) = exchange(request, TOKEN_PATH).await?;
        read_token_answer(status, &body, now)
    }
}

/// The token exchange's answer: the token with its expiry, or the refusal named (fuzzed apart from the socket).
pub(crate) fn read_token_answer(
    status: u16,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<IssuedToken, UpstoxLoginError> {
    if !(200..300).contains(&status) {
        let error = error_from_body(status, body, TOKEN_PATH);
        return Err(match error.code.as_deref() {
            Some("UDAPI100057") => UpstoxLoginError::CodeRefused,
            Some("UDAPI100068") => UpstoxLoginError::AppMismatch,
            Some("UDAPI100016") => UpstoxLoginError::WrongSecret,
            _ => UpstoxLoginError::Broker(error),
        });
    }
    // serde's message could quote a value of the body, which holds the token: only where it failed is kept.
    let data: TokenData = serde_json::from_slice(body).map_err(|e| BrokerError {
        status: Some(status),
        ..BrokerError::new(
            ErrorClass::Malformed,
            TOKEN_PATH,
            format!(
                "cannot read the token answer ({:?} error at line {} column {}): Upstox's answer is flat, \
                 with access_token at the top",
                e.classify(),
                e.line(),
                e.column()
            ),
        )
    })?;
    let token = Secret::new(data.access_token);
    Ok(IssuedToken {
        expires: stated_expiry(&token).unwrap_or_else(|| expiry_after(now)),
        token,
        user_id: data.profile.user_id,
        user_name: data.profile.user_name,
    })
}

/// The code out of what the trader pastes (the whole redirect address, or the code alone), or out of the
/// redirect the loopback listener caught. An address must carry the `state` this login sent.
pub fn code_from_redirect(answer: &str, state: &str) -> Result<String, UpstoxLoginError> {
    let answer = answer.trim();
    let Ok(url) = Url::parse(answer) else {
        if answer.is_empty() || answer.contains(char::is_whitespace) {
            return Err(UpstoxLoginError::NoCode(
                "paste the whole address the browser was sent to, or the code alone".into(),
            ));
        }
        return Ok(answer.to_string());
    };
    let parameter = |name: &str| {
        url.query_pairs()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.into_owned())
    };
    if parameter("state").as_deref() != Some(state) {
        return Err(UpstoxLoginError::StateMismatch);
    }
    match (parameter("code"), parameter("error")) {
        (Some(code), _) if !code.is_empty() => Ok(code),
        (_, Some(error)) => Err(UpstoxLoginError::NoCode(format!(
            "the address says error={error}"
        ))),
        _ => Err(UpstoxLoginError::NoCode(
            "the address has no `code` parameter".into(),
        )),
    }
}

/// The next 03:30 IST after `issued`: when an Upstox access token expires, whatever time it was issued.
pub fn expiry_after(issued: DateTime<Utc>) -> DateTime<Utc> {
    let cutoff = NaiveTime::from_hms_opt(3, 30, 0).expect("a valid time");
    let day = to_ist(issued).date_naive();
    let same_day = ist_instant(day, cutoff);
    if same_day > issued {
        same_day
    } else {
        ist_instant(day + Days::new(1), cutoff)
    }
}

/// An expiry as a trader reads it: "Wed 2 Dec 03:30 IST".
pub fn shown_expiry(expiry: DateTime<Utc>) -> String {
    format!(
        "{} IST",
        expiry.with_timezone(&IST).format("%a %-d %b %H:%M")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ist(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        IST.with_ymd_and_hms(2026, 12, d, h, m, 0).unwrap().to_utc()
    }

    #[test]
    fn a_token_expires_at_the_next_0330_ist_whenever_it_was_issued() {
        assert_eq!(expiry_after(ist(1, 20, 0)), ist(2, 3, 30));
        assert_eq!(expiry_after(ist(2, 2, 30)), ist(2, 3, 30));
        assert_eq!(expiry_after(ist(2, 3, 30)), ist(3, 3, 30));
        assert_eq!(expiry_after(ist(2, 8, 55)), ist(3, 3, 30));
        assert_eq!(shown_expiry(ist(2, 3, 30)), "Wed 2 Dec 03:30 IST");
    }

    #[test]
    fn the_code_comes_from_an_address_with_our_state_or_alone() {
        let pasted = "http://127.0.0.1:5055/callback?code=Ab12Cd&state=s1";
        assert_eq!(code_from_redirect(pasted, "s1").unwrap(), "Ab12Cd");
        assert_eq!(code_from_redirect("  Ab12Cd\n", "s1").unwrap(), "Ab12Cd");
        assert!(matches!(
            code_from_redirect(pasted, "s2"),
            Err(UpstoxLoginError::StateMismatch)
        ));
        assert!(matches!(
            code_from_redirect("http://127.0.0.1:5055/callback?code=Ab12Cd", "s1"),
            Err(UpstoxLoginError::StateMismatch)
        ));
        assert!(matches!(
            code_from_redirect("http://127.0.0.1:5055/callback?state=s1&error=denied", "s1"),
            Err(UpstoxLoginError::NoCode(e)) if e.contains("denied")
        ));
        assert!(code_from_redirect("", "s1").is_err());
        assert!(code_from_redirect("two words", "s1").is_err());
    }
}
