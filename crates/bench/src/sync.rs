//! Replication benchmarks, against SQLite and PostgreSQL servers on loopback:
//! - first sync of ~100k changes: desktop A pushes, desktop B pulls (target ≤ 10 s), beside the
//!   anchor of loading the same records locally (`insert_records`, no network);
//! - one change from one desktop to another: A edits and pushes, B pulls (target p95 ≤ 50 ms);
//! - 50 desktops syncing at once against one server (throughput and p95 per sync).
//!
//! PostgreSQL comes from `MANDATE_BENCH_DATABASE_URL` (`cargo xtask bench` starts one); without
//! it only SQLite is measured, and the report says so.

use anyhow::Result;
use mandate_domain::replication::ServerRole;
use mandate_domain::{OfficeKind, UserRole};
use mandate_server::{accounts, http, Db, Server};
use mandate_store::{DbKey, Profile, Store};
use mandate_sync::Client;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn key() -> DbKey {
    DbKey::from_hex(&"5a".repeat(32)).expect("hex")
}

async fn desktop(dir: &Path, url: &str, db: &Db, name: &str, user: &str) -> Result<(Store, Client)> {
    let store = Store::create(
        &dir.join(format!("{name}.db")),
        &key(),
        Profile { name: name.into(), role: UserRole::Executive, office: Some("OCOS".into()), ..Default::default() },
    )
    .await?;
    let code = accounts::enrolment_code(db, user, 1).await?;
    let e = mandate_sync::enrol(url, &code, store.device_id(), name, None).await?;
    let client = Client::new(url, &e.token, None)?;
    Ok((store, client))
}

async fn fresh_pg(admin: &str, name: &str) -> Result<String> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(admin).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&mut conn).await?;
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await?;
    Ok(format!("{}/{name}", admin.rsplit_once('/').map(|x| x.0).unwrap_or(admin)))
}

fn pct(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// First sync, then (unless `first_only`) the desktop-to-desktop round trip.
async fn one_backend(dir: &Path, label: &str, db: Db, actions: usize, first_only: bool) -> Result<Vec<String>> {
    let noop = |_: mandate_sync::Progress| {};
    accounts::add_office(&db, "OCOS", "Office of the Chief of Staff", OfficeKind::Office).await?;
    for u in ["first", "second"] {
        accounts::add_user(&db, u, u, ServerRole::Executive, Some("OCOS")).await?;
    }
    let server = Arc::new(Server::new(db.clone()));
    let (addr, handle) = http::spawn(server.clone()).await?;
    let url = format!("http://{addr}");
    let dir = dir.join(label);
    std::fs::create_dir_all(&dir)?;
    let mut lines = vec![];

    // First sync of a big workspace.
    let (a, ca) = desktop(&dir, &url, &db, "a", "first").await?;
    let sample = mandate_sample::generate(&mandate_sample::Options { actions, ..Default::default() });
    let t = Instant::now();
    a.insert_records(&sample, &|_, _, _| {}).await?;
    let local = t.elapsed();
    // The sync starts from a workspace at rest, as after a restart: the load's write-ahead log
    // (hundreds of MB, folded into the file in the background) is not the sync's work.
    let a_path = a.path().to_path_buf();
    a.close().await;
    let a = Store::open(&a_path, &key()).await?;
    let changes = a.sync_status().await?.waiting;
    let t = Instant::now();
    let pushed = mandate_sync::sync(&a, &ca, &noop).await?;
    let push = t.elapsed();
    // How much of the push was the server's turns (one push writes at a time).
    let turns = mandate_server::Metrics::seconds(&server.metrics.push_turn_us);
    let (b, cb) = desktop(&dir, &url, &db, "b", "second").await?;
    let t = Instant::now();
    let pulled = mandate_sync::sync(&b, &cb, &noop).await?;
    let pull = t.elapsed();
    anyhow::ensure!(pushed.refused.is_empty(), "refusals in the benchmark: {:?}", &pushed.refused[..1]);
    anyhow::ensure!(b.replicated_records().await?["actions"].len() == actions, "second desktop incomplete");
    let first = push + pull;
    lines.push(format!(
        "| {label}: first sync, {changes} changes A → server → B (target ≤ 10 s) | **{:.1} s** (push {:.1} s, of it the server's turns {turns:.1} s; pull {:.1} s; {} records) | loading the same records locally, no network: {:.1} s | {:.1}× |",
        first.as_secs_f64(),
        push.as_secs_f64(),
        pull.as_secs_f64(),
        pulled.pulled,
        local.as_secs_f64(),
        first.as_secs_f64() / local.as_secs_f64()
    ));
    println!("{}", lines.last().expect("line"));
    if first_only {
        handle.abort();
        return Ok(lines);
    }

    // One change, desktop to desktop.
    let ids: Vec<_> = sample.actions.iter().filter(|x| x.status.is_open() && !x.status.is_read_only()).take(200).map(|x| x.id).collect();
    let mut times = vec![];
    for (i, id) in ids.iter().enumerate() {
        a.edit_action(*id, |x| Ok(x.title = format!("Round trip {i}"))).await?;
        let t = Instant::now();
        mandate_sync::sync(&a, &ca, &noop).await?;
        mandate_sync::sync(&b, &cb, &noop).await?;
        times.push(t.elapsed());
        if i == 0 {
            anyhow::ensure!(b.action_file(*id).await?.action.title == "Round trip 0", "the change did not arrive");
        }
    }
    lines.push(format!(
        "| {label}: one change, desktop to desktop (A's sync + B's sync; target p95 ≤ 50 ms) | **p95 {}** (p50 {}) | — | — |",
        ms(pct(times.clone(), 0.95)),
        ms(pct(times, 0.5))
    ));
    println!("{}", lines.last().expect("line"));
    a.close().await;
    b.close().await;

    handle.abort();
    Ok(lines)
}

/// Many desktops at once against a server of their own (each with a workspace of 20 actions to
/// send first, then rounds of one edit + sync).
async fn many(dir: &Path, label: &str, db: Db, clients: usize) -> Result<Vec<String>> {
    accounts::add_office(&db, "OCOS", "Office of the Chief of Staff", OfficeKind::Office).await?;
    let server = Arc::new(Server::new(db.clone()));
    let (addr, handle) = http::spawn(server).await?;
    let url = format!("http://{addr}");
    let dir = dir.join(format!("{label}-many"));
    std::fs::create_dir_all(&dir)?;
    let mut desks = vec![];
    for i in 0..clients {
        accounts::add_user(&db, &format!("c{i}"), "client", ServerRole::Executive, Some("OCOS")).await?;
        let (s, c) = desktop(&dir, &url, &db, &format!("c{i}"), &format!("c{i}")).await?;
        let mine = mandate_sample::generate(&mandate_sample::Options { actions: 20, seed: i as u64 + 1, ..Default::default() });
        s.insert_records(&mine, &|_, _, _| {}).await?;
        let ids: Vec<_> = mine.actions.iter().filter(|a| a.status.is_open() && !a.status.is_read_only()).map(|a| a.id).collect();
        desks.push((s, c, ids));
    }
    let rounds = 5;
    let t = Instant::now();
    let mut tasks = vec![];
    for (i, (s, c, ids)) in desks.into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            let mut times = vec![];
            for r in 0..rounds {
                if r > 0 {
                    s.edit_action(ids[r % ids.len()], |x| Ok(x.body = format!("Edited by client {i} in round {r}"))).await?;
                }
                let t = Instant::now();
                mandate_sync::sync(&s, &c, &|_| {}).await?;
                times.push(t.elapsed());
            }
            s.close().await;
            anyhow::Ok(times)
        }));
    }
    let mut all = vec![];
    for task in tasks {
        all.extend(task.await??);
    }
    let wall = t.elapsed();
    let mut lines = vec![];
    lines.push(format!(
        "| {label}: {clients} desktops syncing at once ({rounds} syncs each: first their own 20 actions, then an edit per round, pulling everyone else's) | **{:.0} syncs/s**, p95 {} per sync (p50 {}) | — | — |",
        all.len() as f64 / wall.as_secs_f64(),
        ms(pct(all.clone(), 0.95)),
        ms(pct(all, 0.5))
    ));
    println!("{}", lines.last().expect("line"));
    handle.abort();
    Ok(lines)
}

/// The desktops here run with the desktop app's memory setting (its `main` gives freed memory
/// back at once outside bursts), not mimalloc's default: that is how a sync runs for its users.
fn as_the_desktop_app() {
    mandate_alloc::return_memory_promptly();
}

/// Only the first sync, on SQLite, and on PostgreSQL too when `MANDATE_BENCH_DATABASE_URL` is
/// set (for working on it; not a BENCHMARKS.md run).
pub async fn first_sync_only(dir: &Path, actions: usize) -> Result<String> {
    as_the_desktop_app();
    let db = Db::sqlite(&dir.join("server-sqlite")).await?;
    let mut lines = one_backend(dir, "SQLite", db, actions, true).await?;
    if let Ok(admin) = std::env::var("MANDATE_BENCH_DATABASE_URL") {
        let url = fresh_pg(&admin, "mandate_bench").await?;
        lines.extend(one_backend(dir, "PostgreSQL", Db::postgres(&url).await?, actions, true).await?);
    }
    Ok(lines.join("\n"))
}

/// Markdown lines for BENCHMARKS.md.
pub async fn run(dir: &Path, actions: usize, clients: usize) -> Result<Vec<String>> {
    as_the_desktop_app();
    let mut lines = vec![
        "## Replication (agency server on loopback)\n".to_string(),
        "| what | ours | anchor | ratio |".to_string(),
        "|---|---|---|---:|".to_string(),
    ];
    lines.extend(one_backend(dir, "SQLite", Db::sqlite(&dir.join("server-sqlite")).await?, actions, false).await?);
    lines.extend(many(dir, "SQLite", Db::sqlite(&dir.join("server-sqlite-many")).await?, clients).await?);
    match std::env::var("MANDATE_BENCH_DATABASE_URL") {
        Ok(admin) => {
            let url = fresh_pg(&admin, "mandate_bench").await?;
            lines.extend(one_backend(dir, "PostgreSQL", Db::postgres(&url).await?, actions, false).await?);
            let url = fresh_pg(&admin, "mandate_bench_many").await?;
            lines.extend(many(dir, "PostgreSQL", Db::postgres(&url).await?, clients).await?);
        }
        Err(_) => lines.push("| PostgreSQL: not measured (MANDATE_BENCH_DATABASE_URL unset) | | | |".into()),
    }
    lines.push(String::new());
    lines.push(format!("Workspaces generated with {actions} sample actions (every record of them is one change); the desktop is the release `mandate-sync` client with real encrypted workspaces, the server the release `mandate-server` library in the same process, talking HTTP over loopback.\n"));
    Ok(lines)
}
