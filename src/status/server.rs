//! The status endpoint: the live page at `/` (its updates pushed as server-sent events on `/events`), `/health`
//! for container health checks, `/status` as JSON for people and scripts, `/metrics` for Prometheus, and the
//! operator's controls at `POST /control/...`. Loopback by default; a container sets `status.listen` to
//! `0.0.0.0:PORT`, and anything beyond the machine belongs behind a reverse proxy with TLS (see the README).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::{get, post};
use futures_util::Stream;
use tokio::net::TcpListener;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

use super::board::StatusBoard;
use super::controls::{ControlAction, OperatorControls};
use super::metrics;
use crate::calendar::Clock;
use crate::journal::Journal;

/// How often the live page gets a fresh snapshot.
const PUSH_EVERY: Duration = Duration::from_secs(1);
const LIVE_PAGE: &str = include_str!("live_page.html");

#[derive(Clone)]
struct Shared {
    board: Arc<StatusBoard>,
    clock: Clock,
    controls: Option<Arc<OperatorControls>>,
}

/// The running endpoint; dropping it stops serving.
pub struct StatusServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
    follower: Option<JoinHandle<()>>,
}

impl StatusServer {
    pub async fn start(
        addr: SocketAddr,
        board: Arc<StatusBoard>,
        clock: Clock,
    ) -> std::io::Result<StatusServer> {
        Self::start_console(addr, board, clock, None, None).await
    }

    /// The endpoint with the live page's list of events taken from `journal`, and the operator's `controls`
    /// (every control refused without them).
    pub async fn start_console(
        addr: SocketAddr,
        board: Arc<StatusBoard>,
        clock: Clock,
        journal: Option<&Journal>,
        controls: Option<Arc<OperatorControls>>,
    ) -> std::io::Result<StatusServer> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let follower = journal.map(|journal| follow_journal(Arc::clone(&board), journal));
        let app = Router::new()
            .route("/", get(live_page))
            .route("/events", get(events))
            .route("/health", get(health))
            .route("/status", get(status))
            .route("/metrics", get(prometheus))
            .route("/control/{*action}", post(control))
            .with_state(Shared {
                board,
                clock,
                controls,
            });
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "the status endpoint stopped");
            }
        });
        Ok(StatusServer {
            addr,
            task,
            follower,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for StatusServer {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(follower) = &self.follower {
            follower.abort();
        }
    }
}

/// Puts every journal entry on the board's list of events; one that fell behind skips what it missed.
fn follow_journal(board: Arc<StatusBoard>, journal: &Journal) -> JoinHandle<()> {
    let mut entries = journal.watch();
    tokio::spawn(async move {
        loop {
            match entries.recv().await {
                Ok(event) => board.journaled(event.at, &event.entry),
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            }
        }
    })
}

async fn live_page() -> Html<&'static str> {
    Html(LIVE_PAGE)
}

/// A `status` event with the whole snapshot at once, then every `PUSH_EVERY`.
async fn events(
    State(shared): State<Shared>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stream = futures_util::stream::unfold(true, move |first| {
        let shared = shared.clone();
        async move {
            if !first {
                tokio::time::sleep(PUSH_EVERY).await;
            }
            let snapshot = shared.board.snapshot(shared.clock.now());
            let event = Event::default()
                .event("status")
                .json_data(&snapshot)
                .unwrap_or_else(|_| Event::default().comment("unserializable snapshot"));
            Some((Ok(event), false))
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn control(
    State(shared): State<Shared>,
    Path(action): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(action) = ControlAction::parse(&action) else {
        return (
            StatusCode::NOT_FOUND,
            "no such control: pause, resume, flatten, flatten/SYMBOL or kill\n",
        )
            .into_response();
    };
    let Some(controls) = &shared.controls else {
        return (StatusCode::FORBIDDEN, "controls are off in this process\n").into_response();
    };
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let (code, text) = controls.handle(&action, authorization).await;
    let mut response = (code, format!("{text}\n")).into_response();
    if code == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
    }
    response
}

async fn health(State(shared): State<Shared>) -> Response {
    let snapshot = shared.board.snapshot(shared.clock.now());
    let code = if snapshot.healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, format!("{}\n", snapshot.health_reason)).into_response()
}

async fn status(State(shared): State<Shared>) -> Response {
    Json(shared.board.snapshot(shared.clock.now())).into_response()
}

async fn prometheus(State(shared): State<Shared>) -> Response {
    let body = metrics::render(&shared.board.snapshot(shared.clock.now()));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}
