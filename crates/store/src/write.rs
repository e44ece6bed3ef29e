//! The only way records are written.
//!
//! A [`Tx`] is one `BEGIN IMMEDIATE` transaction. [`Tx::put`] takes records with their previous
//! state and, for each one that really changed, writes in the same transaction:
//! 1. the record (upsert into its table),
//! 2. an audit entry — actor, time, entity, before, after, previous hash, own hash,
//! 3. a change-log entry — entity, id, the changed fields with their values, an HLC stamp and the
//!    device id (read through the `change_log` view: a create's fields are its audit entry's
//!    `after`, stored once).
//!
//! Rows are sent as multi-row INSERTs with bound values, hundreds of rows a statement: statement
//! overhead in sqlx (~70 µs a statement) would otherwise cap bulk loads at a few thousand records
//! a second. A single interactive edit takes the same path with a batch
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
    /// Clock stamp of a change made elsewhere (applied from the server); `None` for a local one.
    remote_hlc: Option<String>,
}

impl Put {
    pub fn new<R: Record>(before: Option<&R>, after: &R) -> Put {
        Put {
            table: R::TABLE,
            id: after.id(),
            action_id: after.action_id(),
            before: before.map(|b| serde_json::to_value(b).expect("records serialise")),
            after: serde_json::to_value(after).expect("records serialise"),
            remote_hlc: None,
        }
    }
    pub fn create<R: Record>(after: &R) -> Put {
        Put::new(None, after)
    }
    /// A record already in JSON form (imports), with its stored previous state.
    pub(crate) fn raw(table: &'static str, id: Id, action_id: Option<Id>, before: Option<Value>, after: Value) -> Put {
        Put { table, id, action_id, before, after, remote_hlc: None }
    }
    /// A change that came from the server, stamped as it was there.
    pub(crate) fn remote(table: &'static str, id: Id, action_id: Option<Id>, before: Option<Value>, after: Value, hlc: &str) -> Put {
        Put { table, id, action_id, before, after, remote_hlc: Some(hlc.to_string()) }
    }
}

/// What a batch of puts did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Records per batch handed to SQLite.
const BATCH: usize = 2000;
/// Rows per INSERT statement: 10 bound values a row for the audit log stays well under
/// SQLite's 32,766-variable limit.
const ROWS_PER_STATEMENT: usize = 500;

/// `(?,?,?),(?,?,?)…` for `rows` rows of `cols` values.
fn placeholders(rows: usize, cols: usize) -> String {
    let one = format!("({})", vec!["?"; cols].join(","));
    vec![one; rows].join(",")
}

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
    /// Actions created in this transaction: they have no search entry to remove yet.
    new_actions: BTreeSet<Id>,
    bulk: bool,
    /// A bulk transaction frees and refills hundreds of megabytes: it keeps that memory while it
    /// runs (see `mandate_alloc::Burst`).
    _burst: Option<mandate_alloc::Burst>,
    pool: sqlx::SqlitePool,
    wal_path: std::path::PathBuf,
    dirty_authorities: BTreeSet<Id>,
    /// Actions whose success-measure sums are out of date (see `crate::measures`).
    dirty_measures: BTreeSet<Id>,
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
            new_actions: BTreeSet::new(),
            bulk: false,
            _burst: None,
            pool: self.pool().clone(),
            wal_path: std::path::PathBuf::from(format!("{}-wal", self.path().display())),
            dirty_authorities: BTreeSet::new(),
            dirty_measures: BTreeSet::new(),
        })
    }
}

/// Page cache of an ordinary connection (KiB, as SQLite's negative `cache_size`).
pub(crate) const CACHE_KIB: i64 = 8 * 1024;
/// Page cache while a bulk write runs: a transaction bigger than the cache spills pages to the
/// WAL and rewrites them, which at 100k actions halves the load rate.
const BULK_CACHE_KIB: i64 = 256 * 1024;

impl Tx {
    /// Give this transaction a large page cache (imports, sample data); `commit` gives it back.
    pub(crate) async fn bulk(&mut self) -> Result<()> {
        sqlx::query(&format!("PRAGMA cache_size = -{BULK_CACHE_KIB}")).execute(&mut *self.tx).await?;
        self.bulk = true;
        self._burst.get_or_insert_with(mandate_alloc::Burst::begin);
        Ok(())
    }

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
        // Each part's rows (JSON text, audit entry and its hash, change stamp) are made on this
        // task while SQLite's worker thread writes the part before: the two take about a third
        // and two thirds of a bulk write, and ran one after the other.
        let (tx, device, mut chain) = self.split();
        let mut parts = chunk.chunks(ROWS_PER_STATEMENT);
        let mut ready = parts.next().map(|p| chain.rows(table, p, written));
        while let Some(rows) = ready.take() {
            let next = parts.next();
            let (done, following) =
                tokio::join!(write_rows(tx, table, device, &rows), async { next.map(|p| chain.rows(table, p, written)) });
            done?;
            ready = following;
        }
        Ok(())
    }

    /// Delete one record (a tombstone for replication). `hlc` is the stamp of a delete made
    /// elsewhere; `None` stamps a local delete, which the outbox will send.
    pub(crate) async fn delete(&mut self, table: &'static str, id: Id, before: &Value, hlc: Option<&str>) -> Result<()> {
        let id_text = id.to_string();
        // Delete first: if something still refers to the record, nothing (not even the clock or
        // the audit head) has moved.
        sqlx::query(&format!("DELETE FROM {table} WHERE id = ?")).bind(&id_text).execute(&mut *self.tx).await?;
        let (_, _, mut chain) = self.split();
        let entry = chain.entry(table, id_text.clone(), "delete", Some(before.to_string()), None);
        let stamp = chain.stamp(hlc);
        bind_entry(sqlx::query(&format!("INSERT INTO {AUDIT_INSERT} {}", placeholders(1, 10))), &entry).execute(&mut *self.tx).await?;
        sqlx::query(
            "INSERT INTO changes(change_id, entity, entity_id, fields, audit_seq, hlc, device_id, remote) VALUES (?,?,?,NULL,?,?,?,?)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(table)
        .bind(&id_text)
        .bind(entry.seq)
        .bind(&stamp)
        .bind(&self.device)
        .bind(hlc.is_some() as i64)
        .execute(&mut *self.tx)
        .await?;
        sqlx::query("INSERT INTO sync_tombstones(entity_id, entity, hlc) VALUES (?, ?, ?) ON CONFLICT(entity_id) DO NOTHING")
            .bind(&id_text)
            .bind(table)
            .bind(&stamp)
            .execute(&mut *self.tx)
            .await?;
        let action = before.get("action_id").and_then(Value::as_str).and_then(|s| s.parse::<Id>().ok());
        if matches!(table, "updates" | "citations" | "assignments") {
            self.dirty_actions.extend(action);
        }
        if crate::measures::TABLES.contains(&table) {
            self.dirty_measures.extend(if table == "actions" { Some(id) } else { action });
        }
        Ok(())
    }

    /// The transaction, this device's id, and the audit chain and clock that writing advances.
    fn split(&mut self) -> (&mut Transaction<'static, Sqlite>, &str, Chain<'_>) {
        let Tx {
            tx, actor, at, now, head_seq, head_hash, hlc, device, dirty_actions, new_actions, dirty_authorities, dirty_measures, ..
        } = self;
        let now_ms = now.timestamp_millis().max(0) as u64;
        let chain = Chain { actor, at, head_seq, head_hash, hlc, now_ms, dirty_actions, new_actions, dirty_authorities, dirty_measures };
        (tx, device, chain)
    }

    /// Note a stamp seen from another device: later local stamps sort after it.
    pub(crate) fn observe(&mut self, remote: &str) {
        if let Some(h) = Hlc::parse(remote) {
            let now_ms = self.now.timestamp_millis().max(0) as u64;
            self.hlc = self.hlc.observe(&h, now_ms);
        }
    }

    /// Record the audit entries of this transaction under another name (changes applied from
    /// the server are recorded as made by their author on the server).
    pub(crate) fn set_actor(&mut self, actor: &str) {
        self.actor = actor.to_string();
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

    /// Make sure the next local number for `year` is above `n`.
    pub(crate) async fn raise_number_seq(&mut self, year: &str, n: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = CAST(max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER)) AS TEXT)",
        )
        .bind(format!("number_seq:{year}"))
        .bind(n.to_string())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Rebuild search entries and success-measure sums, record the clock and the audit head, and
    /// commit.
    pub async fn commit(mut self) -> Result<()> {
        if !self.dirty_authorities.is_empty() {
            let ids: Vec<String> = self.dirty_authorities.iter().map(Id::to_string).collect();
            let rows: Vec<String> =
                sqlx::query_scalar("SELECT DISTINCT action_id FROM citations WHERE authority_id IN (SELECT value FROM json_each(?1))")
                    .bind(serde_json::to_string(&ids).expect("ids serialise"))
                    .fetch_all(&mut *self.tx)
                    .await?;
            self.dirty_actions.extend(rows.iter().filter_map(|s| s.parse::<Id>().ok()));
        }
        if !self.dirty_actions.is_empty() {
            let stale: Vec<String> = self.dirty_actions.difference(&self.new_actions).map(Id::to_string).collect();
            let ids: Vec<String> = self.dirty_actions.iter().map(Id::to_string).collect();
            for chunk in stale.chunks(BATCH * 5) {
                sqlx::query(
                    "DELETE FROM action_search WHERE rowid IN (SELECT seq FROM actions WHERE id IN (SELECT value FROM json_each(?1)))",
                )
                .bind(serde_json::to_string(chunk).expect("ids serialise"))
                .execute(&mut *self.tx)
                .await?;
            }
            for chunk in ids.chunks(BATCH * 5) {
                index(&mut self.tx, chunk).await?;
            }
        }
        if !self.dirty_measures.is_empty() {
            let ids: Vec<String> = self.dirty_measures.iter().map(Id::to_string).collect();
            for chunk in ids.chunks(crate::measures::CHUNK) {
                crate::measures::refresh(&mut self.tx, chunk).await?;
            }
        }
        sqlx::query("INSERT INTO meta(key, value) VALUES ('hlc', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .bind(self.hlc.to_string())
            .execute(&mut *self.tx)
            .await?;
        audit::set_head(&mut self.tx, self.head_seq, &self.head_hash).await?;
        if self.bulk {
            // Back to an ordinary cache before the connection returns to the pool; the dirty
            // pages this evicts go to the WAL once, as the commit would have written them.
            sqlx::query(&format!("PRAGMA cache_size = -{CACHE_KIB}")).execute(&mut *self.tx).await?;
        }
        let (pool, wal_path) = (self.pool.clone(), self.wal_path.clone());
        self.tx.commit().await?;
        checkpoint_in_background(pool, &wal_path);
        Ok(())
    }
}

/// One record's rows, ready to write.
struct Row<'p> {
    after: &'p Value,
    id: String,
    action_id: Option<String>,
    data: String,
    audit: audit::Entry,
    change_id: String,
    fields: Option<String>,
    hlc: String,
    remote: bool,
}

/// The parts of a [`Tx`] that every write advances: the audit chain and the clock (one place
/// makes audit entries and stamps, for puts and deletes alike), and the actions whose search
/// entries must be rebuilt.
struct Chain<'t> {
    actor: &'t str,
    at: &'t str,
    head_seq: &'t mut i64,
    head_hash: &'t mut String,
    hlc: &'t mut Hlc,
    now_ms: u64,
    dirty_actions: &'t mut BTreeSet<Id>,
    new_actions: &'t mut BTreeSet<Id>,
    dirty_authorities: &'t mut BTreeSet<Id>,
    dirty_measures: &'t mut BTreeSet<Id>,
}

impl Chain<'_> {
    /// The next audit entry, chained to the one before; the chain's head moves to it.
    fn entry(&mut self, table: &str, entity_id: String, op: &str, before: Option<String>, after: Option<String>) -> audit::Entry {
        let mut entry = audit::Entry {
            seq: *self.head_seq + 1,
            at: self.at.to_string(),
            actor: self.actor.to_string(),
            entity: table.to_string(),
            entity_id,
            op: op.to_string(),
            before,
            after,
            prev_hash: self.head_hash.clone(),
            hash: String::new(),
        };
        entry.hash = entry.compute_hash();
        *self.head_seq = entry.seq;
        *self.head_hash = entry.hash.clone();
        entry
    }

    /// A change's stamp: the one it came with from another device, or this device's clock
    /// ticked.
    fn stamp(&mut self, remote: Option<&str>) -> String {
        match remote {
            Some(h) => h.to_string(),
            None => {
                *self.hlc = self.hlc.tick(self.now_ms);
                self.hlc.to_string()
            }
        }
    }

    /// Rows for the puts that change something, in order, each audit entry chained to the one
    /// before.
    fn rows<'p>(&mut self, table: &'static str, puts: &'p [Put], written: &mut Written) -> Vec<Row<'p>> {
        let mut rows = Vec::with_capacity(puts.len());
        for p in puts {
            // For a create the changed fields are the whole record, which the audit entry's
            // `after` already holds: the change log points at it instead of storing it twice.
            let fields = match &p.before {
                None => None,
                Some(before) => {
                    let d = diff(before, &p.after);
                    if d.is_empty() {
                        written.unchanged += 1;
                        continue;
                    }
                    Some(Value::Object(d).to_string())
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
            let data = p.after.to_string();
            let id = p.id.to_string();
            match table {
                "actions" => {
                    self.dirty_actions.insert(p.id);
                    if p.before.is_none() {
                        self.new_actions.insert(p.id);
                    }
                }
                "authorities" => {
                    self.dirty_authorities.insert(p.id);
                }
                "updates" | "citations" | "assignments" => {
                    self.dirty_actions.extend(p.action_id);
                }
                _ => {}
            }
            if crate::measures::TABLES.contains(&table) {
                self.dirty_measures.extend(if table == "actions" { Some(p.id) } else { p.action_id });
            }
            let entry = self.entry(table, id.clone(), op, before_text, Some(data.clone()));
            let hlc = self.stamp(p.remote_hlc.as_deref());
            rows.push(Row {
                after: &p.after,
                id,
                action_id: p.action_id.map(|a| a.to_string()),
                data,
                audit: entry,
                change_id: uuid::Uuid::now_v7().to_string(),
                fields,
                hlc,
                remote: p.remote_hlc.is_some(),
            });
        }
        rows
    }
}

/// Write one part's rows: the records, their audit entries and their change-log entries, a
/// multi-row INSERT each (bound values: no per-row statement overhead, and no JSON escaping of
/// the record text on the way in).
async fn write_rows(tx: &mut Transaction<'static, Sqlite>, table: &'static str, device: &str, part: &[Row<'_>]) -> Result<()> {
    let n = part.len();
    if n == 0 {
        return Ok(());
    }
    let copied = crate::record::copied_columns(table);
    let names: String = copied.iter().map(|c| format!(", {c}")).collect();
    let updates: String = copied.iter().map(|c| format!(", {c} = excluded.{c}")).collect();
    let sql = format!(
        "INSERT INTO {table}(id, action_id, data{names}) VALUES {} ON CONFLICT(id) DO UPDATE SET data = excluded.data{updates}",
        placeholders(n, 3 + copied.len())
    );
    let mut q = sqlx::query(&sql);
    for r in part {
        q = q.bind(&r.id).bind(&r.action_id).bind(&r.data);
        for c in copied {
            q = q.bind(r.after.get(*c).and_then(Value::as_str).map(str::to_string));
        }
    }
    q.execute(&mut **tx).await?;
    let sql = format!("INSERT INTO {AUDIT_INSERT} {}", placeholders(n, 10));
    let mut q = sqlx::query(&sql);
    for r in part {
        q = bind_entry(q, &r.audit);
    }
    q.execute(&mut **tx).await?;
    let sql = format!(
        "INSERT INTO changes(change_id, entity, entity_id, fields, audit_seq, hlc, device_id, remote) VALUES {}",
        placeholders(n, 8)
    );
    let mut q = sqlx::query(&sql);
    for r in part {
        q = q.bind(&r.change_id).bind(table).bind(&r.id).bind(&r.fields).bind(r.audit.seq).bind(&r.hlc).bind(device).bind(r.remote as i64);
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

/// The audit table's columns, in the order [`bind_entry`] binds them.
const AUDIT_INSERT: &str = "audit(seq, at, actor, entity, entity_id, op, before, after, prev_hash, hash) VALUES";

/// Bind one audit entry's ten values (see [`AUDIT_INSERT`]).
fn bind_entry<'q>(
    q: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    e: &'q audit::Entry,
) -> sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    q.bind(e.seq)
        .bind(&e.at)
        .bind(&e.actor)
        .bind(&e.entity)
        .bind(&e.entity_id)
        .bind(&e.op)
        .bind(&e.before)
        .bind(&e.after)
        .bind(&e.prev_hash)
        .bind(&e.hash)
}

/// Connections never checkpoint on commit (`wal_autocheckpoint = 0`): a large commit would
/// otherwise copy its whole WAL into the database before returning. Instead, once the WAL
/// passes [`CHECKPOINT_AFTER_BYTES`], a passive checkpoint runs off the caller's path; `Store::close`
/// does a final full one. Either way a crash leaves the workspace as of the last commit.
fn checkpoint_in_background(pool: sqlx::SqlitePool, wal_path: &std::path::Path) {
    let big = std::fs::metadata(wal_path).map(|m| m.len() > CHECKPOINT_AFTER_BYTES).unwrap_or(false);
    if big {
        tokio::spawn(async move {
            let _ = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await;
        });
    }
}

/// WAL size after which a commit starts a background checkpoint. SQLite's default is ~4 MB;
/// at that size a first sync or a large import checkpoints after every batch, copying the same
/// index and full-text pages into the file (and fsyncing it) again each time while the batches
/// are still being written (a first sync was ~0.7 s faster on average at 32–64 MB over 9 paired
/// runs; single pairs are within the VM's noise).
/// Below `journal_size_limit` (64 MB), so the WAL's usual size is still bounded by that.
const CHECKPOINT_AFTER_BYTES: u64 = 32 * 1024 * 1024;

/// Write the full-text entries of the given actions from their records (old entries are
/// removed first by the caller). `tags` holds the status and the assigned offices as tokens
/// (`query::search_tags` reads them; migration 8 explains why).
async fn index(conn: &mut sqlx::SqliteConnection, ids: &[String]) -> Result<()> {
    sqlx::query(
        "INSERT INTO action_search(rowid, number, title, body, updates, authorities, tags) \
         SELECT a.seq, a.number, a.title, a.data->>'body', \
           (SELECT group_concat(u.data->>'text', ' ') FROM updates u WHERE u.action_id = a.id), \
           (SELECT group_concat(au.citation || ' ' || coalesce(au.data->>'title', ''), ' ') \
              FROM citations c JOIN authorities au ON au.id = c.authority_id WHERE c.action_id = a.id), \
           'xs' || replace(a.status, '_', '') || coalesce(' ' || (SELECT group_concat('xo' || replace(s.office_id, '-', ''), ' ') \
              FROM assignments s WHERE s.action_id = a.id), '') \
         FROM actions a WHERE a.id IN (SELECT value FROM json_each(?1))",
    )
    .bind(serde_json::to_string(ids).expect("ids serialise"))
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
        tx.bulk().await?;
        let r = &reuse_reference_data(&mut tx, r).await?;
        // Keep local numbering ahead of the numbers being inserted.
        let mut top: std::collections::BTreeMap<&str, i64> = Default::default();
        for a in &r.actions {
            if let Some((y, n)) = a.number.split_once('-').filter(|(y, _)| y.len() == 4 && y.chars().all(|c| c.is_ascii_digit())) {
                if let Ok(n) = n.parse::<i64>() {
                    let e = top.entry(y).or_insert(0);
                    *e = (*e).max(n);
                }
            }
        }
        for (y, n) in top {
            tx.raise_number_seq(y, n).await?;
        }
        let mut total = Written::default();
        let groups: Vec<Vec<Put>> = vec![
            puts(&r.offices),
            puts(&r.people),
            puts(&r.authorities),
            puts(&r.actions),
            puts(&r.citations),
            puts(&r.assignments),
            puts(&r.extensions),
            puts(&r.risks),
            puts(&r.impacts),
            puts(&r.updates),
            puts(&r.issues),
            puts(&r.relations),
            puts(&r.evaluations),
            puts(&r.transitions),
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

/// Offices and authorities already in the workspace (same code, same citation) are reused, and
/// the new records' references are pointed at them, so sample data can be added to a workspace
/// that already has its own offices.
async fn reuse_reference_data(tx: &mut Tx, r: &mandate_domain::Records) -> Result<mandate_domain::Records> {
    use std::collections::HashMap;
    let offices: HashMap<String, Id> = sqlx::query_as::<_, (String, String)>("SELECT code, id FROM offices")
        .fetch_all(tx.conn())
        .await?
        .into_iter()
        .filter_map(|(c, i)| Some((c, i.parse().ok()?)))
        .collect();
    let authorities: HashMap<String, Id> = sqlx::query_as::<_, (String, String)>("SELECT lower(citation), id FROM authorities")
        .fetch_all(tx.conn())
        .await?
        .into_iter()
        .filter_map(|(c, i)| Some((c, i.parse().ok()?)))
        .collect();
    let mut out = r.clone();
    let mut remap: HashMap<Id, Id> = HashMap::new();
    out.offices.retain(|o| match offices.get(&o.code.to_uppercase()) {
        Some(existing) => {
            remap.insert(o.id, *existing);
            false
        }
        None => true,
    });
    out.authorities.retain(|a| match authorities.get(&a.citation.to_lowercase()) {
        Some(existing) => {
            remap.insert(a.id, *existing);
            false
        }
        None => true,
    });
    let m = |id: &mut Id| {
        if let Some(n) = remap.get(id) {
            *id = *n;
        }
    };
    out.people.iter_mut().filter_map(|p| p.office_id.as_mut()).for_each(m);
    out.offices.iter_mut().filter_map(|o| o.parent_id.as_mut()).for_each(m);
    out.assignments.iter_mut().for_each(|x| m(&mut x.office_id));
    out.citations.iter_mut().for_each(|c| m(&mut c.authority_id));
    Ok(out)
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
