//! The encrypted local store: one SQLCipher file per workspace, opened through sqlx.
//!
//! Only this crate knows SQL, SQLCipher and where the key lives. Everything it writes goes
//! through [`write::Tx`], which puts the record, an audit entry (hash-chained) and a change-log
//! entry (for replication) in the same transaction — there is no other way to write a record, so
//! nothing reaches the database without both.
//!
//! Lifecycle decisions are not made here: operations ([`ops`]) load an action's file, ask
//! `mandate_domain::rules`, and write what the rules return.
//!
//! ```no_run
//! # async fn demo() -> Result<(), mandate_store::StoreError> {
//! use mandate_store::{DbKey, Store, Profile};
//! let key = DbKey::generate();
//! let store = Store::create("mandate.db".as_ref(), &key, Profile::default()).await?;
//! println!("recovery code (print it, keep it safe): {}", key.recovery_code().as_str());
//! # Ok(()) }
//! ```

pub mod audit;
pub mod credentials;
pub mod custody;
pub mod export;
pub mod import;
pub mod key;
pub mod measures;
pub mod ops;
pub mod query;
pub mod record;
pub mod series;
pub mod sync;
pub mod views;
pub mod write;

use mandate_domain::{Actor, Marking, RuleViolation, UserRole};
use serde::{Deserialize, Serialize};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, Row, SqlitePool};
use std::path::{Path, PathBuf};

pub use key::{key_source_for, DbKey, EnvKey, KeyError, KeySource, Keychain, KEY_ENV};
pub use record::Record;

/// Everything that can go wrong in the store, each saying what and where. None of them carries
/// the key.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no Mandate workspace at {0}; create one with `mandate init`")]
    NoWorkspace(PathBuf),
    #[error("a file already exists at {0}; refusing to overwrite it")]
    AlreadyExists(PathBuf),
    #[error("{0} is a plain, unencrypted SQLite file, not a Mandate workspace; refusing to use it")]
    NotEncrypted(PathBuf),
    #[error("the key does not open {0}: either the key is wrong or the file is not a Mandate workspace (the file was not changed)")]
    WrongKey(PathBuf),
    #[error("this build of Mandate is linked against plain SQLite instead of SQLCipher; refusing to write unencrypted data")]
    SqlcipherMissing,
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Rule(#[from] RuleViolation),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database schema migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Who uses this workspace (kept in the database, replicated never).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub name: String,
    pub role: UserRole,
    /// The user's office code, if any.
    #[serde(default)]
    pub office: Option<String>,
    /// Marking new actions start with (default: UNCLASSIFIED).
    #[serde(default)]
    pub default_marking: Option<Marking>,
    /// How many days before a suspense an action turns amber and reminders start (default 7).
    #[serde(default)]
    pub reminder_days: Option<u32>,
}

impl Default for Profile {
    fn default() -> Self {
        Profile { name: "Mandate user".into(), role: UserRole::Executive, office: None, default_marking: None, reminder_days: None }
    }
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// An open workspace.
#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
    path: PathBuf,
    device_id: String,
    actor: Actor,
    profile: Profile,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).field("device_id", &self.device_id).finish()
    }
}

const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Keep OpenSSL (SQLCipher's cipher) from cleaning itself up in an `atexit` handler. sqlx
/// closes connections on its own threads, so a process that ends with a workspace open (a CLI
/// error path, a test) could run that cleanup while a connection is still freeing its OpenSSL
/// contexts — and die of a double free instead of exiting with its code. The OS reclaims the
/// memory anyway; SQLCipher wipes its keys when connections close. This must run before the
/// first connection initialises OpenSSL, so every way of opening a workspace starts here.
fn no_openssl_cleanup_at_exit() {
    extern "C" {
        fn OPENSSL_init_crypto(opts: u64, settings: *const std::ffi::c_void) -> std::ffi::c_int;
    }
    /// `OPENSSL_INIT_NO_ATEXIT` (OpenSSL 1.1.1 and later).
    const NO_ATEXIT: u64 = 0x0008_0000;
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: documented as callable at any time before or after other OpenSSL use; null
    // settings mean the defaults.
    ONCE.call_once(|| unsafe {
        OPENSSL_init_crypto(NO_ATEXIT, std::ptr::null());
    });
}

/// Settle SQLite's and OpenSSL's process-wide setup before any connection: the allocator first
/// (OpenSSL takes one only before its first allocation), then no OpenSSL cleanup at exit.
/// Every connection this crate makes, the key probe included, starts here: SQLite's allocator
/// setting is not thread-safe against another thread initialising SQLite, and a connection
/// initialising it with the default allocator while the setting is made frees memory with the
/// wrong allocator (a crash seen as a rare SIGSEGV in `sqlite3_initialize`).
fn before_first_connection() {
    mandate_alloc::use_mimalloc();
    no_openssl_cleanup_at_exit();
}

fn options(path: &Path, key: &DbKey) -> SqliteConnectOptions {
    before_first_connection();
    SqliteConnectOptions::new()
        .filename(path)
        // `key` must be the first statement on a connection; sqlx sends pragmas in insertion
        // order and reserves the `key` slot first.
        .pragma("key", key.pragma_value().to_string())
        .foreign_keys(true)
        .busy_timeout(std::time::Duration::from_secs(10))
        .statement_cache_capacity(200)
        // Statements are never logged: the first one carries the key.
        .disable_statement_logging()
}

impl Store {
    /// Create a new encrypted workspace at `path`. Fails if anything is already there.
    pub async fn create(path: &Path, key: &DbKey, profile: Profile) -> Result<Store> {
        if path.exists() {
            return Err(StoreError::AlreadyExists(path.to_path_buf()));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io { path: dir.to_path_buf(), source })?;
        }
        let store = Self::connect(path, key, true).await?;
        let device_id = uuid::Uuid::now_v7().simple().to_string()[20..].to_string();
        let mut conn = store.pool.acquire().await?;
        for (k, v) in [
            ("workspace_id", uuid::Uuid::now_v7().to_string()),
            ("device_id", device_id),
            ("profile", serde_json::to_string(&profile).expect("profile serialises")),
            ("created_at", chrono::Utc::now().to_rfc3339()),
        ] {
            sqlx::query("INSERT INTO meta(key, value) VALUES (?, ?)").bind(k).bind(v).execute(&mut *conn).await?;
        }
        drop(conn);
        Self::finish_open(store.pool, path).await
    }

    /// Open an existing workspace. A wrong key is reported as such and leaves the file untouched:
    /// the key is checked on a bare connection that changes nothing before the real one is made.
    pub async fn open(path: &Path, key: &DbKey) -> Result<Store> {
        let mut head = [0u8; 16];
        match std::fs::File::open(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(StoreError::NoWorkspace(path.to_path_buf())),
            Err(source) => return Err(StoreError::Io { path: path.to_path_buf(), source }),
            Ok(mut f) => {
                use std::io::Read;
                if f.read_exact(&mut head).is_ok() && &head == SQLITE_HEADER {
                    return Err(StoreError::NotEncrypted(path.to_path_buf()));
                }
            }
        }
        // Probe: key only, no journal or other pragmas that could write.
        before_first_connection();
        let probe = SqliteConnectOptions::new()
            .filename(path)
            .pragma("key", key.pragma_value().to_string())
            .foreign_keys(false)
            .disable_statement_logging();
        match probe.connect().await {
            Ok(mut c) => {
                let ok = sqlx::query("SELECT count(*) FROM sqlite_master").fetch_one(&mut c).await;
                let _ = c.close().await;
                if let Err(e) = ok {
                    return Err(classify_open_error(e, path));
                }
            }
            Err(e) => return Err(classify_open_error(e, path)),
        }
        let store = Self::connect(path, key, false).await?;
        Self::finish_open(store.pool, path).await
    }

    async fn connect(path: &Path, key: &DbKey, create: bool) -> Result<Store> {
        let opts = options(path, key)
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .pragma("cache_size", format!("-{}", write::CACHE_KIB))
            .pragma("temp_store", "memory")
            // Checkpoints run off the committing caller's path (see `Tx::commit`).
            .pragma("wal_autocheckpoint", "0")
            // After a checkpoint the WAL is cut back to 64 MB instead of keeping its largest size.
            .pragma("journal_size_limit", "67108864");
        let pool = SqlitePoolOptions::new().max_connections(3).connect_with(opts).await.map_err(|e| classify_open_error(e, path))?;
        // Plain SQLite accepts `PRAGMA key` and ignores it; SQLCipher answers cipher_version.
        let v: Option<String> = sqlx::query_scalar("PRAGMA cipher_version").fetch_optional(&pool).await?;
        if v.is_none_or(|v| v.is_empty()) {
            return Err(StoreError::SqlcipherMissing);
        }
        MIGRATOR.run(&pool).await?;
        Ok(Store {
            pool,
            path: path.to_path_buf(),
            device_id: String::new(),
            actor: Profile::default().actor(),
            profile: Profile::default(),
        })
    }

    async fn finish_open(pool: SqlitePool, path: &Path) -> Result<Store> {
        let device_id = meta_get(&pool, "device_id")
            .await?
            .ok_or_else(|| StoreError::Invalid(format!("{} has no device id; it was not created by Mandate", path.display())))?;
        let profile: Profile = match meta_get(&pool, "profile").await? {
            Some(p) => serde_json::from_str(&p).map_err(|e| StoreError::Invalid(format!("stored profile is unreadable: {e}")))?,
            None => Profile::default(),
        };
        Ok(Store { pool, path: path.to_path_buf(), device_id, actor: profile.actor(), profile })
    }

    /// The SQLCipher version actually linked (proof the file is encrypted).
    pub async fn cipher_version(&self) -> Result<String> {
        Ok(sqlx::query_scalar("PRAGMA cipher_version").fetch_one(&self.pool).await?)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
    pub fn device_id(&self) -> &str {
        &self.device_id
    }
    pub fn profile(&self) -> &Profile {
        &self.profile
    }
    pub fn actor(&self) -> &Actor {
        &self.actor
    }
    /// Act as someone else for the following writes (the audit log records this name).
    pub fn act_as(&mut self, actor: Actor) {
        self.actor = actor;
    }
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub async fn set_profile(&mut self, profile: Profile) -> Result<()> {
        sqlx::query("INSERT INTO meta(key, value) VALUES ('profile', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .bind(serde_json::to_string(&profile).expect("profile serialises"))
            .execute(&self.pool)
            .await?;
        self.actor = profile.actor();
        self.profile = profile;
        Ok(())
    }

    /// Re-encrypt the whole file under a new key. Closes this store first (every pooled
    /// connection holds the old key), re-encrypts on one fresh connection, and returns. The
    /// caller stores the new key and shows its recovery code; the old key and recovery code stop
    /// working.
    pub async fn rekey(self, old_key: &DbKey, new_key: &DbKey) -> Result<()> {
        let path = self.path.clone();
        self.close().await;
        let mut conn = options(&path, old_key).connect().await.map_err(|e| classify_open_error(e, &path))?;
        // Every page must be in the main file before it is rewritten under the new key.
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut conn).await?;
        sqlx::query(&format!("PRAGMA rekey = {}", new_key.pragma_value().as_str())).execute(&mut conn).await?;
        conn.close().await?;
        Ok(())
    }

    /// Close all connections, leaving the whole workspace in the main file.
    ///
    /// sqlx finishes closing SQLite connections on its worker threads after `close()` returns,
    /// so the WAL is checkpointed first and then we wait (briefly, bounded) for the last
    /// connection to remove it: when Mandate exits, the file on disk is the complete workspace.
    pub async fn close(self) {
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.pool).await;
        self.pool.close().await;
        let wal = PathBuf::from(format!("{}-wal", self.path.display()));
        // The last connection removes the -wal as it closes, on sqlx's own thread; give it a
        // moment so the folder is tidy, but never hold the user up for it (a leftover -wal is
        // harmless: the next open folds it in).
        for _ in 0..30 {
            if !wal.exists() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}

impl Profile {
    pub fn actor(&self) -> Actor {
        Actor { name: self.name.clone(), role: self.role }
    }
}

/// A bare connection to a workspace file with its key, bypassing the store (no migrations, no
/// audit). For forensic tooling and the tamper tests only: nothing Mandate itself does uses it.
#[doc(hidden)]
pub async fn raw_connection(path: &Path, key: &DbKey) -> Result<sqlx::SqliteConnection> {
    Ok(options(path, key).connect().await.map_err(|e| classify_open_error(e, path))?)
}

pub(crate) async fn meta_get<'e, E: sqlx::SqliteExecutor<'e>>(ex: E, key: &str) -> Result<Option<String>> {
    Ok(sqlx::query("SELECT value FROM meta WHERE key = ?").bind(key).fetch_optional(ex).await?.map(|r| r.get(0)))
}

fn classify_open_error(e: sqlx::Error, path: &Path) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        if db.code().as_deref() == Some("26") || db.message().contains("file is not a database") {
            return StoreError::WrongKey(path.to_path_buf());
        }
        if db.code().as_deref() == Some("14") && !path.exists() {
            return StoreError::NoWorkspace(path.to_path_buf());
        }
    }
    StoreError::Db(e)
}
