//! The window's sync: status, connect and disconnect, sync now (with progress), background sync,
//! and reviewing conflicts and refusals — over `mandate-sync` and `mandate_store::sync`.

use crate::{invalid, App, AppError, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use ts_rs::TS;

/// Everything the sync status and the Sync screen show.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SyncView {
    pub connected: bool,
    pub server: Option<String>,
    pub account: Option<String>,
    pub device_id: String,
    /// UTC, RFC 3339.
    pub last_synced: Option<String>,
    /// Local changes not yet on the server.
    pub waiting: i64,
    pub conflicts: Vec<ConflictView>,
    pub refusals: Vec<RefusalView>,
    /// The last sync's failure, in words (`None` after a good sync).
    pub last_error: Option<String>,
    /// The last attempt could not reach the server (background sync keeps trying).
    pub offline: bool,
    pub running: bool,
    /// Before a used workspace's first push: what the server will refuse this account. The
    /// window asks to go on or stop; nothing is sent until then.
    pub review: Option<FirstPushReviewView>,
}

/// What the server will refuse of the first push, grouped by reason.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct FirstPushReviewView {
    /// The account's role on the server, in words.
    pub role: String,
    pub office: Option<String>,
    pub waiting: u32,
    pub refused: u32,
    pub reasons: Vec<ReasonCount>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ReasonCount {
    pub reason: String,
    pub count: u32,
}

impl From<mandate_sync::FirstPushReview> for FirstPushReviewView {
    fn from(r: mandate_sync::FirstPushReview) -> Self {
        let mut reasons: std::collections::BTreeMap<String, u32> = Default::default();
        for x in &r.refused {
            *reasons.entry(x.reason.clone()).or_default() += 1;
        }
        let mut reasons: Vec<ReasonCount> = reasons.into_iter().map(|(reason, count)| ReasonCount { reason, count }).collect();
        reasons.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.reason.cmp(&b.reason)));
        FirstPushReviewView {
            role: r.role.replace('_', " "),
            office: r.office,
            waiting: r.waiting as u32,
            refused: r.refused.len() as u32,
            reasons,
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ConflictView {
    pub id: String,
    /// What the record is, in words ("Action 2026-0042", "Risk on 2026-0042").
    pub record: String,
    /// The action to open, when there is one.
    pub action: Option<String>,
    pub field: String,
    /// `concurrent_edit` or `deleted`.
    pub kind: String,
    pub kept: String,
    pub lost: String,
    /// Re-applying is possible (the record still exists).
    pub can_reapply: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct RefusalView {
    pub change_id: String,
    pub record: String,
    pub action: Option<String>,
    pub reason: String,
    pub at: String,
    /// The refused values, briefly.
    pub change: String,
}

/// What one sync did.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SyncOutcome {
    pub pushed: u32,
    pub pulled: u32,
    pub refused: u32,
    pub conflicts: u32,
    pub attachments: u32,
    pub summary: String,
}

/// The connect form.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct ConnectForm {
    pub url: String,
    pub code: String,
    /// A CA certificate file to trust for this server (a private or self-signed certificate).
    pub ca_file: Option<String>,
    pub device_name: Option<String>,
}

/// Sync state that lives as long as the window (not in the workspace).
#[derive(Debug, Default)]
pub(crate) struct SyncState {
    pub running: bool,
    pub last_error: Option<String>,
    pub offline: bool,
}

fn short(v: &Value) -> String {
    let s = match v {
        Value::Null => "(nothing)".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > 160 {
        format!("{}…", s.chars().take(160).collect::<String>())
    } else {
        s
    }
}

fn entity_word(entity: &str) -> &str {
    match entity {
        "actions" => "Action",
        "assignments" => "Assignment",
        "risks" => "Risk",
        "impacts" => "Impact assessment",
        "updates" => "Status update",
        "issues" => "Issue",
        "relations" => "Relation",
        "evaluations" => "Evaluation",
        "documents" => "Document",
        "transitions" => "Lifecycle step",
        "citations" => "Authority citation",
        "extensions" => "Extension request",
        "offices" => "Office",
        "people" => "Person",
        "authorities" => "Authority",
        "series" => "Recurring series",
        other => other,
    }
}

impl From<mandate_sync::SyncError> for AppError {
    fn from(e: mandate_sync::SyncError) -> Self {
        AppError { message: e.to_string(), rule: None }
    }
}

/// The action a conflict or refusal is about: its own id for an action, else the one it names.
fn action_of(entity: &str, entity_id: &str, action_id: Option<String>) -> Option<String> {
    action_id.or_else(|| (entity == "actions").then(|| entity_id.to_string()))
}

impl App {
    /// Describe a record for people: its kind and the action it belongs to (by number, from
    /// `numbers`, when this workspace has it).
    fn describe(numbers: &HashMap<String, String>, entity: &str, action_id: Option<String>) -> (String, Option<String>) {
        let number = action_id.as_ref().and_then(|a| numbers.get(a)).cloned();
        let word = entity_word(entity);
        let record = match (&number, entity) {
            (Some(n), "actions") => format!("Action {n}"),
            (Some(n), _) => format!("{word} on {n}"),
            (None, _) => word.to_string(),
        };
        (record, number.or(action_id))
    }

    pub async fn sync_view(&self) -> Result<SyncView> {
        let (running, last_error, offline) = {
            let st = self.sync.lock().expect("sync state");
            (st.running, st.last_error.clone(), st.offline)
        };
        self.with(async |s| {
            let status = s.sync_status().await?;
            let (open, refused) = (s.conflicts(true).await?, s.refusals().await?);
            let refused_action = |r: &mandate_store::sync::StoredRefusal| {
                let named = r.fields.as_ref().and_then(|f| f.get("action_id")).and_then(Value::as_str).map(str::to_string);
                action_of(&r.entity, &r.entity_id, named)
            };
            let ids: Vec<String> = open
                .iter()
                .filter_map(|c| action_of(&c.entity, &c.entity_id, c.action_id.map(|a| a.to_string())))
                .chain(refused.iter().filter_map(refused_action))
                .collect();
            let numbers = s.action_numbers(&ids).await?;
            let mut conflicts = vec![];
            for c in open {
                let action = action_of(&c.entity, &c.entity_id, c.action_id.map(|a| a.to_string()));
                let (record, action) = Self::describe(&numbers, &c.entity, action);
                conflicts.push(ConflictView {
                    id: c.id.to_string(),
                    record,
                    action,
                    field: c.field.replace('_', " "),
                    kind: c.kind.clone(),
                    kept: short(&c.kept_value),
                    lost: short(&c.lost_value),
                    can_reapply: c.kind == "concurrent_edit",
                });
            }
            let mut refusals = vec![];
            for r in refused {
                let (record, action) = Self::describe(&numbers, &r.entity, refused_action(&r));
                let change = match &r.fields {
                    Some(Value::Object(m)) if !m.is_empty() => m
                        .iter()
                        .filter(|(k, _)| *k != "id" && *k != "action_id")
                        .take(4)
                        .map(|(k, v)| format!("{}: {}", k.replace('_', " "), short(v)))
                        .collect::<Vec<_>>()
                        .join("; "),
                    _ => "delete".into(),
                };
                refusals.push(RefusalView { change_id: r.change_id, record, action, reason: r.reason, at: r.at, change });
            }
            let review = mandate_sync::first_push_review(s).await?.map(FirstPushReviewView::from);
            Ok(SyncView {
                review,
                connected: status.server.is_some(),
                server: status.server,
                account: status.account,
                device_id: status.device_id,
                last_synced: status.last_synced,
                waiting: status.waiting,
                conflicts,
                refusals,
                last_error: last_error.clone(),
                offline,
                running,
            })
        })
        .await
    }

    pub async fn sync_connect(&self, form: ConnectForm) -> Result<SyncView> {
        if form.url.trim().is_empty() || form.code.trim().is_empty() {
            return Err(invalid("give the server address and the enrolment code your administrator gave you"));
        }
        let name = form.device_name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| "Mandate desktop".into());
        self.with(async |s| {
            mandate_sync::connect(
                s,
                &form.url,
                &form.code,
                &name,
                form.ca_file.as_deref().filter(|c| !c.is_empty()).map(std::path::Path::new),
            )
            .await?;
            Ok(())
        })
        .await?;
        self.sync_view().await
    }

    pub async fn sync_disconnect(&self) -> Result<SyncView> {
        self.with(async |s| Ok(mandate_sync::disconnect(s).await?)).await?;
        *self.sync.lock().expect("sync state") = SyncState::default();
        self.sync_view().await
    }

    /// Push and pull now. One sync at a time: a second call while one runs is refused.
    pub async fn sync_now(&self, progress: &(dyn Fn(&str, u64, u64) + Send + Sync)) -> Result<SyncOutcome> {
        {
            let mut st = self.sync.lock().expect("sync state");
            if st.running {
                return Err(invalid("a sync is already running"));
            }
            st.running = true;
        }
        let result = self
            .with(async |s| {
                let client = mandate_sync::Client::for_store(s).await?;
                if let Some(r) = mandate_sync::first_push_review(s).await? {
                    let said = format!(
                        "Nothing was sent: the agency server will refuse {} of the {} change(s) waiting, for this account. Decide whether to send anyway or to stop and disconnect.",
                        r.refused.len(),
                        r.waiting
                    );
                    self.sync.lock().expect("sync state").last_error = Some(said.clone());
                    return Err(invalid(said));
                }
                let report = mandate_sync::sync(s, &client, &|p: mandate_sync::Progress| {
                    let stage = match p.phase {
                        "push" => "Sending changes",
                        "pull" => "Receiving changes",
                        "upload" => "Sending attachments",
                        _ => "Receiving attachments",
                    };
                    progress(stage, p.done, p.total)
                })
                .await
                .map_err(|e| {
                    let offline = e.is_offline();
                    let mut st = self.sync.lock().expect("sync state");
                    st.offline = offline;
                    st.last_error = Some(e.to_string());
                    AppError::from(e)
                })?;
                Ok(report)
            })
            .await;
        let mut st = self.sync.lock().expect("sync state");
        st.running = false;
        let report = result?;
        st.offline = false;
        st.last_error = None;
        let refused = report.refused.len() as u32;
        let summary = format!(
            "{}Sent {} change(s), received {} record(s){}{}.",
            if report.server_restored {
                "The agency server had been restored from a backup, so everything was sent and read again. "
            } else {
                ""
            },
            report.pushed,
            report.pulled,
            if refused > 0 { format!("; the server refused {refused} change(s)") } else { String::new() },
            if report.conflicts > 0 { format!("; {} conflict(s) to review", report.conflicts) } else { String::new() }
        );
        Ok(SyncOutcome {
            pushed: report.pushed as u32,
            pulled: report.pulled as u32,
            refused,
            conflicts: report.conflicts as u32,
            attachments: (report.uploaded + report.downloaded) as u32,
            summary,
        })
    }

    /// The background sync: when connected and nothing else is syncing. Failures are kept for
    /// the status (an unreachable server is simply "offline"), never an error to the caller.
    /// True when a sync was attempted, so the window refreshes its status (offline included).
    pub async fn background_sync(&self, progress: &(dyn Fn(&str, u64, u64) + Send + Sync)) -> bool {
        let connected = self.with(async |s| Ok(s.sync_setting(mandate_store::sync::SERVER).await?.is_some())).await.unwrap_or(false);
        if !connected || self.sync.lock().expect("sync state").running {
            return false;
        }
        let _ = self.sync_now(progress).await;
        true
    }

    pub async fn resolve_conflict(&self, id: String, reapply: bool) -> Result<SyncView> {
        self.with(async |s| Ok(s.resolve_conflict(&id, reapply).await?)).await?;
        self.sync_view().await
    }

    /// The user has seen what the server will refuse and sends anyway.
    pub async fn sync_go_on(&self, progress: &(dyn Fn(&str, u64, u64) + Send + Sync)) -> Result<SyncOutcome> {
        self.with(async |s| Ok(mandate_sync::go_on(s).await?)).await?;
        self.sync_now(progress).await
    }

    /// Writes every refusal not yet dismissed, with the refused values, as JSON (the same as
    /// `mandate sync refusals --export`). Returns what was written.
    pub async fn export_refusals(&self, out: String) -> Result<String> {
        let refused = self.with(async |s| Ok(s.refusals().await?)).await?;
        let text = serde_json::to_string_pretty(&refused).map_err(|e| invalid(e.to_string()))? + "\n";
        std::fs::write(&out, text).map_err(|e| invalid(format!("cannot write {out}: {e}")))?;
        Ok(format!("Wrote {} refused change(s) to {out}", refused.len()))
    }

    pub async fn dismiss_all_refusals(&self) -> Result<SyncView> {
        self.with(async |s| Ok(s.dismiss_all_refusals().await?)).await?;
        self.sync_view().await
    }

    pub async fn dismiss_refusal(&self, change_id: String) -> Result<SyncView> {
        self.with(async |s| Ok(s.dismiss_refusal(&change_id).await?)).await?;
        self.sync_view().await
    }
}
