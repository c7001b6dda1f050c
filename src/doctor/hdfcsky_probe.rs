//! The doctor's HDFC Sky checks: the token through trading info (with the account's available margin from the
//! funds view, as information), `fetch-ltp` for the universe, and the
//! WebSocket with the auth integrators verified live (`?token=…&api_key=…`), with experiments that tell the
//! causes of a refusal apart:
//! - the form most clients try first, `?access_token=…`, is tried too and its 401 shown, so a trader whose own
//!   code fails that way sees why;
//! - a 401 on the right form while REST accepts the token is the socket alone refusing a good token: the
//!   causes integrators have met are listed, none is asserted;
//! - a 403 gets a second handshake: held means three connections are already open for the key (or the
//!   account lacks the feed), passing means a transient refusal.

use std::time::Instant;

use super::feed_probe::{NAME, first_price, outcome};
use super::{
    BrokerFindings, Check, ProbeOutcome, ProbeSettings, Verdict, lists_check, ltp_check,
    token_check,
};
use crate::broker::hdfcsky::{
    Funds, HdfcSkyRest, HdfcSkyStream, SESSION_PATH, SkyFeedSocket, SubscriptionType, scrips,
    session_url,
};
use crate::broker::{BrokerError, FeedStream};
use crate::calendar::Clock;

const RELOGIN: &str = "log in again with `dalal login hdfcsky` (HDFC Sky tokens last about a day and there is \
                       no refresh), then point dalal at the new token file";

pub(super) async fn findings(
    rest: &HdfcSkyRest,
    keys: &[String],
    clock: &Clock,
    in_session: bool,
    settings: &ProbeSettings,
) -> BrokerFindings {
    let http_date = rest
        .server_date()
        .await
        .ok()
        .flatten()
        .map(|d| (d, clock.now()));
    let token = token_check(
        rest.profile().await,
        None,
        clock.now(),
        RELOGIN,
        "HDFC Sky refused the app (40000 Request forbidden): check the app's allowed IPs on the developer \
         portal, and that no proxy strips the User-Agent",
    );
    let token = if token.verdict == Verdict::Pass {
        with_funds(token, rest.funds().await)
    } else {
        token
    };
    let quotes = match scrips(keys) {
        Ok(scrips) => rest.fetch_ltp(&scrips).await,
        Err(e) => Err(e),
    };
    let ltp = ltp_check(
        quotes,
        keys.len(),
        "check the hdfcsky_token of the missing instruments against the security master (an index needs its \
         NSE_INDEX token)",
    );
    let feed = feed_check(rest, keys, clock, in_session, settings).await;
    let read = [
        ("order book", rest.order_rows().await.map(|rows| rows.len())),
        ("trades", rest.trades().await.map(|rows| rows.len())),
        ("positions", rest.positions().await.map(|rows| rows.len())),
    ];
    BrokerFindings {
        http_date,
        token,
        data_token: None,
        ltp,
        status: None,
        feed,
        lists: lists_check(read, rest.take_skipped_rows()),
    }
}

/// A passed token check, its evidence also stating the available margin: information, which never changes the
/// verdict (the session does not need the funds view).
fn with_funds(mut token: Check, funds: Result<Funds, BrokerError>) -> Check {
    let note = match funds {
        Ok(funds) => format!(
            "available margin ₹{} (funds view V1)",
            funds.available_margin.round_dp(2)
        ),
        Err(e) => format!("the funds view could not be read: {e}"),
    };
    token.evidence = format!("{}; {note}", token.evidence);
    token
}

async fn feed_check(
    rest: &HdfcSkyRest,
    keys: &[String],
    clock: &Clock,
    in_session: bool,
    settings: &ProbeSettings,
) -> ProbeOutcome {
    let token = rest.token();
    let url = match session_url(rest.base(), &token, rest.api_key()) {
        Ok(url) => url,
        Err(e) => return outcome(Check::fail(NAME, e.to_string(), "check the HDFC Sky host")),
    };
    let started = Instant::now();
    let socket = match SkyFeedSocket::connect(&url, Some(&token)).await {
        Ok(socket) => socket,
        Err(e) => return outcome(refused(rest, &e).await),
    };
    let handshake_ms = started.elapsed().as_millis();
    let wrong_form = wrong_form_note(rest).await;
    let mut stream = HdfcSkyStream::new(socket, SubscriptionType::Ltp);
    let mut check = if in_session && !keys.is_empty() {
        first_price(&mut stream, keys, clock, settings, handshake_ms).await
    } else {
        let first = tokio::select! {
            event = stream.next_event() => Some(event),
            _ = clock.sleep(settings.frame_timeout) => None,
        };
        Check::pass(
            NAME,
            format!(
                "handshake in {handshake_ms} ms with ?token=…&api_key=…, first frame {}; outside continuous \
                 trading no prices are expected",
                if first.is_some() {
                    "received"
                } else {
                    "not seen"
                }
            ),
        )
    };
    stream.close().await;
    check.evidence = format!("{}; {wrong_form}", check.evidence);
    outcome(check)
}

/// What the server says to the form most clients try first.
async fn wrong_form_note(rest: &HdfcSkyRest) -> String {
    let mut url = match session_url(rest.base(), &rest.token(), rest.api_key()) {
        Ok(url) => url,
        Err(e) => return format!("the ?access_token= experiment could not run: {e}"),
    };
    url.set_query(None);
    url.query_pairs_mut()
        .append_pair("access_token", rest.token().expose())
        .append_pair("api_key", rest.api_key().expose());
    match SkyFeedSocket::connect(&url, None).await {
        Err(e) if e.status == Some(401) => format!(
            "the form many clients try, {SESSION_PATH}?access_token=…, is refused with 401 here too: the \
             parameter must be named token"
        ),
        Err(e) => format!("{SESSION_PATH}?access_token=… failed otherwise: {e}"),
        Ok(socket) => {
            socket.close().await;
            format!("{SESSION_PATH}?access_token=… was accepted too")
        }
    }
}

async fn refused(rest: &HdfcSkyRest, first: &BrokerError) -> Check {
    match first.status {
        Some(401) => match rest.profile().await {
            Ok(_) => Check::fail(
                NAME,
                format!(
                    "{first}; the REST API accepts the same token, so the token is good and the socket alone \
                     refuses it. What HDFC Sky integrators have met behind a handshake 401: the credentials not \
                     sent as ?token=…&api_key=… (dalal sends that form), an api_key other than the one of the app \
                     the token was issued to, or the feed not yet taking a fresh login. dalal run polls fetch-ltp \
                     on this token meanwhile and probes the socket every few seconds"
                ),
                "check that HDFCSKY_API_KEY is the key of the app you logged in with, then run doctor again in a \
                 minute; if the socket still refuses, ask HDFC Sky with the time of this check",
            ),
            Err(e) => Check::fail(
                NAME,
                format!(
                    "{first}; the REST API refuses the token as well ({e}): it is expired or wrong"
                ),
                RELOGIN,
            ),
        },
        Some(403) => {
            let token = rest.token();
            let second = match session_url(rest.base(), &token, rest.api_key()) {
                Ok(url) => SkyFeedSocket::connect(&url, Some(&token)).await,
                Err(e) => Err(e),
            };
            match second {
                Ok(socket) => {
                    socket.close().await;
                    Check::warn(
                        NAME,
                        format!(
                            "the first handshake was refused with 403, a second one connected: {first}"
                        ),
                        "a passing refusal; dalal polls fetch-ltp meanwhile and probes again",
                    )
                }
                Err(e) => Check::fail(
                    NAME,
                    format!(
                        "403 on two handshakes while the token is accepted (the second: {}); the causes, \
                         likeliest first: three connections already open for this API key (another dalal, a \
                         notebook, another platform using the same app), or the account is not enabled for the \
                         feed",
                        e.status
                            .map_or_else(|| e.to_string(), |s| format!("HTTP {s}"))
                    ),
                    "close other sessions using this API key and run doctor again; if it persists, ask HDFC Sky \
                     with the time of this check",
                ),
            }
        }
        Some(status @ 300..=399) => Check::fail(
            NAME,
            format!("the handshake answered a {status} redirect: {first}"),
            "use the wss:// URL of the host (plain ws:// is redirected)",
        ),
        _ => Check::fail(
            NAME,
            format!("the handshake failed: {first}"),
            "check the network and any proxy between this machine and HDFC Sky",
        ),
    }
}
