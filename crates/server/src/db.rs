//! The server's storage: SQLite in a data directory, or PostgreSQL. One set of queries serves
//! both through sqlx's `Any` driver — every statement here is written in the SQL the two share
//! (numbered `$n` parameters, `ON CONFLICT`, TEXT for JSON) — so the same tests prove both. The
//! exceptions pick per backend in one place each: placeholders ([`params`]) and the JSON array a
//! lookup of thousands of rows answers with ([`json_rows`]).
//!
//! Invariant: every push runs in one transaction that first updates the single `counter` row.
//! That serialises pushes across all server instances on one PostgreSQL cluster, so sequence
//! numbers are handed out in commit order and a pull cursor never passes a change that commits
//! later.

use anyhow::Context;
use mandate_domain::replication::{Clocks, RecordState, Stored, CONFLICTS};
use mandate_domain::Hlc;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use std::collections::HashMap;
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Sqlite => "sqlite",
            Kind::Postgres => "postgres",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub kind: Kind,
    /// SQLite's write-ahead log, checkpointed off the pushes' path (see [`Db::after_write`]).
    wal: Option<std::sync::Arc<Wal>>,
    /// Pushes into SQLite take turns here (see [`Db::push_turn`]).
    push_turn: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// SQLite: how far the counter has been, kept beside the database (see [`Db::check_continuity`]).
    high_water: Option<std::sync::Arc<HighWater>>,
}

/// The highest counter this server has handed out, in a file beside the SQLite database. A
/// backup put back (by `admin restore` or by hand) replaces the database file, not this one, so
/// a counter below it is the server's own evidence that it went back in time.
#[derive(Debug)]
struct HighWater {
    path: std::path::PathBuf,
    seq: std::sync::Mutex<i64>,
}

impl HighWater {
    fn recorded(&self) -> i64 {
        std::fs::read_to_string(&self.path).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0)
    }

    /// Record `seq` if it is past what the file holds. Written to a new file and renamed into
    /// place, so a crash leaves the old figure or the new one. Not synced: a figure lost to a
    /// power cut only means a restore right after it goes unnoticed by this check (the desktops'
    /// cursors still refuse to be trusted, see `CURSOR_AHEAD`).
    fn note(&self, seq: i64) {
        let mut known = self.seq.lock().expect("high-water lock");
        if seq <= *known {
            return;
        }
        let tmp = self.path.with_extension("high-water.new");
        let written = std::fs::write(&tmp, seq.to_string()).and_then(|()| std::fs::rename(&tmp, &self.path));
        match written {
            Ok(()) => *known = seq,
            Err(e) => tracing::warn!(error = %e, file = %self.path.display(), "cannot record the counter's high-water mark"),
        }
    }
}

/// The high-water file's name in the SQLite data directory.
pub const HIGH_WATER_FILE: &str = "mandate-server.high-water";

#[derive(Debug)]
struct Wal {
    path: std::path::PathBuf,
    checkpointing: std::sync::atomic::AtomicBool,
}

/// WAL size after which a write starts a background checkpoint.
const CHECKPOINT_AFTER_BYTES: u64 = 16 * 1024 * 1024;

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The SQLite database's file name in the data directory.
pub const SQLITE_FILE: &str = "mandate-server.db";

impl Db {
    /// SQLite file [`SQLITE_FILE`] in `dir` (created if missing).
    pub async fn sqlite(dir: &Path) -> anyhow::Result<Db> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create the data directory {}", dir.display()))?;
        let file = dir.join(SQLITE_FILE);
        let url = format!("sqlite://{}?mode=rwc", file.display());
        let mut db = Self::connect(&url, Kind::Sqlite).await?;
        let wal = std::path::PathBuf::from(format!("{}-wal", file.display()));
        db.wal = Some(std::sync::Arc::new(Wal { path: wal, checkpointing: false.into() }));
        db.high_water = Some(std::sync::Arc::new(HighWater { path: dir.join(HIGH_WATER_FILE), seq: std::sync::Mutex::new(0) }));
        db.check_continuity().await?;
        Ok(db)
    }

    /// A PostgreSQL database, `postgres://user@host:port/db`.
    pub async fn postgres(url: &str) -> anyhow::Result<Db> {
        let db = Self::connect(url, Kind::Postgres).await?;
        db.check_continuity().await?;
        Ok(db)
    }

    /// Notice, from evidence the server itself holds, that the database went back in time (a
    /// backup put back without `admin restore` / `admin restored`), and take a new epoch then, so
    /// that every desktop sends and reads everything again. Desktops' say-so (a pull cursor past
    /// the counter) is never taken as such evidence: one device must not make all start over.
    ///
    /// - SQLite: the counter is below the high-water mark kept beside the database file.
    /// - PostgreSQL: the counter row lives in another database or table than it did (a dump
    ///   restored gets new object ids; `CREATE DATABASE … TEMPLATE` too). A major upgrade by
    ///   dump and restore also takes a new epoch: desktops then re-send and re-read once, and
    ///   lose nothing.
    pub async fn check_continuity(&self) -> anyhow::Result<()> {
        let top: i64 = sqlx::query_scalar("SELECT seq FROM counter WHERE id = 1").fetch_one(&self.pool).await?;
        let went_back = match self.kind {
            Kind::Sqlite => {
                let hw = self.high_water.as_ref().expect("SQLite databases keep a high-water mark");
                let recorded = hw.recorded();
                // Gone back: the mark comes down to the counter as it now is (written below), so
                // the next start does not take yet another epoch.
                *hw.seq.lock().expect("high-water lock") = if recorded > top { -1 } else { recorded };
                recorded > top
            }
            Kind::Postgres => {
                let here: String = sqlx::query_scalar(
                    "SELECT (SELECT oid FROM pg_database WHERE datname = current_database())::text || '/' || 'counter'::regclass::oid::text",
                )
                .fetch_one(&self.pool)
                .await?;
                sqlx::query("UPDATE counter SET place = $1 WHERE id = 1 AND place IS NULL").bind(here.clone()).execute(&self.pool).await?;
                // Several instances may start at once after a restore: one takes the new epoch.
                let moved = sqlx::query("UPDATE counter SET place = $1, epoch = $2 WHERE id = 1 AND place <> $1")
                    .bind(here)
                    .bind(crate::replicate::fresh_epoch())
                    .execute(&self.pool)
                    .await?;
                moved.rows_affected() > 0
            }
        };
        if went_back {
            if self.kind == Kind::Sqlite {
                crate::replicate::new_epoch(self).await?;
            }
            tracing::warn!(
                counter = top,
                "this database went back in time (a backup put back without `admin restore` or `admin restored`): new epoch set; \
                 every desktop will send and read everything again"
            );
        }
        self.note_counter(top);
        Ok(())
    }

    /// Call after a push commits with the counter it wrote (SQLite keeps it as its high-water
    /// mark; PostgreSQL needs nothing).
    pub fn note_counter(&self, seq: i64) {
        if let Some(hw) = &self.high_water {
            hw.note(seq);
        }
    }

    async fn connect(url: &str, kind: Kind) -> anyhow::Result<Db> {
        mandate_alloc::use_mimalloc();
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(if kind == Kind::Sqlite { 4 } else { 16 })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if kind == Kind::Sqlite {
                        use sqlx::Executor;
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 30000; PRAGMA foreign_keys = ON; \
                             PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 67108864; PRAGMA cache_size = -65536",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await
            // The URL may hold a password: say which kind of database failed, not the URL.
            .with_context(|| format!("cannot connect to the {} database", kind.as_str()))?;
        match kind {
            Kind::Sqlite => SQLITE.run(&pool).await?,
            Kind::Postgres => POSTGRES.run(&pool).await?,
        }
        Ok(Db { pool, kind, wal: None, push_turn: Default::default(), high_water: None })
    }

    /// Wait for this push's turn to write. Pushes are serialised by the counter row in any case
    /// (module docs); with SQLite a push that found the database locked would sleep in SQLite's
    /// busy handler (up to 100 ms a try) and miss the moment the other commits, so pushes to
    /// SQLite queue here instead and the next starts as soon as the last one is done. A
    /// desktop keeps two pushes in flight for this: the server reads and checks one while it
    /// writes the other. PostgreSQL wakes a waiting transaction itself.
    pub async fn push_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.kind {
            Kind::Sqlite => Some(self.push_turn.lock().await),
            Kind::Postgres => None,
        }
    }

    /// Call after a write commits. SQLite connections here never checkpoint on commit
    /// (`wal_autocheckpoint = 0`): the push that crossed the threshold would copy the whole WAL
    /// into the database, and fsync it, before answering — a fifth of a first sync's push time.
    /// Instead, once the WAL passes 16 MB, one passive checkpoint at a time runs beside the
    /// pushes (it never blocks them; what it cannot copy yet waits for the next one). Durability
    /// is unchanged: each commit is in the WAL, synced, before the push is answered.
    pub fn after_write(&self) {
        let Some(wal) = &self.wal else { return };
        let big = std::fs::metadata(&wal.path).map(|m| m.len() > CHECKPOINT_AFTER_BYTES).unwrap_or(false);
        if !big || wal.checkpointing.swap(true, std::sync::atomic::Ordering::AcqRel) {
            return;
        }
        let (pool, wal) = (self.pool.clone(), wal.clone());
        tokio::spawn(async move {
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                tracing::warn!(error = %e, "background checkpoint failed");
            }
            wal.checkpointing.store(false, std::sync::atomic::Ordering::Release);
        });
    }
}

/// `$from,$from+1,…` — `n` parameters, for statements with many of them. SQLite gets plain `?`
/// (bound in order): sqlx looks numbered SQLite parameters up by name, which makes a 3,000-value
/// INSERT eight times slower.
pub fn params(kind: Kind, from: usize, n: usize) -> String {
    match kind {
        Kind::Sqlite => vec!["?"; n].join(","),
        Kind::Postgres => (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(","),
    }
}

/// The select expression that answers a query with one JSON text, an array holding one array of
/// `columns` per row (`[]` when none match), instead of a row each: rows through sqlx's `Any`
/// driver cost ~5 µs apiece, and the push's lookups of thousands run in its turn.
pub fn json_rows(kind: Kind, columns: &str) -> String {
    match kind {
        Kind::Sqlite => format!("json_group_array(json_array({columns}))"),
        Kind::Postgres => format!("coalesce(json_agg(json_build_array({columns})), '[]')::text"),
    }
}

/// `($1,$2,$3),($4,$5,$6)…` — `rows` rows of `cols` parameters (see [`params`]).
pub fn rows(kind: Kind, rows: usize, cols: usize) -> String {
    (0..rows).map(|r| format!("({})", params(kind, 1 + r * cols, cols))).collect::<Vec<_>>().join(",")
}

/// A record as stored, with what the server keeps beside it.
#[derive(Clone, Debug)]
pub struct Rec {
    pub entity: String,
    pub entity_id: String,
    pub action_id: Option<String>,
    pub stored: Stored,
    pub seq: i64,
    pub creator_office: Option<String>,
    /// `stored.data` as JSON when a push already has it (a record it creates is its change's
    /// fields, serialised before the push's turn): saved as is.
    pub data_json: Option<String>,
}

impl Rec {
    /// The record as sent to a device (moved, not copied: a pull sends thousands).
    pub fn into_state(self) -> RecordState {
        RecordState {
            seq: self.seq,
            entity: self.entity,
            entity_id: self.entity_id,
            action_id: self.action_id,
            data: self.stored.data,
            clocks: self.stored.clocks,
            deleted: self.stored.deleted,
        }
    }

    pub fn state(&self) -> RecordState {
        RecordState {
            seq: self.seq,
            entity: self.entity.clone(),
            entity_id: self.entity_id.clone(),
            action_id: self.action_id.clone(),
            data: self.stored.data.clone(),
            clocks: self.stored.clocks.clone(),
            deleted: self.stored.deleted.clone(),
        }
    }
}

pub const REC_COLS: &str = "entity_id, entity, action_id, data, clocks, deleted, seq, creator_office";

pub fn rec_from_row(r: &AnyRow) -> anyhow::Result<Rec> {
    let data: String = r.try_get("data")?;
    let clocks: String = r.try_get("clocks")?;
    Ok(Rec {
        entity_id: r.try_get("entity_id")?,
        entity: r.try_get("entity")?,
        action_id: r.try_get("action_id")?,
        stored: Stored {
            data: serde_json::from_str(&data)?,
            clocks: serde_json::from_str::<Clocks>(&clocks)?,
            deleted: r.try_get("deleted")?,
        },
        seq: r.try_get("seq")?,
        creator_office: r.try_get("creator_office")?,
        data_json: None,
    })
}

/// Load records by id (in chunks, within one connection or transaction).
pub async fn load_records(kind: Kind, conn: &mut sqlx::AnyConnection, ids: &[String]) -> anyhow::Result<HashMap<String, Rec>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(1000) {
        let sql = format!("SELECT {REC_COLS} FROM records WHERE entity_id IN ({})", params(kind, 1, chunk.len()));
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            let rec = rec_from_row(&r)?;
            out.insert(rec.entity_id.clone(), rec);
        }
    }
    Ok(out)
}

/// The device that made every stamp in a record (creation, each field, the delete), if one did.
/// Conflicts have none: they are the server's own records and always go to every device.
pub fn sole_device(r: &Rec) -> Option<String> {
    if r.entity == CONFLICTS {
        return None;
    }
    let device = |stamp: &str| Hlc::parse(stamp).map(|h| h.device);
    let first = device(&r.stored.clocks.created)?;
    let stamps = r.stored.clocks.fields.values().map(String::as_str).chain(r.stored.deleted.as_deref());
    for s in stamps {
        if device(s)? != first {
            return None;
        }
    }
    Some(first)
}

/// A statement and its bound values.
pub type Bound<'q> = (String, sqlx::any::AnyArguments<'q>);

/// Bind one value. An encoding error carries sqlx's reason, never the value (it may be a
/// record's text).
pub fn add<'q, T>(args: &mut sqlx::any::AnyArguments<'q>, value: T) -> anyhow::Result<()>
where
    T: 'q + sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    use sqlx::Arguments;
    args.add(value).map_err(|e| anyhow::anyhow!("cannot bind a value: {e}"))
}

/// Run multi-row statements one after another, making each one (binding hundreds of rows:
/// copies, JSON) while the database runs the one before, instead of taking turns with it.
pub async fn execute_all<'q, I, F>(conn: &mut sqlx::AnyConnection, parts: I, mut make: F) -> anyhow::Result<()>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> anyhow::Result<Bound<'q>>,
{
    let mut parts = parts.into_iter();
    let mut ready = parts.next().map(&mut make).transpose()?;
    while let Some((sql, args)) = ready.take() {
        let next = parts.next();
        let (done, made) = tokio::join!(sqlx::query_with(&sql, args).execute(&mut *conn), async { next.map(&mut make).transpose() });
        done?;
        ready = made?;
    }
    Ok(())
}

/// Write records (insert or replace), a few hundred a statement.
pub async fn save_records(kind: Kind, conn: &mut sqlx::AnyConnection, recs: &[&Rec]) -> anyhow::Result<()> {
    execute_all(conn, recs.chunks(400), |chunk| {
        let sql = format!(
            "INSERT INTO records({REC_COLS}, sole_device) VALUES {} ON CONFLICT(entity_id) DO UPDATE SET entity = excluded.entity, \
             action_id = excluded.action_id, data = excluded.data, clocks = excluded.clocks, deleted = excluded.deleted, \
             seq = excluded.seq, creator_office = excluded.creator_office, sole_device = excluded.sole_device",
            rows(kind, chunk.len(), 9)
        );
        let mut args = sqlx::any::AnyArguments::default();
        for r in chunk {
            add(&mut args, r.entity_id.clone())?;
            add(&mut args, r.entity.clone())?;
            add(&mut args, r.action_id.clone())?;
            add(
                &mut args,
                match &r.data_json {
                    Some(json) => json.clone(),
                    None => serde_json::to_string(&r.stored.data)?,
                },
            )?;
            add(&mut args, serde_json::to_string(&r.stored.clocks)?)?;
            add(&mut args, r.stored.deleted.clone())?;
            add(&mut args, r.seq)?;
            add(&mut args, r.creator_office.clone())?;
            add(&mut args, sole_device(r))?;
        }
        Ok((sql, args))
    })
    .await
}
