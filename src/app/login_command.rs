//! `dalal login upstox|hdfcsky`: the daily login, ending in a token file (mode 600, replaced atomically) that a
//! running bot re-reads before the open and on a 401. Upstox's flow lives in `upstox_login_flow`; HDFC Sky's is
//! here.
//!
//! HDFC Sky: by default the six-call API login: the username sends an OTP by SMS and email, the terminal asks
//! for it and for the PIN (never echoed). With `--browser`, the HDFC Sky login page's URL is printed and the
//! request token from the redirect is asked for instead. When stdin is not a terminal, the answers are read from
//! it a line at a time, so the flow can be scripted.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use url::Url;

use super::broker_reach::required_secret;
use super::hdfcsky_setup::{API_KEY, API_SECRET, host};
use super::upstox_login_flow;
use crate::broker::hdfcsky::{LoginError, LoginPrompt, SkyLogin, TokenClaims};
use crate::broker::upstox::shown_expiry;
use crate::config::{Secret, write_token_file};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LoginBroker {
    Upstox,
    Hdfcsky,
}

#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    #[arg(value_enum)]
    pub broker: LoginBroker,
    /// HDFC Sky: your login id; asked for when left out.
    #[arg(long, env = "HDFCSKY_USERNAME")]
    pub username: Option<String>,
    /// Where to write the access token (mode 600); point `dalal run --token-file` at it. By default
    /// data/upstox.token or data/hdfcsky.token.
    #[arg(long, env = "DALAL_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// Another host speaking the broker's API: HDFC Sky's UAT host (https://uat-developer.hdfcsky.com), or a
    /// running `dalal sim`. The whole login must use one host: a token from one is refused by the other.
    #[arg(long)]
    pub base_url: Option<Url>,
    /// HDFC Sky: log in on HDFC Sky's own pages in a browser: dalal prints the URL and asks for the request
    /// token (or the whole address) that the redirect brings back.
    #[arg(long)]
    pub browser: bool,
    /// Upstox: the redirect URI registered on your app, character for character.
    #[arg(long, env = "UPSTOX_REDIRECT_URI", default_value = crate::broker::upstox::DEFAULT_REDIRECT_URI)]
    pub redirect_uri: Url,
    /// Upstox: catch the redirect on this machine (the redirect URI must be http://127.0.0.1:PORT/… or
    /// localhost) instead of asking for the address the browser lands on.
    #[arg(long)]
    pub listen: bool,
}

impl LoginArgs {
    fn token_file(&self) -> PathBuf {
        self.token_file
            .clone()
            .unwrap_or_else(|| match self.broker {
                LoginBroker::Upstox => PathBuf::from("data/upstox.token"),
                LoginBroker::Hdfcsky => PathBuf::from("data/hdfcsky.token"),
            })
    }
}

pub fn run(args: LoginArgs) -> anyhow::Result<ExitCode> {
    let token_file = args.token_file();
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    match args.broker {
        LoginBroker::Upstox => upstox_login_flow::run(&args, &token_file, &runtime)?,
        LoginBroker::Hdfcsky => hdfcsky(&args, &token_file, &runtime)?,
    }
    println!(
        "run with: dalal run --token-file {}   (re-read before each open and on 401)",
        token_file.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn hdfcsky(
    args: &LoginArgs,
    token_file: &std::path::Path,
    runtime: &tokio::runtime::Runtime,
) -> anyhow::Result<()> {
    let api_key = required_secret(API_KEY, "the API key of your HDFC Sky app")?;
    let api_secret = required_secret(API_SECRET, "the API secret of your HDFC Sky app")?;
    let base = host(args.base_url.as_ref());
    let login = SkyLogin::new(base.clone(), api_key)?;
    let mut prompt = TerminalPrompt::new();
    let token = runtime.block_on(async {
        if args.browser {
            eprintln!(
                "open this page, log in, accept, and copy the address HDFC Sky sends you to:"
            );
            eprintln!("  {}", login.redirect_url());
            let answer = prompt.line("request token (or the whole address): ")?;
            let request_token = request_token_from(&answer)?;
            Ok::<_, anyhow::Error>(
                login
                    .exchange_request_token(&request_token, &api_secret)
                    .await?,
            )
        } else {
            let username = match &args.username {
                Some(name) => name.clone(),
                None => prompt.line("HDFC Sky login id: ")?,
            };
            Ok(login.with_otp(&username, &api_secret, &mut prompt).await?)
        }
    })?;
    let claims = TokenClaims::read(&token)?;
    write_token_file(token_file, &token).map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "logged in to HDFC Sky at {} as {}; token written to {} (mode 600)",
        base,
        claims.client_id,
        token_file.display()
    );
    if let Some(expires) = claims.expires {
        println!("the token says it expires {}", shown_expiry(expires));
    }
    Ok(())
}

/// The request token out of what a trader pastes: the token alone, or the redirect's whole address under any of
/// the parameter names integrators have met (the name is not documented).
fn request_token_from(answer: &str) -> anyhow::Result<String> {
    let answer = answer.trim();
    if let Ok(url) = Url::parse(answer) {
        let names = ["request_token", "requestToken", "request-token", "code"];
        return url
            .query_pairs()
            .find(|(name, _)| names.contains(&name.as_ref()))
            .map(|(_, value)| value.into_owned())
            .with_context(|| format!("the address has none of {}", names.join(", ")));
    }
    if answer.is_empty() {
        bail!("no request token given");
    }
    Ok(answer.to_string())
}

/// The terminal, or stdin when it is not one (a script answering the prompts).
pub(super) struct TerminalPrompt {
    interactive: bool,
}

impl TerminalPrompt {
    pub(super) fn new() -> Self {
        TerminalPrompt {
            interactive: std::io::stdin().is_terminal(),
        }
    }

    pub(super) fn line(&mut self, question: &str) -> Result<String, LoginError> {
        eprint!("{question}");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        match std::io::stdin().lock().read_line(&mut answer) {
            Ok(0) => Err(LoginError::Prompt("no answer: stdin ended".into())),
            Ok(_) => Ok(answer.trim().to_string()),
            Err(e) => Err(LoginError::Prompt(e.to_string())),
        }
    }
}

impl LoginPrompt for TerminalPrompt {
    fn otp(&mut self, sent_to: &str) -> Result<String, LoginError> {
        eprintln!("HDFC Sky: {sent_to}");
        self.line("OTP: ")
    }

    fn pin(&mut self, question: &str) -> Result<Secret, LoginError> {
        if self.interactive {
            rpassword::prompt_password(format!("{question}: "))
                .map(Secret::new)
                .map_err(|e| LoginError::Prompt(e.to_string()))
        } else {
            self.line(&format!("{question}: ")).map(Secret::new)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_token_comes_out_of_a_pasted_address_or_alone() {
        let pasted = "https://example.com/callback?state=x&requestToken=r2abc";
        assert_eq!(request_token_from(pasted).unwrap(), "r2abc");
        assert_eq!(request_token_from("  r2abc \n").unwrap(), "r2abc");
        assert!(request_token_from("https://example.com/callback?state=x").is_err());
        assert!(request_token_from("").is_err());
    }
}
