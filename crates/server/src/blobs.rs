//! Attachments: document contents, content-addressed by SHA-256, moved in chunks of
//! [`CHUNK_BYTES`] so a large file resumes where a dropped connection left it.
//!
//! Invariants: content is only accepted for a hash some document record on the server names
//! (no free storage), and is served only to users who may see an action with such a document;
//! a blob is `complete` only once all its chunks are here and together hash to its name.

use crate::accounts::Identity;
use crate::db::Db;
use crate::{Failure, Metrics};
use mandate_domain::replication::{BlobStatus, ServerRole, CHUNK_BYTES};
use sha2::{Digest, Sha256};
use sqlx::Row;

/// Largest attachment the server takes.
pub const MAX_BLOB_BYTES: u64 = 2 * 1024 * 1024 * 1024;

fn check_hash(sha: &str) -> Result<(), Failure> {
    if sha.len() == 64 && sha.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(Failure::new(400, "bad_request", "a content hash is 64 lowercase hexadecimal characters"))
    }
}

/// Whether a document this user may see names this content.
async fn may_see(db: &Db, who: &Identity, sha: &str) -> Result<bool, Failure> {
    let referenced: Option<String> =
        sqlx::query_scalar("SELECT sha256 FROM blob_refs WHERE sha256 = $1 LIMIT 1").bind(sha).fetch_optional(&db.pool).await?;
    if referenced.is_none() {
        return Ok(false);
    }
    if who.role.sees_all() {
        return Ok(true);
    }
    let office = who.office_id.clone().unwrap_or_default();
    let hit: Option<String> = sqlx::query_scalar(
        "SELECT r.sha256 FROM blob_refs r JOIN access a ON a.action_id = r.action_id WHERE r.sha256 = $1 AND a.office_id = $2 LIMIT 1",
    )
    .bind(sha)
    .bind(office)
    .fetch_optional(&db.pool)
    .await?;
    Ok(hit.is_some())
}

fn not_found(sha: &str) -> Failure {
    Failure::new(404, "not_found", format!("no attachment {sha} that you may see is on this server"))
}

pub async fn status(db: &Db, who: &Identity, sha: &str) -> Result<BlobStatus, Failure> {
    check_hash(sha)?;
    if !may_see(db, who, sha).await? {
        return Err(not_found(sha));
    }
    let row = sqlx::query("SELECT size, chunks, complete FROM blobs WHERE sha256 = $1").bind(sha).fetch_optional(&db.pool).await?;
    let Some(row) = row else {
        return Ok(BlobStatus { sha256: sha.into(), size: 0, chunks: 0, complete: false, have: vec![] });
    };
    let have: Vec<i64> =
        sqlx::query_scalar("SELECT idx FROM blob_chunks WHERE sha256 = $1 ORDER BY idx").bind(sha).fetch_all(&db.pool).await?;
    Ok(BlobStatus {
        sha256: sha.into(),
        size: row.try_get::<i64, _>(0)? as u64,
        chunks: row.try_get::<i64, _>(1)? as u32,
        complete: row.try_get::<i64, _>(2)? == 1,
        have: have.into_iter().map(|i| i as u32).collect(),
    })
}

/// Store one chunk of a blob of `size` bytes; when it was the last one missing, check the whole.
pub async fn put_chunk(db: &Db, who: &Identity, sha: &str, idx: u32, size: u64, bytes: &[u8], m: &Metrics) -> Result<BlobStatus, Failure> {
    check_hash(sha)?;
    if who.role == ServerRole::Auditor {
        return Err(Failure::new(403, "forbidden", "auditors may read but not upload"));
    }
    if !may_see(db, who, sha).await? {
        return Err(Failure::new(
            403,
            "forbidden",
            format!("no document you may change names the content {sha}; push its document record first"),
        ));
    }
    if size == 0 || size > MAX_BLOB_BYTES {
        return Err(Failure::new(413, "too_large", format!("an attachment is 1 byte to {} GB", MAX_BLOB_BYTES >> 30)));
    }
    let chunks = size.div_ceil(CHUNK_BYTES as u64) as u32;
    let expected = if idx + 1 == chunks { size as usize - (chunks as usize - 1) * CHUNK_BYTES } else { CHUNK_BYTES };
    if idx >= chunks || bytes.len() != expected {
        Metrics::add(&m.bad_requests, 1);
        return Err(Failure::new(
            400,
            "bad_chunk",
            format!("chunk {idx} of a {size}-byte attachment must be {expected} bytes (chunks 0–{}), not {}", chunks - 1, bytes.len()),
        ));
    }
    let mut tx = db.pool.begin().await?;
    sqlx::query("INSERT INTO blobs(sha256, size, chunks, complete) VALUES ($1, $2, $3, 0) ON CONFLICT(sha256) DO NOTHING")
        .bind(sha)
        .bind(size as i64)
        .bind(chunks as i64)
        .execute(&mut *tx)
        .await?;
    let known: i64 = sqlx::query_scalar("SELECT size FROM blobs WHERE sha256 = $1").bind(sha).fetch_one(&mut *tx).await?;
    if known as u64 != size {
        return Err(Failure::new(400, "bad_chunk", format!("attachment {sha} is {known} bytes, not {size}")));
    }
    sqlx::query("INSERT INTO blob_chunks(sha256, idx, bytes) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(sha)
        .bind(idx as i64)
        .bind(bytes.to_vec())
        .execute(&mut *tx)
        .await?;
    let have: i64 = sqlx::query_scalar("SELECT count(*) FROM blob_chunks WHERE sha256 = $1").bind(sha).fetch_one(&mut *tx).await?;
    if have as u32 == chunks {
        let mut h = Sha256::new();
        for i in 0..chunks {
            let part: Vec<u8> = sqlx::query_scalar("SELECT bytes FROM blob_chunks WHERE sha256 = $1 AND idx = $2")
                .bind(sha)
                .bind(i as i64)
                .fetch_one(&mut *tx)
                .await?;
            h.update(&part);
        }
        if hex::encode(h.finalize()) != sha {
            sqlx::query("DELETE FROM blob_chunks WHERE sha256 = $1").bind(sha).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM blobs WHERE sha256 = $1").bind(sha).execute(&mut *tx).await?;
            tx.commit().await?;
            Metrics::add(&m.bad_requests, 1);
            return Err(Failure::new(422, "hash_mismatch", format!("the uploaded content does not hash to {sha}; it was discarded")));
        }
        sqlx::query("UPDATE blobs SET complete = 1 WHERE sha256 = $1").bind(sha).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    db.after_write();
    status(db, who, sha).await
}

pub async fn get_chunk(db: &Db, who: &Identity, sha: &str, idx: u32) -> Result<Vec<u8>, Failure> {
    let st = status(db, who, sha).await?;
    if !st.complete {
        return Err(Failure::new(409, "incomplete", format!("attachment {sha} is still being uploaded")));
    }
    let bytes: Option<Vec<u8>> = sqlx::query_scalar("SELECT bytes FROM blob_chunks WHERE sha256 = $1 AND idx = $2")
        .bind(sha)
        .bind(idx as i64)
        .fetch_optional(&db.pool)
        .await?;
    bytes.ok_or_else(|| Failure::new(404, "not_found", format!("attachment {sha} has no chunk {idx}")))
}
