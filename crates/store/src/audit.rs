//! The audit trail: append-only and hash-chained, so an auditor can prove nothing was edited,
//! removed or slipped in.
//!
//! Each entry's hash is SHA-256 over its fields and the previous entry's hash, joined by
//! newlines (see [`Entry::hash_input`]; `docs/verify-audit.py` re-implements it in twenty lines of
//! Python so the export can be checked without Mandate). The newest sequence number and hash are
//! also kept in `meta`, so removing entries from the end is caught as well.

use crate::{meta_get, Result, Store, StoreError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;

/// Hash of the entry before the first one.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "AuditEntry"))]
pub struct Entry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub entity: String,
    pub entity_id: String,
    pub op: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl Entry {
    /// The exact bytes hashed: every field but the hash, newline-separated, absent values empty.
    pub fn hash_input(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}",
            self.prev_hash,
            self.seq,
            self.at,
            self.actor,
            self.entity,
            self.entity_id,
            self.op,
            self.before.as_deref().unwrap_or(""),
            self.after.as_deref().unwrap_or("")
        )
    }
    /// SHA-256 of [`Entry::hash_input`], fed piece by piece (no copy of the record text).
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        let seq = self.seq.to_string();
        let parts = [
            self.prev_hash.as_str(),
            seq.as_str(),
            self.at.as_str(),
            self.actor.as_str(),
            self.entity.as_str(),
            self.entity_id.as_str(),
            self.op.as_str(),
            self.before.as_deref().unwrap_or(""),
            self.after.as_deref().unwrap_or(""),
        ];
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                h.update(b"\n");
            }
            h.update(p.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// Result of checking the chain.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verification {
    pub entries: u64,
    pub ok: bool,
    /// The first entry that does not check out, and why.
    pub first_bad: Option<BadEntry>,
    pub head_hash: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BadEntry {
    pub seq: i64,
    pub reason: String,
}

pub(crate) async fn head(conn: &mut sqlx::SqliteConnection) -> Result<(i64, String)> {
    let seq = meta_get(&mut *conn, "audit_head_seq").await?.and_then(|s| s.parse().ok()).unwrap_or(0);
    let hash = meta_get(&mut *conn, "audit_head_hash").await?.unwrap_or_else(|| GENESIS.to_string());
    Ok((seq, hash))
}

pub(crate) async fn set_head(conn: &mut sqlx::SqliteConnection, seq: i64, hash: &str) -> Result<()> {
    for (k, v) in [("audit_head_seq", seq.to_string()), ("audit_head_hash", hash.to_string())] {
        sqlx::query("INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .bind(k)
            .bind(v)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

fn row_to_entry(r: &sqlx::sqlite::SqliteRow) -> Entry {
    Entry {
        seq: r.get("seq"),
        at: r.get("at"),
        actor: r.get("actor"),
        entity: r.get("entity"),
        entity_id: r.get("entity_id"),
        op: r.get("op"),
        before: r.get("before"),
        after: r.get("after"),
        prev_hash: r.get("prev_hash"),
        hash: r.get("hash"),
    }
}

/// Check a sequence of entries (from the database or from an export).
pub fn verify_entries(entries: impl IntoIterator<Item = Entry>, head: Option<(i64, &str)>) -> Verification {
    let mut prev = GENESIS.to_string();
    let mut expected_seq = 1;
    let mut n = 0;
    let mut bad = None;
    for e in entries {
        n += 1;
        if bad.is_some() {
            continue;
        }
        let reason = if e.seq != expected_seq {
            Some(format!("expected entry {expected_seq} here but found {} (entries removed or inserted)", e.seq))
        } else if e.prev_hash != prev {
            Some("its previous-hash does not match the entry before it (an earlier entry was changed or removed)".to_string())
        } else if e.compute_hash() != e.hash {
            Some("its content does not match its hash (the entry was edited)".to_string())
        } else {
            None
        };
        if let Some(reason) = reason {
            bad = Some(BadEntry { seq: expected_seq.min(e.seq), reason });
        }
        prev = e.hash.clone();
        expected_seq = e.seq + 1;
    }
    if bad.is_none() {
        if let Some((head_seq, head_hash)) = head {
            if head_seq != expected_seq - 1 || head_hash != prev {
                bad = Some(BadEntry {
                    seq: expected_seq,
                    reason: format!(
                        "the log ends at entry {} but the workspace recorded {head_seq} entries (entries at the end were removed)",
                        expected_seq - 1
                    ),
                });
            }
        }
    }
    Verification { entries: n, ok: bad.is_none(), first_bad: bad, head_hash: prev }
}

impl Store {
    /// Walk the whole chain and report the first entry that does not check out.
    pub async fn verify_audit(&self) -> Result<Verification> {
        let mut conn = self.pool().acquire().await?;
        let (head_seq, head_hash) = head(&mut conn).await?;
        let rows = sqlx::query("SELECT * FROM audit ORDER BY seq").fetch_all(&mut *conn).await?;
        Ok(verify_entries(rows.iter().map(row_to_entry), Some((head_seq, &head_hash))))
    }

    /// The audit history of one record (or of an action and everything attached to it).
    pub async fn audit_history(&self, entity_id: &str) -> Result<Vec<Entry>> {
        let rows = sqlx::query(
            "SELECT * FROM audit WHERE entity_id = ?1 \
             OR entity_id IN (SELECT id FROM (SELECT id, action_id FROM assignments UNION ALL SELECT id, action_id FROM risks \
               UNION ALL SELECT id, action_id FROM updates UNION ALL SELECT id, action_id FROM issues UNION ALL SELECT id, action_id FROM relations \
               UNION ALL SELECT id, action_id FROM evaluations UNION ALL SELECT id, action_id FROM documents UNION ALL SELECT id, action_id FROM transitions \
               UNION ALL SELECT id, action_id FROM citations UNION ALL SELECT id, action_id FROM extensions UNION ALL SELECT id, action_id FROM impacts) WHERE action_id = ?1) \
             ORDER BY seq",
        )
        .bind(entity_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(row_to_entry).collect())
    }

    /// Export the whole log as JSON Lines, one entry a line, for auditors. The first line is a
    /// header with the recorded head, so truncation of the export is detectable too.
    pub async fn export_audit(&self, out: &mut dyn std::io::Write) -> Result<u64> {
        let mut conn = self.pool().acquire().await?;
        let (head_seq, head_hash) = head(&mut conn).await?;
        let io = |e: std::io::Error| StoreError::Io { path: "audit export".into(), source: e };
        let header = serde_json::json!({"mandate_audit_export": 1, "head_seq": head_seq, "head_hash": head_hash,
            "hash": "sha256 over prev_hash, seq, at, actor, entity, entity_id, op, before, after joined by \\n (null as empty)"});
        writeln!(out, "{header}").map_err(io)?;
        let rows = sqlx::query("SELECT * FROM audit ORDER BY seq").fetch_all(&mut *conn).await?;
        for r in &rows {
            writeln!(out, "{}", serde_json::to_string(&row_to_entry(r)).expect("entries serialise")).map_err(io)?;
        }
        Ok(rows.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamed_hash_equals_hash_of_the_documented_input() {
        let e = Entry {
            seq: 7,
            at: "2026-11-24T12:00:00.000Z".into(),
            actor: "J. Smith".into(),
            entity: "actions".into(),
            entity_id: "x".into(),
            op: "update".into(),
            before: Some("{\"a\":1}".into()),
            after: None,
            prev_hash: GENESIS.into(),
            hash: String::new(),
        };
        assert_eq!(e.compute_hash(), hex::encode(Sha256::digest(e.hash_input().as_bytes())));
    }
}
