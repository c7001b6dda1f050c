//! Catching a login's redirect on this machine: when the app's registered redirect URI is
//! `http://127.0.0.1:PORT/…` (or `localhost`), dalal listens there for the one request the browser makes after
//! the trader signs in, and reads the code out of it. The page it answers says what happened and never shows
//! the code.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Html;
use tokio::sync::mpsc;
use url::Url;

use crate::broker::upstox::{UpstoxLoginError, code_from_redirect};

/// Where to listen for `redirect_uri`, or why dalal cannot.
fn loopback_address(redirect_uri: &Url) -> anyhow::Result<SocketAddr> {
    if redirect_uri.scheme() != "http" {
        bail!(
            "--listen needs an http:// redirect URI on this machine; {} is not one: leave out --listen and \
             paste the address the browser lands on",
            redirect_uri.scheme()
        );
    }
    let ip = match redirect_uri.host_str() {
        Some("127.0.0.1" | "localhost") => [127, 0, 0, 1],
        _ => bail!(
            "--listen needs a redirect URI on 127.0.0.1 or localhost (register e.g. http://127.0.0.1:5055/callback \
             on the app); without --listen, paste the address the browser lands on"
        ),
    };
    let port = redirect_uri
        .port_or_known_default()
        .context("the redirect URI has no port")?;
    Ok(SocketAddr::from((ip, port)))
}

/// Waits up to `wait` for the browser to arrive at `redirect_uri`, and returns the code it brings (with
/// `state` checked). Requests to other paths (a browser's favicon) are answered 404 and ignored.
pub async fn catch_code(redirect_uri: &Url, state: &str, wait: Duration) -> anyhow::Result<String> {
    let addr = loopback_address(redirect_uri)?;
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen on {addr} for the redirect (is another login running?)")
    })?;
    let (found, mut arrived) = mpsc::channel::<Result<String, UpstoxLoginError>>(1);
    let expected = (redirect_uri.clone(), state.to_string(), found);
    let app = axum::Router::new()
        .fallback(landing)
        .with_state(std::sync::Arc::new(expected));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let outcome = tokio::time::timeout(wait, arrived.recv()).await;
    server.abort();
    match outcome {
        Ok(Some(result)) => Ok(result?),
        Ok(None) => bail!("the redirect listener stopped"),
        Err(_) => bail!(
            "no redirect reached {redirect_uri} within {} s: is that the redirect URI registered on the app? \
             Without --listen, paste the address the browser lands on",
            wait.as_secs()
        ),
    }
}

type Expected = std::sync::Arc<(Url, String, mpsc::Sender<Result<String, UpstoxLoginError>>)>;

async fn landing(State(expected): State<Expected>, uri: Uri) -> (StatusCode, Html<&'static str>) {
    let (redirect_uri, state, found) = &*expected;
    if uri.path() != redirect_uri.path() {
        return (StatusCode::NOT_FOUND, Html("not here"));
    }
    let address = format!(
        "{}://{}{}",
        redirect_uri.scheme(),
        redirect_uri.authority(),
        uri
    );
    let result = code_from_redirect(&address, state);
    let page = match &result {
        Ok(_) => {
            "<p>dalal has the code: the terminal finishes the login. You can close this tab.</p>"
        }
        Err(_) => "<p>dalal could not use this redirect: the terminal says why.</p>",
    };
    let _ = found.try_send(result);
    (StatusCode::OK, Html(page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_http_loopback_uri_can_be_listened_on() {
        let ok = Url::parse("http://127.0.0.1:5055/callback").unwrap();
        assert_eq!(loopback_address(&ok).unwrap().port(), 5055);
        let local = Url::parse("http://localhost:8080/cb").unwrap();
        assert!(loopback_address(&local).is_ok());
        for refused in [
            "https://127.0.0.1:5055/callback",
            "http://example.com/callback",
        ] {
            assert!(
                loopback_address(&Url::parse(refused).unwrap()).is_err(),
                "{refused}"
            );
        }
    }
}
