//! The desktop's side of replication: reading the outbox for a push, taking the server's answer,
//! and applying pulled records. The HTTP client is `mandate-sync`; the merge and the rules are in
//! `mandate_domain::replication`, shared with the server.
//!
//! Invariants:
//! - The outbox is the change log itself; what has been pushed is a cursor (`sync.push_cursor`)
//!   advanced in the same transaction that records the server's answer, so a crash between
//!   sending and recording only causes a resend, which the server recognises by change id.
//! - Pulled records are applied and the pull cursor advanced in one transaction: a crash
//!   mid-pull leaves the workspace as of the previous batch, and the next pull repeats the batch.
//! - Applying from the server writes audit and change-log entries like any mutation; the change
//!   entries are marked `remote` and never pushed back.
//! - A record whose parent has not arrived (or is an action this user may not see) is parked and
//!   retried on each pull, never written with a dangling reference.
//! - `sync_clocks` holds each record's field stamps as last agreed with the server, except for
//!   records this device created that the server took as they were: their stamps are all this
//!   device's own, which the server never counts as unseen when it merges this device's later
//!   edits (so no base needs them), and a pulled state merged over a record with no row takes the
//!   server's values, which for those fields are the very ones created here. A first sync's push
//!   of 100k creates writes no clocks at all.

use crate::{meta_get, write::Put, Result, Store, StoreError};
use mandate_domain::replication::{self as rep, Change, Clocks, Conflict, Op, PushResponse, RecordState, CONFLICTS, REPLICATED};
use mandate_domain::Id;
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::Row;
use std::collections::{BTreeMap, HashMap, HashSet};

pub const PUSH_CURSOR: &str = "sync.push_cursor";
pub const PULL_CURSOR: &str = "sync.pull_cursor";
pub const SERVER: &str = "sync.server";
pub const ACCOUNT: &str = "sync.account";
pub const LAST_SYNCED: &str = "sync.last_synced";
/// The account's role and office code on the server, from enrolment: what a first push is
/// previewed against.
pub const ACCOUNT_ROLE: &str = "sync.account_role";
pub const ACCOUNT_OFFICE: &str = "sync.account_office";
/// Set once this workspace's first push has been reviewed (or needed no review): later syncs
/// push without asking.
pub const FIRST_PUSH_REVIEWED: &str = "sync.first_push_reviewed";
/// The server epoch from the last pull (changes when the server is restored from a backup).
pub const SERVER_EPOCH: &str = "sync.server_epoch";
/// A pulled batch this big (a first sync's) is applied with the bulk page cache: with the
/// ordinary one its dirty pages spill to the WAL and are written twice.
const BULK_PULL: usize = 1000;

/// A batch of the outbox, ready to push.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub changes: Vec<Change>,
    /// The outbox position this batch reaches (the push cursor once the server has answered).
    pub last_seq: i64,
    /// Each touched record's clocks once the server has taken the batch.
    clocks: HashMap<String, Clocks>,
}

/// What applying a batch of records did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Applied {
    pub created: usize,
    pub updated: usize,
    pub deleted: usize,
    pub unchanged: usize,
    /// Waiting for a parent record, or clashing with a local record of the same code.
    pub parked: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SyncStatus {
    /// Server URL, when this workspace is connected to one.
    pub server: Option<String>,
    pub account: Option<String>,
    pub device_id: String,
    pub last_synced: Option<String>,
    /// Local changes not yet pushed.
    pub waiting: i64,
    /// Conflicts nobody has reviewed.
    pub conflicts: i64,
    /// Refused changes nobody has dismissed.
    pub refusals: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StoredRefusal {
    pub change_id: String,
    pub entity: String,
    pub entity_id: String,
    pub fields: Option<Value>,
    pub reason: String,
    pub at: String,
}

fn json_ids<'a>(ids: impl IntoIterator<Item = &'a String>) -> String {
    serde_json::to_string(&ids.into_iter().collect::<Vec<_>>()).expect("ids serialise")
}

fn table_of(entity: &str) -> Option<&'static str> {
    REPLICATED.iter().copied().find(|t| *t == entity)
}

async fn meta_set(conn: &mut sqlx::SqliteConnection, key: &str, value: Option<&str>) -> Result<()> {
    match value {
        Some(v) => {
            sqlx::query("INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
                .bind(key)
                .bind(v)
                .execute(&mut *conn)
                .await?;
        }
        None => {
            sqlx::query("DELETE FROM meta WHERE key = ?").bind(key).execute(&mut *conn).await?;
        }
    }
    Ok(())
}

/// Clocks of a record this device created, as it created it: kept in no row (see the module docs).
fn own_create(c: &Clocks, device: &str) -> bool {
    c.fields.is_empty() && mandate_domain::hlc::Hlc::parse(&c.created).is_some_and(|h| h.device == device)
}

async fn load_clocks(conn: &mut sqlx::SqliteConnection, ids: &HashSet<String>) -> Result<HashMap<String, Clocks>> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT entity_id, clocks FROM sync_clocks WHERE entity_id IN (SELECT value FROM json_each(?1))")
            .bind(json_ids(ids))
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows.into_iter().filter_map(|(id, c)| Some((id, serde_json::from_str(&c).ok()?))).collect())
}

async fn save_clocks(conn: &mut sqlx::SqliteConnection, clocks: &[(String, Clocks)]) -> Result<()> {
    for part in clocks.chunks(500) {
        let sql = format!(
            "INSERT INTO sync_clocks(entity_id, clocks) VALUES {} ON CONFLICT(entity_id) DO UPDATE SET clocks = excluded.clocks",
            vec!["(?, ?)"; part.len()].join(",")
        );
        let mut q = sqlx::query(&sql);
        for (id, c) in part {
            q = q.bind(id).bind(serde_json::to_string(c).expect("clocks serialise"));
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

impl Store {
    /// A sync setting kept in the workspace (server URL, account name, cursors). Never a token:
    /// the device token lives in the OS keychain.
    pub async fn sync_setting(&self, key: &str) -> Result<Option<String>> {
        meta_get(self.pool(), key).await
    }

    pub async fn set_sync_setting(&self, key: &str, value: Option<&str>) -> Result<()> {
        let mut conn = self.pool().acquire().await?;
        meta_set(&mut conn, key, value).await
    }

    async fn cursor(&self, key: &str) -> Result<i64> {
        Ok(meta_get(self.pool(), key).await?.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// The next `limit` changes of the outbox, each with the stamps its fields had when it was
    /// made (its base), so the server can tell a later edit from a concurrent one.
    pub async fn outgoing(&self, limit: usize) -> Result<Outgoing> {
        self.read_outgoing(None, limit).await
    }

    /// The batch after `prev`, read while `prev` is still with the server (so the next push is
    /// ready when its answer comes). Its bases assume the server takes `prev` whole: when it
    /// refuses any of it, acknowledge `prev` and read the outbox again with [`Store::outgoing`].
    pub async fn outgoing_after(&self, prev: &Outgoing, limit: usize) -> Result<Outgoing> {
        self.read_outgoing(Some(prev), limit).await
    }

    async fn read_outgoing(&self, prev: Option<&Outgoing>, limit: usize) -> Result<Outgoing> {
        // One read transaction: the rows and the end of the log come from the same snapshot, so
        // moving the cursor to that end can never skip a change committed in between.
        let mut conn = self.pool().begin().await?;
        let cursor: i64 = match prev {
            Some(p) => p.last_seq,
            None => meta_get(&mut *conn, PUSH_CURSOR).await?.and_then(|v| v.parse().ok()).unwrap_or(0),
        };
        // CROSS JOIN keeps `changes` the outer loop, walked from the cursor.
        let rows = sqlx::query(
            "SELECT c.seq, c.change_id, c.entity, c.entity_id, coalesce(c.fields, a.after) AS fields, c.hlc, a.op, a.before \
             FROM changes c CROSS JOIN audit a ON a.seq = c.audit_seq WHERE c.seq > ? AND c.remote = 0 ORDER BY c.seq LIMIT ?",
        )
        .bind(cursor)
        .bind(limit as i64)
        .fetch_all(&mut *conn)
        .await?;
        // Fewer than asked: everything after them is changes applied from the server. The
        // cursor may pass those too, so later syncs do not walk them again (a desktop that
        // pulled 100k records and changed nothing would otherwise scan them on every sync).
        let end: Option<i64> =
            if rows.len() < limit { sqlx::query_scalar("SELECT max(seq) FROM changes").fetch_one(&mut *conn).await? } else { None };
        let ids: HashSet<String> = rows.iter().map(|r| r.get::<String, _>("entity_id")).collect();
        let mut clocks = load_clocks(&mut *conn, &ids).await?;
        if let Some(p) = prev {
            // As `acknowledge_push` will save them, so the batch read ahead is the batch read after.
            clocks.extend(
                p.clocks
                    .iter()
                    .filter(|(id, c)| ids.contains(*id) && !own_create(c, self.device_id()))
                    .map(|(id, c)| (id.clone(), c.clone())),
            );
        }
        let mut out = Outgoing { changes: Vec::with_capacity(rows.len()), last_seq: cursor, clocks: HashMap::new() };
        for r in rows {
            out.last_seq = r.get("seq");
            let entity: String = r.get("entity");
            let entity_id: String = r.get("entity_id");
            let hlc: String = r.get("hlc");
            let op = match r.get::<String, _>("op").as_str() {
                "create" => Op::Create,
                "delete" => Op::Delete,
                _ => Op::Update,
            };
            if table_of(&entity).is_none() || (entity == CONFLICTS && op != Op::Update) {
                continue; // personal records (saved views, templates) stay on this desktop
            }
            let parse = |col: &str| -> Map<String, Value> {
                r.get::<Option<String>, _>(col).and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default()
            };
            let fields = if op == Op::Delete { Map::new() } else { parse("fields") };
            let known = clocks.get(&entity_id);
            let base: BTreeMap<String, String> = match op {
                Op::Create => BTreeMap::new(),
                Op::Update => fields.keys().filter_map(|f| Some((f.clone(), known?.of(f).to_string()))).collect(),
                Op::Delete => parse("before").keys().filter_map(|f| Some((f.clone(), known?.of(f).to_string()))).collect(),
            };
            let after = match op {
                Op::Create => Clocks::new(&hlc),
                _ => {
                    let mut c = known.cloned().unwrap_or_default();
                    for f in fields.keys() {
                        c.set(f, &hlc);
                    }
                    c
                }
            };
            clocks.insert(entity_id.clone(), after.clone());
            out.clocks.insert(entity_id.clone(), after);
            out.changes.push(Change { change_id: r.get("change_id"), entity, entity_id, op, fields, hlc, base });
        }
        if let Some(end) = end {
            out.last_seq = out.last_seq.max(end);
        }
        Ok(out)
    }

    /// Record the server's answer to a push: the agreed clocks, the refusals (kept for people to
    /// see), the server's state of refused records put back, and the push cursor — one
    /// transaction.
    pub async fn acknowledge_push(&self, out: &Outgoing, resp: &PushResponse) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.set_actor("agency server");
        let refused: HashMap<&str, &rep::Refusal> = resp.refused.iter().map(|r| (r.change_id.as_str(), r)).collect();
        let refused_records: HashSet<&str> = resp.refused.iter().map(|r| r.entity_id.as_str()).collect();
        // A record this device created, taken whole, keeps no clocks row (see the module docs).
        let agreed: Vec<(String, Clocks)> = out
            .clocks
            .iter()
            .filter(|(id, c)| !refused_records.contains(id.as_str()) && !own_create(c, self.device_id()))
            .map(|(a, b)| (a.clone(), b.clone()))
            .collect();
        save_clocks(tx.conn(), &agreed).await?;
        let at = tx.now().to_rfc3339();
        for c in &out.changes {
            let Some(r) = refused.get(c.change_id.as_str()) else { continue };
            sqlx::query(
                "INSERT INTO sync_refusals(change_id, entity, entity_id, fields, reason, at) VALUES (?,?,?,?,?,?) ON CONFLICT(change_id) DO NOTHING",
            )
            .bind(&c.change_id)
            .bind(&c.entity)
            .bind(&c.entity_id)
            .bind(Value::Object(c.fields.clone()).to_string())
            .bind(&r.reason)
            .bind(&at)
            .execute(tx.conn())
            .await?;
        }
        apply_states(&mut tx, resp.restore.iter(), true).await?;
        // A refused record the server does not have (or will not show) is taken back out of this
        // workspace, children first; the refusal keeps what it held.
        let restored: HashSet<&str> = resp.restore.iter().map(|r| r.entity_id.as_str()).collect();
        let mut gone: Vec<(&'static str, String)> = out
            .changes
            .iter()
            .filter(|c| c.op == Op::Create && refused.contains_key(c.change_id.as_str()) && !restored.contains(c.entity_id.as_str()))
            .filter_map(|c| Some((table_of(&c.entity)?, c.entity_id.clone())))
            .collect();
        gone.sort_by_key(|(t, _)| std::cmp::Reverse(REPLICATED.iter().position(|x| x == t)));
        for (table, id) in gone {
            let before: Option<String> =
                sqlx::query_scalar(&format!("SELECT data FROM {table} WHERE id = ?")).bind(&id).fetch_optional(tx.conn()).await?;
            if let (Some(before), Ok(rid)) = (before, id.parse::<Id>()) {
                let before: Value = serde_json::from_str(&before).unwrap_or(Value::Null);
                match tx.delete(table, rid, &before, Some("refused")).await {
                    Ok(()) => {
                        sqlx::query("DELETE FROM sync_tombstones WHERE entity_id = ?").bind(&id).execute(tx.conn()).await?;
                    }
                    // Still referred to here (an office the user's own records use): it stays, and
                    // the refusal says why the server does not have it.
                    Err(StoreError::Db(e)) if e.as_database_error().is_some_and(|d| d.is_foreign_key_violation()) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        // Never back: a pull may have moved the cursor past records it applied meanwhile.
        let cursor: i64 = meta_get(tx.conn(), PUSH_CURSOR).await?.and_then(|v| v.parse().ok()).unwrap_or(0);
        meta_set(tx.conn(), PUSH_CURSOR, Some(&out.last_seq.max(cursor).to_string())).await?;
        tx.commit().await
    }

    /// Apply a pulled batch and move the pull cursor to `cursor`, in one transaction. Records
    /// parked earlier are retried first.
    pub async fn apply_pulled(&self, records: &[RecordState], cursor: i64) -> Result<Applied> {
        let mut tx = self.begin().await?;
        if records.len() >= BULK_PULL {
            tx.bulk().await?;
        }
        tx.set_actor("agency server");
        let parked: Vec<String> = sqlx::query_scalar("SELECT record FROM sync_parked").fetch_all(tx.conn()).await?;
        sqlx::query("DELETE FROM sync_parked").execute(tx.conn()).await?;
        let parked: Vec<RecordState> = parked.iter().filter_map(|r| serde_json::from_str(r).ok()).collect();
        // With nothing local waiting, the push cursor follows the change log past what is
        // applied here (never pushed back): a first sync pulling 100k records would otherwise
        // rescan them all on each batch when looking for local edits to protect.
        let last: i64 = sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM changes").fetch_one(tx.conn()).await?;
        let nothing_waiting = meta_get(tx.conn(), PUSH_CURSOR).await?.and_then(|v| v.parse::<i64>().ok()).unwrap_or(0) >= last;
        let applied = apply_states(&mut tx, parked.iter().chain(records), false).await?;
        if nothing_waiting {
            let last: i64 = sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM changes").fetch_one(tx.conn()).await?;
            meta_set(tx.conn(), PUSH_CURSOR, Some(&last.to_string())).await?;
        }
        meta_set(tx.conn(), PULL_CURSOR, Some(&cursor.to_string())).await?;
        tx.commit().await?;
        Ok(applied)
    }

    /// Start replication over with the same server (it was restored from a backup): the whole
    /// change log is sent again and everything read again. Records, clocks, conflicts and
    /// refusals stay; the server drops changes it still has, by change id.
    pub async fn restart_sync(&self) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        meta_set(&mut *tx, PUSH_CURSOR, Some("0")).await?;
        meta_set(&mut *tx, PULL_CURSOR, Some("0")).await?;
        meta_set(&mut *tx, SERVER_EPOCH, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Where the pull left off.
    pub async fn pull_cursor(&self) -> Result<i64> {
        self.cursor(PULL_CURSOR).await
    }

    /// Forget the server (disconnect): cursors and settings go; records, conflicts and refusals
    /// stay. A later connect pushes everything again (the server drops what it already has).
    pub async fn forget_server(&self) -> Result<()> {
        let mut conn = self.pool().acquire().await?;
        for k in [PUSH_CURSOR, PULL_CURSOR, SERVER, ACCOUNT, ACCOUNT_ROLE, ACCOUNT_OFFICE, FIRST_PUSH_REVIEWED, LAST_SYNCED, SERVER_EPOCH] {
            meta_set(&mut conn, k, None).await?;
        }
        Ok(())
    }

    pub async fn sync_status(&self) -> Result<SyncStatus> {
        let push = self.cursor(PUSH_CURSOR).await?;
        let waiting: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM changes WHERE seq > ? AND remote = 0 AND entity IN ({})",
            REPLICATED.iter().map(|t| format!("'{t}'")).collect::<Vec<_>>().join(",")
        ))
        .bind(push)
        .fetch_one(self.pool())
        .await?;
        let conflicts: i64 =
            sqlx::query_scalar("SELECT count(*) FROM sync_conflicts WHERE data->>'resolved' IS NULL").fetch_one(self.pool()).await?;
        let refusals: i64 = sqlx::query_scalar("SELECT count(*) FROM sync_refusals WHERE dismissed = 0").fetch_one(self.pool()).await?;
        Ok(SyncStatus {
            server: self.sync_setting(SERVER).await?,
            account: self.sync_setting(ACCOUNT).await?,
            device_id: self.device_id().to_string(),
            last_synced: self.sync_setting(LAST_SYNCED).await?,
            waiting,
            conflicts,
            refusals,
        })
    }

    /// Conflicts, newest first (`open_only`: those nobody has reviewed).
    pub async fn conflicts(&self, open_only: bool) -> Result<Vec<Conflict>> {
        let sql = if open_only {
            "SELECT data FROM sync_conflicts WHERE data->>'resolved' IS NULL ORDER BY data->>'lost_hlc' DESC"
        } else {
            "SELECT data FROM sync_conflicts ORDER BY data->>'lost_hlc' DESC"
        };
        let rows: Vec<String> = sqlx::query_scalar(sql).fetch_all(self.pool()).await?;
        rows.iter().map(|d| crate::query::decode(d)).collect()
    }

    /// Mark a conflict reviewed; with `reapply`, first set the field back to the value that lost
    /// (a new edit, which replicates and wins).
    pub async fn resolve_conflict(&self, id: &str, reapply: bool) -> Result<Conflict> {
        mandate_domain::rules::check_can_write(self.actor())?;
        let conflict = self
            .conflicts(false)
            .await?
            .into_iter()
            .find(|c| c.id.to_string() == id || c.id.to_string().starts_with(id))
            .ok_or_else(|| StoreError::NotFound(format!("no conflict {id}")))?;
        if conflict.resolved.is_some() {
            return Err(StoreError::Invalid(format!("conflict {} was already resolved", conflict.id)));
        }
        let mut tx = self.begin().await?;
        if reapply {
            let table = table_of(&conflict.entity).filter(|t| *t != CONFLICTS).ok_or_else(|| {
                StoreError::Invalid(format!("conflict {} is about a `{}` record, which cannot be edited", conflict.id, conflict.entity))
            })?;
            let data: Option<String> = sqlx::query_scalar(&format!("SELECT data FROM {table} WHERE id = ?"))
                .bind(&conflict.entity_id)
                .fetch_optional(tx.conn())
                .await?;
            let Some(data) = data else {
                return Err(StoreError::Invalid(format!(
                    "the {} record was deleted; its lost value is kept in the conflict for reference",
                    conflict.entity
                )));
            };
            let before: Map<String, Value> = serde_json::from_str(&data).map_err(|e| StoreError::Invalid(e.to_string()))?;
            let mut after = before.clone();
            after.insert(conflict.field.clone(), conflict.lost_value.clone());
            rep::check_record(table, &after).map_err(StoreError::Invalid)?;
            let id: Id = conflict.entity_id.parse().map_err(|_| StoreError::Invalid("bad record id".into()))?;
            let action = rep::action_of(table, &conflict.entity_id, &after);
            tx.put(vec![Put::raw(table, id, action, Some(Value::Object(before)), Value::Object(after))]).await?;
        }
        let mut done = conflict.clone();
        done.resolved = Some(serde_json::json!({
            "by": self.actor().name,
            "at": tx.now().to_rfc3339(),
            "reapplied": reapply,
        }));
        tx.put(vec![Put::new(Some(&conflict), &done)]).await?;
        tx.commit().await?;
        Ok(done)
    }

    pub async fn refusals(&self) -> Result<Vec<StoredRefusal>> {
        let rows =
            sqlx::query("SELECT change_id, entity, entity_id, fields, reason, at FROM sync_refusals WHERE dismissed = 0 ORDER BY at DESC")
                .fetch_all(self.pool())
                .await?;
        Ok(rows
            .iter()
            .map(|r| StoredRefusal {
                change_id: r.get(0),
                entity: r.get(1),
                entity_id: r.get(2),
                fields: r.get::<Option<String>, _>(3).and_then(|f| serde_json::from_str(&f).ok()),
                reason: r.get(4),
                at: r.get(5),
            })
            .collect())
    }

    /// Dismiss a refusal someone has read.
    /// Every change waiting to be pushed, in push order (for a preview; a push reads batches).
    pub async fn all_outgoing(&self) -> Result<Vec<Change>> {
        let mut out = self.outgoing(rep::MAX_BATCH).await?;
        let mut all = Vec::new();
        while !out.changes.is_empty() {
            let next = self.outgoing_after(&out, rep::MAX_BATCH).await?;
            all.append(&mut out.changes);
            out = next;
        }
        Ok(all)
    }

    /// Dismiss every refusal at once; returns how many.
    pub async fn dismiss_all_refusals(&self) -> Result<u64> {
        Ok(sqlx::query("UPDATE sync_refusals SET dismissed = 1 WHERE dismissed = 0").execute(self.pool()).await?.rows_affected())
    }

    pub async fn dismiss_refusal(&self, change_id: &str) -> Result<()> {
        let n = sqlx::query("UPDATE sync_refusals SET dismissed = 1 WHERE change_id = ? AND dismissed = 0")
            .bind(change_id)
            .execute(self.pool())
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!("no refusal {change_id} to dismiss")));
        }
        Ok(())
    }

    /// Document contents held here that the server has not confirmed: (hash, size).
    pub async fn blobs_to_upload(&self) -> Result<Vec<(String, u64)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT DISTINCT b.sha256, length(b.bytes) FROM documents d JOIN document_blobs b ON b.sha256 = d.data->>'sha256' \
             WHERE NOT EXISTS (SELECT 1 FROM sync_blobs s WHERE s.sha256 = b.sha256) ORDER BY b.sha256",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(s, n)| (s, n as u64)).collect())
    }

    /// Hashes of documents whose contents this workspace does not have yet.
    pub async fn blobs_to_download(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT d.data->>'sha256' FROM documents d \
             WHERE NOT EXISTS (SELECT 1 FROM document_blobs b WHERE b.sha256 = d.data->>'sha256') ORDER BY 1",
        )
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn blob_bytes(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        Ok(sqlx::query_scalar("SELECT bytes FROM document_blobs WHERE sha256 = ?").bind(sha256).fetch_optional(self.pool()).await?)
    }

    /// The server holds this content (uploaded, or downloaded from it).
    pub async fn mark_blob_synced(&self, sha256: &str) -> Result<()> {
        sqlx::query("INSERT INTO sync_blobs(sha256) VALUES (?) ON CONFLICT DO NOTHING").bind(sha256).execute(self.pool()).await?;
        Ok(())
    }

    /// Keep content downloaded from the server, after checking it is what its name says.
    pub async fn store_downloaded_blob(&self, sha256: &str, bytes: &[u8]) -> Result<()> {
        use sha2::Digest;
        let actual = hex::encode(sha2::Sha256::digest(bytes));
        if actual != sha256 {
            return Err(StoreError::Invalid(format!("downloaded content hashes to {actual}, not {sha256}; not kept")));
        }
        let mut tx = self.pool().begin().await?;
        sqlx::query("INSERT INTO document_blobs(sha256, bytes) VALUES (?, ?) ON CONFLICT(sha256) DO NOTHING")
            .bind(sha256)
            .bind(bytes)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO sync_blobs(sha256) VALUES (?) ON CONFLICT DO NOTHING").bind(sha256).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every replicated record in this workspace, by table and id (comparing replicas).
    pub async fn replicated_records(&self) -> Result<BTreeMap<String, BTreeMap<String, Value>>> {
        let mut out = BTreeMap::new();
        for table in REPLICATED {
            let rows: Vec<(String, String)> = sqlx::query_as(&format!("SELECT id, data FROM {table}")).fetch_all(self.pool()).await?;
            let m: BTreeMap<String, Value> =
                rows.into_iter().map(|(id, d)| (id, serde_json::from_str(&d).unwrap_or(Value::Null))).collect();
            out.insert(table.to_string(), m);
        }
        Ok(out)
    }

    /// Delete a record that may be deleted (a risk, an issue, a document…). The delete is
    /// logged and replicates as a tombstone.
    pub async fn delete_record(&self, entity: &str, id: Id) -> Result<()> {
        mandate_domain::rules::check_can_write(self.actor())?;
        let table = rep::DELETABLE
            .iter()
            .copied()
            .find(|t| *t == entity)
            .ok_or_else(|| StoreError::Invalid(format!("{entity} records cannot be deleted (only {})", rep::DELETABLE.join(", "))))?;
        let mut tx = self.begin().await?;
        let data: Option<String> =
            sqlx::query_scalar(&format!("SELECT data FROM {table} WHERE id = ?")).bind(id.to_string()).fetch_optional(tx.conn()).await?;
        let data = data.ok_or_else(|| StoreError::NotFound(format!("no {entity} record {id}")))?;
        let before: Value = serde_json::from_str(&data).map_err(|e| StoreError::Invalid(e.to_string()))?;
        tx.delete(table, id, &before, None).await?;
        tx.commit().await
    }
}

/// The records a record points at, as (table, id).
fn references(table: &str, data: &Map<String, Value>) -> Vec<(&'static str, String)> {
    let get = |k: &str| data.get(k).and_then(Value::as_str).map(str::to_string);
    let mut out = vec![];
    let mut push = |t: &'static str, v: Option<String>| {
        if let Some(v) = v {
            out.push((t, v));
        }
    };
    match table {
        "people" => push("offices", get("office_id")),
        "offices" | "authorities" | "actions" | CONFLICTS => {}
        other => {
            push("actions", get("action_id"));
            match other {
                "citations" => push("authorities", get("authority_id")),
                "assignments" => push("offices", get("office_id")),
                "relations" => push("actions", get("target_id")),
                _ => {}
            }
        }
    }
    out
}

/// Apply server states to this workspace (see the module docs). With `force`, the server's state
/// replaces the local one outright (a refused change being put back).
async fn apply_states<'a>(tx: &mut crate::write::Tx, states: impl Iterator<Item = &'a RecordState>, force: bool) -> Result<Applied> {
    let mut applied = Applied::default();
    // The newest state of each record only (a parked one may have been overtaken).
    let mut newest: HashMap<&str, &RecordState> = HashMap::new();
    for s in states.filter(|s| table_of(&s.entity).is_some()) {
        let e = newest.entry(s.entity_id.as_str()).or_insert(s);
        if s.seq >= e.seq {
            *e = s;
        }
    }
    let mut states: Vec<&RecordState> = newest.into_values().collect();
    if states.is_empty() {
        return Ok(applied);
    }
    states.sort_by_key(|s| (REPLICATED.iter().position(|t| *t == s.entity), s.seq));
    let ids: HashSet<String> = states.iter().map(|s| s.entity_id.clone()).collect();
    // What this workspace has of these records (each table asked only for its own ids: a batch
    // of a first sync is thousands of records, none of them here yet).
    let mut local: HashMap<String, Map<String, Value>> = HashMap::new();
    for table in REPLICATED {
        let mine: Vec<&String> = states.iter().filter(|s| s.entity == *table).map(|s| &s.entity_id).collect();
        if mine.is_empty() {
            continue;
        }
        let rows: Vec<(String, String)> =
            sqlx::query_as(&format!("SELECT id, data FROM {table} WHERE id IN (SELECT value FROM json_each(?1))"))
                .bind(json_ids(mine))
                .fetch_all(tx.conn())
                .await?;
        for (id, d) in rows {
            local.insert(id, serde_json::from_str(&d).unwrap_or_default());
        }
    }
    // Clocks and unpushed local edits only matter for records held here (one arriving new is
    // taken as the server has it).
    let held: HashSet<String> = local.keys().cloned().collect();
    let clocks = load_clocks(tx.conn(), &held).await?;
    let tombstones: HashSet<String> =
        sqlx::query_scalar("SELECT entity_id FROM sync_tombstones WHERE entity_id IN (SELECT value FROM json_each(?1))")
            .bind(json_ids(&ids))
            .fetch_all(tx.conn())
            .await?
            .into_iter()
            .collect();
    // Local edits not pushed yet hold their fields until the server has merged them.
    let mut pending: HashMap<String, BTreeMap<String, String>> = HashMap::new();
    if !force && !held.is_empty() {
        let push: i64 = meta_get(tx.conn(), PUSH_CURSOR).await?.and_then(|v| v.parse().ok()).unwrap_or(0);
        let rows: Vec<(String, Option<String>, String)> = sqlx::query_as(
            "SELECT c.entity_id, coalesce(c.fields, a.after), c.hlc FROM changes c CROSS JOIN audit a ON a.seq = c.audit_seq \
             WHERE c.seq > ?1 AND c.remote = 0 AND c.entity_id IN (SELECT value FROM json_each(?2))",
        )
        .bind(push)
        .bind(json_ids(&held))
        .fetch_all(tx.conn())
        .await?;
        for (id, fields, hlc) in rows {
            let fields: Map<String, Value> = fields.and_then(|f| serde_json::from_str(&f).ok()).unwrap_or_default();
            let e = pending.entry(id).or_default();
            for f in fields.keys() {
                e.insert(f.clone(), hlc.clone());
            }
        }
    }
    // Which referenced records exist (here, or arriving in this batch). Whether one arriving
    // in this batch is here already was read above; those arriving new count once applied.
    let mut wanted: HashMap<&'static str, HashSet<String>> = HashMap::new();
    let mut present: HashSet<String> = HashSet::new();
    let arriving: HashMap<&str, &str> = states.iter().map(|s| (s.entity_id.as_str(), s.entity.as_str())).collect();
    for s in &states {
        for (t, id) in references(&s.entity, &s.data) {
            match arriving.get(id.as_str()) {
                None => {
                    wanted.entry(t).or_default().insert(id);
                }
                Some(entity) if *entity == t && local.contains_key(&id) => {
                    present.insert(id);
                }
                Some(_) => {}
            }
        }
    }
    for (t, want) in &wanted {
        let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT id FROM {t} WHERE id IN (SELECT value FROM json_each(?1))"))
            .bind(json_ids(want))
            .fetch_all(tx.conn())
            .await?;
        present.extend(rows);
    }
    // Offices and authorities are unique by code and citation: a local record holding the same
    // one under another id blocks the server's until someone sorts it out.
    let mut taken: HashMap<String, String> = HashMap::new();
    for (table, key, expr) in [("offices", "code", "upper(data->>'code')"), ("authorities", "citation", "lower(citation)")] {
        let rows: Vec<(String, String)> = sqlx::query_as(&format!("SELECT {expr}, id FROM {table}")).fetch_all(tx.conn()).await?;
        for (k, id) in rows {
            taken.insert(format!("{table}:{key}:{k}"), id);
        }
    }
    // An action has one outcome evaluation: two made on two desktops while apart cannot both be
    // held here, so the second waits (parked) like a clashing office code, instead of failing
    // every sync after it.
    let evaluated: Vec<&str> =
        states.iter().filter(|s| s.entity == "evaluations").filter_map(|s| s.data.get("action_id")?.as_str()).collect();
    if !evaluated.is_empty() {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT action_id, id FROM evaluations WHERE action_id IN (SELECT value FROM json_each(?1))")
                .bind(serde_json::to_string(&evaluated).expect("ids serialise"))
                .fetch_all(tx.conn())
                .await?;
        for (action, id) in rows {
            taken.insert(format!("evaluations:action:{action}"), id);
        }
    }
    let unique_key = |s: &RecordState| -> Option<String> {
        match s.entity.as_str() {
            "evaluations" => Some(format!("evaluations:action:{}", s.data.get("action_id")?.as_str()?)),
            "offices" => Some(format!("offices:code:{}", s.data.get("code")?.as_str()?.to_uppercase())),
            "authorities" => Some(format!("authorities:citation:{}", s.data.get("citation")?.as_str()?.to_lowercase())),
            _ => None,
        }
    };
    let mut puts = vec![];
    let mut new_clocks: Vec<(String, Clocks)> = vec![];
    let mut park: Vec<&RecordState> = vec![];
    for s in states {
        let table = table_of(&s.entity).expect("filtered above");
        let Ok(id) = s.entity_id.parse::<Id>() else { continue };
        tx.observe(s.clocks.max());
        if tombstones.contains(&s.entity_id) {
            applied.unchanged += 1;
            continue;
        }
        if let Some(deleted) = &s.deleted {
            if let Some(before) = local.remove(&s.entity_id) {
                tx.delete(table, id, &Value::Object(before), Some(deleted)).await?;
                applied.deleted += 1;
            } else {
                sqlx::query("INSERT INTO sync_tombstones(entity_id, entity, hlc) VALUES (?, ?, ?) ON CONFLICT(entity_id) DO NOTHING")
                    .bind(&s.entity_id)
                    .bind(table)
                    .bind(deleted)
                    .execute(tx.conn())
                    .await?;
            }
            sqlx::query("DELETE FROM sync_clocks WHERE entity_id = ?").bind(&s.entity_id).execute(tx.conn()).await?;
            continue;
        }
        let dangling = references(table, &s.data).into_iter().any(|(_, r)| !present.contains(&r));
        let clash = unique_key(s).and_then(|k| taken.get(&k)).is_some_and(|holder| *holder != s.entity_id);
        if dangling || clash {
            park.push(s);
            continue;
        }
        let mine = local.get(&s.entity_id);
        let (data, merged_clocks) = if force || mine.is_none() {
            (s.data.clone(), s.clocks.clone())
        } else {
            let c = clocks.get(&s.entity_id).cloned().unwrap_or_default();
            let empty = BTreeMap::new();
            rep::merge_into_local(mine.map(|m| (m, &c)), s, pending.get(&s.entity_id).unwrap_or(&empty))
        };
        present.insert(s.entity_id.clone());
        if let Some(k) = unique_key(s) {
            taken.insert(k, s.entity_id.clone());
        }
        new_clocks.push((s.entity_id.clone(), merged_clocks));
        if mine == Some(&data) {
            applied.unchanged += 1;
            continue;
        }
        let action = rep::action_of(table, &s.entity_id, &data);
        puts.push(Put::remote(table, id, action, mine.cloned().map(Value::Object), Value::Object(data), s.clocks.max()));
    }
    let written = tx.put(puts).await?;
    applied.created += written.created;
    applied.updated += written.updated;
    applied.unchanged += written.unchanged;
    save_clocks(tx.conn(), &new_clocks).await?;
    for s in park {
        applied.parked += 1;
        sqlx::query(
            "INSERT INTO sync_parked(entity_id, record) VALUES (?, ?) ON CONFLICT(entity_id) DO UPDATE SET record = excluded.record",
        )
        .bind(&s.entity_id)
        .bind(serde_json::to_string(s).expect("records serialise"))
        .execute(tx.conn())
        .await?;
    }
    Ok(applied)
}
