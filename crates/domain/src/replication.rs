//! Replication between desktops and the agency server: the types both sides exchange, how two
//! versions of a record merge, and who may change what.
//!
//! Kept here, in the pure crate both the desktop store and `mandate-server` depend on, so the
//! client and the server can never disagree about the wire format, the merge or the rules.
//!
//! **Merge.** A record is a map of fields; each field carries the hybrid-logical-clock stamp of
//! the edit that set it ([`Clocks`]). Two versions merge field by field and the higher stamp wins
//! (stamps end in the device id, so ties cannot happen) — every replica picks the same winner
//! whatever order changes arrive in. Each pushed change also says which stamp each field had when
//! the device edited it (its `base`): if the server's current stamp is different, the device had
//! not seen that value, the two edits were concurrent, and the losing value is kept as a
//! [`Conflict`] record that replicates like any other, for people to review and re-apply.
//! Deletes are tombstones and win over edits; an edit that a delete swallowed is a conflict too.
//!
//! **Authorization** ([`authorize`], [`can_see`]): by office and role, checked by the server on
//! every pushed change and every pulled record.

use crate::{hlc::Hlc, ids::Id};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Path prefix of the HTTP API; bumped when the wire format changes incompatibly.
pub const API_PREFIX: &str = "/v1";
/// Most changes one push may carry, and most records one pull returns.
pub const MAX_BATCH: usize = 10_000;
/// Largest request body the server reads, after decompression.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// Table of the conflict records (replicated like the others, written only by the server).
pub const CONFLICTS: &str = "sync_conflicts";

/// Tables that replicate, parents before children. Saved views and book templates are
/// personal and stay on the desktop.
pub const REPLICATED: &[&str] = &[
    "offices",
    "people",
    "authorities",
    "series",
    "actions",
    "citations",
    "assignments",
    "extensions",
    "risks",
    "impacts",
    "updates",
    "issues",
    "relations",
    "evaluations",
    "documents",
    "transitions",
    CONFLICTS,
];

/// Records that may be deleted (a tombstone replicates). Actions, offices, people and
/// authorities are never deleted: actions are cancelled, the rest are kept for the record.
pub const DELETABLE: &[&str] = &["citations", "risks", "impacts", "issues", "relations", "documents"];

/// A user's role on the agency server.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerRole {
    /// Manages accounts and devices; sees everything.
    Administrator,
    /// Sees everything; the only role that closes actions.
    Executive,
    OfficeLead,
    Staff,
    /// Sees everything, changes nothing.
    Auditor,
}

impl ServerRole {
    pub const ALL: &'static [ServerRole] =
        &[ServerRole::Administrator, ServerRole::Executive, ServerRole::OfficeLead, ServerRole::Staff, ServerRole::Auditor];
    pub fn as_str(self) -> &'static str {
        match self {
            ServerRole::Administrator => "administrator",
            ServerRole::Executive => "executive",
            ServerRole::OfficeLead => "office_lead",
            ServerRole::Staff => "staff",
            ServerRole::Auditor => "auditor",
        }
    }
    /// Sees every action whatever its offices.
    pub fn sees_all(self) -> bool {
        matches!(self, ServerRole::Administrator | ServerRole::Executive | ServerRole::Auditor)
    }
}

impl fmt::Display for ServerRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ServerRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let norm = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        ServerRole::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == norm)
            .ok_or_else(|| format!("`{s}` is not a role; expected one of: administrator, executive, office_lead, staff, auditor"))
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Create,
    Update,
    Delete,
}

/// One entry of a desktop's change log, as pushed.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Unique per change (UUIDv7); a replayed change is recognised by it.
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    pub change_id: String,
    pub entity: String,
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    pub entity_id: String,
    pub op: Op,
    /// A create's whole record, an update's changed fields, nothing for a delete.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub fields: Map<String, Value>,
    /// HLC stamp of the change; its device part must be the pushing device.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^(0[0-9]{14}|[1-9][0-9]{14,18})-(0[0-9]{5}|[1-9][0-9]{5,8})-[A-Za-z0-9_-]{1,64}$"))]
    pub hlc: String,
    /// For each field, the stamp it had on the device when the device changed it (absent when
    /// the device had never seen a value for it). A delete lists every field it saw.
    #[serde(default)]
    pub base: BTreeMap<String, String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Za-z0-9_-]{1,64}$", min_length = 1, max_length = 64))]
    pub device_id: String,
    #[cfg_attr(feature = "openapi", schema(max_items = 10000))]
    pub changes: Vec<Change>,
}

/// A change the server would not take, and why (shown on the desktop, kept there).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Refusal {
    pub change_id: String,
    pub entity: String,
    pub entity_id: String,
    pub reason: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PushResponse {
    pub accepted: Vec<String>,
    /// Already applied earlier (a replayed push): nothing was changed.
    pub duplicate: Vec<String>,
    pub refused: Vec<Refusal>,
    /// The server's state of each record a refused change touched that the device may see, so
    /// the device can put its copy back; a refused record the device may not see is absent.
    pub restore: Vec<RecordState>,
    /// Conflicts recorded while merging this push.
    pub conflicts: u64,
}

/// The request header in which a desktop sends the server epoch it last saw, on pushes and
/// pulls. The epoch is a random id the server changes when it is restored from a backup: a
/// desktop that sends an old one is answered 409 [`SERVER_RESTORED`] instead of having its
/// changes counted as stored and its cursor trusted; it then sends and reads everything again.
pub const EPOCH_HEADER: &str = "x-mandate-epoch";

/// The error code of that answer.
pub const SERVER_RESTORED: &str = "server_restored";

/// The error code (409) of a pull whose cursor is past the server's counter: a cursor this server
/// never gave. The server changes nothing for anyone (one device must not make every desktop
/// start over); the desktop that sent it reads everything again and re-sends its own changes.
/// Whether the server itself went back in time it decides from its own evidence (db.rs).
pub const CURSOR_AHEAD: &str = "cursor_ahead";

/// Stamps of a record's fields: the stamp of its creation, and of every field changed since.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clocks {
    pub created: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

impl Clocks {
    pub fn new(created: &str) -> Clocks {
        Clocks { created: created.to_string(), fields: BTreeMap::new() }
    }
    /// The stamp of one field.
    pub fn of(&self, field: &str) -> &str {
        self.fields.get(field).map(String::as_str).unwrap_or(&self.created)
    }
    pub fn set(&mut self, field: &str, hlc: &str) {
        if hlc == self.created {
            self.fields.remove(field);
        } else {
            self.fields.insert(field.to_string(), hlc.to_string());
        }
    }
    /// The highest stamp anywhere in the record.
    pub fn max(&self) -> &str {
        self.fields.values().map(String::as_str).chain([self.created.as_str()]).max().unwrap_or("")
    }
}

/// A record as the server holds it, sent on pulls.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordState {
    /// Server sequence; the pull cursor is the highest one a device has applied.
    pub seq: i64,
    pub entity: String,
    pub entity_id: String,
    pub action_id: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: Map<String, Value>,
    pub clocks: Clocks,
    /// Stamp of the delete, for a tombstone.
    #[serde(default)]
    pub deleted: Option<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    pub records: Vec<RecordState>,
    /// Pass back as `since` on the next pull.
    pub cursor: i64,
    /// More records are waiting beyond this batch.
    pub more: bool,
    /// At most this many records are left after this batch (for progress bars).
    #[serde(default)]
    pub remaining: i64,
    /// The server's epoch (see [`EPOCH_HEADER`]).
    #[serde(default)]
    pub epoch: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnrolRequest {
    pub code: String,
    /// The desktop's device id (the device part of its clock stamps).
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Za-z0-9_-]{1,64}$", min_length = 1, max_length = 64))]
    pub device_id: String,
    pub device_name: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub username: String,
    pub name: String,
    pub role: ServerRole,
    pub office_code: Option<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnrolResponse {
    pub device_id: String,
    /// Bearer token for this device; shown once, kept in the OS keychain.
    pub token: String,
    pub account: Account,
}

/// Size of one attachment chunk (the last may be shorter); both sides cut and check by it.
pub const CHUNK_BYTES: usize = 1024 * 1024;

/// What the server holds of one attachment.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlobStatus {
    pub sha256: String,
    pub size: u64,
    pub chunks: u32,
    pub complete: bool,
    /// Chunk numbers already there.
    pub have: Vec<u32>,
}

/// Body of every error answer.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    /// Stable machine word (`unauthorized`, `revoked`, `bad_batch`, `too_large`, `rate_limited`…).
    pub code: String,
    /// What was wrong and where, for people.
    pub error: String,
}

/// The losing side of two concurrent edits of one field, or an edit a delete swallowed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    pub id: Id,
    pub action_id: Option<Id>,
    pub entity: String,
    pub entity_id: String,
    pub field: String,
    /// `concurrent_edit` or `deleted`.
    pub kind: String,
    /// The value every replica now has (null when the record was deleted).
    pub kept_value: Value,
    pub kept_hlc: String,
    /// The value that lost, for review and re-applying.
    pub lost_value: Value,
    pub lost_hlc: String,
    /// Set when someone has reviewed it: who, when, and whether they re-applied the lost value.
    #[serde(default)]
    pub resolved: Option<Value>,
}

impl Conflict {
    /// The same lost edit gives the same conflict id on every server run and in any order.
    pub fn id_for(entity_id: &str, field: &str, lost_hlc: &str) -> Id {
        Id::derived(&format!("conflict:{entity_id}:{field}:{lost_hlc}"))
    }
}

/// A record's current state on the server (what [`merge`] works on).
#[derive(Clone, Debug, PartialEq)]
pub struct Stored {
    pub data: Map<String, Value>,
    pub clocks: Clocks,
    pub deleted: Option<String>,
}

/// What merging one change did.
#[derive(Clone, Debug, PartialEq)]
pub struct Merged {
    pub state: Stored,
    /// The record's state changed (a new sequence number is due).
    pub changed: bool,
    pub conflicts: Vec<Conflict>,
}

/// Merge one change into a record's current state (`None`: not seen before).
pub fn merge(current: Option<&Stored>, change: &Change, action_id: Option<Id>) -> Merged {
    let conflict = |field: &str, kind: &str, kept: (&Value, &str), lost: (&Value, &str)| Conflict {
        id: Conflict::id_for(&change.entity_id, field, lost.1),
        action_id,
        entity: change.entity.clone(),
        entity_id: change.entity_id.clone(),
        field: field.to_string(),
        kind: kind.to_string(),
        kept_value: kept.0.clone(),
        kept_hlc: kept.1.to_string(),
        lost_value: lost.0.clone(),
        lost_hlc: lost.1.to_string(),
        resolved: None,
    };
    let Some(cur) = current else {
        let state = Stored {
            data: if change.op == Op::Delete { Map::new() } else { change.fields.clone() },
            clocks: Clocks::new(&change.hlc),
            deleted: (change.op == Op::Delete).then(|| change.hlc.clone()),
        };
        return Merged { state, changed: true, conflicts: vec![] };
    };
    let mut state = cur.clone();
    let mut conflicts = vec![];
    let mut changed = false;
    // A device never conflicts with itself: its later edits came after its earlier ones.
    let device_of = |stamp: &str| Hlc::parse(stamp).map(|h| h.device);
    let mine = device_of(&change.hlc);
    let unseen = |f: &str, stamp: &str| change.base.get(f).map(String::as_str) != Some(stamp) && device_of(stamp) != mine;
    if let Some(deleted_at) = &cur.deleted {
        // Edits of a deleted record are not applied; each edited value is kept as a conflict.
        if change.op != Op::Delete {
            for (f, v) in &change.fields {
                if cur.data.get(f) != Some(v) {
                    conflicts.push(conflict(f, "deleted", (&Value::Null, deleted_at), (v, &change.hlc)));
                }
            }
        }
        return Merged { state, changed, conflicts };
    }
    match change.op {
        Op::Delete => {
            // Every value the deleting device had not seen is lost with the record.
            for (f, v) in &cur.data {
                let stamp = cur.clocks.of(f);
                if unseen(f, stamp) && stamp > cur.clocks.created.as_str() {
                    conflicts.push(conflict(f, "deleted", (&Value::Null, &change.hlc), (v, stamp)));
                }
            }
            state.deleted = Some(change.hlc.clone());
            changed = true;
        }
        Op::Create | Op::Update => {
            for (f, v) in &change.fields {
                let stamp = cur.clocks.of(f).to_string();
                let now = cur.data.get(f).cloned().unwrap_or(Value::Null);
                if &now == v {
                    if change.hlc > stamp {
                        state.clocks.set(f, &change.hlc);
                        changed = true;
                    }
                    continue;
                }
                let concurrent = unseen(f, &stamp);
                if change.hlc > stamp {
                    if concurrent {
                        conflicts.push(conflict(f, "concurrent_edit", (v, &change.hlc), (&now, &stamp)));
                    }
                    state.data.insert(f.clone(), v.clone());
                    state.clocks.set(f, &change.hlc);
                    changed = true;
                } else if concurrent {
                    conflicts.push(conflict(f, "concurrent_edit", (&now, &stamp), (v, &change.hlc)));
                }
            }
        }
    }
    Merged { state, changed, conflicts }
}

/// Merge a record state received from the server into the device's copy, field by field.
/// `pending` holds stamps of the device's own changes not yet pushed: those fields stay as they
/// are until the server has merged them. Returns the merged data and clocks.
pub fn merge_into_local(
    local: Option<(&Map<String, Value>, &Clocks)>,
    remote: &RecordState,
    pending: &BTreeMap<String, String>,
) -> (Map<String, Value>, Clocks) {
    let Some((data, clocks)) = local else {
        return (remote.data.clone(), remote.clocks.clone());
    };
    let mut data = data.clone();
    let mut clocks = clocks.clone();
    for (f, v) in &remote.data {
        let theirs = remote.clocks.of(f);
        let mine = pending.get(f).map(String::as_str).unwrap_or(clocks.of(f));
        if theirs > mine {
            data.insert(f.clone(), v.clone());
            clocks.set(f, theirs);
        }
    }
    (data, clocks)
}

/// Who is asking: a user's role and office (an office record id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub role: ServerRole,
    pub office_id: Option<String>,
}

/// The offices with a say on one action: the one that issued it, and its assignees.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActionAccess {
    pub issuer_office: Option<String>,
    /// (office id, role: `opr` | `ocr` | `info`)
    pub assignees: Vec<(String, String)>,
}

impl ActionAccess {
    fn has(&self, office: &Option<String>, role: &str) -> bool {
        office.as_ref().is_some_and(|o| self.assignees.iter().any(|(a, r)| a == o && r == role))
    }
}

/// May `caller` see the records of an action with this access (`None`: a record that belongs to
/// no action — offices, people, authorities — which everyone sees)?
pub fn can_see(caller: &Caller, access: Option<&ActionAccess>) -> bool {
    let Some(access) = access else { return true };
    if caller.role.sees_all() {
        return true;
    }
    let Some(office) = &caller.office_id else { return false };
    access.issuer_office.as_ref() == Some(office) || access.assignees.iter().any(|(o, _)| o == office)
}

/// May an office see this action, by [`can_see`] — the rule the agency server uses — with
/// the access the action's own file shows (its assignees). Used for a recipient's copy of a
/// briefing book. The issuing office is known only to the server, so an office that issued an
/// action but holds no assignment on it is not shown it here: a copy withholds rather than
/// guesses.
pub fn office_may_see(office_id: Id, file: &crate::model::ActionFile) -> bool {
    let access = ActionAccess {
        issuer_office: None,
        assignees: file.assignments.iter().map(|x| (x.office_id.to_string(), x.role.as_str().to_string())).collect(),
    };
    can_see(&Caller { role: ServerRole::Staff, office_id: Some(office_id.to_string()) }, Some(&access))
}

/// May `caller` make `change`? `current` is the record's current data on the server (for
/// assignments: whose assignment it is); `access` the offices of the action it belongs to.
/// The error says which rule refused it, in words for the desktop to show.
pub fn authorize(
    caller: &Caller,
    change: &Change,
    current: Option<&Map<String, Value>>,
    access: Option<&ActionAccess>,
) -> Result<(), String> {
    let entity = change.entity.as_str();
    if caller.role == ServerRole::Auditor {
        return Err("auditors may read but not change records".into());
    }
    if !REPLICATED.contains(&entity) {
        return Err(format!("`{entity}` is not a kind of record the server keeps"));
    }
    if change.op == Op::Delete && !DELETABLE.contains(&entity) {
        return Err(format!("{entity} are never deleted (cancel or close an action instead)"));
    }
    let exec = matches!(caller.role, ServerRole::Executive | ServerRole::Administrator);
    match entity {
        "offices" if !exec => return Err("only an executive or administrator may add or change offices".into()),
        "series" if !(exec || caller.role == ServerRole::OfficeLead) => {
            return Err("only an executive or an office lead may create or change a recurring series".into())
        }
        "offices" | "people" | "authorities" | "series" => return Ok(()),
        CONFLICTS => {
            if change.op != Op::Update || change.fields.keys().any(|k| k != "resolved") {
                return Err("conflicts are recorded by the server; a desktop may only mark one resolved".into());
            }
            if current.is_some_and(|c| c.get("action_id").is_none_or(Value::is_null)) {
                return Ok(()); // a conflict over an office, person or authority
            }
        }
        // A create of an action the server already has (the same order imported on two
        // desktops) merges like an edit, and is checked like one below.
        "actions" if change.op == Op::Create && access.is_none() => {
            if caller.office_id.is_none() && !exec {
                return Err("a user without an office cannot issue actions".into());
            }
            return Ok(());
        }
        _ => {}
    }
    let Some(access) = access else {
        return Err(format!("the action this {entity} record belongs to is not on the server"));
    };
    if !can_see(caller, Some(access)) {
        return Err("your office is not the OPR, an OCR or an info addressee of this action and did not issue it".into());
    }
    let office = &caller.office_id;
    let opr = access.has(office, "opr");
    let ocr = access.has(office, "ocr");
    let issuer = office.is_some() && access.issuer_office.as_ref() == office.as_ref();
    if !(exec || opr || ocr || issuer) {
        return Err("info addressees may read this action but not change it".into());
    }
    let field = |k: &str| change.fields.get(k);
    let closes = |v: Option<&Value>| v.and_then(Value::as_str) == Some("closed");
    let only_opr = || if opr || exec { Ok(()) } else { Err("only the OPR reports status on an action".to_string()) };
    let only_exec_closes = || {
        if caller.role == ServerRole::Executive {
            Ok(())
        } else {
            Err("only an executive closes an action".to_string())
        }
    };
    match entity {
        "actions" => {
            if closes(field("status")) {
                return only_exec_closes();
            }
            // Lifecycle steps (issue, assign, start, complete) belong to whoever has a say;
            // progress is reported by the OPR alone.
            if field("percent_complete").is_some() && change.op == Op::Update {
                return only_opr();
            }
            Ok(())
        }
        "transitions" if closes(field("to")) => only_exec_closes(),
        "updates" => only_opr(),
        "assignments" if change.op == Op::Update => {
            let cur = current.ok_or("this assignment is not on the server")?;
            let mine = office.is_some() && cur.get("office_id").and_then(Value::as_str) == office.as_deref();
            let role = cur.get("role").and_then(Value::as_str).unwrap_or("");
            if field("concurrence").is_some() && !(mine && role == "ocr") {
                return Err("only the OCR an assignment names may concur or non-concur".into());
            }
            if (field("acknowledged").is_some() || field("delegation").is_some()) && !mine && !exec {
                return Err("only the assigned office acknowledges or delegates its assignment".into());
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// What a desktop knows of the server before its first push: the actions it has (with the
/// offices that have a say on each) and the current data of the records it has, from what this
/// desktop pulled.
#[derive(Clone, Debug, Default)]
pub struct ServerView {
    pub access: BTreeMap<String, ActionAccess>,
    pub records: BTreeMap<String, (String, Map<String, Value>)>,
}

/// Which of `changes` (in push order) the server would refuse `caller`, found by running the
/// server's own [`authorize`] on a copy of what the server would hold as the push goes: an
/// action created gets the caller's office as its issuer, an assignment created adds its
/// office, a refused create leaves nothing for later changes to change. Desktops show this
/// before a workspace used offline pushes for the first time. It is a prediction: the server's
/// decision, made on what it actually holds, is the one that counts.
pub fn predict_refusals(caller: &Caller, changes: &[Change], known: &ServerView) -> Vec<Refusal> {
    let mut access = known.access.clone();
    let mut records = known.records.clone();
    let mut refused = Vec::new();
    for c in changes {
        let refuse =
            |reason: String| Refusal { change_id: c.change_id.clone(), entity: c.entity.clone(), entity_id: c.entity_id.clone(), reason };
        let current = records.get(&c.entity_id);
        if let Some((entity, _)) = current.filter(|(e, _)| *e != c.entity) {
            refused.push(refuse(format!("record {} is a {entity} record, not {}", c.entity_id, c.entity)));
            continue;
        }
        if current.is_none() && c.op != Op::Create {
            refused.push(refuse(format!("the server has no {} record {} to change", c.entity, c.entity_id)));
            continue;
        }
        let action_id = match current {
            Some((_, data)) => action_of(&c.entity, &c.entity_id, data).map(|a| a.to_string()),
            None => action_of(&c.entity, &c.entity_id, &c.fields).map(|a| a.to_string()),
        };
        let acc = action_id.as_ref().filter(|a| access.contains_key(a.as_str())).map(|a| access[a.as_str()].clone());
        if let Err(reason) = authorize(caller, c, current.map(|(_, d)| d), acc.as_ref()) {
            refused.push(refuse(reason));
            continue;
        }
        // Taken: the server now holds the record, and the offices it grants.
        match c.op {
            Op::Delete => {
                records.remove(&c.entity_id);
            }
            _ => {
                let entry = records.entry(c.entity_id.clone()).or_insert_with(|| (c.entity.clone(), Map::new()));
                entry.1.extend(c.fields.clone());
            }
        }
        if c.entity == "actions" && c.op == Op::Create {
            let e = access.entry(c.entity_id.clone()).or_default();
            if e.issuer_office.is_none() {
                e.issuer_office = caller.office_id.clone();
            }
        }
        if c.entity == "assignments" && c.op != Op::Delete {
            let data = &records[&c.entity_id].1;
            let field = |k: &str| data.get(k).and_then(Value::as_str).map(str::to_string);
            if let (Some(a), Some(o), Some(r)) = (field("action_id"), field("office_id"), field("role")) {
                let e = access.entry(a).or_default();
                if !e.assignees.contains(&(o.clone(), r.clone())) {
                    e.assignees.push((o, r));
                }
            }
        }
    }
    refused
}

/// Check a change's shape before anything else looks at it. `device` is the authenticated
/// device: a change stamped by another device is forged.
pub fn validate(change: &Change, device: &str) -> Result<(), String> {
    let at = || format!("change {} ({} {})", change.change_id, change.entity, change.entity_id);
    if uuid::Uuid::parse_str(&change.change_id).is_err() {
        return Err(format!("change id `{}` is not a UUID", change.change_id.chars().take(64).collect::<String>()));
    }
    if change.entity_id.parse::<Id>().is_err() {
        return Err(format!("{}: the record id is not a UUID", at()));
    }
    let Some(hlc) = Hlc::parse(&change.hlc) else {
        return Err(format!("{}: `{}` is not a clock stamp", at(), change.hlc.chars().take(64).collect::<String>()));
    };
    if hlc.device != device {
        return Err(format!("{}: stamped by device `{}`, but this is device `{device}`", at(), hlc.device));
    }
    if hlc.to_string() != change.hlc {
        return Err(format!(
            "{}: the clock stamp `{}` is not written the one way stamps are (zero-padded): `{hlc}`",
            at(),
            change.hlc.chars().take(64).collect::<String>()
        ));
    }
    if change.op == Op::Create && change.fields.get("id").and_then(Value::as_str) != Some(change.entity_id.as_str()) {
        return Err(format!("{}: a created record must carry its own id", at()));
    }
    if change.op != Op::Create && change.fields.contains_key("id") {
        return Err(format!("{}: a record's id never changes", at()));
    }
    Ok(())
}

/// The action a record belongs to: itself for an action, its `action_id` field otherwise.
pub fn action_of(entity: &str, entity_id: &str, data: &Map<String, Value>) -> Option<Id> {
    match entity {
        "actions" => entity_id.parse().ok(),
        "offices" | "people" | "authorities" | "series" => None,
        _ => data.get("action_id").and_then(Value::as_str).and_then(|s| s.parse().ok()),
    }
}

/// Check that a record's merged fields still make a valid record of its kind (hostile or broken
/// clients cannot plant something the desktops would fail to read).
pub fn check_record(entity: &str, data: &Map<String, Value>) -> Result<(), String> {
    use crate::model::*;
    // Read from the borrowed map: a server checks every record of every push.
    fn is<T: serde::de::DeserializeOwned>(data: &Map<String, Value>) -> Result<(), String> {
        T::deserialize(data).map(|_| ()).map_err(|e| e.to_string())
    }
    let r = match entity {
        "offices" => is::<Office>(data),
        "people" => is::<Person>(data),
        "authorities" => is::<Authority>(data),
        "series" => is::<crate::series::Series>(data),
        "actions" => is::<Action>(data),
        "citations" => is::<Citation>(data),
        "assignments" => is::<Assignment>(data),
        "extensions" => is::<ExtensionRequest>(data),
        "risks" => is::<Risk>(data),
        "impacts" => is::<ImpactAssessment>(data),
        "updates" => is::<StatusUpdate>(data),
        "issues" => is::<Issue>(data),
        "relations" => is::<Relation>(data),
        "evaluations" => is::<Evaluation>(data),
        "documents" => is::<Document>(data),
        "transitions" => is::<Transition>(data),
        CONFLICTS => is::<Conflict>(data),
        other => Err(format!("`{other}` is not a kind of record")),
    };
    r.map_err(|e| format!("not a valid {entity} record: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(op: Op, fields: Value, hlc: &str, base: &[(&str, &str)]) -> Change {
        Change {
            change_id: uuid::Uuid::now_v7().to_string(),
            entity: "risks".into(),
            entity_id: Id::from_u128(1).to_string(),
            op,
            fields: fields.as_object().unwrap().clone(),
            hlc: hlc.into(),
            base: base.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
        }
    }

    #[test]
    fn a_stamp_not_zero_padded_is_named_as_such_not_as_another_device() {
        let c = change(Op::Update, json!({"a": 2}), "5-0-dev", &[]);
        let e = validate(&c, "dev").unwrap_err();
        assert!(e.contains("not written the one way") && e.contains("000000000000005-000000-dev"), "{e}");
        assert!(!e.contains("stamped by device"), "{e}");
        let forged = change(Op::Update, json!({"a": 2}), &Hlc { wall_ms: 5, counter: 0, device: "other".into() }.to_string(), &[]);
        assert!(validate(&forged, "dev").unwrap_err().contains("stamped by device `other`, but this is device `dev`"));
        let good = change(Op::Update, json!({"a": 2}), &Hlc { wall_ms: 5, counter: 0, device: "dev".into() }.to_string(), &[]);
        assert!(validate(&good, "dev").is_ok());
    }

    fn start() -> Stored {
        merge(None, &change(Op::Create, json!({"a": 1, "b": 1}), "1-0-x", &[]), None).state
    }

    #[test]
    fn different_fields_both_survive_in_either_order() {
        let a = change(Op::Update, json!({"a": 2}), "5-0-A", &[("a", "1-0-x")]);
        let b = change(Op::Update, json!({"b": 3}), "4-0-B", &[("b", "1-0-x")]);
        let ab = merge(Some(&merge(Some(&start()), &a, None).state), &b, None);
        let ba = merge(Some(&merge(Some(&start()), &b, None).state), &a, None);
        assert_eq!(ab.state, ba.state);
        assert_eq!(ab.state.data, *json!({"a": 2, "b": 3}).as_object().unwrap());
        assert!(ab.conflicts.is_empty());
    }

    #[test]
    fn same_field_higher_stamp_wins_and_loser_is_a_conflict_in_either_order() {
        let a = change(Op::Update, json!({"a": "A"}), "5-0-A", &[("a", "1-0-x")]);
        let b = change(Op::Update, json!({"a": "B"}), "4-0-B", &[("a", "1-0-x")]);
        let m1 = merge(Some(&start()), &a, None);
        let ab = merge(Some(&m1.state), &b, None);
        let m2 = merge(Some(&start()), &b, None);
        let ba = merge(Some(&m2.state), &a, None);
        assert_eq!(ab.state, ba.state);
        assert_eq!(ab.state.data["a"], json!("A"));
        assert_eq!(ab.conflicts.len(), 1);
        assert_eq!(ab.conflicts, ba.conflicts);
        assert_eq!(ab.conflicts[0].lost_value, json!("B"));
    }

    #[test]
    fn an_edit_made_after_seeing_the_other_is_no_conflict() {
        let a = change(Op::Update, json!({"a": "A"}), "5-0-A", &[("a", "1-0-x")]);
        let b = change(Op::Update, json!({"a": "B"}), "6-0-B", &[("a", "5-0-A")]);
        let m = merge(Some(&merge(Some(&start()), &a, None).state), &b, None);
        assert!(m.conflicts.is_empty());
        assert_eq!(m.state.data["a"], json!("B"));
    }

    #[test]
    fn delete_wins_and_the_swallowed_edit_is_the_same_conflict_in_either_order() {
        let del = change(Op::Delete, json!({}), "5-0-A", &[("a", "1-0-x"), ("b", "1-0-x")]);
        let edit = change(Op::Update, json!({"a": "B"}), "4-0-B", &[("a", "1-0-x")]);
        let de = merge(Some(&merge(Some(&start()), &del, None).state), &edit, None);
        let ed = merge(Some(&merge(Some(&start()), &edit, None).state), &del, None);
        assert!(de.state.deleted.is_some() && ed.state.deleted.is_some());
        assert_eq!(de.conflicts.len(), 1);
        assert_eq!(de.conflicts[0].id, ed.conflicts[0].id);
        assert_eq!(de.conflicts[0].lost_value, json!("B"));
    }

    #[test]
    fn a_device_never_conflicts_with_itself() {
        // Its earlier edit of the field was refused, so its base names a stamp the server never
        // took; the server holds the device's own older value.
        let a1 = change(Op::Update, json!({"a": "first"}), "2-0-A", &[("a", "1-0-x")]);
        let a2 = change(Op::Update, json!({"a": "third"}), "4-0-A", &[("a", "3-0-A")]);
        let m = merge(Some(&merge(Some(&start()), &a1, None).state), &a2, None);
        assert!(m.conflicts.is_empty());
        assert_eq!(m.state.data["a"], json!("third"));
    }

    #[test]
    fn replaying_a_change_changes_nothing() {
        let a = change(Op::Update, json!({"a": "A"}), "5-0-A", &[("a", "1-0-x")]);
        let once = merge(Some(&start()), &a, None);
        let twice = merge(Some(&once.state), &a, None);
        assert!(!twice.changed);
        assert_eq!(once.state, twice.state);
    }

    #[test]
    fn local_pending_edits_hold_until_pushed() {
        let remote = RecordState {
            seq: 1,
            entity: "risks".into(),
            entity_id: "x".into(),
            action_id: None,
            data: json!({"a": "server", "b": "server"}).as_object().unwrap().clone(),
            clocks: Clocks { created: "1-0-x".into(), fields: [("a".into(), "3-0-y".into()), ("b".into(), "3-0-y".into())].into() },
            deleted: None,
        };
        let local = json!({"a": "old", "b": "mine"}).as_object().unwrap().clone();
        let pending = [("b".to_string(), "2-0-me".to_string())].into();
        let (d, _) = merge_into_local(Some((&local, &Clocks::new("1-0-x"))), &remote, &pending);
        assert_eq!(d["a"], json!("server"));
        assert_eq!(d["b"], json!("server"), "a higher server stamp wins over a pending edit too");
        let pending = [("b".to_string(), "9-0-me".to_string())].into();
        let (d, _) = merge_into_local(Some((&local, &Clocks::new("1-0-x"))), &remote, &pending);
        assert_eq!(d["b"], json!("mine"));
    }
}
