//! Logging in to HDFC Sky, the two ways it allows, both ending in an access token.
//!
//! - The API flow, six calls on one host: a token id, the username (which sends an OTP by SMS and email), the
//!   OTP, the PIN, the consent, and the access token in exchange for the request token and the API secret.
//!   The OTP and the PIN come from a `LoginPrompt`: the terminal for a trader, a script in tests.
//! - The browser flow: the trader opens `redirect_url`, logs in on HDFC Sky's pages, and brings back the
//!   request token from the redirect; `exchange_request_token` turns it into an access token.
//!
//! No TOTP option is documented, so a person supplies the OTP every day. The PIN, the secret and the tokens are
//! `Secret`s: never printed, never logged.

use reqwest::{Method, RequestBuilder};
use serde::de::DeserializeOwned;
use thiserror::Error;
use url::Url;

use super::rest_client::{http_client, send_raw};
use super::rest_types::{AccessTokenData, LoginProgress, LoginStart, RequestTokenData};
use crate::broker::{BrokerError, RestSettings};
use crate::config::Secret;

#[derive(Debug, Error)]
pub enum LoginError {
    #[error("HDFC Sky refused the login at step {step} ({what}): {source}")]
    Step {
        step: u8,
        what: &'static str,
        #[source]
        source: BrokerError,
    },
    #[error("the login was abandoned: {0}")]
    Prompt(String),
}

/// Where the trader's answers come from.
pub trait LoginPrompt {
    /// The OTP HDFC Sky just sent; `sent_to` is its message naming the phone or address.
    fn otp(&mut self, sent_to: &str) -> Result<String, LoginError>;
    /// The PIN, asked with HDFC Sky's own question. Never echoed.
    fn pin(&mut self, question: &str) -> Result<Secret, LoginError>;
}

/// One login against one host: every step must go to the host that issued the token id.
pub struct SkyLogin {
    http: reqwest::Client,
    base: Url,
    api_key: Secret,
}

impl SkyLogin {
    pub fn new(base: Url, api_key: Secret) -> Result<SkyLogin, BrokerError> {
        Ok(SkyLogin {
            http: http_client(&RestSettings::hdfcsky())?,
            base,
            api_key,
        })
    }

    /// The page a trader opens for the browser login.
    pub fn redirect_url(&self) -> Url {
        let mut url = self.base.join("/oapi/v1/login").expect("a valid path");
        url.query_pairs_mut()
            .append_pair("api_key", self.api_key.expose());
        url
    }

    /// The six-call API login.
    pub async fn with_otp(
        &self,
        username: &str,
        api_secret: &Secret,
        prompt: &mut dyn LoginPrompt,
    ) -> Result<Secret, LoginError> {
        let start: LoginStart = self
            .call(1, "token id", Method::GET, "/oapi/v1/login", &[], None)
            .await?;
        let token_id = [("token_id", start.token_id.as_str())];
        let sent: LoginProgress = self
            .call(
                2,
                "username",
                Method::POST,
                "/oapi/v1/login-channel/validate",
                &token_id,
                Some(serde_json::json!({ "username": username })),
            )
            .await?;
        let otp = prompt.otp(&sent.message)?;
        let validated: LoginProgress = self
            .call(
                3,
                "OTP",
                Method::PUT,
                "/oapi/v1/otp/validate",
                &token_id,
                Some(serde_json::json!({ "otp": otp.trim() })),
            )
            .await?;
        let question = validated
            .twofa
            .questions
            .first()
            .map_or("PIN", |q| q.question.as_str());
        let pin = prompt.pin(question)?;
        let answered: RequestTokenData = self
            .call(
                4,
                "PIN",
                Method::POST,
                "/oapi/v1/twofa/validate",
                &token_id,
                Some(serde_json::json!({ "answer": pin.expose() })),
            )
            .await?;
        let consent = [
            ("token_id", start.token_id.as_str()),
            ("consent", "true"),
            ("request_token", answered.request_token.as_str()),
        ];
        let authorised: RequestTokenData = self
            .call(
                5,
                "consent",
                Method::GET,
                "/oapi/v1/authorise",
                &consent,
                None,
            )
            .await?;
        // Step 5 issues a new request token; the one from step 4 is the fallback integrators use.
        let request_token = if authorised.request_token.is_empty() {
            answered.request_token
        } else {
            authorised.request_token
        };
        self.access_token(6, &request_token, api_secret).await
    }

    /// The browser flow's last step: the request token from the redirect for an access token.
    pub async fn exchange_request_token(
        &self,
        request_token: &str,
        api_secret: &Secret,
    ) -> Result<Secret, LoginError> {
        self.access_token(1, request_token.trim(), api_secret).await
    }

    async fn access_token(
        &self,
        step: u8,
        request_token: &str,
        api_secret: &Secret,
    ) -> Result<Secret, LoginError> {
        let data: AccessTokenData = self
            .call(
                step,
                "access token",
                Method::POST,
                "/oapi/v1/access-token",
                &[("request_token", request_token)],
                Some(serde_json::json!({ "apiSecret": api_secret.expose() })),
            )
            .await?;
        Ok(Secret::new(data.access_token))
    }

    /// One login call, its answer read at the top level or, defensively, inside `data`.
    async fn call<T: DeserializeOwned>(
        &self,
        step: u8,
        what: &'static str,
        method: Method,
        path: &'static str,
        query: &[(&str, &str)],
        body: Option<serde_json::Value>,
    ) -> Result<T, LoginError> {
        let fail = |source| LoginError::Step { step, what, source };
        let mut request: RequestBuilder = self.http.request(method, self.url(path, query));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let value: serde_json::Value = send_raw(request, path).await.map_err(fail)?;
        login_answer(value, path).map_err(fail)
    }

    fn url(&self, path: &str, query: &[(&str, &str)]) -> Url {
        let mut url = self.base.join(path).expect("paths are valid");
        {
            let mut pairs = url.query_pairs_mut();
            pairs.append_pair("api_key", self.api_key.expose());
            for (name, value) in query {
                pairs.append_pair(name, value);
            }
        }
        url
    }
}

/// A login step's answer, read at the top level or, defensively, inside `data` (fuzzed apart from the socket).
pub(crate) fn login_answer<T: DeserializeOwned>(
    value: serde_json::Value,
    path: &str,
) -> Result<T, BrokerError> {
    let inner = value.get("data").filter(|d| d.is_object()).cloned();
    serde_json::from_value(value)
        .or_else(|e| inner.map_or(Err(e), serde_json::from_value))
        .map_err(|e| {
            BrokerError::new(
                crate::broker::ErrorClass::Malformed,
                path,
                format!("cannot read the answer: {e}"),
            )
        })
}
