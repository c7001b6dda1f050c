//! The status endpoint: `/health` for container health checks, `/status` as JSON for people and scripts,
//! `/metrics` for Prometheus. Loopback by default; a container sets `status.listen` to `0.0.0.0:PORT`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::board::StatusBoard;
use super::metrics;
use crate::calendar::Clock;

#[derive(Clone)]
struct Shared {
    board: Arc<StatusBoard>,
    clock: Clock,
}

/// The running endpoint; dropping it stops serving.
pub struct StatusServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl StatusServer {
    pub async fn start(
        addr: SocketAddr,
        board: Arc<StatusBoard>,
        clock: Clock,
    ) -> std::io::Result<StatusServer> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let app = Router::new()
            .route("/health", get(health))
            .route("/status", get(status))
            .route("/metrics", get(prometheus))
            .with_state(Shared { board, clock });
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "the status endpoint stopped");
            }
        });
        Ok(StatusServer { addr, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for StatusServer {
    fn drop(&mut self) {
        self.task.abort();
    }
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
