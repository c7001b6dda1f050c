//! The operator's controls: pause and resume new entries, flatten one position or all, and kill (flatten,
//! cancel every order of ours, stop the bot). Each needs `Authorization: Bearer $DALAL_CONTROL_TOKEN`, compared in
//! constant time; with no token configured every control is refused, so an endpoint left open by mistake cannot
//! trade. Every control and every refusal is journaled (`control`); the key never is.
//!
//! Pause and kill are states the runner reads wherever it is (asleep, checking, in a session); a flatten acts on
//! the running session's engine, which answers what it did, so the operator learns whether anything was closed.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use subtle::ConstantTimeEq;
use tokio::sync::{mpsc, oneshot, watch};

use super::board::StatusBoard;
use crate::calendar::Clock;
use crate::journal::{Journal, JournalEntry};

/// The environment variable that holds the controls' key.
pub const CONTROL_TOKEN_ENV: &str = "DALAL_CONTROL_TOKEN";
/// How long a flatten waits for the session to take it before saying none is running.
const SESSION_ANSWERS_WITHIN: Duration = Duration::from_secs(5);

/// What the operator asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControlAction {
    Pause,
    Resume,
    /// One instrument (`RELIANCE` or `NSE:RELIANCE`), or every open position.
    Flatten(Option<String>),
    Kill,
}

impl ControlAction {
    /// The action a `/control/...` path names (`pause`, `resume`, `flatten`, `flatten/SYMBOL`, `kill`).
    pub fn parse(path: &str) -> Option<ControlAction> {
        match path {
            "pause" => Some(ControlAction::Pause),
            "resume" => Some(ControlAction::Resume),
            "flatten" => Some(ControlAction::Flatten(None)),
            "kill" => Some(ControlAction::Kill),
            // An empty or odd symbol is refused: it must never widen into "flatten everything".
            _ => path
                .strip_prefix("flatten/")
                .filter(|symbol| valid_symbol(symbol))
                .map(|symbol| ControlAction::Flatten(Some(symbol.to_ascii_uppercase()))),
        }
    }

    pub fn name(&self) -> String {
        match self {
            ControlAction::Pause => "pause".into(),
            ControlAction::Resume => "resume".into(),
            ControlAction::Flatten(None) => "flatten".into(),
            ControlAction::Flatten(Some(symbol)) => format!("flatten {symbol}"),
            ControlAction::Kill => "kill".into(),
        }
    }
}

/// Symbols are short and plain: anything else in the path is refused before it reaches the journal.
fn valid_symbol(symbol: &str) -> bool {
    (1..=40).contains(&symbol.len())
        && symbol
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-&_:.".contains(&b))
}

/// A flatten for the running session: `symbol` or everything; the session answers what it did, or why not.
pub struct FlattenRequest {
    pub symbol: Option<String>,
    pub reply: oneshot::Sender<Result<String, String>>,
}

/// The runner's side of the controls.
pub struct ControlInbox {
    pub paused: watch::Receiver<bool>,
    pub killed: watch::Receiver<bool>,
    pub flatten: mpsc::Receiver<FlattenRequest>,
}

impl ControlInbox {
    /// An inbox no control ever reaches (a runner without a status endpoint, a soak day).
    pub fn none() -> ControlInbox {
        ControlInbox {
            paused: watch::channel(false).1,
            killed: watch::channel(false).1,
            flatten: mpsc::channel(1).1,
        }
    }

    /// Whether entries are paused now; a session starting with this answer sees only later changes.
    pub fn take_paused(&mut self) -> bool {
        *self.paused.borrow_and_update()
    }

    pub fn is_killed(&self) -> bool {
        *self.killed.borrow()
    }
}

/// The status endpoint's side of the controls.
pub struct OperatorControls {
    token: Option<String>,
    journal: Journal,
    clock: Clock,
    board: Arc<StatusBoard>,
    paused: watch::Sender<bool>,
    killed: watch::Sender<bool>,
    /// The runner's stop, as a signal sends it.
    stop: watch::Sender<bool>,
    flatten: mpsc::Sender<FlattenRequest>,
}

impl OperatorControls {
    /// Controls keyed by `token` (none: every control refused) that stop the runner through `stop`.
    pub fn new(
        token: Option<String>,
        journal: Journal,
        clock: Clock,
        board: Arc<StatusBoard>,
        stop: watch::Sender<bool>,
    ) -> (OperatorControls, ControlInbox) {
        let (paused, paused_rx) = watch::channel(false);
        let (killed, killed_rx) = watch::channel(false);
        let (flatten, flatten_rx) = mpsc::channel(8);
        let token = token
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        let controls = OperatorControls {
            token,
            journal,
            clock,
            board,
            paused,
            killed,
            stop,
            flatten,
        };
        let inbox = ControlInbox {
            paused: paused_rx,
            killed: killed_rx,
            flatten: flatten_rx,
        };
        (controls, inbox)
    }

    /// Whether any control can be accepted at all.
    pub fn enabled(&self) -> bool {
        self.token.is_some()
    }

    /// Checks the key, carries out `action` and journals the outcome; the status code and the text to show.
    pub async fn handle(
        &self,
        action: &ControlAction,
        authorization: Option<&str>,
    ) -> (StatusCode, String) {
        let (code, text) = match self.authorize(authorization) {
            Err(refusal) => refusal,
            Ok(()) => self.carry_out(action).await,
        };
        self.journal.record(
            self.clock.now(),
            JournalEntry::Control {
                action: action.name(),
                accepted: code.is_success(),
                detail: text.clone(),
            },
        );
        if code.is_success() {
            tracing::warn!(control = %action.name(), "{text}");
        } else {
            tracing::warn!(control = %action.name(), status = code.as_u16(), "control refused: {text}");
        }
        (code, text)
    }

    fn authorize(&self, authorization: Option<&str>) -> Result<(), (StatusCode, String)> {
        let Some(token) = &self.token else {
            return Err((
                StatusCode::FORBIDDEN,
                format!(
                    "controls are off: no key is configured (set {CONTROL_TOKEN_ENV} and restart)"
                ),
            ));
        };
        let Some(given) = authorization.and_then(|h| h.strip_prefix("Bearer ")) else {
            return Err((
                StatusCode::UNAUTHORIZED,
                "no key: send Authorization: Bearer <the key>".into(),
            ));
        };
        if bool::from(given.trim().as_bytes().ct_eq(token.as_bytes())) {
            Ok(())
        } else {
            Err((StatusCode::UNAUTHORIZED, "wrong key".into()))
        }
    }

    async fn carry_out(&self, action: &ControlAction) -> (StatusCode, String) {
        match action {
            ControlAction::Pause => {
                self.paused.send_replace(true);
                self.board.set_entries_paused(true);
                (
                    StatusCode::OK,
                    "new entries paused; open positions stay guarded by their stops".into(),
                )
            }
            ControlAction::Resume => {
                self.paused.send_replace(false);
                self.board.set_entries_paused(false);
                (StatusCode::OK, "new entries resumed".into())
            }
            ControlAction::Flatten(symbol) => self.ask_session(symbol.clone()).await,
            ControlAction::Kill => {
                self.killed.send_replace(true);
                self.stop.send_replace(true);
                (
                    StatusCode::OK,
                    "killing: new entries stop, pending orders are cancelled, open positions are closed, then \
                     the bot stops"
                        .into(),
                )
            }
        }
    }

    async fn ask_session(&self, symbol: Option<String>) -> (StatusCode, String) {
        // Outside a session nobody takes the request: it would only wait and then fill the queue.
        let phase = self.board.phase();
        if phase != "session" {
            return (
                StatusCode::CONFLICT,
                format!("no trading session is running ({phase}): nothing is open to flatten"),
            );
        }
        let (reply, answer) = oneshot::channel();
        let request = FlattenRequest { symbol, reply };
        if self.flatten.try_send(request).is_err() {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "the runner is busy with earlier controls; try again".into(),
            );
        }
        match tokio::time::timeout(SESSION_ANSWERS_WITHIN, answer).await {
            Ok(Ok(Ok(done))) => (StatusCode::OK, done),
            Ok(Ok(Err(why))) => (StatusCode::CONFLICT, why),
            _ => (
                StatusCode::CONFLICT,
                "no trading session is running: nothing is open to flatten".into(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::JournalWriter;

    #[tokio::test]
    async fn outside_a_session_a_flatten_is_answered_at_once_and_never_queued() {
        let dir = tempfile::tempdir().unwrap();
        let writer = JournalWriter::open(&dir.path().join("journal.sqlite"), true).unwrap();
        let board = StatusBoard::new(Duration::from_secs(3));
        board.set_phase("sleeping", "until the pre-open");
        let (controls, mut inbox) = OperatorControls::new(
            Some(" key ".into()),
            writer.journal(),
            Clock::System,
            Arc::clone(&board),
            watch::channel(false).0,
        );
        for _ in 0..20 {
            let (code, text) = controls
                .handle(&ControlAction::Flatten(None), Some("Bearer key"))
                .await;
            assert_eq!(code, StatusCode::CONFLICT, "{text}");
            assert!(
                text.contains("no trading session is running (sleeping)"),
                "{text}"
            );
        }
        assert!(inbox.flatten.try_recv().is_err(), "nothing was queued");
        let (code, _) = controls
            .handle(&ControlAction::Pause, Some("Bearer key"))
            .await;
        assert_eq!(
            code,
            StatusCode::OK,
            "the configured key is trimmed like the given one"
        );
        assert!(inbox.take_paused());
        writer.close().unwrap();
    }

    #[test]
    fn paths_name_the_actions_and_nothing_else() {
        assert_eq!(ControlAction::parse("pause"), Some(ControlAction::Pause));
        assert_eq!(ControlAction::parse("resume"), Some(ControlAction::Resume));
        assert_eq!(
            ControlAction::parse("flatten"),
            Some(ControlAction::Flatten(None))
        );
        assert_eq!(
            ControlAction::parse("flatten/reliance"),
            Some(ControlAction::Flatten(Some("RELIANCE".into())))
        );
        assert_eq!(
            ControlAction::parse("flatten/NSE:M&M"),
            Some(ControlAction::Flatten(Some("NSE:M&M".into())))
        );
        assert_eq!(ControlAction::parse("kill"), Some(ControlAction::Kill));
        for bad in [
            "",
            "stop",
            "flatten/",
            "flatten/a b",
            "pause/now",
            "flatten/<script>",
        ] {
            assert_eq!(ControlAction::parse(bad), None, "{bad:?}");
        }
    }
}
