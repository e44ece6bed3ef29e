//! Lifecycle steps as the action screen offers them: each step with whether the rules allow it
//! now, and if not, which rule stands in the way — asked of `mandate_domain::rules`, never
//! decided here.

use crate::{date, parse, Result};
use mandate_domain::rules;
use mandate_domain::*;
use mandate_store::ops::NewRisk;
use mandate_store::Store;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A step the user can take on an action, with what it needs.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(tag = "step", rename_all = "snake_case")]
#[ts(export)]
pub enum StepRequest {
    Issue,
    Start,
    Block { reason: String },
    Unblock,
    Complete,
    Close,
    Reopen { reason: String },
    Cancel { reason: String },
    Assign { office: String, role: String, suspense: Option<String> },
    Acknowledge { office: String },
    Concur { office: String, comment: String },
    NonConcur { office: String, reason: String },
    ResolveNonConcurrence { office: String, note: String },
    RequestExtension { office: String, to: String, justification: String },
    DecideExtension { office: String, approve: bool, note: String },
    Cite { citation: String, note: String },
    AddRisk { description: String, category: String, likelihood: u8, impact: u8, mitigation: String, owner: String },
    AddImpact { area: String, description: String, estimated_cost: Option<f64> },
    Update { percent: u8, text: String },
    RaiseIssue { title: String, description: String, owner: String },
    ResolveIssue { issue: String, note: String },
    Relate { kind: String, target: String, note: String },
    Evaluate { result: String, on_time: bool, within_scope: bool, evidence: String, lessons: String },
}

/// A lifecycle transition and whether it is open now.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct StepState {
    pub step: String,
    pub label: String,
    pub allowed: bool,
    /// Why not (the rule's sentence), when not allowed.
    pub reason: Option<String>,
    pub rule: Option<String>,
}

const TRANSITIONS: &[(&str, &str, Status)] = &[
    ("issue", "Issue", Status::Issued),
    ("start", "Start work", Status::InProgress),
    ("block", "Mark blocked", Status::Blocked),
    ("unblock", "Unblock", Status::InProgress),
    ("complete", "Complete", Status::Completed),
    ("close", "Close", Status::Closed),
    ("reopen", "Reopen", Status::InProgress),
    ("cancel", "Cancel", Status::Cancelled),
];

/// Each transition, judged by the rules against this action and this user.
pub fn states(file: &ActionFile, actor: &Actor) -> Vec<StepState> {
    TRANSITIONS
        .iter()
        .map(|(step, label, to)| {
            // The same step names a different button depending on where the action is.
            let verdict = match (*step, file.action.status) {
                ("unblock", st) if st != Status::Blocked => {
                    Err(RuleViolation { rule: "unblock-only-blocked", message: "only a blocked action can be unblocked".into() })
                }
                ("reopen", st) if st != Status::Closed => {
                    Err(RuleViolation { rule: "reopen-only-closed", message: "only a closed action can be reopened".into() })
                }
                ("start", Status::Blocked | Status::Closed) => {
                    Err(RuleViolation { rule: "start-from-assigned", message: "work starts from an assigned action".into() })
                }
                // Ask the rules exactly as the store will: a dry run of the transition.
                _ => rules::check_can_write(actor).and_then(|_| {
                    let ctx = rules::Ctx { actor: actor.clone(), now: chrono::Utc::now() };
                    rules::transition(file, *to, "(reason given when the step is taken)", &ctx).map(|_| ())
                }),
            };
            StepState {
                step: step.to_string(),
                label: label.to_string(),
                allowed: verdict.is_ok(),
                reason: verdict.as_ref().err().map(|v| v.message.clone()),
                rule: verdict.err().map(|v| v.rule.to_string()),
            }
        })
        .collect()
}

pub(crate) async fn run(s: &Store, id: Id, step: StepRequest) -> Result<()> {
    use StepRequest::*;
    match step {
        Issue => drop(s.transition(id, Status::Issued, "").await?),
        Start => drop(s.transition(id, Status::InProgress, "").await?),
        Block { reason } => drop(s.transition(id, Status::Blocked, &reason).await?),
        Unblock => drop(s.transition(id, Status::InProgress, "unblocked").await?),
        Complete => drop(s.transition(id, Status::Completed, "").await?),
        Close => drop(s.transition(id, Status::Closed, "").await?),
        Reopen { reason } => drop(s.transition(id, Status::InProgress, &reason).await?),
        Cancel { reason } => drop(s.transition(id, Status::Cancelled, &reason).await?),
        Assign { office, role, suspense } => {
            let suspense = match suspense.as_deref().filter(|d| !d.is_empty()) {
                Some(d) => Some(date("suspense", d)?),
                None => None,
            };
            drop(s.assign(id, &office, parse("role", &role)?, suspense, None).await?)
        }
        Acknowledge { office } => drop(s.acknowledge(id, &office).await?),
        Concur { office, comment } => {
            let answer = if comment.trim().is_empty() { ConcurrenceAnswer::Concur } else { ConcurrenceAnswer::ConcurWithComment };
            drop(s.concur(id, &office, answer, &comment).await?)
        }
        NonConcur { office, reason } => drop(s.concur(id, &office, ConcurrenceAnswer::NonConcur, &reason).await?),
        ResolveNonConcurrence { office, note } => drop(s.resolve_non_concurrence(id, &office, &note).await?),
        RequestExtension { office, to, justification } => {
            drop(s.request_extension(id, &office, date("new suspense", &to)?, &justification).await?)
        }
        DecideExtension { office, approve, note } => drop(s.decide_extension(id, &office, approve, &note).await?),
        Cite { citation, note } => drop(s.cite(id, &citation, &note).await?),
        AddRisk { description, category, likelihood, impact, mitigation, owner } => {
            let r = NewRisk { description, category: parse("category", &category)?, likelihood, impact, mitigation, owner };
            drop(s.add_risk(id, r).await?)
        }
        AddImpact { area, description, estimated_cost } => {
            drop(s.add_impact(id, parse("area", &area)?, &description, estimated_cost).await?)
        }
        Update { percent, text } => drop(s.add_update(id, percent, &text).await?),
        RaiseIssue { title, description, owner } => drop(s.raise_issue(id, &title, &description, &owner).await?),
        ResolveIssue { issue, note } => drop(s.resolve_issue(id, &issue, &note).await?),
        Relate { kind, target, note } => drop(s.relate(id, parse("relation", &kind)?, &target, &note).await?),
        Evaluate { result, on_time, within_scope, evidence, lessons } => {
            drop(s.evaluate(id, parse("result", &result)?, on_time, within_scope, &evidence, &lessons).await?)
        }
    }
    Ok(())
}
