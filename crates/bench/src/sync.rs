//! Replication benchmarks, against SQLite and PostgreSQL servers on loopback:
//! - first sync of ~100k changes: desktop A pushes, desktop B pulls (target ≤ 10 s), beside the
//!   anchor of loading the same records locally (`insert_records`, no network); the median of
//!   three runs, each on a fresh server;
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
    // Forced: the previous run's server may still hold a connection or two. One database at a
    // time, too, so that autovacuum of an earlier run's tables does not run beside this one.
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await?;
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

/// Where a backend's servers come from: each first sync gets a fresh, empty one.
enum Backend {
    Sqlite,
    /// The admin URL of a PostgreSQL server (the database is made anew for each run).
    Postgres(String),
}

impl Backend {
    fn label(&self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres(_) => "PostgreSQL",
        }
    }

    async fn fresh(&self, dir: &Path, run: usize) -> Result<Db> {
        match self {
            Backend::Sqlite => Db::sqlite(&dir.join(format!("server-sqlite-{run}"))).await,
            Backend::Postgres(admin) => Db::postgres(&fresh_pg(admin, "mandate_bench").await?).await,
        }
    }
}

/// First syncs per backend. This VM's speed drifts from run to run by more than most changes
/// gain (BENCHMARKS.md has runs of one commit 8–11 s apart), so the figure is the median of
/// three, each on a fresh server and fresh desktops, with every run's time beside it.
const FIRST_SYNC_RUNS: usize = 3;

/// One first sync's figures.
struct FirstSync {
    changes: i64,
    push: Duration,
    /// The server's own count of the time pushes held their turn to write.
    turns: f64,
    pull: Duration,
    pulled: usize,
    /// The anchor: loading the same records into A locally, no network.
    local: Duration,
}

impl FirstSync {
    fn total(&self) -> Duration {
        self.push + self.pull
    }
}

/// A server and two desktops after a first sync, for what is measured next.
struct Synced {
    a: Store,
    ca: Client,
    b: Store,
    cb: Client,
    server: tokio::task::JoinHandle<()>,
}

/// A loads `sample` (the anchor), and from a workspace at rest pushes it to a fresh server; B,
/// a fresh desktop, pulls it all.
async fn first_sync(dir: &Path, db: Db, sample: &mandate_domain::Records) -> Result<(FirstSync, Synced)> {
    let noop = |_: mandate_sync::Progress| {};
    accounts::add_office(&db, "OCOS", "Office of the Chief of Staff", OfficeKind::Office).await?;
    for u in ["first", "second"] {
        accounts::add_user(&db, u, u, ServerRole::Executive, Some("OCOS")).await?;
    }
    let server = Arc::new(Server::new(db.clone()));
    let (addr, handle) = http::spawn(server.clone()).await?;
    let url = format!("http://{addr}");
    std::fs::create_dir_all(dir)?;
    let (a, ca) = desktop(dir, &url, &db, "a", "first").await?;
    let t = Instant::now();
    a.insert_records(sample, &|_, _, _| {}).await?;
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
    let turns = mandate_server::Metrics::seconds(&server.metrics.push_turn_us);
    let (b, cb) = desktop(dir, &url, &db, "b", "second").await?;
    let t = Instant::now();
    let pulled = mandate_sync::sync(&b, &cb, &noop).await?;
    let pull = t.elapsed();
    anyhow::ensure!(pushed.refused.is_empty(), "refusals in the benchmark: {:?}", &pushed.refused[..1]);
    anyhow::ensure!(b.replicated_records().await?["actions"].len() == sample.actions.len(), "second desktop incomplete");
    Ok((FirstSync { changes, push, turns, pull, pulled: pulled.pulled, local }, Synced { a, ca, b, cb, server: handle }))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// First syncs (median of [`FIRST_SYNC_RUNS`]), then (unless `first_only`) the
/// desktop-to-desktop round trip on the last run's server and desktops.
async fn one_backend(dir: &Path, backend: Backend, actions: usize, first_only: bool) -> Result<Vec<String>> {
    let noop = |_: mandate_sync::Progress| {};
    let label = backend.label();
    let dir = dir.join(label);
    let sample = mandate_sample::generate(&mandate_sample::Options { actions, ..Default::default() });
    let mut runs = vec![];
    let mut last = None;
    for run in 0..FIRST_SYNC_RUNS {
        if let Some(s) = last.take() {
            let Synced { a, b, server, .. } = s;
            a.close().await;
            b.close().await;
            server.abort();
        }
        let (fs, synced) = first_sync(&dir.join(format!("run-{run}")), backend.fresh(&dir, run).await?, &sample).await?;
        eprintln!(
            "{label} first sync, run {}: {:.1} s (push {:.1} s, turns {:.1} s, pull {:.1} s; local load {:.1} s)",
            run + 1,
            fs.total().as_secs_f64(),
            fs.push.as_secs_f64(),
            fs.turns,
            fs.pull.as_secs_f64(),
            fs.local.as_secs_f64()
        );
        runs.push(fs);
        last = Some(synced);
    }
    let Synced { a, ca, b, cb, server } = last.expect("at least one run");
    runs.sort_by_key(FirstSync::total);
    let all: Vec<String> = runs.iter().map(|r| format!("{:.1}", r.total().as_secs_f64())).collect();
    let mid = &runs[runs.len() / 2];
    let local = median(runs.iter().map(|r| r.local).collect());
    let mut lines = vec![format!(
        "| {label}: first sync, {} changes A → server → B (target ≤ 10 s; median of {} runs) | **{:.1} s** (runs {} s; the median run: push {:.1} s, of it the server's turns {:.1} s, pull {:.1} s, {} records) | loading the same records locally, no network (median): {:.1} s | {:.1}× |",
        mid.changes,
        runs.len(),
        mid.total().as_secs_f64(),
        all.join(", "),
        mid.push.as_secs_f64(),
        mid.turns,
        mid.pull.as_secs_f64(),
        mid.pulled,
        local.as_secs_f64(),
        mid.total().as_secs_f64() / local.as_secs_f64()
    )];
    println!("{}", lines.last().expect("line"));
    if first_only {
        server.abort();
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
    server.abort();
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
    let mut lines = one_backend(dir, Backend::Sqlite, actions, true).await?;
    if let Ok(admin) = std::env::var("MANDATE_BENCH_DATABASE_URL") {
        lines.extend(one_backend(dir, Backend::Postgres(admin), actions, true).await?);
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
    lines.extend(one_backend(dir, Backend::Sqlite, actions, false).await?);
    lines.extend(many(dir, "SQLite", Db::sqlite(&dir.join("server-sqlite-many")).await?, clients).await?);
    match std::env::var("MANDATE_BENCH_DATABASE_URL") {
        Ok(admin) => {
            lines.extend(one_backend(dir, Backend::Postgres(admin.clone()), actions, false).await?);
            let url = fresh_pg(&admin, "mandate_bench_many").await?;
            lines.extend(many(dir, "PostgreSQL", Db::postgres(&url).await?, clients).await?);
        }
        Err(_) => lines.push("| PostgreSQL: not measured (MANDATE_BENCH_DATABASE_URL unset) | | | |".into()),
    }
    lines.push(String::new());
    lines.push(format!("Workspaces generated with {actions} sample actions (every record of them is one change); the desktop is the release `mandate-sync` client with real encrypted workspaces, the server the release `mandate-server` library in the same process, talking HTTP over loopback.\n"));
    Ok(lines)
}
