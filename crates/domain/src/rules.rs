//! Lifecycle rules.
//!
//! Each step an action can take is a function here that looks at the whole [`ActionFile`] and
//! either returns the records to write or a [`RuleViolation`] naming the rule that was broken.
//! The store writes exactly what these functions return, so no front end (CLI, desktop, server)
//! can take a step the rules do not allow — they can only ask.
//!
//! The lifecycle (DOMAIN.md): draft → issued → assigned → in progress ⇄ blocked → completed →
//! evaluated → closed; any open state → cancelled or superseded; closed → in progress only
//! through a logged reopen.

use crate::model::*;
use crate::Id;
use chrono::{DateTime, NaiveDate, Utc};
use std::fmt;

/// A step the rules do not allow, with the rule's stable name (for scripts and the UI) and a
/// sentence for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleViolation {
    pub rule: &'static str,
    pub message: String,
}

impl fmt::Display for RuleViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (rule: {})", self.message, self.rule)
    }
}
impl std::error::Error for RuleViolation {}

fn broken<T>(rule: &'static str, message: impl Into<String>) -> Result<T, RuleViolation> {
    Err(RuleViolation { rule, message: message.into() })
}

pub type RuleResult<T> = Result<T, RuleViolation>;

/// Who is acting and when; passed in so the rules never read a clock themselves.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub actor: Actor,
    pub now: DateTime<Utc>,
}

impl Ctx {
    pub fn stamp(&self) -> Stamp {
        self.actor.stamp(self.now)
    }
    pub fn today(&self) -> NaiveDate {
        self.now.date_naive()
    }
}

/// Auditors read; everybody else may write.
pub fn check_can_write(actor: &Actor) -> RuleResult<()> {
    if actor.role == UserRole::Auditor {
        return broken("auditor-read-only", format!("{} is an auditor and may only read records", actor.name));
    }
    Ok(())
}

/// Closed, cancelled and superseded records are read-only.
pub fn check_editable(file: &ActionFile) -> RuleResult<()> {
    let a = &file.action;
    if a.status.is_read_only() {
        let how = if a.status == Status::Closed { "; reopen it first (the reopen is logged)" } else { "" };
        return broken(
            "read-only-when-final",
            format!("action {} is {} and cannot be changed{how}", a.number, a.status.label().to_lowercase()),
        );
    }
    Ok(())
}

/// Validate an action's own fields (on create and on every edit).
pub fn validate_action(a: &Action) -> RuleResult<()> {
    if a.title.trim().is_empty() {
        return broken("title-required", "an action needs a title");
    }
    if a.title.chars().count() > 500 {
        return broken("title-too-long", "a title is at most 500 characters; put the detail in the requirements");
    }
    if let (Some(issued), Some(suspense)) = (a.issued_on, a.suspense) {
        if suspense < issued {
            return broken("suspense-after-issue", format!("suspense {suspense} is before the issue date {issued}"));
        }
    }
    if a.percent_complete > 100 {
        return broken("percent-range", "percent complete must be between 0 and 100");
    }
    if a.parent_id == Some(a.id) {
        return broken("parent-not-self", "an action cannot be its own parent");
    }
    Ok(())
}

/// Apply an edit of the action's own fields. Status, number and id are not editable this way.
pub fn edit(file: &ActionFile, edited: Action, ctx: &Ctx) -> RuleResult<Action> {
    check_can_write(&ctx.actor)?;
    check_editable(file)?;
    let old = &file.action;
    if edited.status != old.status {
        return broken("status-through-lifecycle", "status changes only through a lifecycle step, not an edit");
    }
    if edited.id != old.id || edited.number != old.number {
        return broken("identity-fixed", "an action's id and number never change");
    }
    validate_action(&edited)?;
    Ok(edited)
}

/// Whether `to` may follow the file's current status, judged on the records alone.
/// [`transition`] adds the actor's role and the reason.
pub fn check_transition(file: &ActionFile, to: Status) -> RuleResult<()> {
    use Status::*;
    let a = &file.action;
    let from = a.status;
    let allowed = matches!(
        (from, to),
        (Draft, Issued)
            | (Issued, Assigned)
            | (Assigned, InProgress)
            | (InProgress, Blocked)
            | (Blocked, InProgress)
            | (InProgress, Completed)
            | (Completed, Evaluated)
            | (Evaluated, Closed)
            | (Closed, InProgress)
    ) || (from.is_open() && matches!(to, Cancelled | Superseded));
    if !allowed {
        return broken(
            "lifecycle-order",
            format!("action {} is {}; it cannot go to {} from there", a.number, from.label().to_lowercase(), to.label().to_lowercase()),
        );
    }
    match to {
        Issued => {
            validate_action(a)?;
            if a.issuing_official.as_deref().unwrap_or("").trim().is_empty() {
                return broken("issuing-official-required", "an action is issued by someone: set the issuing official first");
            }
        }
        Assigned => {
            let oprs = file.assignments.iter().filter(|x| x.role == Role::Opr).count();
            if oprs != 1 {
                return broken("opr-required", "an action cannot be assigned without exactly one OPR (office of primary responsibility)");
            }
        }
        InProgress if from == Assigned => {
            if file.opr().is_none_or(|o| o.acknowledged.is_none()) {
                return broken("opr-acknowledged", "work starts when the OPR has acknowledged the assignment");
            }
        }
        Completed => {
            if let Some(nc) = file.assignments.iter().find(|x| x.has_unresolved_non_concurrence()) {
                let _ = nc;
                return broken("non-concurrence-resolved", "an action cannot be completed while a non-concurrence is unresolved");
            }
            if let Some(i) = file.issues.iter().find(|i| i.resolution.is_none()) {
                return broken("issues-resolved", format!("an action cannot be completed with an open issue: \"{}\"", i.title));
            }
            for r in file.inverse_relations.iter().filter(|r| r.kind == RelationKind::Blocks) {
                if let Some(b) = file.brief(r.action_id) {
                    if !b.status.is_done() && b.status != Cancelled {
                        return broken("blockers-done", format!("blocked by {} ({}), which is not done", b.number, b.title));
                    }
                }
            }
            if let Some(c) = file.children().find(|c| c.status.is_open()) {
                return broken("sub-taskers-done", format!("sub-tasker {} is still open", c.number));
            }
        }
        Evaluated | Closed => {
            if file.evaluation.is_none() {
                return broken("evaluation-required", "an action cannot be closed without an outcome evaluation");
            }
        }
        _ => {}
    }
    Ok(())
}

/// Take a lifecycle step. Returns the updated action and the logged transition.
pub fn transition(file: &ActionFile, to: Status, reason: &str, ctx: &Ctx) -> RuleResult<(Action, Transition)> {
    check_can_write(&ctx.actor)?;
    check_transition(file, to)?;
    let from = file.action.status;
    let needs_reason =
        matches!(to, Status::Blocked | Status::Cancelled | Status::Superseded) || (from == Status::Closed && to == Status::InProgress);
    if needs_reason && reason.trim().is_empty() {
        return broken("reason-required", format!("going to {} needs a reason, which is kept in the record", to.label().to_lowercase()));
    }
    match to {
        Status::Closed if ctx.actor.role != UserRole::Executive => {
            return broken(
                "close-by-executive",
                format!("only an executive may close an action; {} is {}", ctx.actor.name, ctx.actor.role.label().to_lowercase()),
            );
        }
        Status::Issued if ctx.actor.role == UserRole::Staff => {
            return broken("issue-by-leadership", "staff draft actions; an executive or office lead issues them");
        }
        _ => {}
    }
    let mut a = file.action.clone();
    a.status = to;
    match to {
        Status::Issued if a.issued_on.is_none() => a.issued_on = Some(ctx.today()),
        Status::Completed => {
            a.completed_at = Some(ctx.now);
            a.percent_complete = 100;
        }
        Status::Closed => a.closed_at = Some(ctx.now),
        Status::InProgress if from == Status::Closed => {
            a.closed_at = None;
            a.completed_at = None;
        }
        _ => {}
    }
    let t = Transition { id: Id::new(), action_id: a.id, from, to, reason: reason.trim().to_string(), at: ctx.stamp() };
    Ok((a, t))
}

/// Assign an office. Exactly one OPR; an office appears once per action; an assignee's suspense
/// is on or before the action's.
pub fn assign(
    file: &ActionFile,
    office_id: Id,
    role: Role,
    suspense: Option<NaiveDate>,
    assignee: Option<String>,
    ctx: &Ctx,
) -> RuleResult<Assignment> {
    check_can_write(&ctx.actor)?;
    check_editable(file)?;
    if file.action.status == Status::Draft {
        return broken("assign-after-issue", "issue the action before assigning it");
    }
    if role == Role::Opr && file.opr().is_some() {
        return broken("one-opr", "an action has exactly one OPR; it already has one");
    }
    if file.assignments.iter().any(|x| x.office_id == office_id) {
        return broken("office-once", "this office is already assigned to the action");
    }
    if let (Some(s), Some(limit)) = (suspense, file.action.suspense) {
        if s > limit {
            return broken("assignment-suspense", format!("an assignment's suspense ({s}) cannot be after the action's ({limit})"));
        }
    }
    Ok(Assignment {
        id: Id::new(),
        action_id: file.action.id,
        office_id,
        role,
        assignee: assignee.filter(|s| !s.trim().is_empty()),
        suspense: suspense.or(file.action.suspense),
        assigned: ctx.stamp(),
        acknowledged: None,
        concurrence: None,
        delegation: None,
    })
}

/// Hand an assignment to another office (the OPR moving from one office to another is the
/// common case). The new office must not already be on the action; acknowledgement,
/// concurrence and delegation belonged to the old office and start afresh.
pub fn reassign(file: &ActionFile, assignment_id: Id, to_office: Id, ctx: &Ctx) -> RuleResult<Assignment> {
    check_can_write(&ctx.actor)?;
    check_editable(file)?;
    if file.assignments.iter().any(|x| x.office_id == to_office) {
        return broken("office-once", "the new office is already assigned to the action");
    }
    let mut x = find_assignment(file, assignment_id)?.clone();
    x.office_id = to_office;
    x.assigned = ctx.stamp();
    x.acknowledged = None;
    x.concurrence = None;
    x.delegation = None;
    Ok(x)
}

fn find_assignment<'a>(file: &'a ActionFile, id: Id) -> RuleResult<&'a Assignment> {
    match file.assignments.iter().find(|x| x.id == id) {
        Some(x) => Ok(x),
        None => broken("assignment-exists", format!("no assignment {id} on action {}", file.action.number)),
    }
}

pub fn acknowledge(file: &ActionFile, assignment_id: Id, ctx: &Ctx) -> RuleResult<Assignment> {
    check_can_write(&ctx.actor)?;
    check_editable(file)?;
    let mut x = find_assignment(file, assignment_id)?.clone();
    if x.acknowledged.is_some() {
        return broken("acknowledge-once", "this assignment was already acknowledged");
    }
    x.acknowledged = Some(ctx.stamp());
    Ok(x)
}

/// Record a coordinating office's answer. Only OCRs concur; a comment is required with
/// concur-with-comment, and a reason with non-concur.
pub fn concur(file: &ActionFile, assignment_id: Id, answer: ConcurrenceAnswer, comment: &str, ctx: &Ctx) -> RuleResult<Assignment> {
    check_can_write(&ctx.actor)?;
    check_editable(file)?;
    let mut x = find_assignment(file, assignment_id)?.clone();
    if x.role != Role::Ocr {
        return broken(
            "concur-by-ocr",
            format!("only an office of coordinating responsibility concurs; this assignment is {}", x.role.label()),
        );
    }
    if answer != ConcurrenceAnswer::Concur && comment.trim().is_empty() {
        let what = if answer == ConcurrenceAnswer::NonConcur {
            "a non-concurrence needs its reason"
        } else {
            "concur with comment needs the comment"
        };
        return broken("concurrence-comment", what);
    }
    if x.concurrence.as_ref().is_some_and(|c| !c.answer.eq(&ConcurrenceAnswer::NonConcur) || c.resolution.is_none()) {
        return broken(
            "concur-once",
            "this office has already answered; a non-concurrence can be answered again only after it is resolved",
        );
    }
    x.concurrence =
        Some(Concurrence { answer, comment: comment.trim().to_string(), by: ctx.actor.name.clone(), at: ctx.now, resolution: None });
    Ok(x)
}

pub fn resolve_non_concurrence(file: &ActionFile, assignment_id: Id, note: &str, ctx: &Ctx) -> RuleResult<Assignment> {
    check_can_write(&ctx.actor)?;
    check_editable(file)?;
    let mut x = find_assignment(file, assignment_id)?.clone();
    if !x.has_unresolved_non_concurrence() {
        return broken("resolve-non-concurrence", "there is no unresolved non-concurrence on this assignment");
    }
    if note.trim().is_empty() {
        return broken("reason-required", "say how the non-concurrence was resolved");
    }
    if let Some(c) = x.concurrence.as_mut() {
        c.resolution = Some(Resolution { note: note.trim().to_string(), by: ctx.actor.name.clone(), at: ctx.now });
    }
    Ok(x)
}

pub fn request_extension(
    file: &ActionFile,
    assignment_id: Id,
    requested: NaiveDate,
    justification: &str,
    ctx: &Ctx,
) -> RuleResult<ExtensionRequest> {
    check_can_write(&ctx.actor)?;
    check_editable(file)?;
    let x = find_assignment(file, assignment_id)?;
    if justification.trim().is_empty() {
        return broken("extension-justified", "an extension request needs a justification");
    }
    if let Some(cur) = x.suspense {
        if requested <= cur {
            return broken("extension-later", format!("the requested suspense {requested} is not after the current one ({cur})"));
        }
    }
    if file.extensions.iter().any(|e| e.assignment_id == assignment_id && e.decision.is_none()) {
        return broken("one-pending-extension", "this assignment already has an extension request waiting for a decision");
    }
    Ok(ExtensionRequest {
        id: Id::new(),
        action_id: file.action.id,
        assignment_id,
        current_suspense: x.suspense,
        requested_suspense: requested,
        justification: justification.trim().to_string(),
        requested: ctx.stamp(),
        decision: None,
    })
}

/// What deciding an extension changes.
#[derive(Clone, Debug)]
pub struct ExtensionOutcome {
    pub request: ExtensionRequest,
    /// The assignment with its new suspense, when approved.
    pub assignment: Option<Assignment>,
    /// The action with its suspense moved, when an approved OPR extension passes it.
    pub action: Option<Action>,
}

/// Leadership (executive or office lead) approves or denies; the request and its decision stay in
/// the history either way.
pub fn decide_extension(file: &ActionFile, request_id: Id, approved: bool, note: &str, ctx: &Ctx) -> RuleResult<ExtensionOutcome> {
    check_can_write(&ctx.actor)?;
    check_editable(file)?;
    if !matches!(ctx.actor.role, UserRole::Executive | UserRole::OfficeLead) {
        return broken("extension-by-leadership", "only an executive or office lead decides extension requests");
    }
    let Some(req) = file.extensions.iter().find(|e| e.id == request_id) else {
        return broken("extension-exists", format!("no extension request {request_id} on action {}", file.action.number));
    };
    if req.decision.is_some() {
        return broken("decide-once", "this extension request was already decided");
    }
    if !approved && note.trim().is_empty() {
        return broken("reason-required", "a denial needs a reason the requester can read");
    }
    let mut request = req.clone();
    request.decision = Some(ExtensionDecision { approved, note: note.trim().to_string(), by: ctx.actor.name.clone(), at: ctx.now });
    let (mut assignment, mut action) = (None, None);
    if approved {
        let mut x = find_assignment(file, req.assignment_id)?.clone();
        x.suspense = Some(req.requested_suspense);
        if x.role == Role::Opr && file.action.suspense.is_none_or(|s| s < req.requested_suspense) {
            let mut a = file.action.clone();
            a.suspense = Some(req.requested_suspense);
            action = Some(a);
        }
        assignment = Some(x);
    }
    Ok(ExtensionOutcome { request, assignment, action })
}

pub fn delegate(file: &ActionFile, assignment_id: Id, to: &str, note: &str, ctx: &Ctx) -> RuleResult<Assignment> {
    check_can_write(&ctx.actor)?;
    check_editable(file)?;
    let mut x = find_assignment(file, assignment_id)?.clone();
    if to.trim().is_empty() {
        return broken("delegate-to-someone", "name the stand-in the assignment is delegated to");
    }
    x.delegation = Some(Delegation { to: to.trim().to_string(), note: note.trim().to_string(), by: ctx.actor.name.clone(), at: ctx.now });
    Ok(x)
}

pub fn add_citation(file: &ActionFile, authority: &Authority, note: &str, ctx: &Ctx) -> RuleResult<Citation> {
    check_can_write(&ctx.actor)?;
    check_editable(file)?;
    if file.citations.iter().any(|c| c.authority_id == authority.id) {
        return broken("cite-once", format!("the action already cites {}", authority.citation));
    }
    Ok(Citation { id: Id::new(), action_id: file.action.id, authority_id: authority.id, note: note.trim().to_string() })
}

pub fn validate_authority(a: &Authority) -> RuleResult<()> {
    if a.citation.trim().is_empty() {
        return broken("citation-required", "an authority needs its citation text (e.g. `5 U.S.C. 301`)");
    }
    Ok(())
}

pub fn add_risk(file: &ActionFile, risk: Risk, ctx: &Ctx) -> RuleResult<Risk> {
    check_can_write(&ctx.actor)?;
    check_editable(file)?;
    validate_risk(&risk)?;
    Ok(risk)
}

pub fn validate_risk(risk: &Risk) -> RuleResult<()> {
    if !(1..=5).contains(&risk.likelihood) || !(1..=5).contains(&risk.impact) {
        return broken("risk-scale", format!("likelihood and impact are 1–5 (got {} and {})", risk.likelihood, risk.impact));
    }
    if risk.description.trim().is_empty() {
        return broken("risk-described", "a risk needs a description");
    }
    Ok(())
}

/// Move a risk to another status (mitigated, accepted, closed, or open again), optionally
/// recording the mitigation that justified it.
pub fn update_risk(file: &ActionFile, risk_id: Id, status: RiskStatus, mitigation: Option<&str>, ctx: &Ctx) -> RuleResult<Risk> {
    check_can_write(&ctx.actor)?;
    check_editable(file)?;
    let Some(r) = file.risks.iter().find(|r| r.id == risk_id) else {
        return broken("risk-exists", format!("no risk {risk_id} on action {}", file.action.number));
    };
    let mut r = r.clone();
    if let Some(m) = mitigation.map(str::trim).filter(|m| !m.is_empty()) {
        r.mitigation = m.to_string();
    }
    if status == RiskStatus::Mitigated && r.mitigation.is_empty() {
        return broken("mitigation-described", "say how the risk was mitigated");
    }
    r.status = status;
    Ok(r)
}

pub fn add_impact(file: &ActionFile, impact: ImpactAssessment, ctx: &Ctx) -> RuleResult<ImpactAssessment> {
    check_can_write(&ctx.actor)?;
    check_editable(file)?;
    if impact.description.trim().is_empty() {
        return broken("impact-described", "an impact assessment needs a description");
    }
    if impact.estimated_cost.is_some_and(|c| !c.is_finite() || c < 0.0) {
        return broken("impact-cost", "an estimated cost is a non-negative amount");
    }
    Ok(impact)
}

/// A progress report from the responsible party. Reporting starts the work: an assigned action
/// whose OPR has acknowledged moves to in progress with its first update.
pub fn add_update(file: &ActionFile, percent: u8, text: &str, ctx: &Ctx) -> RuleResult<(StatusUpdate, Action, Option<Transition>)> {
    check_can_write(&ctx.actor)?;
    check_editable(file)?;
    if !matches!(file.action.status, Status::Assigned | Status::InProgress | Status::Blocked) {
        return broken(
            "update-while-executing",
            format!(
                "status updates are reported while an action is assigned or in progress; it is {}",
                file.action.status.label().to_lowercase()
            ),
        );
    }
    if percent > 100 {
        return broken("percent-range", format!("percent complete must be between 0 and 100 (got {percent})"));
    }
    if text.trim().is_empty() {
        return broken("update-text", "a status update needs some text");
    }
    let u = StatusUpdate {
        id: Id::new(),
        action_id: file.action.id,
        percent_complete: percent,
        text: text.trim().to_string(),
        reported: ctx.stamp(),
    };
    let mut a = file.action.clone();
    a.percent_complete = percent;
    let mut t = None;
    if a.status == Status::Assigned && check_transition(file, Status::InProgress).is_ok() {
        let (moved, tr) = transition(file, Status::InProgress, "first status update", ctx)?;
        a = moved;
        a.percent_complete = percent;
        t = Some(tr);
    }
    Ok((u, a, t))
}

pub fn raise_issue(file: &ActionFile, title: &str, description: &str, owner: &str, ctx: &Ctx) -> RuleResult<Issue> {
    check_can_write(&ctx.actor)?;
    check_editable(file)?;
    if title.trim().is_empty() {
        return broken("issue-title", "an issue needs a title");
    }
    Ok(Issue {
        id: Id::new(),
        action_id: file.action.id,
        title: title.trim().to_string(),
        description: description.trim().to_string(),
        owner: owner.trim().to_string(),
        raised: ctx.stamp(),
        resolution: None,
    })
}

pub fn resolve_issue(file: &ActionFile, issue_id: Id, note: &str, ctx: &Ctx) -> RuleResult<Issue> {
    check_can_write(&ctx.actor)?;
    check_editable(file)?;
    let Some(i) = file.issues.iter().find(|i| i.id == issue_id) else {
        return broken("issue-exists", format!("no issue {issue_id} on action {}", file.action.number));
    };
    if i.resolution.is_some() {
        return broken("resolve-once", "this issue is already resolved");
    }
    if note.trim().is_empty() {
        return broken("reason-required", "say how the issue was resolved");
    }
    let mut i = i.clone();
    i.resolution = Some(Resolution { note: note.trim().to_string(), by: ctx.actor.name.clone(), at: ctx.now });
    Ok(i)
}

/// Relate this action to another. No self-relations, no duplicates, no two-action `blocks` loop.
pub fn relate(file: &ActionFile, kind: RelationKind, target: &ActionBrief, note: &str, ctx: &Ctx) -> RuleResult<Relation> {
    check_can_write(&ctx.actor)?;
    check_editable(file)?;
    if target.id == file.action.id {
        return broken("relation-not-self", "an action cannot relate to itself");
    }
    if file.relations.iter().any(|r| r.kind == kind && r.target_id == target.id) {
        return broken("relation-once", format!("{} already {} {}", file.action.number, kind.label().to_lowercase(), target.number));
    }
    if kind == RelationKind::Blocks && file.inverse_relations.iter().any(|r| r.kind == RelationKind::Blocks && r.action_id == target.id) {
        return broken(
            "no-blocking-loop",
            format!("{} already blocks {}; they cannot block each other", target.number, file.action.number),
        );
    }
    Ok(Relation { id: Id::new(), action_id: file.action.id, kind, target_id: target.id, note: note.trim().to_string() })
}

/// Record the outcome evaluation; the action moves from completed to evaluated.
pub fn evaluate(file: &ActionFile, mut eval: Evaluation, ctx: &Ctx) -> RuleResult<(Evaluation, Action, Transition)> {
    check_can_write(&ctx.actor)?;
    if file.action.status != Status::Completed {
        return broken(
            "evaluate-when-completed",
            format!("an outcome is evaluated once the action is completed; it is {}", file.action.status.label().to_lowercase()),
        );
    }
    if file.evaluation.is_some() {
        return broken("evaluate-once", "this action already has an outcome evaluation");
    }
    eval.action_id = file.action.id;
    eval.evaluated = ctx.stamp();
    let mut with_eval = file.clone();
    with_eval.evaluation = Some(eval.clone());
    let (a, t) = transition(&with_eval, Status::Evaluated, "outcome evaluated", ctx)?;
    Ok((eval, a, t))
}

pub fn add_document(file: &ActionFile, doc: Document, ctx: &Ctx) -> RuleResult<Document> {
    check_can_write(&ctx.actor)?;
    check_editable(file)?;
    if doc.name.trim().is_empty() {
        return broken("document-named", "a document needs a file name");
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(role: UserRole) -> Ctx {
        Ctx { actor: Actor { name: "J. Smith".into(), role }, now: "2026-11-24T12:00:00Z".parse().unwrap() }
    }
    fn exec() -> Ctx {
        ctx(UserRole::Executive)
    }

    fn issued() -> ActionFile {
        let mut a = Action::draft("Stand up the task force", ActionKind::Tasker);
        a.number = "2026-0001".into();
        a.issuing_official = Some("Chief of Staff".into());
        a.suspense = NaiveDate::from_ymd_opt(2026, 12, 31);
        let f = ActionFile::new(a);
        let (a, _) = transition(&f, Status::Issued, "", &exec()).unwrap();
        ActionFile::new(a)
    }

    fn with_opr(mut f: ActionFile) -> ActionFile {
        let x = assign(&f, Id::new(), Role::Opr, None, None, &exec()).unwrap();
        f.assignments.push(x);
        f
    }

    fn in_progress() -> ActionFile {
        let mut f = with_opr(issued());
        f.action = transition(&f, Status::Assigned, "", &exec()).unwrap().0;
        let opr = f.assignments[0].id;
        f.assignments[0] = acknowledge(&f, opr, &exec()).unwrap();
        f.action = transition(&f, Status::InProgress, "", &exec()).unwrap().0;
        f
    }

    fn completed() -> ActionFile {
        let mut f = in_progress();
        f.action = transition(&f, Status::Completed, "", &exec()).unwrap().0;
        f
    }

    fn eval() -> Evaluation {
        Evaluation {
            id: Id::new(),
            action_id: Id::new(),
            result: OutcomeResult::Met,
            on_time: true,
            within_scope: true,
            evidence: "report".into(),
            lessons_learned: "start earlier".into(),
            evaluated: exec().stamp(),
        }
    }

    #[test]
    fn issue_needs_issuing_official_and_sets_issue_date() {
        let f = ActionFile::new(Action::draft("x", ActionKind::Directive));
        let e = transition(&f, Status::Issued, "", &exec()).unwrap_err();
        assert_eq!(e.rule, "issuing-official-required");
        let f = issued();
        assert_eq!(f.action.status, Status::Issued);
        assert_eq!(f.action.issued_on, NaiveDate::from_ymd_opt(2026, 11, 24));
    }

    #[test]
    fn staff_cannot_issue() {
        let mut a = Action::draft("x", ActionKind::Directive);
        a.issuing_official = Some("x".into());
        let e = transition(&ActionFile::new(a), Status::Issued, "", &ctx(UserRole::Staff)).unwrap_err();
        assert_eq!(e.rule, "issue-by-leadership");
    }

    #[test]
    fn lifecycle_order_is_enforced() {
        let f = issued();
        let e = check_transition(&f, Status::Completed).unwrap_err();
        assert_eq!(e.rule, "lifecycle-order");
        assert!(e.message.contains("issued"));
    }

    #[test]
    fn cannot_assign_without_opr() {
        let f = issued();
        assert_eq!(check_transition(&f, Status::Assigned).unwrap_err().rule, "opr-required");
        let mut f = f;
        let ocr = assign(&f, Id::new(), Role::Ocr, None, None, &exec()).unwrap();
        f.assignments.push(ocr);
        assert_eq!(check_transition(&f, Status::Assigned).unwrap_err().rule, "opr-required", "an OCR is not an OPR");
        let f = with_opr(f);
        assert!(check_transition(&f, Status::Assigned).is_ok());
    }

    #[test]
    fn exactly_one_opr_and_office_once() {
        let f = with_opr(issued());
        assert_eq!(assign(&f, Id::new(), Role::Opr, None, None, &exec()).unwrap_err().rule, "one-opr");
        let office = f.assignments[0].office_id;
        assert_eq!(assign(&f, office, Role::Ocr, None, None, &exec()).unwrap_err().rule, "office-once");
    }

    #[test]
    fn drafts_are_not_assigned() {
        let f = ActionFile::new(Action::draft("x", ActionKind::Tasker));
        assert_eq!(assign(&f, Id::new(), Role::Opr, None, None, &exec()).unwrap_err().rule, "assign-after-issue");
    }

    #[test]
    fn assignment_suspense_not_after_action() {
        let f = issued();
        let late = NaiveDate::from_ymd_opt(2027, 1, 5);
        assert_eq!(assign(&f, Id::new(), Role::Ocr, late, None, &exec()).unwrap_err().rule, "assignment-suspense");
        let x = assign(&f, Id::new(), Role::Ocr, None, None, &exec()).unwrap();
        assert_eq!(x.suspense, f.action.suspense, "defaults to the action's suspense");
    }

    #[test]
    fn work_starts_after_opr_acknowledges() {
        let mut f = with_opr(issued());
        f.action = transition(&f, Status::Assigned, "", &exec()).unwrap().0;
        assert_eq!(check_transition(&f, Status::InProgress).unwrap_err().rule, "opr-acknowledged");
        let id = f.assignments[0].id;
        f.assignments[0] = acknowledge(&f, id, &exec()).unwrap();
        assert_eq!(acknowledge(&f, id, &exec()).unwrap_err().rule, "acknowledge-once");
        assert!(check_transition(&f, Status::InProgress).is_ok());
    }

    #[test]
    fn first_update_starts_work() {
        let mut f = with_opr(issued());
        f.action = transition(&f, Status::Assigned, "", &exec()).unwrap().0;
        let id = f.assignments[0].id;
        f.assignments[0] = acknowledge(&f, id, &exec()).unwrap();
        let (u, a, t) = add_update(&f, 30, "kickoff held", &exec()).unwrap();
        assert_eq!(u.percent_complete, 30);
        assert_eq!(a.status, Status::InProgress);
        assert_eq!(a.percent_complete, 30);
        assert!(t.is_some());
        assert_eq!(add_update(&f, 101, "x", &exec()).unwrap_err().rule, "percent-range");
        assert_eq!(add_update(&issued(), 10, "x", &exec()).unwrap_err().rule, "update-while-executing");
    }

    #[test]
    fn only_ocr_concurs_and_reasons_are_required() {
        let mut f = in_progress();
        let ocr = assign(&f, Id::new(), Role::Ocr, None, None, &exec()).unwrap();
        f.assignments.push(ocr.clone());
        let opr = f.assignments[0].id;
        assert_eq!(concur(&f, opr, ConcurrenceAnswer::Concur, "", &exec()).unwrap_err().rule, "concur-by-ocr");
        assert_eq!(concur(&f, ocr.id, ConcurrenceAnswer::NonConcur, " ", &exec()).unwrap_err().rule, "concurrence-comment");
        assert_eq!(concur(&f, ocr.id, ConcurrenceAnswer::ConcurWithComment, "", &exec()).unwrap_err().rule, "concurrence-comment");
        let x = concur(&f, ocr.id, ConcurrenceAnswer::Concur, "", &exec()).unwrap();
        f.assignments[1] = x;
        assert_eq!(concur(&f, ocr.id, ConcurrenceAnswer::Concur, "", &exec()).unwrap_err().rule, "concur-once");
    }

    #[test]
    fn cannot_complete_with_unresolved_non_concurrence() {
        let mut f = in_progress();
        let ocr = assign(&f, Id::new(), Role::Ocr, None, None, &exec()).unwrap();
        f.assignments.push(ocr.clone());
        f.assignments[1] = concur(&f, ocr.id, ConcurrenceAnswer::NonConcur, "cost not funded", &exec()).unwrap();
        assert_eq!(check_transition(&f, Status::Completed).unwrap_err().rule, "non-concurrence-resolved");
        assert_eq!(resolve_non_concurrence(&f, ocr.id, "", &exec()).unwrap_err().rule, "reason-required");
        f.assignments[1] = resolve_non_concurrence(&f, ocr.id, "funded in Q2 reprogramming", &exec()).unwrap();
        assert!(check_transition(&f, Status::Completed).is_ok());
        // After resolution the office may answer again.
        assert!(concur(&f, ocr.id, ConcurrenceAnswer::Concur, "", &exec()).is_ok());
    }

    #[test]
    fn cannot_complete_with_open_issue() {
        let mut f = in_progress();
        let i = raise_issue(&f, "Vendor delay", "", "PMO", &exec()).unwrap();
        f.issues.push(i.clone());
        assert_eq!(check_transition(&f, Status::Completed).unwrap_err().rule, "issues-resolved");
        assert_eq!(resolve_issue(&f, i.id, "", &exec()).unwrap_err().rule, "reason-required");
        f.issues[0] = resolve_issue(&f, i.id, "second vendor", &exec()).unwrap();
        assert_eq!(resolve_issue(&f, i.id, "again", &exec()).unwrap_err().rule, "resolve-once");
        assert!(check_transition(&f, Status::Completed).is_ok());
    }

    #[test]
    fn cannot_complete_while_blocked_by_open_action_or_open_sub_tasker() {
        let mut f = in_progress();
        let mut other = Action::draft("Budget approval", ActionKind::DecisionMemo);
        other.number = "2026-0002".into();
        other.status = Status::InProgress;
        f.inverse_relations.push(Relation {
            id: Id::new(),
            action_id: other.id,
            kind: RelationKind::Blocks,
            target_id: f.action.id,
            note: String::new(),
        });
        f.related.push(ActionBrief::from(&other));
        assert_eq!(check_transition(&f, Status::Completed).unwrap_err().rule, "blockers-done");
        f.related[0].status = Status::Completed;
        assert!(check_transition(&f, Status::Completed).is_ok());

        let mut child = Action::draft("Sub", ActionKind::Tasker);
        child.parent_id = Some(f.action.id);
        child.status = Status::Assigned;
        f.related.push(ActionBrief::from(&child));
        assert_eq!(check_transition(&f, Status::Completed).unwrap_err().rule, "sub-taskers-done");
    }

    #[test]
    fn blocked_needs_reason_and_returns() {
        let f = in_progress();
        assert_eq!(transition(&f, Status::Blocked, "", &exec()).unwrap_err().rule, "reason-required");
        let (a, t) = transition(&f, Status::Blocked, "waiting on OMB", &exec()).unwrap();
        assert_eq!(t.reason, "waiting on OMB");
        let f = ActionFile { action: a, ..f };
        assert!(transition(&f, Status::InProgress, "", &exec()).is_ok());
    }

    #[test]
    fn evaluation_requires_completion_and_close_requires_evaluation() {
        let f = in_progress();
        assert_eq!(evaluate(&f, eval(), &exec()).unwrap_err().rule, "evaluate-when-completed");
        let mut f = completed();
        assert_eq!(check_transition(&f, Status::Evaluated).unwrap_err().rule, "evaluation-required");
        let (e, a, _) = evaluate(&f, eval(), &exec()).unwrap();
        assert_eq!(a.status, Status::Evaluated);
        f.action = a.clone();
        let mut no_eval = f.clone();
        no_eval.evaluation = None;
        assert_eq!(check_transition(&no_eval, Status::Closed).unwrap_err().rule, "evaluation-required");
        f.evaluation = Some(e);
        assert_eq!(evaluate(&f, eval(), &exec()).unwrap_err().rule, "evaluate-when-completed");
        assert!(check_transition(&f, Status::Closed).is_ok());
    }

    #[test]
    fn only_executive_closes_and_closed_is_read_only_until_reopened() {
        let mut f = completed();
        let (e, a, _) = evaluate(&f, eval(), &exec()).unwrap();
        f.action = a;
        f.evaluation = Some(e);
        assert_eq!(transition(&f, Status::Closed, "", &ctx(UserRole::OfficeLead)).unwrap_err().rule, "close-by-executive");
        let (a, _) = transition(&f, Status::Closed, "", &exec()).unwrap();
        assert!(a.closed_at.is_some());
        f.action = a;
        assert_eq!(add_update(&f, 1, "x", &exec()).unwrap_err().rule, "read-only-when-final");
        assert_eq!(raise_issue(&f, "x", "", "", &exec()).unwrap_err().rule, "read-only-when-final");
        let mut edited = f.action.clone();
        edited.title = "changed".into();
        assert_eq!(edit(&f, edited, &exec()).unwrap_err().rule, "read-only-when-final");
        // Reopen needs a reason and is logged as a transition.
        assert_eq!(transition(&f, Status::InProgress, "", &exec()).unwrap_err().rule, "reason-required");
        let (a, t) = transition(&f, Status::InProgress, "IG finding: evidence incomplete", &exec()).unwrap();
        assert_eq!(a.status, Status::InProgress);
        assert!(a.closed_at.is_none());
        assert_eq!((t.from, t.to), (Status::Closed, Status::InProgress));
    }

    #[test]
    fn cancel_and_supersede_from_open_states_only_with_reason() {
        let f = issued();
        assert_eq!(transition(&f, Status::Cancelled, "", &exec()).unwrap_err().rule, "reason-required");
        assert!(transition(&f, Status::Cancelled, "overtaken by events", &exec()).is_ok());
        assert!(transition(&f, Status::Superseded, "replaced by 2026-0009", &exec()).is_ok());
        let f = completed();
        assert_eq!(transition(&f, Status::Cancelled, "x", &exec()).unwrap_err().rule, "lifecycle-order");
    }

    #[test]
    fn auditors_only_read() {
        let f = issued();
        let aud = ctx(UserRole::Auditor);
        assert_eq!(raise_issue(&f, "x", "", "", &aud).unwrap_err().rule, "auditor-read-only");
        assert_eq!(transition(&f, Status::Cancelled, "x", &aud).unwrap_err().rule, "auditor-read-only");
    }

    #[test]
    fn extensions_are_requested_decided_once_and_kept() {
        let mut f = in_progress();
        let opr = f.assignments[0].id;
        let later = NaiveDate::from_ymd_opt(2027, 2, 1).unwrap();
        assert_eq!(request_extension(&f, opr, later, "", &exec()).unwrap_err().rule, "extension-justified");
        assert_eq!(
            request_extension(&f, opr, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(), "x", &exec()).unwrap_err().rule,
            "extension-later"
        );
        let r = request_extension(&f, opr, later, "data call slipped", &exec()).unwrap();
        f.extensions.push(r.clone());
        assert_eq!(request_extension(&f, opr, later, "again", &exec()).unwrap_err().rule, "one-pending-extension");
        assert_eq!(decide_extension(&f, r.id, true, "", &ctx(UserRole::Staff)).unwrap_err().rule, "extension-by-leadership");
        assert_eq!(decide_extension(&f, r.id, false, "", &exec()).unwrap_err().rule, "reason-required");
        let out = decide_extension(&f, r.id, true, "ok", &exec()).unwrap();
        assert_eq!(out.assignment.unwrap().suspense, Some(later));
        assert_eq!(out.action.unwrap().suspense, Some(later), "OPR extension past the action's suspense moves it");
        f.extensions[0] = out.request;
        assert_eq!(decide_extension(&f, r.id, true, "", &exec()).unwrap_err().rule, "decide-once");
    }

    #[test]
    fn reassigning_moves_the_role_and_starts_acknowledgement_afresh() {
        let f = in_progress();
        let opr = f.assignments[0].clone();
        assert!(opr.acknowledged.is_some());
        let to = Id::new();
        let x = reassign(&f, opr.id, to, &exec()).unwrap();
        assert_eq!((x.office_id, x.role), (to, Role::Opr));
        assert!(x.acknowledged.is_none());
        assert_eq!(reassign(&f, opr.id, opr.office_id, &exec()).unwrap_err().rule, "office-once");
    }

    #[test]
    fn delegation_names_a_stand_in() {
        let f = in_progress();
        let opr = f.assignments[0].id;
        assert_eq!(delegate(&f, opr, " ", "", &exec()).unwrap_err().rule, "delegate-to-someone");
        let x = delegate(&f, opr, "Deputy Director", "on leave", &exec()).unwrap();
        assert_eq!(x.delegation.unwrap().to, "Deputy Director");
    }

    #[test]
    fn risks_are_scored_on_a_five_point_scale() {
        let f = issued();
        let mut r = Risk {
            id: Id::new(),
            action_id: f.action.id,
            description: "Litigation".into(),
            category: RiskCategory::Legal,
            likelihood: 4,
            impact: 5,
            mitigation: String::new(),
            owner: String::new(),
            status: RiskStatus::Open,
        };
        assert_eq!(r.score(), 20);
        assert!(add_risk(&f, r.clone(), &exec()).is_ok());
        r.likelihood = 6;
        assert_eq!(add_risk(&f, r, &exec()).unwrap_err().rule, "risk-scale");
    }

    #[test]
    fn risks_change_status_with_a_described_mitigation() {
        let mut f = issued();
        let r = Risk {
            id: Id::new(),
            action_id: f.action.id,
            description: "Litigation".into(),
            category: RiskCategory::Legal,
            likelihood: 3,
            impact: 3,
            mitigation: String::new(),
            owner: String::new(),
            status: RiskStatus::Open,
        };
        f.risks.push(r.clone());
        assert_eq!(update_risk(&f, r.id, RiskStatus::Mitigated, None, &exec()).unwrap_err().rule, "mitigation-described");
        let m = update_risk(&f, r.id, RiskStatus::Mitigated, Some("Counsel review"), &exec()).unwrap();
        assert_eq!((m.status, m.mitigation.as_str()), (RiskStatus::Mitigated, "Counsel review"));
        assert_eq!(update_risk(&f, Id::new(), RiskStatus::Closed, None, &exec()).unwrap_err().rule, "risk-exists");
    }

    #[test]
    fn relations_refuse_self_duplicates_and_loops() {
        let mut f = issued();
        let mut other = Action::draft("Other", ActionKind::ExecutiveOrder);
        other.number = "EO 1".into();
        let ob = ActionBrief::from(&other);
        assert_eq!(relate(&f, RelationKind::Amends, &ActionBrief::from(&f.action), "", &exec()).unwrap_err().rule, "relation-not-self");
        let r = relate(&f, RelationKind::Amends, &ob, "", &exec()).unwrap();
        f.relations.push(r);
        assert_eq!(relate(&f, RelationKind::Amends, &ob, "", &exec()).unwrap_err().rule, "relation-once");
        f.inverse_relations.push(Relation {
            id: Id::new(),
            action_id: other.id,
            kind: RelationKind::Blocks,
            target_id: f.action.id,
            note: String::new(),
        });
        assert_eq!(relate(&f, RelationKind::Blocks, &ob, "", &exec()).unwrap_err().rule, "no-blocking-loop");
    }

    #[test]
    fn edits_cannot_change_status_or_break_dates() {
        let f = issued();
        let mut e = f.action.clone();
        e.status = Status::Closed;
        assert_eq!(edit(&f, e, &exec()).unwrap_err().rule, "status-through-lifecycle");
        let mut e = f.action.clone();
        e.suspense = NaiveDate::from_ymd_opt(2020, 1, 1);
        assert_eq!(edit(&f, e, &exec()).unwrap_err().rule, "suspense-after-issue");
        let mut e = f.action.clone();
        e.title = "  ".into();
        assert_eq!(edit(&f, e, &exec()).unwrap_err().rule, "title-required");
    }
}
