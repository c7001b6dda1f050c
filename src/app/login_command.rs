//! `dalal login hdfcsky`: the daily HDFC Sky login, ending in a token file (mode 600) that a running bot
//! re-reads before the open and on a 401.
//!
//! By default the six-call API login: the username sends an OTP by SMS and email, the terminal asks for it
//! and for the PIN (never echoed). With `--browser`, the HDFC Sky login page's URL is printed and the request
//! token from the redirect is asked for instead. When stdin is not a terminal, the answers are read from it a
//! line at a time, so the flow can be scripted.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use url::Url;

use super::hdfcsky_setup::{API_KEY, API_SECRET, host, required_secret};
use crate::broker::hdfcsky::{LoginError, LoginPrompt, SkyLogin, TokenClaims};
use crate::calendar::to_ist;
use crate::config::{Secret, write_token_file};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LoginBroker {
    Hdfcsky,
}

#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    #[arg(value_enum)]
    pub broker: LoginBroker,
    /// Your HDFC Sky login id; asked for when left out.
    #[arg(long, env = "HDFCSKY_USERNAME")]
    pub username: Option<String>,
    /// Where to write the access token (mode 600); point `dalal run --token-file` at it.
    #[arg(long, env = "DALAL_TOKEN_FILE", default_value = "data/hdfcsky.token")]
    pub token_file: PathBuf,
    /// Another host speaking HDFC Sky's API: the UAT host (https://uat-developer.hdfcsky.com), or a running
    /// `dalal sim --broker hdfcsky`. The whole login must use one host: a token from one is refused by the
    /// other.
    #[arg(long)]
    pub base_url: Option<Url>,
    /// Log in on HDFC Sky's own pages in a browser: dalal prints the URL and asks for the request token (or
    /// the whole address) that the redirect brings back.
    #[arg(long)]
    pub browser: bool,
}

pub fn run(args: LoginArgs) -> anyhow::Result<ExitCode> {
    let LoginBroker::Hdfcsky = args.broker;
    let api_key = required_secret(API_KEY, "the API key of your HDFC Sky app")?;
    let api_secret = required_secret(API_SECRET, "the API secret of your HDFC Sky app")?;
    let base = host(args.base_url.as_ref());
    let login = SkyLogin::new(base.clone(), api_key)?;
    let mut prompt = TerminalPrompt::new();
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
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
    write_token_file(&args.token_file, &token).map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "logged in to HDFC Sky at {} as {}; token written to {} (mode 600)",
        base,
        claims.client_id,
        args.token_file.display()
    );
    if let Some(expires) = claims.expires {
        println!(
            "the token says it expires {} IST",
            to_ist(expires).format("%a %-d %b %H:%M")
        );
    }
    println!(
        "run with: dalal run --token-file {}   (re-read before each open and on 401)",
        args.token_file.display()
    );
    Ok(ExitCode::SUCCESS)
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
struct TerminalPrompt {
    interactive: bool,
}

impl TerminalPrompt {
    fn new() -> Self {
        TerminalPrompt {
            interactive: std::io::stdin().is_terminal(),
        }
    }

    fn line(&mut self, question: &str) -> Result<String, LoginError> {
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
