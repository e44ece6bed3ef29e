//! `mandate sync`: the headless twin of the window's sync status and settings.

use crate::args::SyncCommand;
use anyhow::{Context, Result};
use mandate_store::Store;
use std::io::IsTerminal;

/// Exit code of a sync that stopped before its first push because the server would refuse some
/// of it (see `mandate sync preview`).
const EXIT_REVIEW_FIRST_PUSH: i32 = 6;

fn print_review(r: &mandate_sync::FirstPushReview) {
    println!(
        "The agency server will refuse {} of the {} change(s) waiting to be sent, for this account ({}{}):",
        r.refused.len(),
        r.waiting,
        r.role,
        r.office.as_deref().map(|o| format!(", {o}")).unwrap_or_default()
    );
    let mut reasons: std::collections::BTreeMap<&str, usize> = Default::default();
    for x in &r.refused {
        *reasons.entry(x.reason.as_str()).or_default() += 1;
    }
    for (reason, n) in reasons {
        println!("  {n} × {reason}");
    }
}

pub async fn run(store: &Store, cmd: Option<&SyncCommand>, go_on: bool, json: bool) -> Result<i32> {
    match cmd {
        None => {
            let client = mandate_sync::Client::for_store(store).await?;
            if go_on {
                mandate_sync::go_on(store).await?;
            } else if let Some(r) = mandate_sync::first_push_review(store).await? {
                if json {
                    crate::print::json(&r);
                } else {
                    print_review(&r);
                    println!("Nothing was sent. Refused changes are undone on this computer. List them with `mandate sync preview`; send anyway with `mandate sync --go-on`, or stop with `mandate sync disconnect`.");
                }
                return Ok(EXIT_REVIEW_FIRST_PUSH);
            }
            let tty = std::io::stderr().is_terminal();
            let last = std::sync::Mutex::new("");
            let report = mandate_sync::sync(store, &client, &move |p: mandate_sync::Progress| {
                let mut last = last.lock().expect("progress lock");
                if tty {
                    eprint!("\r{}: {}/{}        ", p.phase, p.done, p.total);
                } else if *last != p.phase || p.done == p.total {
                    eprintln!("{}: {}/{}", p.phase, p.done, p.total);
                }
                *last = p.phase;
            })
            .await?;
            if tty {
                eprintln!();
            }
            if json {
                crate::print::json(&report);
            } else {
                if report.server_restored {
                    println!("The agency server had been restored from a backup: this sync sent and read everything again.");
                }
                println!(
                    "Pushed {} change(s), pulled {} record(s) ({} new, {} updated, {} deleted).",
                    report.pushed, report.pulled, report.applied.created, report.applied.updated, report.applied.deleted
                );
                if report.conflicts > 0 {
                    println!("{} conflict(s) recorded: review them with `mandate sync conflicts`.", report.conflicts);
                }
                for r in &report.refused {
                    println!("REFUSED {} {}: {}", r.entity, r.entity_id, r.reason);
                }
                if report.applied.parked > 0 {
                    println!("{} record(s) wait for records they refer to.", report.applied.parked);
                }
            }
            // Refusals are not a failure of the sync, but a script should notice them.
            Ok(if report.refused.is_empty() { 0 } else { 4 })
        }
        Some(SyncCommand::Connect { url, code, ca, device_name }) => {
            let name = device_name.clone().unwrap_or_else(|| std::env::var("HOSTNAME").unwrap_or_else(|_| "desktop".into()));
            let r = mandate_sync::connect(store, url, code, &name, ca.as_deref()).await?;
            if json {
                crate::print::json(&serde_json::json!({"server": url, "device_id": r.device_id, "account": r.account}));
            } else {
                println!(
                    "Connected to {url} as {} ({}{}); device {}. Run `mandate sync` to sync now.",
                    r.account.username,
                    r.account.role,
                    r.account.office_code.as_deref().map(|o| format!(", {o}")).unwrap_or_default(),
                    r.device_id
                );
            }
            Ok(0)
        }
        Some(SyncCommand::Status) => {
            let s = store.sync_status().await?;
            if json {
                crate::print::json(&s);
            } else {
                match &s.server {
                    None => println!("Not connected to an agency server."),
                    Some(url) => println!("Server: {url} (as {})", s.account.as_deref().unwrap_or("?")),
                }
                println!("Last synced: {}", s.last_synced.as_deref().unwrap_or("never"));
                println!("Changes waiting: {}", s.waiting);
                println!("Conflicts to review: {}", s.conflicts);
                println!("Refused changes: {}", s.refusals);
            }
            Ok(0)
        }
        Some(SyncCommand::Conflicts { all }) => {
            let c = store.conflicts(!all).await?;
            if json {
                crate::print::json(&c);
            } else if c.is_empty() {
                println!("No conflicts to review.");
            } else {
                for c in &c {
                    println!(
                        "{}  {} {} field `{}`{}: kept {} — lost {}",
                        c.id,
                        c.entity,
                        c.entity_id,
                        c.field,
                        if c.kind == "deleted" { " (record deleted)" } else { "" },
                        c.kept_value,
                        c.lost_value
                    );
                }
            }
            Ok(0)
        }
        Some(SyncCommand::Resolve { id, reapply }) => {
            let c = store.resolve_conflict(id, *reapply).await?;
            crate::print::done(json, &c, &format!("Conflict {} resolved{}", c.id, if *reapply { "; the lost value is back" } else { "" }));
            Ok(0)
        }
        Some(SyncCommand::Preview) => {
            let r = mandate_sync::first_push_review(store).await?;
            if json {
                crate::print::json(&r);
            } else {
                match &r {
                    None => println!("Nothing to review: the next sync sends every waiting change."),
                    Some(r) => {
                        print_review(r);
                        for x in &r.refused {
                            println!("{}  {} {}: {}", x.change_id, x.entity, x.entity_id, x.reason);
                        }
                    }
                }
            }
            Ok(0)
        }
        Some(SyncCommand::Refusals { export }) => {
            let r = store.refusals().await?;
            if let Some(path) = export {
                let text = serde_json::to_string_pretty(&r)?;
                std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
                eprintln!("Wrote {} refused change(s) to {}", r.len(), path.display());
            }
            if json {
                crate::print::json(&r);
            } else if r.is_empty() {
                println!("No refused changes.");
            } else {
                for r in &r {
                    println!("{}  {} {}: {}", r.change_id, r.entity, r.entity_id, r.reason);
                }
            }
            Ok(0)
        }
        Some(SyncCommand::Dismiss { change_id, all }) => {
            if *all {
                let n = store.dismiss_all_refusals().await?;
                crate::print::done(json, &serde_json::json!({"dismissed": n}), &format!("Dismissed {n} refused change(s)"));
            } else if let Some(id) = change_id {
                store.dismiss_refusal(id).await?;
                crate::print::done(json, &serde_json::json!({"dismissed": id}), "Dismissed");
            }
            Ok(0)
        }
        Some(SyncCommand::Disconnect) => {
            mandate_sync::disconnect(store).await?;
            crate::print::done(json, &serde_json::json!({"disconnected": true}), "Disconnected; records stay in this workspace.");
            Ok(0)
        }
    }
}
