//! Push and pull: merging desktops' changes into the server's records, and handing each device
//! the records it may see.
//!
//! Invariants:
//! - A push is one transaction: all of its accepted changes, their audit entries, conflicts and
//!   refusals commit together or not at all. A dropped connection or a crash mid-push leaves
//!   nothing; the desktop's resend is merged as if new, and a resend of a committed push is
//!   recognised change by change (`audit.change_id` is unique) and changes nothing.
//! - Every change is checked against `replication::authorize` as the pushing user; a refused
//!   change is answered with its reason, recorded in `refusals`, and never merged.
//! - A pull only returns records of actions the user's office may see. When an office gains
//!   access to an action (it is assigned), the action's records get new sequence numbers so the
//!   office's next pull brings the whole action, history included.

use crate::accounts::Identity;
use crate::db::{self, load_records, params, rows, Db, Rec, REC_COLS};
use crate::{now_text, Failure, Metrics};
use mandate_domain::replication::{
    self as rep, ActionAccess, Caller, Change, Clocks, Conflict, Op, PushRequest, PushResponse, Refusal, Stored, CONFLICTS, MAX_BATCH,
    REPLICATED,
};
use serde_json::value::RawValue;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::collections::{BTreeSet, HashMap, HashSet};

fn caller(who: &Identity) -> Caller {
    Caller { role: who.role, office_id: who.office_id.clone() }
}

/// Check a push request as a whole: the device it claims is the token's, the size, and each
/// change's shape. Any failure refuses the whole batch (nothing is merged).
pub fn check_batch(who: &Identity, req: &PushRequest) -> Result<(), Failure> {
    if req.device_id != who.device_id {
        return Err(Failure::new(
            403,
            "forged_device",
            format!("this token belongs to device {}, but the batch says it comes from device {}", who.device_id, req.device_id),
        ));
    }
    if req.changes.len() > MAX_BATCH {
        return Err(Failure::new(
            413,
            "too_large",
            format!("a push carries at most {MAX_BATCH} changes; this one has {}", req.changes.len()),
        ));
    }
    let mut seen = HashSet::new();
    for (i, c) in req.changes.iter().enumerate() {
        rep::validate(c, &who.device_id).map_err(|e| {
            let code = if e.contains("stamped by device") { "forged_device" } else { "bad_batch" };
            Failure::new(if code == "forged_device" { 403 } else { 400 }, code, format!("change #{}: {e}", i + 1))
        })?;
        if !seen.insert(c.change_id.as_str()) {
            return Err(Failure::new(400, "bad_batch", format!("change #{}: change id {} appears twice in the batch", i + 1, c.change_id)));
        }
    }
    Ok(())
}

pub async fn push(db: &Db, who: &Identity, req: PushRequest, epoch: Option<&str>, metrics: &Metrics) -> Result<PushResponse, Failure> {
    check_batch(who, &req)?;
    push_at(db, who, req.changes, epoch, Some(metrics)).await
}

/// The answer to a desktop that last saw another epoch: the server went back in time (restored
/// from a backup), and the desktop's cursors no longer mean what it thinks.
fn restored() -> Failure {
    Failure::new(
        409,
        rep::SERVER_RESTORED,
        "this agency server was restored from a backup since this desktop last synced; the desktop sends its changes and reads everything again",
    )
}

pub(crate) fn fresh_epoch() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Give the server a new epoch: every desktop's next push or pull is answered
/// [`rep::SERVER_RESTORED`], and it sends and reads everything again. Part of restoring a backup
/// (`admin restore`, or `admin restored` after restoring a PostgreSQL dump).
pub async fn new_epoch(db: &Db) -> anyhow::Result<String> {
    let epoch = fresh_epoch();
    sqlx::query("UPDATE counter SET epoch = $1 WHERE id = 1").bind(epoch.clone()).execute(&db.pool).await?;
    Ok(epoch)
}

struct AuditRow {
    seq: i64,
    change_id: String,
    entity: String,
    entity_id: String,
    op: &'static str,
    fields: String,
    prev_hash: String,
    hash: String,
}

/// An audit entry's hash: SHA-256 (hex) of the previous entry's hash (64 zeros for the first),
/// the sequence number, time, user, device, entity, record id, operation and fields text, joined
/// by newlines. Public, and in the README, so an inspector can check an exported log alone.
#[allow(clippy::too_many_arguments)]
pub fn audit_hash(prev: &str, seq: i64, at: &str, user: &str, device: &str, entity: &str, id: &str, op: &str, fields: &str) -> String {
    let mut h = Sha256::new();
    h.update(format!("{prev}\n{seq}\n{at}\n{user}\n{device}\n{entity}\n{id}\n{op}\n{fields}").as_bytes());
    hex::encode(h.finalize())
}

/// Which of `actions` the server has, and the offices with a say on each: one query for both,
/// since a batch of child records can name two thousand actions and this runs in the push's turn.
async fn load_actions(
    kind: db::Kind,
    conn: &mut sqlx::AnyConnection,
    actions: &[String],
) -> Result<(HashSet<String>, HashMap<String, ActionAccess>), Failure> {
    let (mut here, mut access): (HashSet<String>, HashMap<String, ActionAccess>) = Default::default();
    let answer = db::json_rows(kind, "r.entity_id, a.office_id, a.role");
    for chunk in actions.chunks(1000) {
        let sql = format!(
            "SELECT {answer} FROM records r LEFT JOIN access a ON a.action_id = r.entity_id WHERE r.entity_id IN ({})",
            params(kind, 1, chunk.len())
        );
        let mut q = sqlx::query_scalar::<_, String>(&sql);
        for a in chunk {
            q = q.bind(a);
        }
        let json = q.fetch_one(&mut *conn).await?;
        let found: Vec<(String, Option<String>, Option<String>)> = serde_json::from_str(&json).map_err(anyhow::Error::from)?;
        for (a, o, role) in found {
            here.insert(a.clone());
            let (Some(o), Some(role)) = (o, role) else { continue };
            let e = access.entry(a).or_default();
            if role == "issuer" {
                e.issuer_office = Some(o);
            } else {
                e.assignees.push((o, role));
            }
        }
    }
    Ok((here, access))
}

/// Remember a refused change's stamp per field (see `push_changes`).
fn note_refused(map: &mut HashMap<(String, String, String), Option<String>>, c: &Change) {
    let fields: Vec<&String> = if c.op == Op::Delete { c.base.keys().collect() } else { c.fields.keys().collect() };
    for f in fields {
        map.insert((c.entity_id.clone(), f.clone(), c.hlc.clone()), c.base.get(f).cloned());
    }
}

/// Give every record of `actions` a new sequence number after `seq`, action by action, parents
/// before children, so that an office that has just gained sight of an action receives the
/// whole of it on its next pull. Records of this push (in `recs`) are renumbered in memory and
/// saved with it; the others only have their number changed here. Returns the last number.
async fn renumber_actions(
    kind: db::Kind,
    conn: &mut sqlx::AnyConnection,
    actions: &[String],
    recs: &mut HashMap<String, Rec>,
    dirty: &mut BTreeSet<String>,
    mut seq: i64,
) -> Result<i64, Failure> {
    if actions.is_empty() {
        return Ok(seq);
    }
    let position: HashMap<&str, usize> = actions.iter().enumerate().map(|(i, a)| (a.as_str(), i)).collect();
    let table = |entity: &str| REPLICATED.iter().position(|t| *t == entity).unwrap_or(usize::MAX);
    // (action's place, table's place, old number, id)
    let mut all: Vec<(usize, usize, i64, String)> = vec![];
    // One JSON text per 1,000 actions, not a row per record: a first sync that brings an
    // action's assignments after the action renumbers nearly every action.
    let answer = db::json_rows(kind, "entity_id, entity, action_id, seq");
    for chunk in actions.chunks(1000) {
        let sql = format!("SELECT {answer} FROM records WHERE action_id IN ({})", params(kind, 1, chunk.len()));
        let mut q = sqlx::query_scalar::<_, String>(&sql);
        for a in chunk {
            q = q.bind(a);
        }
        let json = q.fetch_one(&mut *conn).await?;
        let found: Vec<(String, String, String, i64)> = serde_json::from_str(&json).map_err(anyhow::Error::from)?;
        for (id, entity, action, old) in found {
            if !recs.contains_key(&id) {
                all.push((position[action.as_str()], table(&entity), old, id));
            }
        }
    }
    for r in recs.values() {
        if let Some(p) = r.action_id.as_deref().and_then(|a| position.get(a)) {
            all.push((*p, table(&r.entity), r.seq, r.entity_id.clone()));
        }
    }
    all.sort();
    let mut moved: Vec<(String, i64)> = vec![];
    for (_, _, _, id) in all {
        seq += 1;
        match recs.get_mut(&id) {
            Some(r) => {
                r.seq = seq;
                dirty.insert(id);
            }
            None => moved.push((id, seq)),
        }
    }
    for chunk in moved.chunks(300) {
        let n = chunk.len();
        let p = |i: usize| if kind == db::Kind::Sqlite { "?".to_string() } else { format!("${i}") };
        let cases: String = (0..n).map(|i| format!(" WHEN {} THEN {}", p(2 * i + 1), p(2 * i + 2))).collect();
        let sql = format!("UPDATE records SET seq = CASE entity_id{cases} END WHERE entity_id IN ({})", params(kind, 2 * n + 1, n));
        let mut q = sqlx::query(&sql);
        for (id, s) in chunk {
            q = q.bind(id.clone()).bind(*s);
        }
        for (id, _) in chunk {
            q = q.bind(id.clone());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(seq)
}

fn op_word(op: Op) -> &'static str {
    match op {
        Op::Create => "create",
        Op::Update => "update",
        Op::Delete => "delete",
    }
}

/// Merge changes as `who` (already checked by [`check_batch`], or made by the server itself).
pub async fn push_changes(db: &Db, who: &Identity, changes: Vec<Change>, metrics: Option<&Metrics>) -> Result<PushResponse, Failure> {
    push_at(db, who, changes, None, metrics).await
}

/// [`push_changes`] from a desktop that last saw `epoch` (none: it has not synced yet, or
/// predates epochs).
async fn push_at(
    db: &Db,
    who: &Identity,
    changes: Vec<Change>,
    epoch: Option<&str>,
    metrics: Option<&Metrics>,
) -> Result<PushResponse, Failure> {
    let caller = caller(who);
    // What depends on the changes alone is done before this push's turn, while another push
    // may be writing: each change's fields as JSON (its audit entry, and the record it creates)
    // and whether a created record is valid.
    let prepared: Vec<(String, Option<Result<(), String>>)> = changes
        .iter()
        .map(|c| {
            let json = serde_json::to_string(&c.fields).map_err(anyhow::Error::from)?;
            Ok((json, (c.op == Op::Create).then(|| rep::check_record(&c.entity, &c.fields))))
        })
        .collect::<Result<_, Failure>>()?;
    let waiting = std::time::Instant::now();
    let turn = db.push_turn().await;
    let mut tx = db.pool.begin().await?;
    // Take the counter row first: this serialises pushes (see the module docs in db.rs).
    sqlx::query("UPDATE counter SET seq = seq WHERE id = 1").execute(&mut *tx).await?;
    let turn_began = std::time::Instant::now();
    let row = sqlx::query("SELECT seq, audit_seq, audit_hash, refusal_id, epoch FROM counter WHERE id = 1").fetch_one(&mut *tx).await?;
    let (mut seq, mut audit_seq, mut head, mut refusal_id): (i64, i64, String, i64) =
        (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?);
    let server_epoch: String = row.try_get(4)?;
    if epoch.is_some_and(|e| e != server_epoch) {
        return Err(restored());
    }
    let mut dups: HashSet<String> = HashSet::new();
    for chunk in changes.chunks(1000) {
        let sql = format!("SELECT change_id FROM audit WHERE change_id IN ({})", params(db.kind, 1, chunk.len()));
        let mut q = sqlx::query_scalar::<_, String>(&sql);
        for c in chunk {
            q = q.bind(c.change_id.clone());
        }
        dups.extend(q.fetch_all(&mut *tx).await?);
    }
    // The records these changes touch, and the actions they belong to.
    let ids: Vec<String> = changes.iter().map(|c| c.entity_id.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let mut recs = load_records(db.kind, &mut tx, &ids).await?;
    let mut action_ids: BTreeSet<String> = BTreeSet::new();
    for c in &changes {
        let a = match recs.get(&c.entity_id) {
            Some(r) => r.action_id.clone(),
            None => rep::action_of(&c.entity, &c.entity_id, &c.fields).map(|a| a.to_string()),
        };
        action_ids.extend(a);
    }
    let action_ids: Vec<String> = action_ids.into_iter().collect();
    // Which of those actions the server already has, and their offices. Only that matters here
    // (a child record needs its action on the server), so their records are not loaded: a batch
    // of children can name two thousand actions.
    // An action among this push's own records was looked up with them: one not found is new,
    // and a new action has no offices yet (access rows are only written beside its record).
    let in_push: HashSet<&str> = ids.iter().map(String::as_str).collect();
    let new_action = |a: &String| in_push.contains(a.as_str()) && !recs.contains_key(a.as_str());
    let known: Vec<String> = action_ids.iter().filter(|a| !new_action(a)).cloned().collect();
    // `known` includes the actions loaded with this push's records, so they are found here too.
    let (actions_here, mut access) = load_actions(db.kind, &mut tx, &known).await?;
    let at = now_text();
    let mut resp = PushResponse::default();
    let mut dirty: BTreeSet<String> = BTreeSet::new();
    let mut audits: Vec<AuditRow> = vec![];
    let mut grants: Vec<(String, String, String)> = vec![];
    // Actions an office gained sight of, in the order it did.
    let (mut renumber, mut renumber_set): (Vec<String>, HashSet<String>) = (vec![], HashSet::new());
    let mut refusals: Vec<(i64, Refusal)> = vec![];
    let mut blob_refs: Vec<(String, String)> = vec![];
    // Stamps of refused changes, per record and field, with the base each of them had: a later
    // change in the same push that was based on a refused one is judged against what the device
    // had seen before it.
    let mut refused_stamps: HashMap<(String, String, String), Option<String>> = HashMap::new();
    for (mut c, (fields_json, create_check)) in changes.into_iter().zip(prepared) {
        for (f, b) in c.base.iter_mut() {
            while let Some(earlier) = refused_stamps.get(&(c.entity_id.clone(), f.clone(), b.clone())) {
                match earlier {
                    Some(e) => *b = e.clone(),
                    None => break,
                }
            }
        }
        if dups.contains(&c.change_id) {
            resp.duplicate.push(c.change_id);
            continue;
        }
        let current = recs.get(&c.entity_id);
        let refuse =
            |reason: String| Refusal { change_id: c.change_id.clone(), entity: c.entity.clone(), entity_id: c.entity_id.clone(), reason };
        if let Some(cur) = current.filter(|r| r.entity != c.entity) {
            refusal_id += 1;
            refusals.push((refusal_id, refuse(format!("record {} is a {} record, not {}", c.entity_id, cur.entity, c.entity))));
            note_refused(&mut refused_stamps, &c);
            continue;
        }
        if current.is_none() && c.op != Op::Create {
            refusal_id += 1;
            refusals.push((refusal_id, refuse(format!("the server has no {} record {} to change", c.entity, c.entity_id))));
            note_refused(&mut refused_stamps, &c);
            continue;
        }
        let action_id = match current {
            Some(r) => r.action_id.clone(),
            None => rep::action_of(&c.entity, &c.entity_id, &c.fields).map(|a| a.to_string()),
        };
        // The offices of the action this record belongs to; `None` when that action is not here.
        let acc = action_id
            .as_ref()
            .filter(|a| actions_here.contains(a.as_str()) || recs.contains_key(a.as_str()))
            .map(|a| access.get(a).cloned().unwrap_or_default());
        let rule = rep::authorize(&caller, &c, current.map(|r| &r.stored.data), acc.as_ref());
        if let Err(reason) = rule {
            refusal_id += 1;
            refusals.push((refusal_id, refuse(reason)));
            note_refused(&mut refused_stamps, &c);
            continue;
        }
        let merged = rep::merge(current.map(|r| &r.stored), &c, action_id.as_ref().and_then(|a| a.parse().ok()));
        // A create of a record the server lacks makes the record its fields, checked already.
        let fresh = current.is_none() && c.op == Op::Create;
        if merged.state.deleted.is_none() {
            let check = match create_check {
                Some(checked) if fresh => checked,
                _ => rep::check_record(&c.entity, &merged.state.data),
            };
            if let Err(e) = check {
                refusal_id += 1;
                refusals.push((refusal_id, refuse(e)));
                note_refused(&mut refused_stamps, &c);
                continue;
            }
        }
        let creator_office = match current {
            Some(r) => r.creator_office.clone(),
            None => who.office_id.clone(),
        };
        let deleted = merged.state.deleted.is_some();
        // What the access and attachment bookkeeping below needs of the merged record.
        let text = |k: &str| merged.state.data.get(k).and_then(Value::as_str).map(str::to_string);
        let (sha, office, role) = match c.entity.as_str() {
            "documents" => (text("sha256"), None, None),
            "assignments" => (None, text("office_id"), text("role")),
            _ => (None, None, None),
        };
        if merged.changed {
            seq += 1;
            recs.insert(
                c.entity_id.clone(),
                Rec {
                    entity: c.entity.clone(),
                    entity_id: c.entity_id.clone(),
                    action_id: action_id.clone(),
                    stored: merged.state,
                    seq,
                    creator_office,
                    data_json: fresh.then(|| fields_json.clone()),
                },
            );
            dirty.insert(c.entity_id.clone());
        }
        for conflict in merged.conflicts {
            let cid = conflict.id.to_string();
            let known = recs.contains_key(&cid)
                || sqlx::query_scalar::<_, String>("SELECT entity_id FROM records WHERE entity_id = $1")
                    .bind(&cid)
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_some();
            if known {
                continue;
            }
            seq += 1;
            let data = serde_json::to_value(&conflict).map_err(anyhow::Error::from)?.as_object().cloned().unwrap_or_default();
            recs.insert(
                cid.clone(),
                Rec {
                    entity: CONFLICTS.into(),
                    entity_id: cid.clone(),
                    action_id: action_id.clone(),
                    stored: Stored { data, clocks: Clocks::new(&conflict.lost_hlc), deleted: None },
                    seq,
                    creator_office: None,
                    data_json: None,
                },
            );
            dirty.insert(cid);
            resp.conflicts += 1;
        }
        // Who may see the action from now on.
        let mut grant = Vec::new();
        if c.entity == "actions" && c.op == Op::Create {
            if let Some(o) = &who.office_id {
                grant.push((c.entity_id.clone(), o.clone(), "issuer".to_string()));
            }
        }
        if c.entity == "documents" && !deleted {
            if let (Some(a), Some(sha)) = (&action_id, sha) {
                blob_refs.push((sha, a.clone()));
            }
        }
        if c.entity == "assignments" && !deleted {
            if let (Some(a), Some(o), Some(r)) = (&action_id, office, role) {
                grant.push((a.clone(), o, r));
            }
        }
        for (a, o, r) in grant {
            let e = access.entry(a.clone()).or_default();
            let had_any = e.issuer_office.as_deref() == Some(o.as_str()) || e.assignees.iter().any(|(x, _)| *x == o);
            let has_this =
                if r == "issuer" { e.issuer_office.as_deref() == Some(o.as_str()) } else { e.assignees.contains(&(o.clone(), r.clone())) };
            if has_this {
                continue;
            }
            if r == "issuer" {
                e.issuer_office = Some(o.clone());
            } else {
                e.assignees.push((o.clone(), r.clone()));
            }
            // The office's next pull must bring the whole action: its records get new numbers
            // at the end of the push. (An action new in this push is numbered in it already.)
            if !had_any && actions_here.contains(a.as_str()) && renumber_set.insert(a.clone()) {
                renumber.push(a.clone());
            }
            grants.push((a, o, r));
        }
        audit_seq += 1;
        let fields = fields_json;
        let op = op_word(c.op);
        let hash = audit_hash(&head, audit_seq, &at, &who.username, &who.device_id, &c.entity, &c.entity_id, op, &fields);
        audits.push(AuditRow {
            seq: audit_seq,
            change_id: c.change_id.clone(),
            entity: c.entity.clone(),
            entity_id: c.entity_id.clone(),
            op,
            fields,
            prev_hash: std::mem::replace(&mut head, hash.clone()),
            hash,
        });
        resp.accepted.push(c.change_id);
    }
    seq = renumber_actions(db.kind, &mut tx, &renumber, &mut recs, &mut dirty, seq).await?;
    // Write everything back.
    let mut to_save: Vec<&Rec> = dirty.iter().filter_map(|id| recs.get(id)).collect();
    to_save.sort_by_key(|r| r.seq);
    db::save_records(db.kind, &mut tx, &to_save).await?;
    db::execute_all(&mut tx, audits.chunks(400), |chunk| {
        let sql = format!(
            "INSERT INTO audit(seq, change_id, at, username, device_id, entity, entity_id, op, fields, prev_hash, hash) VALUES {}",
            rows(db.kind, chunk.len(), 11)
        );
        let mut args = sqlx::any::AnyArguments::default();
        for a in chunk {
            db::add(&mut args, a.seq)?;
            db::add(&mut args, a.change_id.clone())?;
            db::add(&mut args, at.clone())?;
            db::add(&mut args, who.username.clone())?;
            db::add(&mut args, who.device_id.clone())?;
            db::add(&mut args, a.entity.clone())?;
            db::add(&mut args, a.entity_id.clone())?;
            db::add(&mut args, a.op)?;
            db::add(&mut args, a.fields.clone())?;
            db::add(&mut args, a.prev_hash.clone())?;
            db::add(&mut args, a.hash.clone())?;
        }
        Ok((sql, args))
    })
    .await?;
    for chunk in grants.chunks(500) {
        let sql = format!("INSERT INTO access(action_id, office_id, role) VALUES {} ON CONFLICT DO NOTHING", rows(db.kind, chunk.len(), 3));
        let mut q = sqlx::query(&sql);
        for (a, o, r) in chunk {
            q = q.bind(a.clone()).bind(o.clone()).bind(r.clone());
        }
        q.execute(&mut *tx).await?;
    }
    for (sha, a) in &blob_refs {
        sqlx::query("INSERT INTO blob_refs(sha256, action_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(sha.clone())
            .bind(a.clone())
            .execute(&mut *tx)
            .await?;
    }
    for (id, r) in &refusals {
        sqlx::query(
            "INSERT INTO refusals(id, change_id, at, username, device_id, entity, entity_id, reason) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
        )
        .bind(*id)
        .bind(r.change_id.clone())
        .bind(at.clone())
        .bind(who.username.clone())
        .bind(who.device_id.clone())
        .bind(r.entity.clone())
        .bind(r.entity_id.clone())
        .bind(r.reason.clone())
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("UPDATE counter SET seq = $1, audit_seq = $2, audit_hash = $3, refusal_id = $4 WHERE id = 1")
        .bind(seq)
        .bind(audit_seq)
        .bind(head.clone())
        .bind(refusal_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE devices SET last_seen = $1 WHERE device_id = $2")
        .bind(at.clone())
        .bind(who.device_id.clone())
        .execute(&mut *tx)
        .await?;
    // What a refused change's device should put back: the server's record, if it may see it.
    let mut restore_ids = HashSet::new();
    for (_, r) in &refusals {
        if let Some(rec) = recs.get(&r.entity_id) {
            let acc = rec.action_id.as_ref().map(|a| access.get(a).cloned().unwrap_or_default());
            if rep::can_see(&caller, acc.as_ref()) && restore_ids.insert(rec.entity_id.clone()) {
                resp.restore.push(rec.state());
            }
        }
    }
    tx.commit().await?;
    drop(turn);
    // After the turn: the mark only ever rises (`HighWater::note`), so pushes may note in any order.
    db.note_counter(seq);
    let (wait, held) = (turn_began - waiting, turn_began.elapsed());
    db.after_write();
    resp.refused = refusals.into_iter().map(|(_, r)| r).collect();
    if let Some(m) = metrics {
        Metrics::add(&m.push_wait_us, wait.as_micros() as u64);
        Metrics::add(&m.push_turn_us, held.as_micros() as u64);
        Metrics::add(&m.pushes, 1);
        Metrics::add(&m.changes_accepted, resp.accepted.len() as u64);
        Metrics::add(&m.changes_duplicate, resp.duplicate.len() as u64);
        Metrics::add(&m.changes_refused, resp.refused.len() as u64);
        Metrics::add(&m.conflicts, resp.conflicts);
    }
    tracing::info!(
        user = %who.username,
        device = %who.device_id,
        accepted = resp.accepted.len(),
        duplicate = resp.duplicate.len(),
        refused = resp.refused.len(),
        conflicts = resp.conflicts,
        wait_ms = wait.as_millis() as u64,
        turn_ms = held.as_millis() as u64,
        "push"
    );
    for r in &resp.refused {
        tracing::info!(user = %who.username, device = %who.device_id, entity = %r.entity, id = %r.entity_id, reason = %r.reason, "change refused");
    }
    Ok(resp)
}

/// A record as a pull sends it: the JSON shape of [`rep::RecordState`], which the desktop reads,
/// with `data` and `clocks` passed on as stored (checked to be JSON, not parsed into values and
/// written out again: a first sync sends a hundred thousand).
#[derive(serde::Serialize)]
pub struct PulledRecord {
    pub seq: i64,
    pub entity: String,
    pub entity_id: String,
    pub action_id: Option<String>,
    pub data: Box<RawValue>,
    pub clocks: Box<RawValue>,
    pub deleted: Option<String>,
}

/// [`rep::PullResponse`] as the server sends it (records as [`PulledRecord`]).
#[derive(serde::Serialize)]
pub struct PullAnswer {
    pub records: Vec<PulledRecord>,
    pub cursor: i64,
    pub more: bool,
    pub remaining: i64,
    pub epoch: String,
}

fn pulled_record(r: &sqlx::any::AnyRow) -> anyhow::Result<PulledRecord> {
    let raw = |col: &str| -> anyhow::Result<Box<RawValue>> { Ok(RawValue::from_string(r.try_get::<String, _>(col)?)?) };
    Ok(PulledRecord {
        seq: r.try_get("seq")?,
        entity: r.try_get("entity")?,
        entity_id: r.try_get("entity_id")?,
        action_id: r.try_get("action_id")?,
        data: raw("data")?,
        clocks: raw("clocks")?,
        deleted: r.try_get("deleted")?,
    })
}

/// Records after `since` that `who` may see, oldest first, at most `limit`.
pub async fn pull(
    db: &Db,
    who: &Identity,
    since: i64,
    limit: usize,
    epoch: Option<&str>,
    metrics: &Metrics,
) -> Result<PullAnswer, Failure> {
    let limit = limit.clamp(1, MAX_BATCH);
    let mut conn = db.pool.acquire().await?;
    // Everything at or below `top` is committed (the counter row is written last in a push).
    let row = sqlx::query("SELECT seq, epoch FROM counter WHERE id = 1").fetch_one(&mut *conn).await?;
    let (top, server_epoch): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
    if epoch.is_some_and(|e| e != server_epoch) {
        return Err(restored());
    }
    // A cursor past the counter is one this server never gave. It is refused, and nothing
    // changes for anyone else: whether the server went back in time it decides from its own
    // evidence (`Db::check_continuity`), never from one device's say-so. The desktop that sent
    // it reads everything again.
    if since > top {
        tracing::warn!(device = %who.device_id, since, top, "a pull cursor is past the counter; refused");
        return Err(Failure::new(
            409,
            rep::CURSOR_AHEAD,
            format!("the pull cursor {since} is past this server's counter ({top}); it was not given by this server. Read everything again from 0"),
        ));
    }
    if since < 0 {
        return Err(Failure::new(400, "bad_request", format!("the pull cursor must be 0 or more, not {since}")));
    }
    // A record whose every value carries this device's own stamp is already on the device (as
    // it is, or edited since): sending it back would only cost the first sync time.
    let rows = if who.role.sees_all() {
        let sql = format!(
            "SELECT {REC_COLS} FROM records WHERE seq > $1 AND seq <= $2 AND (sole_device IS NULL OR sole_device <> $3) \
             ORDER BY seq LIMIT $4"
        );
        sqlx::query(&sql).bind(since).bind(top).bind(who.device_id.clone()).bind(limit as i64 + 1).fetch_all(&mut *conn).await?
    } else {
        let office = who.office_id.clone().unwrap_or_default();
        let sql = format!(
            "SELECT {REC_COLS} FROM records WHERE seq > $1 AND seq <= $2 AND (sole_device IS NULL OR sole_device <> $3) AND \
             (action_id IS NULL OR action_id IN (SELECT action_id FROM access WHERE office_id = $4)) ORDER BY seq LIMIT $5"
        );
        sqlx::query(&sql)
            .bind(since)
            .bind(top)
            .bind(who.device_id.clone())
            .bind(office)
            .bind(limit as i64 + 1)
            .fetch_all(&mut *conn)
            .await?
    };
    let more = rows.len() > limit;
    let mut records = Vec::with_capacity(rows.len().min(limit));
    let mut last = since;
    for r in rows.iter().take(limit) {
        let record = pulled_record(r).map_err(Failure::from)?;
        last = record.seq;
        records.push(record);
    }
    let cursor = if more { last } else { top };
    Metrics::add(&metrics.pulls, 1);
    Metrics::add(&metrics.records_pulled, records.len() as u64);
    Ok(PullAnswer { records, cursor, more, remaining: (top - cursor).max(0), epoch: server_epoch })
}

/// One entry of the server's audit log, as `admin export-audit` writes it (a JSON line each).
/// `fields` is the exact JSON text the hash covers (a string, so that re-encoding cannot change it).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub change_id: String,
    pub at: String,
    pub user: String,
    pub device: String,
    pub entity: String,
    pub entity_id: String,
    pub op: String,
    pub fields: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    /// Whether the entry's contents give its hash.
    pub fn hash_matches(&self) -> bool {
        audit_hash(&self.prev_hash, self.seq, &self.at, &self.user, &self.device, &self.entity, &self.entity_id, &self.op, &self.fields)
            == self.hash
    }
}

/// The audit log from the first entry at or after `since` (an RFC 3339 time or a prefix of one,
/// such as a date), oldest first, a page at a time: a log of millions of entries is never held
/// whole.
pub async fn audit_entries(db: &Db, since: &str, mut each: impl FnMut(AuditEntry) -> anyhow::Result<()>) -> anyhow::Result<()> {
    let mut after = i64::MIN;
    loop {
        let rows = sqlx::query(
            "SELECT seq, change_id, at, username, device_id, entity, entity_id, op, fields, prev_hash, hash FROM audit \
             WHERE seq > $1 AND at >= $2 ORDER BY seq LIMIT 5000",
        )
        .bind(after)
        .bind(since.to_string())
        .fetch_all(&db.pool)
        .await?;
        let Some(last) = rows.last() else { return Ok(()) };
        after = last.try_get(0)?;
        for r in &rows {
            each(AuditEntry {
                seq: r.try_get(0)?,
                change_id: r.try_get(1)?,
                at: r.try_get(2)?,
                user: r.try_get(3)?,
                device: r.try_get(4)?,
                entity: r.try_get(5)?,
                entity_id: r.try_get(6)?,
                op: r.try_get(7)?,
                fields: r.try_get(8)?,
                prev_hash: r.try_get(9)?,
                hash: r.try_get(10)?,
            })?;
        }
    }
}

/// Re-check the server's audit chain. Returns the number of entries, or the first bad one.
pub async fn verify_audit(db: &Db) -> anyhow::Result<Result<u64, String>> {
    let mut prev = "0".repeat(64);
    let mut n = 0u64;
    let mut bad = None;
    audit_entries(db, "", |e| {
        if bad.is_none() {
            if e.prev_hash != prev {
                bad = Some(format!("entry {}: its previous hash does not match entry {}", e.seq, e.seq - 1));
            } else if !e.hash_matches() {
                bad = Some(format!("entry {}: its contents do not match its hash (edited)", e.seq));
            }
            prev = e.hash;
            n += 1;
        }
        Ok(())
    })
    .await?;
    if let Some(b) = bad {
        return Ok(Err(b));
    }
    let head: String = sqlx::query_scalar("SELECT audit_hash FROM counter WHERE id = 1").fetch_one(&db.pool).await?;
    if head != prev {
        return Ok(Err("the newest entries are missing (the chain ends before the recorded head)".into()));
    }
    Ok(Ok(n))
}

/// A conflict's record (for tests and tools).
pub fn conflict_of(state: &mandate_domain::replication::RecordState) -> Option<Conflict> {
    (state.entity == CONFLICTS).then(|| serde_json::from_value(Value::Object(state.data.clone())).ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mandate_domain::replication::RecordState;

    /// A pull sends [`PulledRecord`] and desktops read [`RecordState`]: the two must have one
    /// JSON shape, field for field (a field added to one and not the other fails here).
    #[test]
    fn a_pulled_record_reads_back_as_the_record_state() {
        let mut clocks = Clocks::new("0000000000001-0000-dev");
        clocks.set("title", "0000000000002-0000-dev");
        let state = RecordState {
            seq: 42,
            entity: "actions".into(),
            entity_id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into(),
            action_id: Some("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into()),
            data: serde_json::json!({"title": "Stand up the \"task force\"", "n": 3}).as_object().cloned().unwrap(),
            clocks,
            deleted: Some("0000000000003-0000-dev".into()),
        };
        let raw = |v: String| RawValue::from_string(v).unwrap();
        let pulled = PulledRecord {
            seq: state.seq,
            entity: state.entity.clone(),
            entity_id: state.entity_id.clone(),
            action_id: state.action_id.clone(),
            data: raw(serde_json::to_string(&state.data).unwrap()),
            clocks: raw(serde_json::to_string(&state.clocks).unwrap()),
            deleted: state.deleted.clone(),
        };
        let sent = serde_json::to_value(&pulled).unwrap();
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&sent), keys(&serde_json::to_value(&state).unwrap()), "the same fields");
        assert_eq!(serde_json::from_value::<RecordState>(sent).unwrap(), state);
    }
}
