//! Chain of custody read from the audit trail ([`mandate_domain::custody`] replays it), and the
//! per-office hours to acknowledge and to answer kept as histograms, so the Dashboard's custody
//! figures cost a few hundred rows at 100k actions instead of replaying every action's trail.
//!
//! The audit's `action_id` (migration 9: a virtual column over each entry's record, indexed for
//! assignments and extension requests) finds an action's entries, including those of
//! assignments since removed — which the record tables no longer hold.
//!
//! The histograms are kept like the success measures (`crate::measures`), in the same refresh:
//! whenever an action or one of its assignments is written, what the action added is taken away
//! (`custody_actions` keeps it) and what its replayed custody adds now is added. The property
//! test in `tests/custody.rs` holds them equal to [`Store::custody_by_office_from_audit`].

use crate::{Result, Store, StoreError};
use chrono::{DateTime, Utc};
use mandate_domain::custody::{self, Hold, OfficeCustody, Recorded};
use mandate_domain::{Action, Assignment, ExtensionRequest, Id};
use std::collections::{BTreeMap, HashMap};

/// The recorded states of the listed actions and their assignments and extension requests,
/// oldest first, grouped by action.
async fn recorded(conn: &mut sqlx::SqliteConnection, list: &str) -> Result<HashMap<String, Vec<Recorded>>> {
    let rows = sqlx::query_as::<_, (i64, String, String, String, String, Option<String>, Option<String>)>(
        "SELECT * FROM ( \
           SELECT seq, entity_id AS action, entity, op, at, after, before FROM audit \
             WHERE entity = 'actions' AND entity_id IN (SELECT value FROM json_each(?1)) \
           UNION ALL \
           SELECT seq, action_id, entity, op, at, after, before FROM audit \
             WHERE action_id IN (SELECT value FROM json_each(?1)) AND entity IN ('assignments', 'extensions')) \
         ORDER BY seq",
    )
    .bind(list)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|(_, a, e, op, at, after, before)| (a, e, op, at, after.or(before)));
    let bad = |what: &str, e: &dyn std::fmt::Display| StoreError::Invalid(format!("an audit entry has an unreadable {what}: {e}"));
    let mut out: HashMap<String, Vec<Recorded>> = HashMap::new();
    for (action, entity, op, at, data) in rows {
        let at: DateTime<Utc> = at.parse().map_err(|e| bad("time", &e))?;
        let Some(data) = data else { continue };
        let r = match (entity.as_str(), op.as_str()) {
            ("assignments", "delete") => {
                let x: Assignment = serde_json::from_str(&data).map_err(|e| bad("assignment", &e))?;
                Recorded::AssignmentRemoved(x.id, at)
            }
            ("assignments", _) => Recorded::Assignment(serde_json::from_str(&data).map_err(|e| bad("assignment", &e))?),
            ("extensions", "delete") => continue,
            ("extensions", _) => {
                Recorded::Extension(serde_json::from_str::<ExtensionRequest>(&data).map_err(|e| bad("extension request", &e))?)
            }
            ("actions", "delete") => continue,
            _ => Recorded::Action(serde_json::from_str::<Action>(&data).map_err(|e| bad("action", &e))?, at),
        };
        out.entry(action).or_default().push(r);
    }
    Ok(out)
}

/// Brings the kept histograms up to date for the listed actions (a JSON array of ids), in the
/// caller's transaction. Called by `measures::refresh`, which every write's commit runs.
pub(crate) async fn refresh(conn: &mut sqlx::SqliteConnection, list: &str) -> Result<()> {
    let bad = |_| StoreError::Invalid("a stored custody row is unreadable".into());
    // (office key, kind 0 = acknowledge / 1 = answer, hours) → change in count
    let mut deltas: BTreeMap<(i64, i64, i64), i64> = BTreeMap::new();
    let old: Vec<String> = sqlx::query_scalar("SELECT holds FROM custody_actions WHERE action_id IN (SELECT value FROM json_each(?1))")
        .bind(list)
        .fetch_all(&mut *conn)
        .await?;
    for holds in old {
        let holds: Vec<(i64, Option<i64>, Option<i64>)> = serde_json::from_str(&holds).map_err(bad)?;
        for (key, ack, answer) in holds {
            for (kind, h) in [(0, ack), (1, answer)] {
                if let Some(h) = h {
                    *deltas.entry((key, kind, h)).or_default() -= 1;
                }
            }
        }
    }
    sqlx::query("DELETE FROM custody_actions WHERE action_id IN (SELECT value FROM json_each(?1))").bind(list).execute(&mut *conn).await?;
    let recorded = recorded(conn, list).await?;
    let holds: Vec<(String, Vec<Hold>)> = recorded.into_iter().map(|(a, r)| (a, custody::custody(&r))).collect();
    let keys =
        crate::measures::office_keys(conn, holds.iter().flat_map(|(_, hs)| hs.iter().map(|h| h.office_id.to_string())).collect()).await?;
    let mut kept = Vec::new();
    for (action, hs) in &holds {
        let mut mine = Vec::new();
        for h in hs {
            let key = keys[&h.office_id.to_string()];
            let (ack, answer) = custody::hold_hours(h);
            if ack.is_none() && answer.is_none() {
                continue;
            }
            for (kind, x) in [(0, ack), (1, answer)] {
                if let Some(x) = x {
                    *deltas.entry((key, kind, x)).or_default() += 1;
                }
            }
            mine.push((key, ack, answer));
        }
        if !mine.is_empty() {
            kept.push(serde_json::json!([action, serde_json::to_string(&mine).expect("holds serialise")]));
        }
    }
    if !kept.is_empty() {
        sqlx::query("INSERT INTO custody_actions(action_id, holds) SELECT value->>0, value->>1 FROM json_each(?1)")
            .bind(serde_json::Value::Array(kept).to_string())
            .execute(&mut *conn)
            .await?;
    }
    let deltas: Vec<[i64; 4]> = deltas.into_iter().filter(|(_, d)| *d != 0).map(|((o, k, h), d)| [o, k, h, d]).collect();
    if !deltas.is_empty() {
        let deltas = serde_json::to_string(&deltas).expect("deltas serialise");
        sqlx::query(
            "INSERT INTO custody_hours(office, kind, hours, n) SELECT value->>0, value->>1, value->>2, value->>3 FROM json_each(?1) WHERE true \
             ON CONFLICT(office, kind, hours) DO UPDATE SET n = n + excluded.n",
        )
        .bind(&deltas)
        .execute(&mut *conn)
        .await?;
        sqlx::query("DELETE FROM custody_hours WHERE n = 0").execute(&mut *conn).await?;
    }
    Ok(())
}

impl Store {
    /// An action's chain of custody (by id or number): each office's hold, replayed from the
    /// audit trail.
    pub async fn custody(&self, key: &str) -> Result<(Id, Vec<Hold>)> {
        let mut conn = self.pool().acquire().await?;
        let id = crate::query::resolve_action(&mut conn, key).await?;
        let list = serde_json::to_string(&[id.to_string()]).expect("id serialises");
        let mut recorded = recorded(&mut conn, &list).await?;
        Ok((id, custody::custody(&recorded.remove(&id.to_string()).unwrap_or_default())))
    }

    /// Per office, the median and 90th-percentile days it holds an action before acknowledging
    /// and before answering (coordinating offices), from the kept histograms; offices in code
    /// order.
    pub async fn custody_by_office(&self) -> Result<Vec<OfficeCustody>> {
        self.refresh_measures(&|_, _, _| {}).await?;
        let rows = sqlx::query_as::<_, (String, i64, i64, i64)>(
            "SELECT o.code, c.kind, c.hours, c.n FROM custody_hours c \
             JOIN measure_offices k ON k.key = c.office JOIN offices o ON o.id = k.office_id \
             ORDER BY o.code, c.kind, c.hours",
        )
        .fetch_all(self.pool())
        .await?;
        let mut per: BTreeMap<String, [Vec<(i64, u64)>; 2]> = BTreeMap::new();
        for (code, kind, hours, n) in rows {
            per.entry(code).or_default()[kind as usize].push((hours, n.max(0) as u64));
        }
        Ok(per.into_iter().map(|(code, [ack, answer])| OfficeCustody::from_histograms(&code, &ack, &answer)).collect())
    }

    /// The same figures the slow way: every action's custody replayed from the audit trail and
    /// summarised by `custody::by_office`, the definition the histograms are held to.
    pub async fn custody_by_office_from_audit(&self) -> Result<Vec<OfficeCustody>> {
        let codes: HashMap<Id, String> = self.all::<mandate_domain::Office>().await?.into_iter().map(|o| (o.id, o.code)).collect();
        let mut conn = self.pool().acquire().await?;
        let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM actions").fetch_all(&mut *conn).await?;
        let recorded = recorded(&mut conn, &serde_json::to_string(&ids).expect("ids serialise")).await?;
        let holds: Vec<Hold> = recorded.values().flat_map(|r| custody::custody(r)).collect();
        Ok(custody::by_office(holds.iter().filter_map(|h| Some((codes.get(&h.office_id)?.as_str(), h)))))
    }
}
