//! `dalal login upstox`: the daily Upstox login in one command. It prints the authorization dialog's URL with
//! a random `state`, takes the code back (caught on a loopback listener with `--listen`, else pasted as the
//! address the browser landed on, or the code alone), exchanges it once, and writes the token file (mode 600,
//! replaced atomically). The API secret, the code and the token are never printed.

use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use rand::TryRngCore;
use rand::rngs::OsRng;

use super::broker_reach::required_secret;
use super::login_command::{LoginArgs, TerminalPrompt};
use super::loopback_redirect;
use crate::broker::upstox::{UpstoxHosts, UpstoxLogin, code_from_redirect, shown_expiry};
use crate::config::write_token_file;

pub const API_KEY: &str = "UPSTOX_API_KEY";
pub const API_SECRET: &str = "UPSTOX_API_SECRET";

/// How long `--listen` waits for the trader to sign in.
const SIGN_IN_WAIT: Duration = Duration::from_secs(300);

pub fn run(
    args: &LoginArgs,
    token_file: &Path,
    runtime: &tokio::runtime::Runtime,
) -> anyhow::Result<()> {
    let api_key = required_secret(API_KEY, "the API key of your Upstox app")?;
    let api_secret = required_secret(API_SECRET, "the API secret of your Upstox app")?;
    let base = args
        .base_url
        .clone()
        .unwrap_or_else(|| UpstoxHosts::production().api);
    let login = UpstoxLogin::new(base.clone(), api_key, args.redirect_uri.clone())?;
    let state = random_state()?;
    eprintln!("open this page, sign in to Upstox and allow the app:");
    eprintln!("  {}", login.dialog_url(&state));
    let issued = runtime.block_on(async {
        let code = if args.listen {
            eprintln!(
                "waiting up to {} s for the browser to come back to {} …",
                SIGN_IN_WAIT.as_secs(),
                login.redirect_uri()
            );
            loopback_redirect::catch_code(login.redirect_uri(), &state, SIGN_IN_WAIT).await?
        } else {
            let answer = TerminalPrompt::new()
                .line("then paste the address the browser was sent to (or the code alone): ")?;
            code_from_redirect(&answer, &state)?
        };
        Ok::<_, anyhow::Error>(login.exchange_code(&code, &api_secret, Utc::now()).await?)
    })?;
    write_token_file(token_file, &issued.token).map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "logged in to Upstox at {base} as {} ({}); token written to {} (mode 600)",
        issued.user_id,
        issued.user_name,
        token_file.display()
    );
    println!(
        "the token expires {} (Upstox tokens end at 03:30 IST every day: log in again each morning)",
        shown_expiry(issued.expires)
    );
    Ok(())
}

/// 128 bits from the operating system, in hex: a `state` no other page can guess.
fn random_state() -> anyhow::Result<String> {
    let mut bytes = [0u8; 16];
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| anyhow::anyhow!("no randomness from the operating system: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
