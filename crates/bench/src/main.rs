//! `cargo xtask bench`: Mandate's speed targets, each measured in the same run as its anchor from
//! `../shared/PERFORMANCE-ANCHORS.md`, with the ratio reported and BENCHMARKS.md rewritten.
//!
//! `--quick` runs smaller sizes (for trying the harness); the figures in BENCHMARKS.md come from a
//! full run. `--only-first-sync` measures just the first sync on SQLite, and on PostgreSQL when
//! `MANDATE_BENCH_DATABASE_URL` is set (for working on it).

mod book;
mod desktop;
mod sync;

use anyhow::{Context, Result};
use chrono::{Datelike, NaiveDate};
use mandate_domain::*;
use mandate_store::query::{ActionFilter, Sort};
use mandate_store::{DbKey, Profile, Store};
use sqlx::{ConnectOptions, Connection};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

struct Report {
    lines: Vec<String>,
}

impl Report {
    fn row(&mut self, cells: &[String]) {
        let line = format!("| {} |", cells.join(" | "));
        println!("{line}");
        self.lines.push(line);
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn pct(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).expect("date")
}

fn shared_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/federal-register")
}

/// A plain SQLCipher file for an anchor: a raw key, WAL, `synchronous=NORMAL`, no statement
/// logging — the settings `../shared/PERFORMANCE-ANCHORS.md` names.
async fn anchor_connection(path: &Path) -> Result<sqlx::SqliteConnection> {
    let hex: String = (0..32).map(|i| format!("{:02x}", (i * 37 + 11) % 256)).collect();
    let mut c = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .pragma("key", format!("\"x'{hex}'\""))
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
        .disable_statement_logging()
        .connect()
        .await?;
    let v: String = sqlx::query_scalar("PRAGMA cipher_version").fetch_one(&mut c).await?;
    anyhow::ensure!(!v.is_empty(), "SQLCipher not linked");
    Ok(c)
}

/// The anchor: rows of ~510 bytes into a plain SQLCipher table with an FTS5 trigger, through sqlx,
/// one INSERT per row (anchor ~5.7k rows/s) and 50 rows per INSERT (anchor ~26k rows/s without FTS).
async fn anchor_bulk(dir: &Path, n: usize, per_statement: usize, fts: bool) -> Result<f64> {
    let path = dir.join(format!("anchor-{per_statement}-{fts}.db"));
    let mut c = anchor_connection(&path).await?;
    sqlx::query("CREATE TABLE t(id INTEGER PRIMARY KEY, title TEXT, body TEXT)").execute(&mut c).await?;
    if fts {
        sqlx::query("CREATE VIRTUAL TABLE t_fts USING fts5(title, body, content='t', content_rowid='id')").execute(&mut c).await?;
        sqlx::query(
            "CREATE TRIGGER t_ai AFTER INSERT ON t BEGIN INSERT INTO t_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
        )
        .execute(&mut c)
        .await?;
    }
    let body = "Coordinate the response with the offices named below and report progress weekly. ".repeat(6);
    let t = Instant::now();
    let mut tx = c.begin().await?;
    let mut i = 0;
    while i < n {
        let k = per_statement.min(n - i);
        let sql = format!("INSERT INTO t(title, body) VALUES {}", vec!["(?, ?)"; k].join(","));
        let mut q = sqlx::query(&sql);
        for j in 0..k {
            q = q.bind(format!("Action number {} on subject {}", i + j, (i + j) % 97)).bind(&body[..440]);
        }
        q.execute(&mut *tx).await?;
        i += k;
    }
    tx.commit().await?;
    let rate = n as f64 / t.elapsed().as_secs_f64();
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut c).await?;
    c.close().await?;
    Ok(rate)
}

/// The query anchors, measured in the same run: a plain SQLCipher table of `n` rows of ~510
/// bytes with an index and an FTS5 index, default page cache. Returns the p95 of an indexed
/// filter returning 200 rows, and of an FTS5 `ORDER BY rank` over the ~47% of rows that match.
async fn anchor_queries(dir: &Path, n: usize, runs: usize) -> Result<(Duration, Duration, usize)> {
    let path = dir.join("anchor-queries.db");
    let mut c = anchor_connection(&path).await?;
    sqlx::query("CREATE TABLE t(id INTEGER PRIMARY KEY, grp INTEGER, title TEXT, body TEXT)").execute(&mut c).await?;
    sqlx::query("CREATE INDEX t_grp ON t(grp, id)").execute(&mut c).await?;
    sqlx::query("CREATE VIRTUAL TABLE t_fts USING fts5(title, body, content='t', content_rowid='id')").execute(&mut c).await?;
    let mut tx = c.begin().await?;
    for start in (0..n).step_by(50) {
        let k = 50.min(n - start);
        let sql = format!("INSERT INTO t(grp, title, body) VALUES {}", vec!["(?, ?, ?)"; k].join(","));
        let mut q = sqlx::query(&sql);
        for i in start..start + k {
            let word = if i % 100 < 47 { "hurricane" } else { "drought" };
            let body = format!("Coordinate the {word} response with the offices named below and report progress weekly. ").repeat(5);
            q = q.bind((i % 400) as i64).bind(format!("Action number {i} on subject {}", i % 97)).bind(body);
        }
        q.execute(&mut *tx).await?;
    }
    sqlx::query("INSERT INTO t_fts(t_fts) VALUES ('rebuild')").execute(&mut *tx).await?;
    tx.commit().await?;
    let (mut filter, mut ranked) = (vec![], vec![]);
    for i in 0..runs {
        let t = Instant::now();
        let rows = sqlx::query("SELECT id, title, body FROM t WHERE grp = ? ORDER BY id LIMIT 200")
            .bind((i % 400) as i64)
            .fetch_all(&mut c)
            .await?;
        filter.push(t.elapsed());
        anyhow::ensure!(rows.len() == 200, "anchor filter returned {}", rows.len());
        let t = Instant::now();
        let rows = sqlx::query("SELECT rowid FROM t_fts WHERE t_fts MATCH 'hurricane' ORDER BY rank LIMIT 200").fetch_all(&mut c).await?;
        ranked.push(t.elapsed());
        anyhow::ensure!(rows.len() == 200, "anchor search returned {}", rows.len());
    }
    let matches =
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM t_fts WHERE t_fts MATCH 'hurricane'").fetch_one(&mut c).await? as usize;
    c.close().await?;
    Ok((pct(filter, 0.95), pct(ranked, 0.95), matches))
}

/// A workspace of `actions` sample actions, printed as one book.
async fn book_section(dir: &Path, actions: usize) -> Result<Vec<String>> {
    let store = workspace(dir, "book.db").await?;
    let mut sample = mandate_sample::generate(&mandate_sample::Options { actions, ..Default::default() });
    // Several pages per action, as in the anchor: requirements the length of a real directive.
    for a in &mut sample.actions {
        let para = a.body.clone();
        a.body = (1..=16).map(|i| format!("{i}. {para}")).collect::<Vec<_>>().join("\n\n");
    }
    store.insert_records(&sample, &|_, _, _| {}).await?;
    book::run(dir, store, &dir.join("book.db"), &"5a".repeat(32), actions).await
}

async fn workspace(dir: &Path, name: &str) -> Result<Store> {
    Ok(Store::create(
        &dir.join(name),
        &bench_key(),
        Profile { name: "Bench".into(), role: UserRole::Executive, office: None, ..Default::default() },
    )
    .await?)
}

fn bench_key() -> DbKey {
    DbKey::from_hex(&"5a".repeat(32)).expect("hex")
}

async fn time_query(
    store: &Store,
    runs: usize,
    f: &(dyn Fn(usize) -> ActionFilter + Sync),
    count: bool,
) -> Result<(Duration, Duration, usize)> {
    let mut times = Vec::with_capacity(runs);
    let mut n = 0;
    // Warm-up, as the app's first screen would have done.
    store.list_actions(&f(0), today()).await?;
    for i in 0..runs {
        let filter = f(i);
        let t = Instant::now();
        if count {
            n = store.count_actions(&filter, today()).await? as usize;
        } else {
            n = store.list_actions(&filter, today()).await?.len();
        }
        times.push(t.elapsed());
    }
    Ok((pct(times.clone(), 0.5), pct(times, 0.95), n))
}

/// mimalloc for Rust and SQLite alike (see `mandate-alloc`).
#[global_allocator]
static ALLOCATOR: mandate_alloc::MiMalloc = mandate_alloc::MiMalloc;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    // Before any connection (the anchors open SQLite first): anchors and Mandate share the allocator.
    anyhow::ensure!(mandate_alloc::use_mimalloc(), "SQLite did not take mimalloc");
    let quick = std::env::args().any(|a| a == "--quick");
    let n: usize = if quick { 10_000 } else { 100_000 };
    let runs = if quick { 50 } else { 200 };
    let queries_only = std::env::args().any(|a| a == "--queries-only");
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path();
    let mut out = Report { lines: vec![] };
    let started = chrono::Utc::now();
    let book_actions = if quick { 200 } else { 1000 };
    if std::env::args().any(|a| a == "--only-desktop") {
        let store = workspace(dir, "desktop.db").await?;
        let sample = mandate_sample::generate(&mandate_sample::Options { actions: n, ..Default::default() });
        store.insert_records(&sample, &|_, _, _| {}).await?;
        store.close().await;
        workspace(dir, "empty.db").await?.close().await;
        desktop::run(&dir.join("desktop.db"), &dir.join("empty.db"), &"5a".repeat(32), n)?;
        return Ok(());
    }
    // About 100k changes: the sample's actions carry ~9 records each.
    let sync_actions = if quick { 1_000 } else { 11_000 };
    let sync_clients = if quick { 10 } else { 50 };
    if std::env::args().any(|a| a == "--only-first-sync") {
        println!("{}", sync::first_sync_only(dir, sync_actions).await?);
        return Ok(());
    }
    if std::env::args().any(|a| a == "--only-sync") {
        for l in sync::run(dir, sync_actions, sync_clients).await? {
            println!("{l}");
        }
        return Ok(());
    }
    if std::env::args().any(|a| a == "--only-book") {
        book_section(dir, book_actions).await?;
        return Ok(());
    }
    let sample = mandate_sample::generate(&mandate_sample::Options { actions: n, ..Default::default() });

    if !queries_only {
        println!("# Bulk load ({n} rows / actions)\n");
        out.lines.push(format!("## Bulk load into the encrypted store ({n} rows)\n"));
        out.row(&["what".into(), "rows or actions per second".into(), "anchor".into(), "ratio".into()]);
        out.row(&["---".into(), "---:".into(), "---".into(), "---:".into()]);
        let naive = anchor_bulk(dir, n, 1, true).await?;
        out.row(&[
            "anchor: sqlx, one INSERT per row, FTS5 trigger".into(),
            format!("{naive:.0}"),
            "~5.7k (shared figure)".into(),
            "1.0×".into(),
        ]);
        let batched = anchor_bulk(dir, n, 50, false).await?;
        out.row(&[
            "anchor: sqlx, 50 rows per INSERT, no FTS".into(),
            format!("{batched:.0}"),
            "~26k (shared figure)".into(),
            format!("{:.1}×", batched / naive),
        ]);

        // Ours: bare actions (no children), each with its audit entry, change-log entry and search entry.
        let bare = Records { actions: sample.actions.clone(), ..Default::default() };
        let store = workspace(dir, "bulk.db").await?;
        let t = Instant::now();
        store.insert_records(&bare, &|_, _, _| {}).await?;
        let ours = n as f64 / t.elapsed().as_secs_f64();
        store.close().await;
        let per_action = std::fs::metadata(dir.join("bulk.db"))?.len() as f64 / n as f64;
        let anchor_db = std::fs::metadata(dir.join("anchor-50-false.db"))?.len() as f64 / n as f64;
        if std::env::args().any(|a| a == "--only-bulk") {
            println!("bulk: {ours:.0} actions/s, {per_action:.0} bytes per action on disk");
            return Ok(());
        }
        out.row(&[
            "**Mandate: actions + audit chain + change log + FTS (target ≥ 50k/s)**".into(),
            format!("**{ours:.0}**"),
            "naive loop above".into(),
            format!("**{:.1}×**", ours / naive),
        ]);
        out.lines.push(String::new());
        out.lines.push(format!(
            "On disk each action takes **{per_action:.0} bytes** (record, audit entry, change-log entry, indexes, full-text entry; the anchor's row: {anchor_db:.0} bytes). At the 50-rows-per-INSERT anchor's byte rate ({:.0} MB/s here) that size alone allows at most **{:.0} actions/s**.\n",
            batched * anchor_db / 1e6,
            batched * anchor_db / per_action
        ));
        println!("{}", out.lines.last().expect("line"));
    }
    // Full synthetic workspace: actions with assignments, updates, risks, issues, evaluations…
    let store = workspace(dir, "full.db").await?;
    let t = Instant::now();
    let w = store.insert_records(&sample, &|_, _, _| {}).await?;
    let full = t.elapsed();
    out.lines.push(String::new());
    out.lines.push(format!(
        "Generating and loading {n} synthetic actions **with everything attached** ({} records: assignments, updates, risks, impacts, issues, evaluations…; each with audit and change-log entries): **{:.1} s** ({:.0} records/s).\n",
        w.created,
        full.as_secs_f64(),
        w.created as f64 / full.as_secs_f64()
    ));
    println!("{}", out.lines.last().expect("line"));

    if !queries_only {
        // Real-data import, fresh workspace each time; median of 3.
        let mut imports = vec![];
        for i in 0..3 {
            let s = workspace(dir, &format!("import{i}.db")).await?;
            let t = Instant::now();
            let summary = s
                .import_paths(&[shared_data()], mandate_store::import::BadRows::KeepGoodRows, &|_, _, _| {})
                .await
                .context("real-data import")?;
            imports.push(t.elapsed());
            anyhow::ensure!(summary.actions_created == 6363, "unexpected import count {}", summary.actions_created);
            s.close().await;
        }
        let import = pct(imports, 0.5);
        out.lines.push(format!("## Real-data import\n\nAll of `shared/data/federal-register` (85 files → 6,363 executive orders, 6,363 authorities and citations, 7,569 relations; 26,658 records, each audited and change-logged) into a fresh encrypted workspace, median of 3: **{}** (target ≤ 500 ms).\n", ms(import)));
        println!("{}", out.lines.last().expect("line"));
    }
    // Queries at n actions, on a settled workspace as the app meets it at launch (closing
    // checkpoints the WAL the load left behind).
    store.close().await;
    let store = Store::open(&dir.join("full.db"), &bench_key()).await?;
    let (anchor_filter, anchor_ranked, anchor_matches) = anchor_queries(dir, n, runs).await?;
    out.lines.push(format!("## Queries at {n} actions ({runs} runs each, page of 200 unless counting)\n"));
    out.lines.push(format!(
        "Same-run anchors (plain SQLCipher table of {n} rows, default 2 MB page cache): an indexed filter returning 200 rows, p95 **{}**; FTS5 `ORDER BY rank` over {anchor_matches} matches, p95 **{}**.\n",
        ms(anchor_filter),
        ms(anchor_ranked)
    ));
    println!("{}", out.lines.last().expect("line"));
    out.row(&["query".into(), "p50".into(), "p95".into(), "rows".into()]);
    out.row(&["---".into(), "---:".into(), "---:".into(), "---:".into()]);
    let offices: Vec<String> = store.all::<Office>().await?.into_iter().map(|o| o.code).collect();
    let words = ["budget", "cybersecurity", "hurricane", "records", "workforce", "regulatory", "grant", "continuity", "report", "plan"];
    let statuses = [Status::InProgress, Status::Assigned, Status::Closed, Status::Blocked, Status::Completed];
    let page = Some(200);
    type F = Box<dyn Fn(usize) -> ActionFilter + Sync>;
    let cases: Vec<(&str, F, bool)> = vec![
        ("all, by suspense", Box::new(move |_| ActionFilter { limit: page, ..Default::default() }), false),
        ("all, newest first", Box::new(move |_| ActionFilter { limit: page, sort: Some(Sort::Newest), ..Default::default() }), false),
        (
            "by status",
            Box::new(move |i| ActionFilter { statuses: vec![statuses[i % statuses.len()]], limit: page, ..Default::default() }),
            false,
        ),
        (
            "open statuses (board)",
            Box::new(move |_| ActionFilter {
                statuses: vec![Status::Issued, Status::Assigned, Status::InProgress, Status::Blocked],
                limit: page,
                ..Default::default()
            }),
            false,
        ),
        (
            "by kind",
            Box::new(move |i| ActionFilter { kinds: vec![ActionKind::ALL[i % ActionKind::ALL.len()]], limit: page, ..Default::default() }),
            false,
        ),
        (
            "by priority",
            Box::new(move |i| ActionFilter { priorities: vec![Priority::ALL[i % Priority::ALL.len()]], limit: page, ..Default::default() }),
            false,
        ),
        (
            "by office",
            {
                let o = offices.clone();
                Box::new(move |i| ActionFilter { office: Some(o[i % o.len()].clone()), limit: page, ..Default::default() })
            },
            false,
        ),
        (
            "office + status",
            {
                let o = offices.clone();
                Box::new(move |i| ActionFilter {
                    office: Some(o[i % o.len()].clone()),
                    statuses: vec![Status::InProgress],
                    limit: page,
                    ..Default::default()
                })
            },
            false,
        ),
        ("sorted by title", Box::new(move |_| ActionFilter { sort: Some(Sort::Title), limit: page, ..Default::default() }), false),
        (
            "by status in lifecycle order, reversed",
            Box::new(move |_| ActionFilter { sort: Some(Sort::Status), descending: true, limit: page, ..Default::default() }),
            false,
        ),
        (
            "open, most urgent first",
            Box::new(move |_| ActionFilter {
                statuses: vec![Status::Issued, Status::Assigned, Status::InProgress, Status::Blocked],
                sort: Some(Sort::Priority),
                limit: page,
                ..Default::default()
            }),
            false,
        ),
        ("overdue", Box::new(move |_| ActionFilter { overdue: true, limit: page, ..Default::default() }), false),
        ("at risk", Box::new(move |_| ActionFilter { at_risk: true, limit: page, ..Default::default() }), false),
        ("unassigned", Box::new(move |_| ActionFilter { unassigned: true, limit: page, ..Default::default() }), false),
        (
            "text search, by suspense",
            Box::new(move |i| ActionFilter {
                text: Some(words[i % words.len()].into()),
                sort: Some(Sort::Suspense),
                limit: page,
                ..Default::default()
            }),
            false,
        ),
        (
            "text search, ranked",
            Box::new(move |i| ActionFilter { text: Some(words[i % words.len()].into()), limit: page, ..Default::default() }),
            false,
        ),
        (
            "two-word ranked search",
            Box::new(move |i| ActionFilter {
                text: Some(format!("{} {}", words[i % words.len()], words[(i + 3) % words.len()])),
                limit: page,
                ..Default::default()
            }),
            false,
        ),
        (
            "search + office + status",
            {
                let o = offices.clone();
                Box::new(move |i| ActionFilter {
                    text: Some(words[i % words.len()].into()),
                    office: Some(o[i % o.len()].clone()),
                    statuses: vec![Status::InProgress],
                    limit: page,
                    ..Default::default()
                })
            },
            false,
        ),
        ("count: overdue", Box::new(move |_| ActionFilter { overdue: true, ..Default::default() }), true),
        (
            "count: by office",
            {
                let o = offices.clone();
                Box::new(move |i| ActionFilter { office: Some(o[i % o.len()].clone()), ..Default::default() })
            },
            true,
        ),
        ("count: text search", Box::new(move |i| ActionFilter { text: Some(words[i % words.len()].into()), ..Default::default() }), true),
    ];
    let mut worst = Duration::ZERO;
    let mut dashboard: Option<Duration>;
    for (name, f, count) in &cases {
        let (p50, p95, rows) = time_query(&store, runs, f.as_ref(), *count).await?;
        worst = worst.max(p95);
        out.row(&[name.to_string(), ms(p50), ms(p95), rows.to_string()]);
    }
    // One action's whole file (the detail screen) and the success measures (dashboard).
    let ids: Vec<Id> = store
        .list_actions(&ActionFilter { limit: Some(runs as u32), sort: Some(Sort::Newest), ..Default::default() }, today())
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
    let mut times = vec![];
    for id in &ids {
        let t = Instant::now();
        store.action_file(*id).await?;
        times.push(t.elapsed());
    }
    out.row(&["one action's full file (detail screen)".into(), ms(pct(times.clone(), 0.5)), ms(pct(times, 0.95)), "1".into()]);
    // The Dashboard as the app asks for it: the report (overall and per office) and the twelve
    // months of the trend; then `mandate metrics --office`, a different office each run.
    let mut times = vec![];
    for _ in 0..runs {
        let t = Instant::now();
        let report = store.measures(today(), None, None, None).await?;
        let months: Vec<(NaiveDate, NaiveDate)> = (0..12u32)
            .map(|back| {
                let first = today().with_day(1).expect("day").checked_sub_months(chrono::Months::new(back)).expect("month");
                (first, first.checked_add_months(chrono::Months::new(1)).expect("month").pred_opt().expect("day"))
            })
            .collect();
        store.measures_per_period(today(), &months).await?;
        times.push(t.elapsed());
        anyhow::ensure!(report.overall.actions > 0, "the measures measured nothing");
    }
    let (p50, p95) = (pct(times.clone(), 0.5), pct(times, 0.95));
    dashboard = Some(p95);
    out.row(&["success measures + 12-month trend (Dashboard)".into(), ms(p50), ms(p95), n.to_string()]);
    let mut times = vec![];
    for i in 0..runs {
        let t = Instant::now();
        store.measures(today(), Some(&offices[i % offices.len()]), None, None).await?;
        times.push(t.elapsed());
    }
    let (p50, p95) = (pct(times.clone(), 0.5), pct(times, 0.95));
    dashboard = dashboard.max(Some(p95));
    out.row(&["success measures for one office (`metrics --office`)".into(), ms(p50), ms(p95), "1 office".into()]);
    // The Dashboard's custody figures (median and 90th-percentile days to acknowledge and to
    // answer, per office), held to cost no more than the success measures in the same run.
    let mut times = vec![];
    for _ in 0..runs {
        let t = Instant::now();
        let c = store.custody_by_office().await?;
        times.push(t.elapsed());
        anyhow::ensure!(c.iter().any(|o| o.acknowledged > 0), "the custody figures counted nothing");
    }
    let (c50, c95) = (pct(times.clone(), 0.5), pct(times, 0.95));
    let measures_p95 = dashboard.unwrap_or_default();
    out.row(&[
        format!(
            "custody days per office (Dashboard); ratio to the success measures' p95: {:.2}",
            c95.as_secs_f64() / measures_p95.as_secs_f64().max(1e-9)
        ),
        ms(c50),
        ms(c95),
        "every office".into(),
    ]);
    out.lines.push(String::new());
    out.lines.push(format!(
        "Worst p95 of the list, filter and search queries: **{}** (target ≤ 20 ms); of the success measures: **{}** (target ≤ 100 ms).",
        ms(worst),
        dashboard.map(ms).unwrap_or_default()
    ));
    println!("{}", out.lines.last().expect("line"));
    store.close().await;

    if queries_only {
        return Ok(());
    }
    out.lines.push(String::new());
    workspace(dir, "empty.db").await?.close().await;
    out.lines.extend(desktop::run(&dir.join("full.db"), &dir.join("empty.db"), &"5a".repeat(32), n)?);
    out.lines.extend(book_section(dir, book_actions).await?);
    out.lines.push(String::new());
    out.lines.extend(sync::run(dir, sync_actions, sync_clients).await?);
    out.lines.push(String::new());
    out.lines.push(NOTES.to_string());
    let mut md = String::new();
    writeln!(md, "# Benchmarks\n")?;
    writeln!(md, "Produced by `cargo xtask bench{}` on {} (release build; 2 vCPU VM, noisy: compare ratios). Anchors are from `../shared/PERFORMANCE-ANCHORS.md` and re-measured in the same run where marked.\n", if quick { " -- --quick" } else { "" }, started.format("%Y-%m-%d %H:%M UTC"))?;
    for l in &out.lines {
        writeln!(md, "{l}")?;
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../BENCHMARKS.md");
    std::fs::write(&path, md)?;
    println!("\nwrote {}", path.display());
    Ok(())
}

const NOTES: &str = "## Reading these figures

- **Bulk load is below its target, and the target is out of reach for this data model on this
  machine:** the line under the table computes the ceiling that the bytes alone impose. Each
  action written by Mandate is three rows (the record,
  its audit entry with the full record as `after` plus a SHA-256 chain hash, and its change-log
  entry), two to four index entries, generated columns and a full-text entry, all encrypted page
  by page — roughly six times the bytes of the anchor's 510-byte row. The statement overhead the
  anchor is about is gone (multi-row INSERTs with bound values; the 50-rows-per-INSERT anchor is
  re-measured above for the raw ceiling). What remains is SQLite/SQLCipher work proportional to
  the bytes written. The rate also falls with size: ~21k actions/s for 10k actions in one
  transaction, ~12–14k/s for 100k (the full-text build and the commit's WAL write grow faster than
  linearly). Ideas not yet tried: compressing audit
  `before`/`after`, overlapping the Rust-side hashing with SQLite's execution. (Tried without
  gain: a 1 GB cache; FTS automerge off with one `optimize` at the end — the full-text build is a
  steady ~8 µs an action.)
- **The real-data import is below its target** for the same reason: 26,658 records, each with its
  audit and change-log entries, in one transaction (so a crash leaves the workspace as before).
  Parsing and merging the 85 files takes ~45 ms of it.
- **Queries.** Lists are read off `(due, id)` indexes and stop after a page. A search on its own
  is ranked over the newest 300 matches; a search inside a filtered list keeps suspense order.
  The slowest case is a word that occurs in nearly every action (the generator's requirement text
  repeats words such as *report*) combined with other filters: the set of matches is built once
  per query. (Tried without gain: letting a word with few matches drive the query instead.)
  Counts of a bare search come from the full-text index.
- **Allocator.** Every binary uses mimalloc for Rust and SQLite alike (`mandate-alloc`); the
  benchmark gives SQLite the same allocator before the anchors run, so anchors and Mandate are
  measured alike. On a first sync of ~100k changes glibc's malloc cost ~16–20 % of the time.
- **Machine speed.** The VM's speed varies between sessions by more than 2×: the anchors in the
  same run are the yardstick (compare the naive loop's rows/s with the ~5.7k of
  `PERFORMANCE-ANCHORS.md`).
- The desktop section: launch time is wall clock from starting the release app to its first screen drawn with data (the window reports it); memory is read from /proc (VmHWM).
";
