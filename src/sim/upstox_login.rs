//! The simulator's Upstox login (reference §1): the dialog, which a person would sign in on and which here
//! redirects at once with a code (so a test follows it without a person), and the token exchange with the
//! refusals a trader meets: a reused or unknown code, a wrong secret, a client id or redirect URI that is not
//! the app's. A code is spent by its first exchange, failed or not; the token issued is accepted until the next
//! 03:30 IST on the simulated clock, as Upstox's is.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use url::Url;

use super::state::SimState;
use super::upstox_rest::{error, sim_profile};
use crate::broker::upstox::expiry_after;
use crate::broker::upstox::rest_types::TokenData;

type Shared = State<Arc<SimState>>;

fn app_mismatch() -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "UDAPI100068",
        "Check your 'client_id' and 'redirect_uri'; one or both are incorrect.",
    )
}

/// `GET /v2/login/authorization/dialog`: the app's key and registered redirect URI, then a 302 to that URI
/// with a fresh code and the `state` given.
pub async fn dialog(
    State(state): Shared,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let app = &state.upstox;
    let given = |name: &str| params.get(name).map(String::as_str);
    if given("client_id") != Some(app.api_key.as_str())
        || given("redirect_uri") != Some(app.redirect_uri.as_str())
    {
        return app_mismatch();
    }
    if given("response_type") != Some("code") {
        // The simulator's own answer: Upstox documents none for a wrong response_type.
        return error(
            StatusCode::BAD_REQUEST,
            "UDAPI100036",
            "response_type must be code",
        );
    }
    let Ok(mut target) = Url::parse(&app.redirect_uri) else {
        return app_mismatch();
    };
    let code = {
        let (mut inner, _) = state.at_now();
        inner.logins_issued += 1;
        let code = format!(
            "code{:012x}",
            inner.logins_issued.wrapping_mul(0x9E37_79B9_7F4A)
        );
        inner
            .upstox_codes
            .insert(code.clone(), app.redirect_uri.clone());
        code
    };
    target.query_pairs_mut().append_pair("code", &code);
    if let Some(sent) = given("state") {
        target.query_pairs_mut().append_pair("state", sent);
    }
    (
        StatusCode::FOUND,
        [(header::LOCATION, target.to_string())],
        "signed in: redirecting to the app",
    )
        .into_response()
}

/// `POST /v2/login/authorization/token`, form-encoded: the code is spent first, then the app is checked, then
/// the flat answer carries a token that expires at the next 03:30 IST.
pub async fn token(State(state): Shared, body: Bytes) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let given = |name: &str| form.get(name).map(String::as_str);
    let app = &state.upstox;
    let (mut inner, now) = state.at_now();
    let issued_for = given("code").and_then(|code| inner.upstox_codes.remove(code));
    let Some(issued_for) = issued_for else {
        return error(StatusCode::BAD_REQUEST, "UDAPI100057", "Invalid Auth code");
    };
    if given("grant_type") != Some("authorization_code") {
        return error(
            StatusCode::BAD_REQUEST,
            "UDAPI100036",
            "grant_type must be authorization_code",
        );
    }
    if given("client_id") != Some(app.api_key.as_str())
        || given("redirect_uri") != Some(issued_for.as_str())
    {
        return app_mismatch();
    }
    if given("client_secret") != Some(app.api_secret.as_str()) {
        return error(
            StatusCode::UNAUTHORIZED,
            "UDAPI100016",
            "Invalid Credentials",
        );
    }
    inner.logins_issued += 1;
    let expires = expiry_after(now);
    let access_token = crate::broker::unsigned_jwt(
        &serde_json::json!({
            "sub": "SIM001",
            "iss": "udapi-gateway-service",
            "iat": now.timestamp(),
            "exp": expires.timestamp(),
        }),
        &format!("upstox-sim{:x}", inner.logins_issued),
    );
    inner.upstox_tokens.insert(access_token.clone(), expires);
    Json(TokenData {
        profile: sim_profile(),
        access_token,
    })
    .into_response()
}
