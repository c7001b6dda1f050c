//! The live page in a real headless browser, on a running `dalal run`: it renders, its pushed updates arrive,
//! the numbers it shows are `/status`'s, and the controls show only once a key is entered and then work.

use std::time::Duration;

use serde_json::Value;

use crate::browser::Browser;
use crate::console::RunningBot;
use crate::run_command::wait_with_limit;
use crate::support::ConfigTree;

/// What the page shows, read from its DOM.
const READ_PAGE: &str = r##"
const text = (id) => document.getElementById(id).textContent;
const rows = (id) => [...document.getElementById(id).tBodies[0].rows].map((r) => [...r.cells].map((c) => c.textContent));
return { updates: Number(text("updates")), phase: text("phase"), feed: text("feed-state"), pnl: text("day-pnl"),
  trading: text("trading"), prices: rows("prices"), positions: rows("positions"),
  spans: document.querySelectorAll("#timeline rect").length,
  events: document.querySelectorAll("#events li").length,
  buttons_hidden: document.getElementById("buttons").hidden };
"##;

/// Whether the page's prices table is `/status`'s last prices, instrument by instrument.
fn prices_match(page: &Value, status: &Value) -> bool {
    let Some(shown) = page["prices"].as_array() else {
        return false;
    };
    let Some(last) = status["day"]["last_prices"].as_object() else {
        return false;
    };
    !shown.is_empty()
        && shown.len() == last.len()
        && shown.iter().all(|row| {
            let name = row[0].as_str().unwrap_or_default();
            last.get(name).is_some_and(|p| {
                p["price"].as_str() == row[1].as_str() && p["source"].as_str() == row[2].as_str()
            })
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_page_follows_the_bot_and_its_controls_need_the_key() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let tree = ConfigTree::shipped();
    let bot = RunningBot::start(
        &tree,
        &["--start", "2026-11-23T09:29:50", "--speed", "2"],
        &[("DALAL_CONTROL_TOKEN", "page-key")],
    );
    browser.open(&bot.url("/")).await;

    // Updates arrive without a reload, and the page draws the session.
    let first = browser
        .eval_until(READ_PAGE, Duration::from_secs(30), |p| {
            p["updates"].as_u64() >= Some(3)
                && p["phase"] == "session"
                && p["spans"].as_u64() >= Some(1)
        })
        .await;
    assert_eq!(first["trading"], "trading on", "{first}");
    assert!(
        first["buttons_hidden"].as_bool().unwrap(),
        "controls shown before a key"
    );

    // The numbers are /status's: prices per instrument (price and source), P&L, feed state.
    let mut matched = false;
    for _ in 0..50 {
        let status = bot.status().await;
        let page = browser.eval(READ_PAGE).await;
        if prices_match(&page, &status)
            && page["pnl"].as_str() == status["day_pnl"].as_str()
            && page["feed"].as_str() == status["feed_state"].as_str()
        {
            matched = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(matched, "the page never showed /status's numbers");

    // A position appears on the page as in /status, with its stop and target.
    let status = bot
        .status_until(Duration::from_secs(90), |s| {
            s["positions"].as_array().is_some_and(|p| !p.is_empty())
        })
        .await;
    let position = &status["positions"][0];
    let page = browser
        .eval_until(READ_PAGE, Duration::from_secs(10), |p| {
            p["positions"]
                .as_array()
                .is_some_and(|rows| !rows.is_empty())
        })
        .await;
    let row = &page["positions"][0];
    assert_eq!(row[0], position["instrument"], "{page}");
    assert_eq!(row[4].as_str(), position["stop"].as_str(), "{page}");
    assert_eq!(row[5].as_str(), position["target"].as_str(), "{page}");
    browser.screenshot("live-page.png").await;

    // The controls appear once a key is entered, and a pause from the page reaches the bot.
    browser
        .eval(
            r#"document.getElementById("key").value = "page-key";
               document.getElementById("key-form").requestSubmit(); return true;"#,
        )
        .await;
    browser
        .eval(r#"document.querySelector('button[data-action="pause"]').click(); return true;"#)
        .await;
    let answer = browser
        .eval_until(
            r#"return document.getElementById("answer").textContent;"#,
            Duration::from_secs(10),
            |a| a.as_str().is_some_and(|a| !a.is_empty()),
        )
        .await;
    assert!(
        answer
            .as_str()
            .unwrap()
            .starts_with("200: new entries paused"),
        "{answer}"
    );
    bot.status_until(Duration::from_secs(10), |s| s["entries_paused"] == true)
        .await;
    browser
        .eval_until(READ_PAGE, Duration::from_secs(10), |p| {
            p["trading"] == "entries paused by the operator" && p["events"].as_u64() >= Some(1)
        })
        .await;
    browser.screenshot("live-page-paused.png").await;
    browser.close().await;

    crate::run_command::sigterm(&bot.child);
    let RunningBot { child, .. } = bot;
    let (code, _, _) = wait_with_limit(child, Duration::from_secs(60));
    assert_eq!(code, Some(0));
}
