//! A real agency server (in this process, on loopback) over SQLite or PostgreSQL, and desktops
//! with real encrypted workspaces enrolled to it.
#![allow(dead_code)]

use mandate_domain::replication::ServerRole;
use mandate_domain::{OfficeKind, UserRole};
use mandate_server::{accounts, http, Db, Server};
use mandate_store::{DbKey, Profile, Store};
use mandate_sync::{Client, SyncReport};
use std::sync::Arc;
use tempfile::TempDir;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct Env {
    pub server: Arc<Server>,
    pub url: String,
    pub dir: TempDir,
    handle: tokio::task::JoinHandle<()>,
}

impl Drop for Env {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// The PostgreSQL server `cargo xtask test` starts on loopback (it sets this variable).
pub const PG_ENV: &str = "MANDATE_TEST_DATABASE_URL";

/// A fresh, empty PostgreSQL database on the test server; its URL.
pub async fn fresh_postgres() -> String {
    let admin = std::env::var(PG_ENV).unwrap_or_else(|_| {
        panic!(
            "{PG_ENV} is not set: `cargo xtask test` starts PostgreSQL on loopback and sets it (postgres://USER@127.0.0.1:PORT/postgres)"
        )
    });
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect to the test PostgreSQL server");
    let name = format!("mandate_test_{}", uuid_simple());
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create a test database");
    let base = admin.rsplit_once('/').expect("URL has a database").0;
    format!("{base}/{name}")
}

fn uuid_simple() -> String {
    format!("{:x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()) + &format!("{:x}", rand_u32())
}

fn rand_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u8(1);
    h.finish() as u32
}

pub async fn open_db(backend: Backend, dir: &std::path::Path) -> Db {
    match backend {
        Backend::Sqlite => Db::sqlite(&dir.join("server")).await.unwrap(),
        Backend::Postgres => Db::postgres(&fresh_postgres().await).await.unwrap(),
    }
}

/// The offices every test server has.
pub async fn add_offices(db: &Db) {
    for (code, name) in [("OPS", "Operations"), ("LEGAL", "General Counsel"), ("BUDGET", "Budget Office"), ("COMMS", "Communications")] {
        accounts::add_office(db, code, name, OfficeKind::Office).await.unwrap();
    }
}

/// A server with offices OPS, LEGAL, BUDGET and COMMS.
pub async fn server(backend: Backend) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(backend, dir.path()).await;
    add_offices(&db).await;
    serve(db, dir).await
}

/// A server on `db` as it is; desktops made with it keep their workspaces in `dir`.
pub async fn serve(db: Db, dir: TempDir) -> Env {
    let server = Arc::new(Server::new(db));
    let (addr, handle) = http::spawn(server.clone()).await.unwrap();
    Env { server, url: format!("http://{addr}"), dir, handle }
}

impl Env {
    /// Stop serving and let go of the database (the workspaces in `dir` stay).
    pub async fn stop(&self) {
        self.handle.abort();
        self.server.db.pool.close().await;
    }
}

pub struct Desktop {
    pub store: Store,
    pub client: Client,
    pub username: String,
    pub token: String,
}

fn local_role(role: ServerRole) -> UserRole {
    match role {
        ServerRole::Administrator | ServerRole::Executive => UserRole::Executive,
        ServerRole::OfficeLead => UserRole::OfficeLead,
        ServerRole::Staff => UserRole::Staff,
        ServerRole::Auditor => UserRole::Auditor,
    }
}

/// A user on the server and a desktop workspace enrolled as one of their devices.
pub async fn desktop(env: &Env, username: &str, role: ServerRole, office: Option<&str>) -> Desktop {
    accounts::add_user(&env.server.db, username, username, role, office).await.unwrap();
    enrolled(env, username, role, office).await
}

/// Another device of an existing user.
pub async fn enrolled(env: &Env, username: &str, role: ServerRole, office: Option<&str>) -> Desktop {
    let path = env.dir.path().join(format!("{username}-{}.mandate", uuid_simple()));
    let profile = Profile {
        name: username.into(),
        role: local_role(role),
        office: office.map(str::to_string),
        default_marking: None,
        reminder_days: None,
    };
    let store = Store::create(&path, &DbKey::generate(), profile).await.unwrap();
    let code = accounts::enrolment_code(&env.server.db, username, 1).await.unwrap();
    let resp = mandate_sync::enrol(&env.url, &code, store.device_id(), username, None).await.unwrap();
    let client = Client::new(&env.url, &resp.token, None).unwrap();
    store.set_sync_setting(mandate_store::sync::SERVER, Some(&env.url)).await.unwrap();
    Desktop { store, client, username: username.into(), token: resp.token }
}

impl Desktop {
    /// A sync in tiny batches (3 changes a push, 4 records a pull), so that even the few
    /// records of a test cross several pipelined batches.
    pub async fn sync(&self) -> SyncReport {
        mandate_sync::sync_in_batches(&self.store, &self.client, 3, 4, &|_| {}).await.unwrap()
    }
}

/// An issued tasker with this title (and the given citations), as the tests create them.
pub fn tasker(title: &str, authorities: &[&str]) -> mandate_store::ops::NewAction {
    mandate_store::ops::NewAction {
        title: title.into(),
        kind: mandate_domain::ActionKind::Tasker,
        body: String::new(),
        priority: mandate_domain::Priority::Routine,
        marking: None,
        issuing_official: Some("Chief of Staff".into()),
        suspense: None,
        parent: None,
        authorities: authorities.iter().map(|a| a.to_string()).collect(),
        issue: true,
    }
}

/// Run a test body against both storage backends.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident => $body:path;)+) => {$(
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() { $body(Backend::Sqlite).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() { $body(Backend::Postgres).await }
        }
    )+};
}

/// A bare HTTP/1.1 GET over a TCP socket, status line, headers and body as text: no client
/// library between the test and the server.
pub async fn raw_get(url: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap();
    let mut s = tokio::net::TcpStream::connect(host).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}
