//! `dalal replay` on a day `dalal run` recorded: with the day's own strategy every decision comes out as
//! journaled; with an edited one the replay says what would have differed.

use std::time::Duration;

use crate::console::RunningBot;
use crate::run_command::wait_with_limit;
use crate::support::ConfigTree;

fn replay(tree: &ConfigTree, extra: &[&str]) -> (Option<i32>, String) {
    let mut args = vec!["replay", "--date", "2026-11-23"];
    args.extend_from_slice(extra);
    tree.dalal(&args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_day_replays_as_journaled_and_an_edit_shows_its_differences() {
    let tree = ConfigTree::shipped();
    let (code, text) = replay(&tree, &[]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("the day was not recorded"), "{text}");

    // A day with an entry, a trail of prices, and an exit by the operator's kill.
    let bot = RunningBot::start(
        &tree,
        &["--start", "2026-11-23T09:29:50", "--speed", "20"],
        &[("DALAL_CONTROL_TOKEN", "replay-key")],
    );
    bot.status_until(Duration::from_secs(60), |s| {
        s["positions"].as_array().is_some_and(|p| !p.is_empty())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let killed = reqwest::Client::new()
        .post(bot.url("/control/kill"))
        .bearer_auth("replay-key")
        .send()
        .await
        .unwrap();
    assert_eq!(killed.status(), 200);
    let RunningBot { child, .. } = bot;
    let (code, stdout, _) = wait_with_limit(child, Duration::from_secs(60));
    assert_eq!(code, Some(0), "{stdout}");

    let (code, text) = replay(&tree, &[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("fills: as recorded"), "{text}");
    assert!(text.contains("identical: all"), "{text}");
    assert!(text.contains("P&L gross: journaled ₹"), "{text}");

    // A target twice as far: the same entries with other targets, and the kill's exit at another price or not.
    let edited = tree.root().join("strategies/edited.toml");
    let strategy =
        std::fs::read_to_string(tree.root().join("strategies/continuation.toml")).unwrap();
    assert!(strategy.contains("target_r = 1.5"));
    std::fs::write(
        &edited,
        strategy.replacen("target_r = 1.5", "target_r = 3.0", 1),
    )
    .unwrap();
    let (code, text) = replay(&tree, &["--strategy", edited.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("fills: paper"), "{text}");
    assert!(text.contains("what differs"), "{text}");
    assert!(text.contains("- journaled only  signal"), "{text}");
    assert!(text.contains("+ replay only     signal"), "{text}");

    // The strategy file edited after the day: a plain replay still runs the day's own (recorded) strategy.
    tree.edit(
        "strategies/continuation.toml",
        "target_r = 1.5",
        "target_r = 3.0",
    );
    let (code, text) = replay(&tree, &[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("identical: all"), "{text}");
}
