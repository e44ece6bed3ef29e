//! Backing up the server's SQLite store, and restoring a backup.
//!
//! A restored server has gone back in time: desktops that synced since the backup hold cursors
//! past its counter and think changes are stored that it no longer has. So a restore always
//! gives the server a new epoch ([`replicate::new_epoch`]); each desktop's next sync is answered
//! `server_restored`, and it sends its whole change log again (the server drops what it has by
//! change id) and reads everything again. A PostgreSQL server is backed up with the cluster's
//! own tools (`pg_dump`, continuous archiving); after restoring one, `admin restored` gives it
//! the new epoch.
//!
//! Only one process may use a SQLite data directory at a time: `serve` holds [`DataLock`], and
//! a restore takes it too, so a backup is never put in place under a running server.

use crate::db::{Db, Kind, SQLITE_FILE};
use crate::replicate;
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};

/// An exclusive lock on a SQLite data directory, held while serving or restoring.
pub struct DataLock(#[allow(dead_code)] std::fs::File);

impl DataLock {
    pub fn take(data: &Path) -> anyhow::Result<DataLock> {
        std::fs::create_dir_all(data).with_context(|| format!("cannot create the data directory {}", data.display()))?;
        let path = data.join("mandate-server.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(DataLock(file)),
            Err(std::fs::TryLockError::WouldBlock) => {
                bail!("another mandate-server is using the data directory {}; stop it first", data.display())
            }
            Err(std::fs::TryLockError::Error(e)) => Err(e).with_context(|| format!("cannot lock {}", path.display())),
        }
    }
}

/// Write a consistent copy of the server's SQLite database to `to` (a new file) while it keeps
/// serving (`VACUUM INTO`: one read transaction, so pushes wait only for the copy's snapshot,
/// never see half of it). Returns the copy's size in bytes.
pub async fn backup(db: &Db, to: &Path) -> anyhow::Result<u64> {
    if db.kind == Kind::Postgres {
        bail!("a PostgreSQL server is backed up with PostgreSQL's own tools (pg_dump, or continuous archiving); after restoring one, run `mandate-server admin restored`");
    }
    if to.exists() {
        bail!("{} already exists; a backup never overwrites a file", to.display());
    }
    let text = to.to_str().with_context(|| format!("{} is not a UTF-8 path", to.display()))?;
    sqlx::query("VACUUM INTO $1")
        .bind(text.to_string())
        .execute(&db.pool)
        .await
        .with_context(|| format!("cannot write the backup {}", to.display()))?;
    Ok(std::fs::metadata(to)?.len())
}

/// Put the backup `from` in place of the SQLite database in `data`, with a new epoch. The
/// server must be stopped (the data directory's lock says so). The backup is checked first
/// (a Mandate server database, intact) and moved in with one rename, so a failed restore
/// leaves the current database as it was. Returns the new epoch.
pub async fn restore(data: &Path, from: &Path) -> anyhow::Result<String> {
    let _lock = DataLock::take(data)?;
    let staging: PathBuf = data.join("restoring");
    if staging.exists() {
        std::fs::remove_dir_all(&staging).with_context(|| format!("cannot clear {}", staging.display()))?;
    }
    std::fs::create_dir_all(&staging)?;
    std::fs::copy(from, staging.join(SQLITE_FILE)).with_context(|| format!("cannot read the backup {}", from.display()))?;
    // Checked on one plain connection first: the server's pool would keep retrying a file that
    // is no database, or a damaged one, until its timeout.
    check(&staging.join(SQLITE_FILE))
        .await
        .with_context(|| format!("{} is not a Mandate server database; nothing was changed", from.display()))?;
    let epoch = {
        let db = Db::sqlite(&staging).await.with_context(|| format!("{} is not a Mandate server database", from.display()))?;
        if let Err(e) = replicate::verify_audit(&db).await? {
            bail!("the backup {}'s audit chain is broken ({e}); nothing was changed", from.display());
        }
        let epoch = replicate::new_epoch(&db).await?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&db.pool).await?;
        db.pool.close().await;
        epoch
    };
    let live = data.join(SQLITE_FILE);
    if live.exists() {
        // Fold the current database's write-ahead log into it first: the log must not be
        // applied to the backup, and removing it unfolded would lose the current database's
        // last commits if the rename below failed. One plain connection, closed before going
        // on (a pool's connections finish closing a moment after the pool says it is closed).
        let mut conn = plain(&live, false).await?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut conn).await?;
        sqlx::Connection::close(conn).await?;
    }
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", live.display()));
        if side.exists() {
            std::fs::remove_file(&side).with_context(|| format!("cannot remove {}", side.display()))?;
        }
    }
    std::fs::rename(staging.join(SQLITE_FILE), &live).with_context(|| format!("cannot put the backup in place of {}", live.display()))?;
    // The restore is done; the staging directory may still be emptied by the staging pool's
    // last connection as it closes, so clearing it is best effort (the next restore clears it).
    let _ = std::fs::remove_dir_all(&staging);
    Ok(epoch)
}

/// An intact SQLite database holding the server's counter.
async fn check(file: &Path) -> anyhow::Result<()> {
    let mut conn = plain(file, true).await?;
    let result: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut conn).await?;
    if result != "ok" {
        bail!("it is damaged ({result})");
    }
    let _: i64 =
        sqlx::query_scalar("SELECT seq FROM counter WHERE id = 1").fetch_one(&mut conn).await.context("it has no replication counter")?;
    sqlx::Connection::close(conn).await?;
    Ok(())
}

async fn plain(file: &Path, read_only: bool) -> anyhow::Result<sqlx::SqliteConnection> {
    use sqlx::ConnectOptions;
    mandate_alloc::use_mimalloc();
    Ok(sqlx::sqlite::SqliteConnectOptions::new().filename(file).read_only(read_only).connect().await?)
}
