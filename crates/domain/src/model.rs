//! The records Mandate keeps, in the users' words (see `shared/DOMAIN.md`).
//!
//! Every record has an [`Id`] and is replicated on its own, so child records (assignments,
//! risks, updates…) point at their action instead of being nested in it: two people adding risks
//! to one action on two laptops must not collide.

use crate::Id;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Declares a closed vocabulary: serde uses the snake_case names, the CLI parses the same names,
/// and `ALL` lists them for help texts and pickers.
macro_rules! vocabulary {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal, $label:literal;)+ }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        pub enum $name { $( #[serde(rename = $text)] $variant, )+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The stable machine name (used in JSON, CSV and on the command line).
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $text),+ } }
            /// The name shown to people.
            pub fn label(self) -> &'static str { match self { $($name::$variant => $label),+ } }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                let norm = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
                $name::ALL.iter().copied()
                    .find(|v| v.as_str() == norm || v.label().eq_ignore_ascii_case(s.trim()))
                    .ok_or_else(|| format!(
                        "`{}` is not a valid {}; expected one of: {}",
                        s, stringify!($name),
                        $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")))
            }
        }
    };
}

vocabulary!(
    /// What sort of executive action this is.
    ActionKind {
        ExecutiveOrder => "executive_order", "Executive order";
        Directive => "directive", "Directive";
        Policy => "policy", "Policy";
        Compliance => "compliance", "Compliance action";
        Tasker => "tasker", "Tasker";
        DecisionMemo => "decision_memo", "Decision memo";
        Memorandum => "memorandum", "Memorandum";
    }
);

vocabulary!(
    Priority {
        Routine => "routine", "Routine";
        Priority => "priority", "Priority";
        Immediate => "immediate", "Immediate";
        Flash => "flash", "Flash";
    }
);

vocabulary!(
    /// Where an action is in its lifecycle (DOMAIN.md "Lifecycle").
    Status {
        Draft => "draft", "Draft";
        Issued => "issued", "Issued";
        Assigned => "assigned", "Assigned";
        InProgress => "in_progress", "In progress";
        Blocked => "blocked", "Blocked";
        Completed => "completed", "Completed";
        Evaluated => "evaluated", "Evaluated";
        Closed => "closed", "Closed";
        Cancelled => "cancelled", "Cancelled";
        Superseded => "superseded", "Superseded";
    }
);

impl Status {
    /// Still being worked: counts toward overdue and at-risk.
    pub fn is_open(self) -> bool {
        matches!(self, Status::Draft | Status::Issued | Status::Assigned | Status::InProgress | Status::Blocked)
    }
    /// The work itself is done (whether or not it was evaluated and closed since).
    pub fn is_done(self) -> bool {
        matches!(self, Status::Completed | Status::Evaluated | Status::Closed)
    }
    /// Terminal states keep the record read-only; only a logged reopen (from closed) changes it.
    pub fn is_read_only(self) -> bool {
        matches!(self, Status::Closed | Status::Cancelled | Status::Superseded)
    }
}

vocabulary!(
    AuthorityKind {
        Statute => "statute", "Statute";
        Regulation => "regulation", "Regulation";
        ExecutiveOrder => "executive_order", "Executive order";
        Delegation => "delegation", "Delegation of authority";
        Agreement => "agreement", "Agreement or MOU";
        CourtOrder => "court_order", "Court order";
    }
);

vocabulary!(
    OfficeKind {
        Office => "office", "Office";
        Agency => "agency", "Agency";
        Partner => "partner", "External partner";
    }
);

vocabulary!(
    /// OPR leads, OCRs must concur, info addressees are copied.
    Role {
        Opr => "opr", "OPR";
        Ocr => "ocr", "OCR";
        Info => "info", "Info";
    }
);

vocabulary!(
    ConcurrenceAnswer {
        Concur => "concur", "Concur";
        ConcurWithComment => "concur_with_comment", "Concur with comment";
        NonConcur => "non_concur", "Non-concur";
    }
);

vocabulary!(
    RiskCategory {
        Legal => "legal", "Legal";
        Operational => "operational", "Operational";
        Financial => "financial", "Financial";
        Reputational => "reputational", "Reputational";
        Security => "security", "Security";
    }
);

vocabulary!(
    RiskStatus {
        Open => "open", "Open";
        Mitigated => "mitigated", "Mitigated";
        Accepted => "accepted", "Accepted";
        Closed => "closed", "Closed";
    }
);

vocabulary!(
    ImpactArea {
        Cost => "cost", "Cost";
        People => "people", "People";
        Operations => "operations", "Operations";
        Legal => "legal", "Legal";
        Mission => "mission", "Mission";
    }
);

vocabulary!(
    /// Relations between actions. The inverse names (amended by, revoked by…) are derived when
    /// reading, never stored, so the two sides can never disagree.
    RelationKind {
        Blocks => "blocks", "Blocks";
        Amends => "amends", "Amends";
        Revokes => "revokes", "Revokes";
        Supersedes => "supersedes", "Supersedes";
        SeeAlso => "see_also", "See also";
    }
);

impl RelationKind {
    /// How the relation reads from the target's side.
    pub fn inverse_label(self) -> &'static str {
        match self {
            RelationKind::Blocks => "Blocked by",
            RelationKind::Amends => "Amended by",
            RelationKind::Revokes => "Revoked by",
            RelationKind::Supersedes => "Superseded by",
            RelationKind::SeeAlso => "See also",
        }
    }
}

vocabulary!(
    OutcomeResult {
        Met => "met", "Met";
        PartlyMet => "partly_met", "Partly met";
        NotMet => "not_met", "Not met";
    }
);

vocabulary!(
    /// What a person may do. Checked by the lifecycle rules (who may close) and, later, by the
    /// agency server per change.
    UserRole {
        Executive => "executive", "Executive";
        OfficeLead => "office_lead", "Office lead";
        Staff => "staff", "Staff";
        Auditor => "auditor", "Auditor (read-only)";
    }
);

/// A handling marking such as `UNCLASSIFIED`, `CUI` or `CUI//SP-PRVCY`.
///
/// Mandate is for unclassified and CUI work only, so anything else is refused rather than stored
/// and shown as a banner nobody is allowed to print.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
pub struct Marking(String);

impl Marking {
    pub fn unclassified() -> Self {
        Marking("UNCLASSIFIED".into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// UNCLASSIFIED < CUI < CUI with categories (more categories ranks higher).
    pub fn rank(&self) -> usize {
        if self.0 == "UNCLASSIFIED" {
            0
        } else {
            1 + self.0.matches("//").count()
        }
    }
    /// The highest of several markings (what a banner over all of them must show).
    pub fn highest<'a>(markings: impl IntoIterator<Item = &'a Marking>) -> Marking {
        markings.into_iter().max_by_key(|m| (m.rank(), m.0.clone())).cloned().unwrap_or_else(Marking::unclassified)
    }
}

impl TryFrom<String> for Marking {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let up = s.trim().to_ascii_uppercase();
        let ok = up == "UNCLASSIFIED"
            || up == "CUI"
            || (up.starts_with("CUI//")
                && up[5..].split(['/', ',']).filter(|p| !p.is_empty()).all(|p| p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')));
        if ok {
            Ok(Marking(up))
        } else {
            Err(format!("`{s}` is not a handling marking Mandate accepts (UNCLASSIFIED, CUI, or CUI//CATEGORY…)"))
        }
    }
}
impl FromStr for Marking {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Marking::try_from(s.to_string())
    }
}
impl From<Marking> for String {
    fn from(m: Marking) -> String {
        m.0
    }
}
impl fmt::Display for Marking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who did something, and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Stamp {
    pub by: String,
    pub at: DateTime<Utc>,
}

/// The person making a change, with what they are allowed to do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Actor {
    pub name: String,
    pub role: UserRole,
}

impl Actor {
    pub fn stamp(&self, at: DateTime<Utc>) -> Stamp {
        Stamp { by: self.name.clone(), at }
    }
}

/// The unit of work: a directive, tasker or formal action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Action {
    pub id: Id,
    /// Short number people can say aloud ("2026-0042", or "EO 13526" for an executive order).
    pub number: String,
    pub kind: ActionKind,
    pub title: String,
    /// Requirements text.
    #[serde(default)]
    pub body: String,
    pub priority: Priority,
    pub marking: Marking,
    pub status: Status,
    #[serde(default)]
    pub issuing_official: Option<String>,
    #[serde(default)]
    pub issued_on: Option<NaiveDate>,
    #[serde(default)]
    pub suspense: Option<NaiveDate>,
    #[serde(default)]
    pub parent_id: Option<Id>,
    /// Latest reported percent complete (kept in step with status updates).
    #[serde(default)]
    pub percent_complete: u8,
    /// A stable outside reference (e.g. `EO 13526`) that imports use to recognise the record.
    #[serde(default)]
    pub external_ref: Option<String>,
    #[serde(default)]
    pub source_url: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub completed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
}

impl Action {
    pub fn draft(title: &str, kind: ActionKind) -> Action {
        Action {
            id: Id::new(),
            number: String::new(),
            kind,
            title: title.trim().to_string(),
            body: String::new(),
            priority: Priority::Routine,
            marking: Marking::unclassified(),
            status: Status::Draft,
            issuing_official: None,
            issued_on: None,
            suspense: None,
            parent_id: None,
            percent_complete: 0,
            external_ref: None,
            source_url: None,
            created_at: Utc::now(),
            completed_at: None,
            closed_at: None,
        }
    }

    /// Past suspense and not done.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.status.is_open() && self.status != Status::Draft && self.suspense.is_some_and(|s| s < today)
    }

    /// Due within `window_days` and less than 75 % done (DOMAIN.md: "due within N days and not
    /// near done").
    pub fn is_at_risk(&self, today: NaiveDate, window_days: i64) -> bool {
        self.status.is_open()
            && self.status != Status::Draft
            && self.percent_complete < AT_RISK_DONE_PERCENT
            && self.suspense.is_some_and(|s| s >= today && (s - today).num_days() <= window_days)
    }
}

/// "Near done" threshold for at-risk.
pub const AT_RISK_DONE_PERCENT: u8 = 75;
/// Default at-risk window, in days.
pub const AT_RISK_WINDOW_DAYS: i64 = 7;

/// An entry in the authorities library.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Authority {
    pub id: Id,
    pub kind: AuthorityKind,
    /// Citation text as lawyers write it: `5 U.S.C. 301`, `2 CFR 200`, `EO 13526`.
    pub citation: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub url: Option<String>,
}

impl Authority {
    /// Guess the kind from a typed citation, so staff can type `EO 13526` or `5 U.S.C. 301`
    /// without picking from a list.
    pub fn infer_kind(citation: &str) -> AuthorityKind {
        let c = citation.to_ascii_uppercase();
        if c.starts_with("EO ") || c.starts_with("E.O.") || c.contains("EXECUTIVE ORDER") {
            AuthorityKind::ExecutiveOrder
        } else if c.contains("U.S.C") || c.contains("PUB. L") || c.contains("STAT.") || c.starts_with("P.L.") {
            AuthorityKind::Statute
        } else if c.contains("CFR") || c.contains(" FR ") {
            AuthorityKind::Regulation
        } else if c.contains("MOU") || c.contains("MOA") || c.contains("AGREEMENT") {
            AuthorityKind::Agreement
        } else if c.contains(" V. ") || c.contains("COURT") || c.contains("F.3D") || c.contains("F.4TH") {
            AuthorityKind::CourtOrder
        } else {
            AuthorityKind::Delegation
        }
    }
}

/// An action cites an authority.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Citation {
    pub id: Id,
    pub action_id: Id,
    pub authority_id: Id,
    #[serde(default)]
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Office {
    pub id: Id,
    /// Short symbol used on the command line and in tables (`OGC`, `DOE`).
    pub code: String,
    pub name: String,
    pub kind: OfficeKind,
    #[serde(default)]
    pub parent_id: Option<Id>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Person {
    pub id: Id,
    pub name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub office_id: Option<Id>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Concurrence {
    pub answer: ConcurrenceAnswer,
    /// Required for concur-with-comment and non-concur (the reason).
    #[serde(default)]
    pub comment: String,
    pub by: String,
    pub at: DateTime<Utc>,
    /// How a non-concurrence was resolved; `None` while it still blocks completion.
    #[serde(default)]
    pub resolution: Option<Resolution>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Resolution {
    pub note: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A stand-in acting for the assignee.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Delegation {
    pub to: String,
    #[serde(default)]
    pub note: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// One office's part in an action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Assignment {
    pub id: Id,
    pub action_id: Id,
    pub office_id: Id,
    pub role: Role,
    #[serde(default)]
    pub assignee: Option<String>,
    /// This assignee's own suspense (on or before the action's).
    #[serde(default)]
    pub suspense: Option<NaiveDate>,
    pub assigned: Stamp,
    #[serde(default)]
    pub acknowledged: Option<Stamp>,
    #[serde(default)]
    pub concurrence: Option<Concurrence>,
    #[serde(default)]
    pub delegation: Option<Delegation>,
}

impl Assignment {
    /// A non-concurrence nobody has resolved yet blocks completion.
    pub fn has_unresolved_non_concurrence(&self) -> bool {
        self.concurrence.as_ref().is_some_and(|c| c.answer == ConcurrenceAnswer::NonConcur && c.resolution.is_none())
    }
}

/// A request to move an assignment's suspense, and its decision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExtensionRequest {
    pub id: Id,
    pub action_id: Id,
    pub assignment_id: Id,
    pub current_suspense: Option<NaiveDate>,
    pub requested_suspense: NaiveDate,
    pub justification: String,
    pub requested: Stamp,
    #[serde(default)]
    pub decision: Option<ExtensionDecision>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExtensionDecision {
    pub approved: bool,
    #[serde(default)]
    pub note: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Risk {
    pub id: Id,
    pub action_id: Id,
    pub description: String,
    pub category: RiskCategory,
    /// 1 (rare) – 5 (almost certain).
    pub likelihood: u8,
    /// 1 (minimal) – 5 (severe).
    pub impact: u8,
    #[serde(default)]
    pub mitigation: String,
    #[serde(default)]
    pub owner: String,
    pub status: RiskStatus,
}

impl Risk {
    pub fn score(&self) -> u8 {
        self.likelihood * self.impact
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImpactAssessment {
    pub id: Id,
    pub action_id: Id,
    pub area: ImpactArea,
    pub description: String,
    /// Estimated cost in dollars, when the area has one.
    #[serde(default)]
    pub estimated_cost: Option<f64>,
    pub assessed: Stamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StatusUpdate {
    pub id: Id,
    pub action_id: Id,
    pub percent_complete: u8,
    pub text: String,
    pub reported: Stamp,
}

/// A problem raised during execution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Issue {
    pub id: Id,
    pub action_id: Id,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub owner: String,
    pub raised: Stamp,
    #[serde(default)]
    pub resolution: Option<Resolution>,
}

/// `action_id` <kind> `target_id` (e.g. EO 13489 revokes EO 13233).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Relation {
    pub id: Id,
    pub action_id: Id,
    pub kind: RelationKind,
    pub target_id: Id,
    /// Qualifier such as "in part".
    #[serde(default)]
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Evaluation {
    pub id: Id,
    pub action_id: Id,
    pub result: OutcomeResult,
    pub on_time: bool,
    pub within_scope: bool,
    #[serde(default)]
    pub evidence: String,
    #[serde(default)]
    pub lessons_learned: String,
    pub evaluated: Stamp,
}

/// Metadata of a supporting document; the bytes are kept inside the encrypted database.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Document {
    pub id: Id,
    pub action_id: Id,
    pub name: String,
    pub media_type: String,
    pub size: u64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    pub added: Stamp,
}

/// One lifecycle step, kept so closures, reopenings and cancellations carry who and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Transition {
    pub id: Id,
    pub action_id: Id,
    pub from: Status,
    pub to: Status,
    #[serde(default)]
    pub reason: String,
    pub at: Stamp,
}

/// An action with everything recorded about it: what the rules need to decide, and what `show`
/// prints.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ActionFile {
    pub action: Action,
    #[serde(default)]
    pub authorities: Vec<Authority>,
    #[serde(default)]
    pub citations: Vec<Citation>,
    #[serde(default)]
    pub assignments: Vec<Assignment>,
    #[serde(default)]
    pub extensions: Vec<ExtensionRequest>,
    #[serde(default)]
    pub risks: Vec<Risk>,
    #[serde(default)]
    pub impacts: Vec<ImpactAssessment>,
    #[serde(default)]
    pub updates: Vec<StatusUpdate>,
    #[serde(default)]
    pub issues: Vec<Issue>,
    /// Relations where this action is the subject.
    #[serde(default)]
    pub relations: Vec<Relation>,
    /// Relations where this action is the target (shown with the inverse label).
    #[serde(default)]
    pub inverse_relations: Vec<Relation>,
    #[serde(default)]
    pub evaluation: Option<Evaluation>,
    #[serde(default)]
    pub documents: Vec<Document>,
    #[serde(default)]
    pub transitions: Vec<Transition>,
    /// Other actions this file refers to (children, relation ends), in brief.
    #[serde(default)]
    pub related: Vec<ActionBrief>,
}

impl ActionFile {
    pub fn new(action: Action) -> Self {
        ActionFile {
            action,
            authorities: vec![],
            citations: vec![],
            assignments: vec![],
            extensions: vec![],
            risks: vec![],
            impacts: vec![],
            updates: vec![],
            issues: vec![],
            relations: vec![],
            inverse_relations: vec![],
            evaluation: None,
            documents: vec![],
            transitions: vec![],
            related: vec![],
        }
    }

    pub fn opr(&self) -> Option<&Assignment> {
        self.assignments.iter().find(|a| a.role == Role::Opr)
    }

    pub fn brief(&self, id: Id) -> Option<&ActionBrief> {
        self.related.iter().find(|b| b.id == id)
    }

    /// Sub-taskers (children) of this action.
    pub fn children(&self) -> impl Iterator<Item = &ActionBrief> {
        let me = self.action.id;
        self.related.iter().filter(move |b| b.parent_id == Some(me))
    }
}

/// What a list shows of an action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ActionBrief {
    pub id: Id,
    pub number: String,
    pub title: String,
    pub kind: ActionKind,
    pub status: Status,
    pub priority: Priority,
    pub suspense: Option<NaiveDate>,
    #[serde(default)]
    pub parent_id: Option<Id>,
}

impl From<&Action> for ActionBrief {
    fn from(a: &Action) -> Self {
        ActionBrief {
            id: a.id,
            number: a.number.clone(),
            title: a.title.clone(),
            kind: a.kind,
            status: a.status,
            priority: a.priority,
            suspense: a.suspense,
            parent_id: a.parent_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markings_validate_and_rank() {
        let u: Marking = "unclassified".parse().unwrap();
        let c: Marking = "CUI".parse().unwrap();
        let sp: Marking = "CUI//SP-PRVCY".parse().unwrap();
        assert_eq!(Marking::highest([&u, &sp, &c]), sp);
        assert_eq!(Marking::highest([]), Marking::unclassified());
        let err = "SECRET".parse::<Marking>().unwrap_err();
        assert!(err.contains("SECRET"));
    }

    #[test]
    fn vocabulary_parses_machine_names_and_labels() {
        assert_eq!("in-progress".parse::<Status>().unwrap(), Status::InProgress);
        assert_eq!("Decision memo".parse::<ActionKind>().unwrap(), ActionKind::DecisionMemo);
        let err = "whatever".parse::<Role>().unwrap_err();
        assert!(err.contains("opr, ocr, info"), "{err}");
    }

    #[test]
    fn authority_kind_is_inferred_from_citation() {
        assert_eq!(Authority::infer_kind("5 U.S.C. 301"), AuthorityKind::Statute);
        assert_eq!(Authority::infer_kind("2 CFR 200"), AuthorityKind::Regulation);
        assert_eq!(Authority::infer_kind("EO 13526"), AuthorityKind::ExecutiveOrder);
        assert_eq!(Authority::infer_kind("MOU with State of Ohio"), AuthorityKind::Agreement);
    }

    #[test]
    fn overdue_and_at_risk() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let mut a = Action::draft("x", ActionKind::Tasker);
        a.status = Status::InProgress;
        a.suspense = Some(today - chrono::Days::new(1));
        assert!(a.is_overdue(today));
        assert!(!a.is_at_risk(today, 7));
        a.suspense = Some(today + chrono::Days::new(3));
        assert!(a.is_at_risk(today, 7));
        a.percent_complete = 90;
        assert!(!a.is_at_risk(today, 7), "near done is not at risk");
        a.status = Status::Completed;
        a.suspense = Some(today - chrono::Days::new(1));
        assert!(!a.is_overdue(today), "done is never overdue");
    }
}

/// A set of records of every kind, for bulk loading (sample data, benchmarks) — written by the
/// store in the order their references need.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Records {
    pub offices: Vec<Office>,
    pub people: Vec<Person>,
    pub authorities: Vec<Authority>,
    pub actions: Vec<Action>,
    pub citations: Vec<Citation>,
    pub assignments: Vec<Assignment>,
    pub extensions: Vec<ExtensionRequest>,
    pub risks: Vec<Risk>,
    pub impacts: Vec<ImpactAssessment>,
    pub updates: Vec<StatusUpdate>,
    pub issues: Vec<Issue>,
    pub relations: Vec<Relation>,
    pub evaluations: Vec<Evaluation>,
    pub transitions: Vec<Transition>,
}

impl Records {
    pub fn len(&self) -> usize {
        self.offices.len()
            + self.people.len()
            + self.authorities.len()
            + self.actions.len()
            + self.citations.len()
            + self.assignments.len()
            + self.extensions.len()
            + self.risks.len()
            + self.impacts.len()
            + self.updates.len()
            + self.issues.len()
            + self.relations.len()
            + self.evaluations.len()
            + self.transitions.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A named filter of the actions list ("My office's overdue taskers").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SavedView {
    pub id: Id,
    pub name: String,
    pub filter: crate::filter::ActionFilter,
    pub saved: Stamp,
}

/// Which actions a briefing book holds: a saved view, a filter, or a hand-picked list
/// (action numbers or ids). Hand-picked actions are added to what the view or filter selects.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
pub struct BookSelection {
    #[serde(default)]
    pub view: Option<String>,
    #[serde(default)]
    pub filter: Option<crate::filter::ActionFilter>,
    #[serde(default)]
    pub actions: Vec<String>,
}

/// A reusable briefing-book setup ("Weekly principal's book").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BookTemplate {
    pub id: Id,
    pub name: String,
    pub selection: BookSelection,
    /// The book options as the briefing crate writes them. Kept as JSON here so the domain does
    /// not depend on the printer; options added later read back with their defaults.
    pub options: serde_json::Value,
    pub saved: Stamp,
}
