//! The only way records are written.
//!
//! A [`Tx`] is one `BEGIN IMMEDIATE` transaction. [`Tx::put`] takes records with their previous
//! state and, for each one that really changed, writes in the same transaction:
//! 1. the record (upsert into its table),
//! 2. an audit entry — actor, time, entity, before, after, previous hash, own hash,
//! 3. a change-log entry — entity, id, the changed fields with their values, an HLC stamp and the
//!    device id.
//!
//! Rows are sent in batches as one JSON array per statement and unpacked by SQLite's
//! `json_each`: statement overhead in sqlx (~70 µs a statement) would otherwise cap bulk loads at
//! a few thousand records a second. A single interactive edit takes the same path with a batch
//! of one, so there is one writer to trust.

use crate::{audit, meta_get, Record, Result, Store};
use chrono::{DateTime, SecondsFormat, Utc};
use mandate_domain::{Hlc, Id};
use serde_json::{Map, Value};
use sqlx::{Sqlite, Transaction};
use std::collections::BTreeSet;

/// One record to write, with what it was before (`None` when new).
pub struct Put {
    table: &'static str,
    id: Id,
    action_id: Option<Id>,
    before: Option<Value>,
    after: Value,
}

impl Put {
    pub fn new<R: Record>(before: Option<&R>, after: &R) -> Put {
        Put {
            table: R::TABLE,
            id: after.id(),
            action_id: after.action_id(),
            before: before.map(|b| serde_json::to_value(b).expect("records serialise")),
            after: serde_json::to_value(after).expect("records serialise"),
        }
    }
    pub fn create<R: Record>(after: &R) -> Put {
        Put::new(None, after)
    }
    /// A record already in JSON form (imports), with its stored previous state.
    pub(crate) fn raw(table: &'static str, id: Id, action_id: Option<Id>, before: Option<Value>, after: Value) -> Put {
        Put { table, id, action_id, before, after }
    }
}

/// What a batch of puts did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Rows per statement: big enough that statement overhead vanishes, small enough that one
/// statement's JSON stays a few megabytes.
const BATCH: usize = 2000;

pub struct Tx {
    tx: Transaction<'static, Sqlite>,
    actor: String,
    at: String,
    now: DateTime<Utc>,
    head_seq: i64,
    head_hash: String,
    hlc: Hlc,
    device: String,
    /// Actions whose full-text entry must be rebuilt at commit.
    dirty_actions: BTreeSet<Id>,
    dirty_authorities: BTreeSet<Id>,
}

impl Store {
    /// Start a write transaction as the store's current actor.
    pub async fn begin(&self) -> Result<Tx> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let (head_seq, head_hash) = audit::head(&mut *tx).await?;
        let hlc = match meta_get(&mut *tx, "hlc").await? {
            Some(s) => Hlc::parse(&s).unwrap_or_else(|| Hlc::zero(self.device_id())),
            None => Hlc::zero(self.device_id()),
        };
        let now = Utc::now();
        Ok(Tx {
            tx,
            actor: self.actor().name.clone(),
            at: now.to_rfc3339_opts(SecondsFormat::Millis, true),
            now,
            head_seq,
            head_hash,
            hlc,
            device: self.device_id().to_string(),
            dirty_actions: BTreeSet::new(),
            dirty_authorities: BTreeSet::new(),
        })
    }
}

impl Tx {
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// The open connection, for reads inside this transaction.
    pub fn conn(&mut self) -> &mut sqlx::SqliteConnection {
        &mut self.tx
    }

    /// Write records (see the module docs). Records of one table are batched together; tables
    /// are written in the order they first appear, so put parents before children.
    pub async fn put(&mut self, puts: Vec<Put>) -> Result<Written> {
        let mut written = Written::default();
        let mut order: Vec<&'static str> = Vec::new();
        for p in &puts {
            if !order.contains(&p.table) {
                order.push(p.table);
            }
        }
        let mut puts = puts;
        for table in order {
            let (mine, rest): (Vec<Put>, Vec<Put>) = puts.into_iter().partition(|p| p.table == table);
            puts = rest;
            for chunk in mine.chunks(BATCH) {
                self.put_chunk(table, chunk, &mut written).await?;
            }
        }
        Ok(written)
    }

    async fn put_chunk(&mut self, table: &'static str, chunk: &[Put], written: &mut Written) -> Result<()> {
        let mut records = Vec::with_capacity(chunk.len());
        let mut audits = Vec::with_capacity(chunk.len());
        let mut changes = Vec::with_capacity(chunk.len());
        let now_ms = self.now.timestamp_millis().max(0) as u64;
        for p in chunk {
            let fields = match &p.before {
                None => p.after.clone(),
                Some(before) => {
                    let d = diff(before, &p.after);
                    if d.is_empty() {
                        written.unchanged += 1;
                        continue;
                    }
                    Value::Object(d)
                }
            };
            let (op, before_text) = match &p.before {
                None => {
                    written.created += 1;
                    ("create", None)
                }
                Some(b) => {
                    written.updated += 1;
                    ("update", Some(b.to_string()))
                }
            };
            let after_text = p.after.to_string();
            let id = p.id.to_string();
            let action_id = p.action_id.map(|a| a.to_string());
            match table {
                "actions" => {
                    self.dirty_actions.insert(p.id);
                }
                "authorities" => {
                    self.dirty_authorities.insert(p.id);
                }
                "updates" | "citations" => {
                    self.dirty_actions.extend(p.action_id);
                }
                _ => {}
            }
            let seq = self.head_seq + 1;
            let entry = audit::Entry {
                seq,
                at: self.at.clone(),
                actor: self.actor.clone(),
                entity: table.to_string(),
                entity_id: id.clone(),
                op: op.to_string(),
                before: before_text,
                after: Some(after_text.clone()),
                prev_hash: self.head_hash.clone(),
                hash: String::new(),
            };
            let hash = entry.compute_hash();
            self.head_seq = seq;
            self.head_hash = hash.clone();
            audits.push(Value::Array(vec![
                seq.into(),
                entry.at.into(),
                entry.actor.into(),
                entry.entity.into(),
                entry.entity_id.into(),
                entry.op.into(),
                entry.before.map(Value::String).unwrap_or(Value::Null),
                entry.after.map(Value::String).unwrap_or(Value::Null),
                entry.prev_hash.into(),
                hash.into(),
            ]));
            self.hlc = self.hlc.tick(now_ms);
            changes.push(Value::Array(vec![
                uuid::Uuid::now_v7().to_string().into(),
                table.into(),
                id.clone().into(),
                fields.to_string().into(),
                self.hlc.to_string().into(),
                self.device.clone().into(),
            ]));
            records.push(Value::Array(vec![id.into(), action_id.map(Value::String).unwrap_or(Value::Null), after_text.into()]));
        }
        if records.is_empty() {
            return Ok(());
        }
        let upsert = format!(
            "INSERT INTO {table}(id, action_id, data) SELECT j.value->>0, j.value->>1, j.value->>2 FROM json_each(?1) j WHERE true \
             ON CONFLICT(id) DO UPDATE SET data = excluded.data"
        );
        sqlx::query(&upsert).bind(Value::Array(records).to_string()).execute(&mut *self.tx).await?;
        sqlx::query(
            "INSERT INTO audit(seq, at, actor, entity, entity_id, op, before, after, prev_hash, hash) \
             SELECT j.value->>0, j.value->>1, j.value->>2, j.value->>3, j.value->>4, j.value->>5, j.value->>6, j.value->>7, j.value->>8, j.value->>9 \
             FROM json_each(?1) j",
        )
        .bind(Value::Array(audits).to_string())
        .execute(&mut *self.tx)
        .await?;
        sqlx::query(
            "INSERT INTO changes(change_id, entity, entity_id, fields, hlc, device_id) \
             SELECT j.value->>0, j.value->>1, j.value->>2, j.value->>3, j.value->>4, j.value->>5 FROM json_each(?1) j",
        )
        .bind(Value::Array(changes).to_string())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Store a document's bytes (content-addressed; the metadata record is a separate put).
    pub async fn put_blob(&mut self, sha256: &str, bytes: &[u8]) -> Result<()> {
        sqlx::query("INSERT INTO document_blobs(sha256, bytes) VALUES (?, ?) ON CONFLICT(sha256) DO NOTHING")
            .bind(sha256)
            .bind(bytes)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Take the next human number for a new action (`YYYY-NNNN`).
    pub async fn next_number(&mut self) -> Result<String> {
        let year = self.now.format("%Y").to_string();
        let key = format!("number_seq:{year}");
        let n: i64 = meta_get(&mut *self.tx, &key).await?.and_then(|v| v.parse().ok()).unwrap_or(0) + 1;
        sqlx::query("INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .bind(&key)
            .bind(n.to_string())
            .execute(&mut *self.tx)
            .await?;
        Ok(format!("{year}-{n:04}"))
    }

    /// Rebuild search entries, record the clock and the audit head, and commit.
    pub async fn commit(mut self) -> Result<()> {
        if !self.dirty_authorities.is_empty() {
            let ids: Vec<String> = self.dirty_authorities.iter().map(Id::to_string).collect();
            let rows: Vec<String> = sqlx::query_scalar("SELECT DISTINCT action_id FROM citations WHERE authority_id IN (SELECT value FROM json_each(?1))")
                .bind(serde_json::to_string(&ids).expect("ids serialise"))
                .fetch_all(&mut *self.tx)
                .await?;
            self.dirty_actions.extend(rows.iter().filter_map(|s| s.parse::<Id>().ok()));
        }
        if !self.dirty_actions.is_empty() {
            let ids: Vec<String> = self.dirty_actions.iter().map(Id::to_string).collect();
            for chunk in ids.chunks(BATCH * 5) {
                reindex(&mut self.tx, chunk).await?;
            }
        }
        for (k, v) in [("hlc", self.hlc.to_string())] {
            sqlx::query("INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
                .bind(k)
                .bind(v)
                .execute(&mut *self.tx)
                .await?;
        }
        audit::set_head(&mut self.tx, self.head_seq, &self.head_hash).await?;
        self.tx.commit().await?;
        Ok(())
    }
}

/// Rebuild the full-text entries of the given actions from their records.
async fn reindex(conn: &mut sqlx::SqliteConnection, ids: &[String]) -> Result<()> {
    let ids = serde_json::to_string(ids).expect("ids serialise");
    sqlx::query("DELETE FROM action_search WHERE rowid IN (SELECT seq FROM actions WHERE id IN (SELECT value FROM json_each(?1)))")
        .bind(&ids)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO action_search(rowid, number, title, body, updates, authorities) \
         SELECT a.seq, a.number, a.title, a.data->>'body', \
           (SELECT group_concat(u.data->>'text', ' ') FROM updates u WHERE u.action_id = a.id), \
           (SELECT group_concat(au.citation || ' ' || coalesce(au.data->>'title', ''), ' ') \
              FROM citations c JOIN authorities au ON au.id = c.authority_id WHERE c.action_id = a.id) \
         FROM actions a WHERE a.id IN (SELECT value FROM json_each(?1))",
    )
    .bind(&ids)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Top-level fields whose values differ (removed fields appear as null).
fn diff(before: &Value, after: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            for (k, v) in a {
                if b.get(k) != Some(v) {
                    out.insert(k.clone(), v.clone());
                }
            }
            for k in b.keys() {
                if !a.contains_key(k) {
                    out.insert(k.clone(), Value::Null);
                }
            }
        }
        _ if before != after => {
            out.insert("value".into(), after.clone());
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_keeps_only_changed_fields() {
        let d = diff(&json!({"a": 1, "b": 2, "c": 3}), &json!({"a": 1, "b": 5, "d": 4}));
        assert_eq!(Value::Object(d), json!({"b": 5, "d": 4, "c": null}));
        assert!(diff(&json!({"a": 1}), &json!({"a": 1})).is_empty());
    }
}

impl Store {
    /// Write a set of new records in one transaction, in reference order (sample data,
    /// benchmarks). Each record still gets its audit and change-log entry.
    pub async fn insert_records(&self, r: &mandate_domain::Records, progress: crate::import::Progress<'_>) -> Result<Written> {
        fn puts<R: Record>(v: &[R]) -> Vec<Put> {
            v.iter().map(Put::create).collect()
        }
        mandate_domain::rules::check_can_write(self.actor())?;
        let mut tx = self.begin().await?;
        let mut total = Written::default();
        let groups: Vec<Vec<Put>> = vec![
            puts(&r.offices), puts(&r.people), puts(&r.authorities), puts(&r.actions), puts(&r.citations), puts(&r.assignments),
            puts(&r.extensions), puts(&r.risks), puts(&r.impacts), puts(&r.updates), puts(&r.issues), puts(&r.relations),
            puts(&r.evaluations), puts(&r.transitions),
        ];
        let n = r.len() as u64;
        let mut done = 0u64;
        for g in groups {
            for chunk in chunked(g, 20_000) {
                done += chunk.len() as u64;
                let w = tx.put(chunk).await?;
                total.created += w.created;
                total.updated += w.updated;
                total.unchanged += w.unchanged;
                progress("writing", done, n);
            }
        }
        progress("indexing", 0, 1);
        tx.commit().await?;
        progress("indexing", 1, 1);
        Ok(total)
    }
}

fn chunked(mut v: Vec<Put>, size: usize) -> Vec<Vec<Put>> {
    let mut out = Vec::new();
    while v.len() > size {
        let rest = v.split_off(size);
        out.push(v);
        v = rest;
    }
    if !v.is_empty() {
        out.push(v);
    }
    out
}
