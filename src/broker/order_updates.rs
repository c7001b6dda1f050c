//! The one type that owns a broker's order-update WebSocket (Upstox's portfolio stream feed): open it, read
//! what arrives as `OrderReport`s, and ping it. Reading a message is the broker's pure `read` function; this file
//! only moves bytes.
//!
//! The stream has no traffic while no order moves, so its liveness is checked by pinging: the server answers a
//! ping with a pong, and a connection that answers nothing is silent (see `execution::order_stream`).

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::client::Request;

use super::{BrokerError, OrderReport, ws_handshake};

/// Reads one text message: `Ok(None)` for an update that is not about an order (positions, holdings, GTT).
pub type ReadOrderUpdate = fn(&str) -> Result<Option<OrderReport>, String>;

/// What the connection produced.
#[derive(Debug)]
pub enum OrderUpdate {
    Report(OrderReport),
    /// A pong, a ping, or an update about something other than an order: the connection is alive.
    Alive,
    /// A message that does not read as an update: reported, and the connection stays up.
    Unreadable(String),
    /// The server closed the connection or it broke.
    Closed(String),
}

pub struct OrderUpdateSocket {
    ws: ws_handshake::FeedWebSocket,
    read: ReadOrderUpdate,
}

impl OrderUpdateSocket {
    /// Opens the socket; `explain` words a refused handshake from its status and body (see `ws_handshake`).
    pub(crate) async fn open(
        request: Request,
        read: ReadOrderUpdate,
        endpoint: &str,
        explain: impl Fn(u16, &str) -> String,
    ) -> Result<OrderUpdateSocket, BrokerError> {
        let ws = ws_handshake::open(request)
            .await
            .map_err(|e| ws_handshake::handshake_error(e, endpoint, explain))?;
        Ok(OrderUpdateSocket { ws, read })
    }

    /// The next event; after `Closed` the socket is done. Cancel-safe: nothing is lost when it is dropped
    /// unfinished.
    pub async fn next_update(&mut self) -> OrderUpdate {
        loop {
            let Some(message) = self.ws.next().await else {
                return OrderUpdate::Closed("the connection ended".into());
            };
            return match message {
                Ok(Message::Text(text)) => match (self.read)(&text) {
                    Ok(Some(report)) => OrderUpdate::Report(report),
                    Ok(None) => OrderUpdate::Alive,
                    Err(why) => OrderUpdate::Unreadable(why),
                },
                Ok(Message::Ping(_) | Message::Pong(_)) => OrderUpdate::Alive,
                Ok(Message::Binary(bytes)) => {
                    OrderUpdate::Unreadable(format!("a {}-byte binary message", bytes.len()))
                }
                Ok(Message::Close(frame)) => {
                    let reason = frame.map_or("no reason given".to_string(), |f| {
                        format!("{} {}", f.code, f.reason)
                    });
                    OrderUpdate::Closed(format!("closed by the server: {reason}"))
                }
                Ok(Message::Frame(_)) => continue,
                Err(e) => OrderUpdate::Closed(format!("the connection broke: {e}")),
            };
        }
    }

    /// Sends a ping; an error means the connection is gone.
    pub async fn ping(&mut self) -> Result<(), String> {
        self.ws
            .send(Message::Ping(Vec::new().into()))
            .await
            .map_err(|e| format!("cannot ping: {e}"))
    }

    /// Closes with a normal close frame.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}
