//! The simulator's HDFC Sky login: the six calls (token id, username, OTP, PIN, consent, access token), each
//! checked against the step the login has reached, and the access token issued as a JWT whose `sub` is the
//! client id. A token id this host did not issue is "invalid login attempt", as production answers a token id
//! from the UAT host. The redirect login ends in the same `access-token` call.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;

use super::hdfcsky_rest::{Answer, SkyRefusal, app_checked, sky_error};
use super::state::{SimState, SkyLoginStep};
use crate::broker::hdfcsky::rest_types::{
    AccessTokenData, LoginProgress, LoginStart, RequestTokenData, TwoFa, TwoFaQuestion,
};
use crate::broker::hdfcsky::unsigned_token;

type Shared = State<Arc<SimState>>;
type Params = Query<HashMap<String, String>>;

const CALLBACK: &str = "http://127.0.0.1/dalal-callback";

fn bad(message: &str) -> SkyRefusal {
    sky_error(StatusCode::BAD_REQUEST, 44000, message)
}

fn invalid_attempt() -> SkyRefusal {
    sky_error(StatusCode::UNAUTHORIZED, 40000, "invalid login attempt")
}

fn field(body: &Bytes, name: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value.get(name)?.as_str().map(str::to_string)
}

/// One answer of the login (username, OTP or PIN): the step the login must be at and moves to, the body's
/// field that holds the answer, what accepts it, and the refusal of a wrong one.
struct Answered<'a> {
    from: SkyLoginStep,
    to: SkyLoginStep,
    field: &'a str,
    right: &'a dyn Fn(&str) -> bool,
    wrong: &'a str,
}

/// Checks the app, the login's step and the answer, then moves the login on; returns its token id.
fn advance(
    state: &SimState,
    params: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &Bytes,
    step: Answered<'_>,
) -> Result<String, SkyRefusal> {
    app_checked(state, headers, params)?;
    let token_id = params.get("token_id").cloned().unwrap_or_default();
    let (mut inner, _) = state.at_now();
    match inner.sky_logins.get(&token_id) {
        None => return Err(invalid_attempt()),
        Some(at) if *at != step.from => return Err(bad("login steps out of order: start again")),
        Some(_) => {}
    }
    if !field(body, step.field).is_some_and(|answer| (step.right)(&answer)) {
        return Err(bad(step.wrong));
    }
    inner.sky_logins.insert(token_id.clone(), step.to);
    Ok(token_id)
}

fn issue(state: &SimState, prefix: &str) -> String {
    let (mut inner, _) = state.at_now();
    inner.logins_issued += 1;
    format!(
        "{prefix}{:030x}",
        inner.logins_issued.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    )
}

fn progress(state: &SimState, message: &str, question: Option<&str>) -> Answer {
    Ok(Json(LoginProgress {
        name: "Simulated Trader".into(),
        login_id: state.sky.username.clone(),
        message: message.into(),
        two_fa_enabled: true,
        twofa: TwoFa {
            questions: question
                .map(|q| vec![TwoFaQuestion { question: q.into() }])
                .unwrap_or_default(),
        },
    })
    .into_response())
}

pub async fn start(State(state): Shared, Query(params): Params, headers: HeaderMap) -> Answer {
    app_checked(&state, &headers, &params)?;
    let token_id = issue(&state, "");
    state
        .at_now()
        .0
        .sky_logins
        .insert(token_id.clone(), SkyLoginStep::Started);
    Ok(Json(LoginStart { token_id }).into_response())
}

pub async fn username(
    State(state): Shared,
    Query(params): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let step = Answered {
        from: SkyLoginStep::Started,
        to: SkyLoginStep::OtpSent,
        field: "username",
        right: &|name| name.eq_ignore_ascii_case(&state.sky.username),
        wrong: "invalid username",
    };
    advance(&state, &params, &headers, &body, step)?;
    progress(
        &state,
        "OTP sent to mobile ******0001 and email s***@example.com",
        None,
    )
}

pub async fn otp(
    State(state): Shared,
    Query(params): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let step = Answered {
        from: SkyLoginStep::OtpSent,
        to: SkyLoginStep::OtpValidated,
        field: "otp",
        right: &|otp| otp == state.sky.otp,
        wrong: "Invalid OTP",
    };
    advance(&state, &params, &headers, &body, step)?;
    progress(
        &state,
        "OTP validated",
        Some("Please enter your 4-digit PIN"),
    )
}

pub async fn pin(
    State(state): Shared,
    Query(params): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let step = Answered {
        from: SkyLoginStep::OtpValidated,
        to: SkyLoginStep::PinValidated,
        field: "answer",
        right: &|pin| pin == state.sky.pin,
        wrong: "Invalid PIN",
    };
    let token_id = advance(&state, &params, &headers, &body, step)?;
    let request_token = issue(&state, "r1");
    state
        .at_now()
        .0
        .sky_request_tokens
        .insert(request_token.clone(), token_id);
    Ok(Json(RequestTokenData {
        request_token,
        callback_url: CALLBACK.into(),
        authorised: false,
    })
    .into_response())
}

/// Step 5: consent, which replaces the request token with a new one.
pub async fn authorise(State(state): Shared, Query(params): Params, headers: HeaderMap) -> Answer {
    app_checked(&state, &headers, &params)?;
    let token_id = params.get("token_id").cloned().unwrap_or_default();
    let request_token = params.get("request_token").cloned().unwrap_or_default();
    {
        let (inner, _) = state.at_now();
        if inner.sky_logins.get(&token_id) != Some(&SkyLoginStep::PinValidated) {
            return Err(invalid_attempt());
        }
        if inner.sky_request_tokens.get(&request_token) != Some(&token_id) {
            return Err(bad("invalid request_token"));
        }
    }
    if !params
        .get("consent")
        .is_some_and(|c| c.eq_ignore_ascii_case("true"))
    {
        return Err(bad("consent is required to authorise the app"));
    }
    let fresh = issue(&state, "r2");
    let (mut inner, _) = state.at_now();
    inner.sky_request_tokens.remove(&request_token);
    inner.sky_logins.remove(&token_id);
    inner.sky_request_tokens.insert(fresh.clone(), token_id);
    Ok(Json(RequestTokenData {
        request_token: fresh,
        callback_url: CALLBACK.into(),
        authorised: true,
    })
    .into_response())
}

/// Step 6 (and the end of the browser login): the request token and the API secret, under `apiSecret`.
pub async fn access_token(
    State(state): Shared,
    Query(params): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    app_checked(&state, &headers, &params)?;
    match field(&body, "apiSecret") {
        Some(secret) if secret == state.sky.api_secret => {}
        Some(_) => {
            return Err(sky_error(
                StatusCode::UNAUTHORIZED,
                40000,
                "Request Unauthorised",
            ));
        }
        None => return Err(bad("`apiSecret` is required")),
    }
    let request_token = params.get("request_token").cloned().unwrap_or_default();
    let (mut inner, now) = state.at_now();
    if inner.sky_request_tokens.remove(&request_token).is_none() {
        return Err(invalid_attempt());
    }
    inner.logins_issued += 1;
    let access_token = unsigned_token(&state.sky.client_id, now, inner.logins_issued);
    inner.sky_tokens.insert(access_token.clone());
    Ok(Json(AccessTokenData { access_token }).into_response())
}
