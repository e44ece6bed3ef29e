//! The agency server restored from a backup (SQLite: `admin backup` / `admin restore`;
//! PostgreSQL: a copy of the database, as a dump restores it, then `admin restored`): it has gone
//! back in time, and desktops that synced since the backup must neither lose what the server
//! forgot nor skip what comes after it. Against SQLite and PostgreSQL.

mod common;
use common::*;
use mandate_domain::replication::ServerRole;
use mandate_server::{backup, replicate, Db};
use mandate_sync::{Client, SyncReport};

async fn sync(d: &Desktop, env: &Env) -> SyncReport {
    let client = Client::new(&env.url, &d.token, None).unwrap();
    mandate_sync::sync_in_batches(&d.store, &client, 3, 4, &|_| {}).await.unwrap()
}

async fn actions_on(env: &Env) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM records WHERE entity = 'actions'").fetch_one(&env.server.db.pool).await.unwrap()
}

async fn admin_pg(sql: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&std::env::var(PG_ENV).unwrap()).await.unwrap();
    sqlx::query(sql).execute(&mut conn).await.unwrap();
}

/// Waits until nothing is connected to `db` (a closed pool's server processes end a moment after
/// the pool says it is closed; `CREATE DATABASE … TEMPLATE` refuses a database in use), for at
/// most two minutes, then says what it waited for.
async fn wait_until_unused(db: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&std::env::var(PG_ENV).unwrap()).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let n: i64 =
            sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = $1").bind(db).fetch_one(&mut conn).await.unwrap();
        if n == 0 {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "database {db} still had {n} session(s) after two minutes of waiting for none");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn db_name(url: &str) -> &str {
    url.rsplit_once('/').unwrap().1
}

/// `new_epoch`: restored the documented way (the restore gives the server a new epoch). Without
/// it, as by an administrator who copied the file back by hand, the server notices by itself when
/// it opens the database: SQLite's counter is below the high-water mark kept beside the file, and
/// PostgreSQL's counter row lives in another database than it did.
async fn restored(backend: Backend, new_epoch: bool) {
    let files = tempfile::tempdir().unwrap();
    let data = files.path().join("server");
    let pg = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(fresh_postgres().await),
    };
    let open = |url: Option<String>| {
        let data = data.clone();
        async move {
            match url {
                None => Db::sqlite(&data).await.unwrap(),
                Some(u) => Db::postgres(&u).await.unwrap(),
            }
        }
    };
    let db = open(pg.clone()).await;
    add_offices(&db).await;
    let env = serve(db, tempfile::tempdir().unwrap()).await;
    let a = desktop(&env, "alice", ServerRole::Executive, Some("OPS")).await;
    let b = desktop(&env, "bob", ServerRole::Executive, Some("LEGAL")).await;
    let before = a.store.create_action(tasker("Decided before the backup", &["42 U.S.C. 4321"])).await.unwrap().action.id;
    sync(&a, &env).await;
    sync(&b, &env).await;

    // The backup.
    let backup_file = files.path().join("backup.db");
    let backup_url = match &pg {
        None => {
            assert!(backup::backup(&env.server.db, &backup_file).await.unwrap() > 0);
            let again = backup::backup(&env.server.db, &backup_file).await.unwrap_err().to_string();
            assert!(again.contains("already exists"), "{again}");
            None
        }
        Some(url) => {
            let refused = backup::backup(&env.server.db, &backup_file).await.unwrap_err().to_string();
            assert!(refused.contains("pg_dump"), "{refused}");
            env.stop().await;
            let copy = format!("{}_backup", db_name(url));
            wait_until_unused(db_name(url)).await;
            admin_pg(&format!("CREATE DATABASE {copy} TEMPLATE {}", db_name(url))).await;
            Some(format!("{}/{copy}", url.rsplit_once('/').unwrap().0))
        }
    };
    let env = match &pg {
        None => env,
        Some(_) => serve(open(pg.clone()).await, tempfile::tempdir().unwrap()).await,
    };

    // Work after the backup, which the restored server will not have.
    let after = a.store.create_action(tasker("Decided after the backup", &["42 U.S.C. 4321"])).await.unwrap().action.id;
    a.store.edit_action(before, |x| Ok(x.title = "Decided before the backup, retitled after".into())).await.unwrap();
    sync(&a, &env).await;
    sync(&b, &env).await;
    assert!(b.store.action_file(after).await.is_ok());
    assert_eq!(actions_on(&env).await, 2);

    // The restore.
    env.stop().await;
    let db = match (&pg, new_epoch) {
        (None, true) => {
            backup::restore(&data, &backup_file).await.unwrap();
            open(None).await
        }
        (None, false) => {
            // As an administrator copies a backup back by hand with the server stopped: the
            // database file replaced (a new file, whatever the stopped server's connections
            // still hold open) and its old log and shared-memory files removed, since they
            // belong to the database being replaced.
            let db_file = data.join("mandate-server.db");
            for f in [db_file.clone(), data.join("mandate-server.db-wal"), data.join("mandate-server.db-shm")] {
                match std::fs::remove_file(&f) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => panic!("removing {}: {e}", f.display()),
                }
            }
            std::fs::copy(&backup_file, data.join("mandate-server.db")).unwrap();
            open(None).await
        }
        (Some(_), _) => {
            let db = open(backup_url.clone()).await;
            if new_epoch {
                replicate::new_epoch(&db).await.unwrap();
            }
            db
        }
    };
    let env = serve(db, tempfile::tempdir().unwrap()).await;
    assert_eq!(actions_on(&env).await, 1, "the restored server has only what the backup had");

    // Each desktop notices and starts over; nothing is lost and nothing is doubled.
    let ra = sync(&a, &env).await;
    assert!(ra.server_restored, "{ra:?}");
    let rb = sync(&b, &env).await;
    assert!(rb.server_restored, "{rb:?}");
    sync(&a, &env).await;
    assert_eq!(actions_on(&env).await, 2, "the action the server forgot is back, once");
    assert_eq!(a.store.replicated_records().await.unwrap(), b.store.replicated_records().await.unwrap(), "identical workspaces");
    assert_eq!(b.store.action_file(before).await.unwrap().action.title, "Decided before the backup, retitled after");
    assert!(b.store.action_file(after).await.is_ok());
    assert!(replicate::verify_audit(&env.server.db).await.unwrap().is_ok());
    // And from then on, ordinary syncs.
    let again = sync(&a, &env).await;
    assert!(!again.server_restored && again.pushed == 0, "{again:?}");
    env.stop().await;
    if let Some(url) = &backup_url {
        admin_pg(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", db_name(url))).await;
    }
}

async fn with_new_epoch(backend: Backend) {
    restored(backend, true).await
}

async fn copied_back_by_hand(backend: Backend) {
    restored(backend, false).await
}

/// A backup is never put in place under a running server, and a damaged one is refused with
/// the current database left as it was.
#[tokio::test]
async fn a_restore_refuses_a_running_server_and_a_damaged_backup() {
    let files = tempfile::tempdir().unwrap();
    let data = files.path().join("server");
    let db = Db::sqlite(&data).await.unwrap();
    add_offices(&db).await;
    let good = files.path().join("good.db");
    backup::backup(&db, &good).await.unwrap();
    db.pool.close().await;

    let running = backup::DataLock::take(&data).unwrap();
    let e = backup::restore(&data, &good).await.unwrap_err().to_string();
    assert!(e.contains("another mandate-server is using"), "{e}");
    drop(running);

    let damaged = files.path().join("damaged.db");
    let mut bytes = std::fs::read(&good).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&damaged, &bytes).unwrap();
    assert!(backup::restore(&data, &damaged).await.is_err());
    let not_sqlite = files.path().join("notes.txt");
    std::fs::write(&not_sqlite, "not a database").unwrap();
    let e = format!("{:#}", backup::restore(&data, &not_sqlite).await.unwrap_err());
    assert!(e.contains("is not a Mandate server database"), "{e}");
    // The current database is untouched, and the good backup still restores.
    let db = Db::sqlite(&data).await.unwrap();
    let offices: i64 = sqlx::query_scalar("SELECT count(*) FROM records WHERE entity = 'offices'").fetch_one(&db.pool).await.unwrap();
    assert_eq!(offices, 4);
    db.pool.close().await;
    backup::restore(&data, &good).await.unwrap();
    let db = Db::sqlite(&data).await.unwrap();
    assert!(replicate::verify_audit(&db).await.unwrap().is_ok());
}

/// A SQLite database found gone back in time takes one new epoch, not one at every start after:
/// the high-water mark comes down to the counter it found.
#[tokio::test]
async fn a_database_found_gone_back_takes_one_new_epoch() {
    let files = tempfile::tempdir().unwrap();
    let data = files.path().join("server");
    let epoch = |db: Db| async move {
        let e: String = sqlx::query_scalar("SELECT epoch FROM counter WHERE id = 1").fetch_one(&db.pool).await.unwrap();
        db.pool.close().await;
        e
    };
    let db = Db::sqlite(&data).await.unwrap();
    mandate_server::accounts::add_office(&db, "OPS", "Operations", mandate_domain::OfficeKind::Office).await.unwrap();
    let backup_file = files.path().join("backup.db");
    backup::backup(&db, &backup_file).await.unwrap();
    mandate_server::accounts::add_office(&db, "LEGAL", "General Counsel", mandate_domain::OfficeKind::Office).await.unwrap();
    let before = epoch(db).await;
    for f in ["mandate-server.db", "mandate-server.db-wal", "mandate-server.db-shm"] {
        let _ = std::fs::remove_file(data.join(f));
    }
    std::fs::copy(&backup_file, data.join("mandate-server.db")).unwrap();
    let first = epoch(Db::sqlite(&data).await.unwrap()).await;
    assert_ne!(first, before, "the copy put back by hand is noticed");
    let second = epoch(Db::sqlite(&data).await.unwrap()).await;
    assert_eq!(second, first, "and only once");
}

both_backends! {
    a_restored_server_gets_back_what_it_forgot => with_new_epoch;
    a_server_copied_back_by_hand_notices_by_itself => copied_back_by_hand;
}
