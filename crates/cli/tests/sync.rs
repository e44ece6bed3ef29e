//! Client and server as separate processes (the real `mandate` and `mandate-server` binaries),
//! against SQLite and PostgreSQL: kill -9 of the server during a push and of a client during a
//! pull lose nothing committed and duplicate nothing.

mod common;
use common::*;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server binary beside `mandate` (built here if this test runs on its own).
fn server_bin() -> PathBuf {
    let dir = Path::new(env!("CARGO_BIN_EXE_mandate")).parent().unwrap().to_path_buf();
    let bin = dir.join(format!("mandate-server{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let ok = Command::new(cargo).args(["build", "-p", "mandate-server"]).status().unwrap().success();
        assert!(ok, "building mandate-server");
    }
    bin
}

struct ServerProc {
    data: PathBuf,
    db_url: Option<String>,
    port: u16,
    child: Option<Child>,
    /// Everything the server logged (JSON lines).
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl ServerProc {
    fn cmd(&self) -> Command {
        let mut c = Command::new(server_bin());
        c.arg("--data").arg(&self.data).env("RUST_LOG", "info");
        match &self.db_url {
            Some(u) => c.env("MANDATE_SERVER_DATABASE_URL", u),
            None => c.env_remove("MANDATE_SERVER_DATABASE_URL"),
        };
        c
    }
    fn admin(&self, args: &[&str]) -> String {
        let o = self.cmd().arg("admin").args(args).output().unwrap();
        assert!(o.status.success(), "mandate-server admin {args:?}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    }
    fn start(&mut self) {
        let mut child = self
            .cmd()
            .args(["serve", "--listen", &format!("127.0.0.1:{}", self.port)])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let err = child.stderr.take().unwrap();
        // Drain the log on a thread so the server never blocks on a full pipe.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            assert!(Instant::now() < deadline, "the server did not say it was serving within two minutes");
            if let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
                let serving = line.contains("serving");
                self.log.lock().unwrap().push(line);
                if serving {
                    break;
                }
            }
        }
        let log = self.log.clone();
        std::thread::spawn(move || {
            for line in rx {
                log.lock().unwrap().push(line);
            }
        });
        self.child = Some(child);
    }
    fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap(); // SIGKILL on Unix
            c.wait().unwrap();
        }
    }
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn server_db(s: &ServerProc) -> mandate_server::Db {
    match &s.db_url {
        Some(u) => mandate_server::Db::postgres(u).await.unwrap(),
        None => mandate_server::Db::sqlite(&s.data).await.unwrap(),
    }
}

async fn fresh_pg() -> String {
    let admin = std::env::var("MANDATE_TEST_DATABASE_URL")
        .expect("MANDATE_TEST_DATABASE_URL is not set: `cargo xtask test` starts PostgreSQL on loopback and sets it");
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    let name = format!("mandate_cli_{}", std::process::id() as u64 * 1000 + free_port() as u64);
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
    format!("{}/{name}", admin.rsplit_once('/').unwrap().0)
}

/// Run `mandate sync` and kill it with SIGKILL once `when` shows on its progress output.
fn sync_killed_at(ws: &Ws, when: &str) -> bool {
    let mut child = ws.cmd(&["sync"]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let err = BufReader::new(child.stderr.take().unwrap());
    let mut killed = false;
    for line in err.lines().map_while(Result::ok) {
        if line.starts_with(when) {
            child.kill().unwrap();
            killed = true;
            break;
        }
    }
    child.wait().unwrap();
    killed
}

async fn crash_both_sides(pg: bool) {
    let dir = tempfile::tempdir().unwrap();
    let mut server = ServerProc {
        data: dir.path().join("server"),
        db_url: if pg { Some(fresh_pg().await) } else { None },
        port: free_port(),
        child: None,
        log: Default::default(),
    };
    server.admin(&["add-office", "OCOS", "Office of the Chief of Staff"]);
    server.admin(&["add-user", "cos", "--name", "Chief of Staff", "--role", "executive", "--office", "OCOS"]);
    server.admin(&["add-user", "deputy", "--name", "Deputy", "--role", "executive", "--office", "OCOS"]);
    server.start();

    // A desktop with a few thousand records to push.
    let a = Ws::init(&["--name", "Chief of Staff", "--office", "OCOS", "--sample", "800"]);
    let code = server.admin(&["enrol", "cos"]);
    a.ok(&["sync", "connect", &server.url(), "--code", &code]);
    let waiting = a.json(&["sync", "status"])["waiting"].as_i64().unwrap();
    assert!(waiting > 4000, "enough for several batches: {waiting}");

    // Push, and kill -9 the server as soon as the first batch is in.
    let mut sync = a.cmd(&["sync"]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let err = BufReader::new(sync.stderr.take().unwrap());
    let mut lines = err.lines().map_while(Result::ok);
    let first = lines.next().expect("push progress");
    assert!(first.starts_with("push:"), "{first}");
    server.kill9();
    let rest: Vec<String> = lines.collect();
    let status = sync.wait().unwrap();
    assert!(!status.success(), "the sync notices the server is gone: {rest:?}");
    assert!(rest.iter().any(|l| l.contains("could not be reached")), "{rest:?}");
    let still_waiting = a.json(&["sync", "status"])["waiting"].as_i64().unwrap();
    assert!(still_waiting > 0 && still_waiting < waiting, "part was pushed: {still_waiting} of {waiting}");

    // Restart; the next sync finishes the push.
    server.start();
    a.ok(&["sync"]);
    assert_eq!(a.json(&["sync", "status"])["waiting"], 0);

    // Nothing lost, nothing doubled: every local change is in the server's audit exactly once.
    let db = server_db(&server).await;
    let device = a.json(&["sync", "status"])["device_id"].as_str().unwrap().to_string();
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit WHERE device_id = $1").bind(&device).fetch_one(&db.pool).await.unwrap();
    let distinct: i64 = sqlx::query_scalar("SELECT count(DISTINCT change_id) FROM audit WHERE device_id = $1")
        .bind(&device)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(audited, waiting, "each pushed change recorded once");
    assert_eq!(distinct, audited);
    assert!(server.admin(&["verify-audit"]).contains("intact"));

    // A second desktop pulls everything, and is killed -9 after its first batch.
    let b = Ws::init(&["--name", "Deputy"]);
    let code = server.admin(&["enrol", "deputy"]);
    b.ok(&["sync", "connect", &server.url(), "--code", &code]);
    assert!(sync_killed_at(&b, "pull:"), "killed mid-pull");
    b.ok(&["sync"]);

    // Both desktops hold the same records, each created once.
    let key = mandate_store::DbKey::from_hex(KEY).unwrap();
    let sa = mandate_store::Store::open(&a.db, &key).await.unwrap();
    let sb = mandate_store::Store::open(&b.db, &key).await.unwrap();
    let (ra, rb) = (sa.replicated_records().await.unwrap(), sb.replicated_records().await.unwrap());
    assert_eq!(ra["actions"].len(), 800);
    assert_eq!(ra, rb, "the second desktop has exactly what the first pushed");
    sa.close().await;
    sb.close().await;
    let mut conn = mandate_store::raw_connection(&b.db, &key).await.unwrap();
    let doubled: i64 =
        sqlx::query_scalar("SELECT count(*) FROM (SELECT entity_id FROM audit WHERE op = 'create' GROUP BY entity_id HAVING count(*) > 1)")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(doubled, 0, "no record was created twice");

    // The server's structured log records the pushes and never a token or an enrolment code.
    let log = server.log.lock().unwrap().clone();
    assert!(log.iter().any(|l| l.contains("\"push\"") && l.contains("\"user\":\"cos\"")), "pushes are logged with the user");
    assert!(log.iter().all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()), "every log line is JSON");
    for secret in ["mdt_", &code] {
        assert!(!log.iter().any(|l| l.contains(secret)), "a secret reached the log");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_push_and_pull_sqlite() {
    crash_both_sides(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_push_and_pull_postgres() {
    crash_both_sides(true).await;
}

/// A SQLite server process with one executive, and their desktop with `sample` sample actions,
/// connected and synced.
fn one_desktop_synced(dir: &std::path::Path, sample: &str) -> (ServerProc, Ws) {
    let mut server = ServerProc { data: dir.join("server"), db_url: None, port: free_port(), child: None, log: Default::default() };
    server.admin(&["add-office", "OCOS", "Office of the Chief of Staff"]);
    server.admin(&["add-user", "cos", "--name", "Chief of Staff", "--role", "executive", "--office", "OCOS"]);
    server.start();
    let a = Ws::init(&["--name", "Chief of Staff", "--office", "OCOS", "--sample", sample]);
    let code = server.admin(&["enrol", "cos"]);
    a.ok(&["sync", "connect", &server.url(), "--code", &code]);
    a.ok(&["sync"]);
    (server, a)
}

/// The real binaries: `admin backup` while serving, `admin restore` refused under a running
/// server (and a second server refused on the same data directory), then accepted once it is
/// stopped; the desktop's next `mandate sync` says the server was restored and sends what the
/// server forgot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_restore_with_the_real_binaries() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, a) = one_desktop_synced(dir.path(), "20");

    let backup = dir.path().join("backup.db");
    let said = server.admin(&["backup", "--to", backup.to_str().unwrap()]);
    assert!(said.starts_with("backed up to"), "{said}");
    a.ok(&["action", "create", "--title", "Decided after the backup", "--kind", "tasker", "--official", "Chief of Staff", "--issue"]);
    a.ok(&["sync"]);
    let after_backup = a.json(&["sync", "status"]);
    assert_eq!(after_backup["waiting"], 0);

    let under_running = server.cmd().args(["admin", "restore", "--from", backup.to_str().unwrap()]).output().unwrap();
    assert!(!under_running.status.success());
    assert!(String::from_utf8_lossy(&under_running.stderr).contains("another mandate-server is using"), "{under_running:?}");
    let second = server.cmd().args(["serve", "--listen", &format!("127.0.0.1:{}", free_port())]).output().unwrap();
    assert!(!second.status.success() && String::from_utf8_lossy(&second.stderr).contains("another mandate-server is using"), "{second:?}");

    server.kill9();
    let said = server.admin(&["restore", "--from", backup.to_str().unwrap()]);
    assert!(said.contains("send and read everything again"), "{said}");
    server.start();
    let db = server_db(&server).await;
    let titled = |db: mandate_server::Db| async move {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM records WHERE entity = 'actions' AND data LIKE '%Decided after the backup%'")
            .fetch_one(&db.pool)
            .await
            .unwrap()
    };
    assert_eq!(titled(db.clone()).await, 0, "the restored server went back to the backup");
    let out = a.ok(&["sync"]);
    assert!(out.contains("restored from a backup"), "{out}");
    assert_eq!(titled(db).await, 1, "what the server forgot was sent again");
    assert!(server.admin(&["verify-audit"]).contains("intact"));
    let out = a.ok(&["sync"]);
    assert!(!out.contains("restored"), "{out}");
}

/// What an inspector gets from `admin export-audit`: every entry once, oldest first, each line
/// checkable on its own (its contents give its hash) and as a chain (each names the one before),
/// the whole matching `admin verify-audit`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_audit_log_exports_as_a_checkable_chain() {
    let dir = tempfile::tempdir().unwrap();
    let (server, a) = one_desktop_synced(dir.path(), "10");
    let device = a.json(&["sync", "status"])["device_id"].as_str().unwrap().to_string();

    let out = server.admin(&["export-audit"]);
    let entries: Vec<mandate_server::replicate::AuditEntry> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let verified = server.admin(&["verify-audit"]);
    assert_eq!(verified, format!("audit chain intact: {} entries", entries.len()));
    assert!(entries.len() > 50, "{}", entries.len());
    let mut prev = "0".repeat(64);
    for e in &entries {
        assert_eq!(e.prev_hash, prev, "entry {} names the one before", e.seq);
        assert!(e.hash_matches(), "entry {} gives its hash", e.seq);
        prev = e.hash.clone();
    }
    assert!(entries.iter().any(|e| e.user == "cos" && e.device == device), "who and which device made each change");
    // An edited line no longer gives its hash.
    let mut edited = entries[1].clone();
    edited.fields = edited.fields.replacen('"', "\"x", 1);
    assert!(!edited.hash_matches());
    // From a date on; tomorrow has nothing yet.
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
    assert_eq!(server.admin(&["export-audit", "--since", &today]).lines().count(), entries.len());
    assert_eq!(server.admin(&["export-audit", "--since", &tomorrow]), "");
    let bad = server.cmd().args(["admin", "export-audit", "--since", "last week"]).output().unwrap();
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("--since takes a date, YYYY-MM-DD"), "{bad:?}");
}

/// A workspace used offline by an executive connects with an office lead's account: the first
/// `mandate sync` sends nothing and says what the server would refuse; the preview lists it;
/// `--go-on` sends, the server refuses exactly what was predicted; the refusals are exported as
/// JSON and dismissed at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_used_workspace_reviews_its_first_push_and_exports_and_dismisses_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = ServerProc { data: dir.path().join("server"), db_url: None, port: free_port(), child: None, log: Default::default() };
    server.admin(&["add-office", "OCOS", "Office of the Chief of Staff"]);
    server.admin(&["add-user", "lead", "--name", "Office Lead", "--role", "office_lead", "--office", "OCOS"]);
    server.start();
    let a = Ws::init(&["--name", "Office Lead", "--office", "OCOS", "--sample", "150"]);
    let code = server.admin(&["enrol", "lead"]);
    a.ok(&["sync", "connect", &server.url(), "--code", &code]);
    let waiting = a.json(&["sync", "status"])["waiting"].as_i64().unwrap();

    let o = a.run(&["sync"]);
    assert_eq!(o.status.code(), Some(6), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains("will refuse") && said.contains("--go-on") && said.contains("office_lead"), "{said}");
    assert_eq!(a.json(&["sync", "status"])["waiting"].as_i64().unwrap(), waiting, "nothing was sent");
    let preview = a.json(&["sync", "preview"]);
    let predicted: std::collections::BTreeSet<String> =
        preview["refused"].as_array().unwrap().iter().map(|r| r["change_id"].as_str().unwrap().to_string()).collect();
    assert!(!predicted.is_empty(), "{preview}");
    assert!(preview["refused"].as_array().unwrap().iter().any(|r| r["reason"] == "only an executive closes an action"), "{preview}");

    let o = a.run(&["--json", "sync", "--go-on"]);
    assert_eq!(o.status.code(), Some(4), "refusals make the exit code 4: {}", String::from_utf8_lossy(&o.stderr));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let refused: std::collections::BTreeSet<String> =
        report["refused"].as_array().unwrap().iter().map(|r| r["change_id"].as_str().unwrap().to_string()).collect();
    assert_eq!(refused, predicted, "the server refused exactly what the preview said");

    let file = dir.path().join("refused.json");
    let listed = a.json(&["sync", "refusals", "--export", file.to_str().unwrap()]);
    let exported: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(exported, listed);
    assert_eq!(exported.as_array().unwrap().len(), predicted.len());
    assert!(exported[0]["reason"].is_string() && exported[0]["entity"].is_string());
    let d = a.json(&["sync", "dismiss", "--all"]);
    assert_eq!(d["dismissed"], predicted.len());
    assert_eq!(a.json(&["sync", "refusals"]), serde_json::json!([]));
    // Reviewed once: later syncs send without asking.
    a.ok(&["sync"]);
}
