//! Realistic synthetic workspaces: offices, people, authorities and actions at every stage of
//! the lifecycle, with assignments, concurrences, risks, impacts, status updates, issues and
//! outcome evaluations.
//!
//! The same generator fills the demo workspace, the desktop app's "sample data" option and the
//! benchmarks, so what we measure is what people see. It is deterministic for a seed and a
//! "today", so tests can count on it. Every action it produces obeys the lifecycle rules (an
//! assigned action has exactly one OPR, a closed one has an evaluation, …) — the store's tests
//! check that.
//!
//! ```
//! let r = mandate_sample::generate(&mandate_sample::Options { actions: 50, ..Default::default() });
//! assert_eq!(r.actions.len(), 50);
//! ```

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use mandate_domain::*;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

#[derive(Clone, Debug)]
pub struct Options {
    pub actions: usize,
    pub seed: u64,
    /// The day the workspace is "as of": suspenses and statuses are arranged around it.
    pub today: NaiveDate,
}

impl Default for Options {
    fn default() -> Self {
        Options { actions: 500, seed: 2026, today: NaiveDate::from_ymd_opt(2026, 11, 24).expect("valid date") }
    }
}

const OFFICES: &[(&str, &str, OfficeKind)] = &[
    ("OCOS", "Office of the Chief of Staff", OfficeKind::Office),
    ("OGC", "Office of the General Counsel", OfficeKind::Office),
    ("OCFO", "Office of the Chief Financial Officer", OfficeKind::Office),
    ("OPP", "Office of Policy and Planning", OfficeKind::Office),
    ("OLA", "Office of Legislative Affairs", OfficeKind::Office),
    ("OPA", "Office of Public Affairs", OfficeKind::Office),
    ("OCIO", "Office of the Chief Information Officer", OfficeKind::Office),
    ("OHC", "Office of Human Capital", OfficeKind::Office),
    ("OEM", "Office of Emergency Management", OfficeKind::Office),
    ("OCRO", "Office of the Chief Risk Officer", OfficeKind::Office),
    ("DOE", "Department of Energy", OfficeKind::Agency),
    ("DHS", "Department of Homeland Security", OfficeKind::Agency),
    ("EPA", "Environmental Protection Agency", OfficeKind::Agency),
    ("OMB", "Office of Management and Budget", OfficeKind::Agency),
    ("NGA", "National Governors Association", OfficeKind::Partner),
    ("OHIO", "State of Ohio Emergency Management Agency", OfficeKind::Partner),
];

const AUTHORITIES: &[(AuthorityKind, &str, &str)] = &[
    (AuthorityKind::Statute, "5 U.S.C. 301", "Departmental regulations"),
    (AuthorityKind::Regulation, "2 CFR 200", "Uniform Administrative Requirements for Federal Awards"),
    (AuthorityKind::Statute, "31 U.S.C. 1341", "Antideficiency Act"),
    (AuthorityKind::Statute, "44 U.S.C. 3501", "Paperwork Reduction Act"),
    (AuthorityKind::ExecutiveOrder, "EO 13526", "Classified National Security Information"),
    (AuthorityKind::ExecutiveOrder, "EO 12866", "Regulatory Planning and Review"),
    (AuthorityKind::ExecutiveOrder, "EO 14028", "Improving the Nation's Cybersecurity"),
    (AuthorityKind::Statute, "42 U.S.C. 5121", "Robert T. Stafford Disaster Relief and Emergency Assistance Act"),
    (AuthorityKind::Statute, "Pub. L. 115-435", "Foundations for Evidence-Based Policymaking Act"),
    (AuthorityKind::Statute, "29 U.S.C. 794d", "Section 508 of the Rehabilitation Act"),
    (AuthorityKind::Statute, "40 U.S.C. 11315", "Agency Chief Information Officer"),
    (AuthorityKind::Agreement, "MOU 2025-014 with the State of Ohio", "Mutual aid in declared emergencies"),
    (AuthorityKind::Delegation, "Delegation of Authority DOA-2024-03", "Chief of Staff to sign taskers"),
    (AuthorityKind::CourtOrder, "United States v. Northwind Corp., No. 1:22-cv-01234 (D.D.C.)", "Consent decree on records retention"),
    (AuthorityKind::Regulation, "36 CFR 1236", "Electronic records management"),
];

const VERBS: &[&str] =
    &["Implement", "Review", "Prepare", "Coordinate", "Assess", "Update", "Develop", "Brief leadership on", "Report on", "Establish"];
const SUBJECTS: &[&str] = &[
    "the FY2027 budget justification",
    "the cybersecurity incident response plan",
    "Section 508 compliance of public websites",
    "hurricane season preparedness",
    "the semiannual regulatory agenda",
    "grant oversight procedures",
    "the records management schedule",
    "the workforce reskilling program",
    "the interagency data-sharing agreement",
    "congressional testimony on permitting reform",
    "zero-trust architecture milestones",
    "the continuity of operations plan",
    "improper payment reduction targets",
    "the customer experience action plan",
    "evidence-building learning agenda",
    "wildfire smoke public health guidance",
    "supply chain risk management policy",
    "the annual performance report",
    "controlled unclassified information training",
    "field office space consolidation",
];
const QUALIFIERS: &[&str] = &[
    "",
    "",
    "",
    " for Region 5",
    " — phase 2",
    " (follow-up)",
    " for the Secretary's review",
    " ahead of the Q3 review",
    " with state partners",
];
const FIRST: &[&str] = &[
    "Maria", "James", "Aisha", "Robert", "Chen", "Olivia", "Darnell", "Priya", "Samuel", "Elena", "Kwame", "Grace", "Tomás", "Hannah",
    "Yusuf", "Zoë",
];
const LAST: &[&str] = &[
    "Alvarez",
    "Johnson",
    "Okafor",
    "Nguyen",
    "Smith",
    "Patel",
    "O'Brien",
    "Kowalski",
    "García",
    "Washington",
    "Kim",
    "Haddad",
    "Müller",
    "Brooks",
];
const UPDATE_TEXT: &[&str] = &[
    "Kickoff held with all coordinating offices; work plan agreed.",
    "Draft circulated for internal review.",
    "Data call issued to field offices; responses due Friday.",
    "Legal review under way; no blocking concerns so far.",
    "Briefed the Deputy Chief of Staff; guidance incorporated.",
    "Final draft cleared by OGC and OCFO.",
    "Awaiting OMB passback before the next step.",
];
const RISKS: &[(&str, RiskCategory)] = &[
    ("Litigation if the rule is issued without full notice and comment", RiskCategory::Legal),
    ("Insufficient staff to meet the suspense", RiskCategory::Operational),
    ("Costs exceed the available appropriation", RiskCategory::Financial),
    ("Negative press coverage if timelines slip", RiskCategory::Reputational),
    ("Exposure of personally identifiable information", RiskCategory::Security),
    ("Dependency on a partner agency's data delivery", RiskCategory::Operational),
];
const ISSUES: &[&str] = &[
    "Vendor delivery delayed",
    "Conflicting guidance from two offices",
    "Data quality problems in field submissions",
    "Key staff member on extended leave",
];
const LESSONS: &[&str] = &[
    "Engage coordinating offices before the first draft.",
    "Set the assignee suspense two weeks ahead of the principal's deadline.",
    "Name a single point of contact in each partner agency.",
    "Budget time for legal review in the initial plan.",
];

fn pick<'a, T>(rng: &mut Gen, v: &'a [T]) -> &'a T {
    &v[rng.gen_range(0..v.len())]
}

fn at(d: NaiveDate, rng: &mut Gen) -> DateTime<Utc> {
    let secs = rng.gen_range(8 * 3600..18 * 3600);
    Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight")) + chrono::Duration::seconds(secs)
}

/// The generator's randomness plus a counter for ids.
struct Gen {
    rng: SmallRng,
    seq: u64,
}

impl rand::RngCore for Gen {
    fn next_u32(&mut self) -> u32 {
        self.rng.next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.rng.fill_bytes(dest)
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.rng.try_fill_bytes(dest)
    }
}

/// Deterministic, time-ordered (v7-shaped) ids: the same seed gives the same workspace, and new
/// rows land at the end of the id index as they do for ids made by `Id::new`.
fn id(g: &mut Gen) -> Id {
    g.seq += 1;
    let ms: u128 = 1_700_000_000_000 + g.seq as u128; // the 48-bit timestamp field, one "ms" per id
    let tail: u64 = g.rng.gen();
    Id::from_u128(
        (ms << 80) | (0x7u128 << 76) | (((tail >> 52) as u128 & 0xFFF) << 64) | (0x8u128 << 60) | (tail as u128 & 0x0FFF_FFFF_FFFF_FFFF),
    )
}

/// Generate a workspace.
pub fn generate(opts: &Options) -> Records {
    let mut rng = Gen { rng: SmallRng::seed_from_u64(opts.seed), seq: opts.seed.wrapping_mul(1_000_000_007) % 1_000_000_000 };
    let today = opts.today;
    let mut r = Records::default();
    for (code, name, kind) in OFFICES {
        r.offices.push(Office {
            id: Id::derived(&format!("office:{code}")),
            code: code.to_string(),
            name: name.to_string(),
            kind: *kind,
            parent_id: None,
        });
    }
    let mut people: Vec<(String, usize)> = Vec::new();
    for (oi, o) in r.offices.iter().enumerate() {
        for _ in 0..2 {
            let name = format!("{} {}", pick(&mut rng, FIRST), pick(&mut rng, LAST));
            r.people.push(Person {
                id: id(&mut rng),
                name: name.clone(),
                title: if people.len() % 2 == 0 { "Director".into() } else { "Senior Advisor".into() },
                email: Some(format!(
                    "{}@example.gov",
                    name.to_lowercase().replace([' ', '\''], ".").replace(['á', 'í', 'ó', 'é', 'ü', 'ë'], "")
                )),
                office_id: Some(o.id),
            });
            people.push((name, oi));
        }
    }
    for (kind, citation, title) in AUTHORITIES {
        r.authorities.push(Authority {
            id: Id::derived(&format!("authority:{citation}")),
            kind: *kind,
            citation: citation.to_string(),
            title: title.to_string(),
            url: None,
        });
    }
    let officials = ["Secretary", "Deputy Secretary", "Chief of Staff", "Deputy Chief of Staff"];
    let markings = ["UNCLASSIFIED", "UNCLASSIFIED", "UNCLASSIFIED", "CUI", "CUI//SP-PRVCY"];
    let n = opts.actions;
    let mut year_seq: std::collections::BTreeMap<i32, u32> = Default::default();
    let mut prev_action: Option<(Id, Status)> = None;
    for i in 0..n {
        // Issued within the last two years, more of them recent.
        let age_days: u64 = (rng.gen::<f64>().powf(1.6) * 730.0) as u64;
        let issued = today - Days::new(age_days);
        let horizon = rng.gen_range(14..120u64);
        let suspense = issued + Days::new(horizon);
        let kind = *pick(
            &mut rng,
            &[
                ActionKind::Tasker,
                ActionKind::Tasker,
                ActionKind::Tasker,
                ActionKind::Directive,
                ActionKind::Policy,
                ActionKind::Compliance,
                ActionKind::DecisionMemo,
                ActionKind::Memorandum,
            ],
        );
        let subject = *pick(&mut rng, SUBJECTS);
        let title = format!("{} {}{}", pick(&mut rng, VERBS), subject, pick(&mut rng, QUALIFIERS));
        let year = chrono::Datelike::year(&issued);
        let seq = year_seq.entry(year).or_insert(0);
        *seq += 1;
        let mut a = Action::draft(&title, kind);
        a.id = id(&mut rng);
        a.number = format!("{year}-{seq:04}");
        a.body = format!(
            "Requirement: {} {}. Deliver a decision-ready package to the front office, coordinate with the offices named below, and report progress weekly. \
             Identify legal, operational and financial risks and propose mitigations. Point of contact: {}.",
            title.split_whitespace().next().unwrap_or("Complete"),
            subject,
            pick(&mut rng, &people).0
        );
        a.priority = *pick(&mut rng, &[Priority::Routine, Priority::Routine, Priority::Priority, Priority::Immediate, Priority::Flash]);
        a.marking = pick(&mut rng, &markings).parse().expect("valid marking");
        a.issuing_official = Some(pick(&mut rng, &officials).to_string());
        a.created_at = at(issued, &mut rng);
        // Status follows from where the suspense sits relative to today.
        let roll: f64 = rng.gen();
        let status = if i % 97 == 0 {
            Status::Draft
        } else if i % 89 == 0 {
            Status::Cancelled
        } else if suspense + Days::new(30) < today {
            match roll {
                x if x < 0.55 => Status::Closed,
                x if x < 0.75 => Status::Evaluated,
                x if x < 0.9 => Status::Completed,
                _ => Status::InProgress, // long overdue
            }
        } else if suspense < today {
            match roll {
                x if x < 0.5 => Status::Completed,
                x if x < 0.8 => Status::InProgress,
                _ => Status::Blocked,
            }
        } else if age_days < 3 {
            if roll < 0.5 {
                Status::Issued
            } else {
                Status::Assigned
            }
        } else {
            match roll {
                x if x < 0.1 => Status::Issued,
                x if x < 0.25 => Status::Assigned,
                x if x < 0.85 => Status::InProgress,
                x if x < 0.92 => Status::Blocked,
                _ => Status::Completed,
            }
        };
        a.status = status;
        if status != Status::Draft {
            a.issued_on = Some(issued);
        }
        a.suspense = Some(suspense);
        // Occasional sub-tasker of the previous action.
        if let Some((pid, pst)) = prev_action {
            if rng.gen_bool(0.05) && pst.is_open() && pst != Status::Draft && status.is_open() {
                a.parent_id = Some(pid);
            }
        }
        let done_day = |rng: &mut Gen| {
            let late = rng.gen_bool(0.2);
            let d = if late { suspense + Days::new(rng.gen_range(1..20)) } else { suspense - Days::new(rng.gen_range(0..horizon.min(10))) };
            d.min(today)
        };
        let actor_stamp = |d: NaiveDate, rng: &mut Gen| Stamp { by: pick(rng, &people).0.clone(), at: at(d, rng) };
        if status.is_done() {
            let d = done_day(&mut rng);
            a.completed_at = Some(at(d, &mut rng));
            a.percent_complete = 100;
            if status == Status::Closed {
                a.closed_at = Some(at((d + Days::new(7)).min(today), &mut rng));
            }
        }
        // Authority: most actions cite one or two.
        if status != Status::Draft && rng.gen_bool(0.85) {
            for k in 0..rng.gen_range(1..=2) {
                let auth = &r.authorities[(i * 7 + k * 5 + rng.gen_range(0..3)) % r.authorities.len()];
                if r.citations.last().is_some_and(|c| c.action_id == a.id && c.authority_id == auth.id) {
                    continue;
                }
                r.citations.push(Citation { id: id(&mut rng), action_id: a.id, authority_id: auth.id, note: String::new() });
            }
        }
        let assigned = !matches!(status, Status::Draft | Status::Issued) && !(status == Status::Cancelled && rng.gen_bool(0.5));
        if assigned {
            let opr = rng.gen_range(0..r.offices.len());
            let mut used = vec![opr];
            let assign_day = (issued + Days::new(rng.gen_range(0..3))).min(today);
            let working = !matches!(status, Status::Assigned | Status::Cancelled);
            let mk = |office: usize, role: Role, rng: &mut Gen| Assignment {
                id: id(rng),
                action_id: a.id,
                office_id: r.offices[office].id,
                role,
                assignee: Some(people.iter().find(|p| p.1 == office).map(|p| p.0.clone()).unwrap_or_default()),
                suspense: Some(suspense),
                assigned: Stamp { by: "Chief of Staff".into(), at: at(assign_day, rng) },
                acknowledged: None,
                concurrence: None,
                delegation: None,
            };
            let mut x = mk(opr, Role::Opr, &mut rng);
            if working || rng.gen_bool(0.5) {
                x.acknowledged = Some(actor_stamp((assign_day + Days::new(rng.gen_range(0..2))).min(today), &mut rng));
            }
            if rng.gen_bool(0.05) {
                x.delegation = Some(Delegation {
                    to: pick(&mut rng, &people).0.clone(),
                    note: "Acting while the director is on travel".into(),
                    by: x.assignee.clone().unwrap_or_default(),
                    at: at(assign_day, &mut rng),
                });
            }
            r.assignments.push(x);
            for _ in 0..rng.gen_range(0..=3) {
                let o = rng.gen_range(0..r.offices.len());
                if used.contains(&o) {
                    continue;
                }
                used.push(o);
                let role = if rng.gen_bool(0.7) { Role::Ocr } else { Role::Info };
                let mut x = mk(o, role, &mut rng);
                if working && rng.gen_bool(0.8) {
                    let ack = (assign_day + Days::new(rng.gen_range(0..3))).min(today);
                    x.acknowledged = Some(actor_stamp(ack, &mut rng));
                    if role == Role::Ocr {
                        let answer = *pick(
                            &mut rng,
                            &[
                                ConcurrenceAnswer::Concur,
                                ConcurrenceAnswer::Concur,
                                ConcurrenceAnswer::ConcurWithComment,
                                ConcurrenceAnswer::NonConcur,
                            ],
                        );
                        let when = (ack + Days::new(rng.gen_range(0..10))).min(today);
                        let resolved = status.is_done() || rng.gen_bool(0.5);
                        x.concurrence = Some(Concurrence {
                            answer,
                            comment: match answer {
                                ConcurrenceAnswer::Concur => String::new(),
                                ConcurrenceAnswer::ConcurWithComment => "Concur; recommend adding a cost estimate.".into(),
                                ConcurrenceAnswer::NonConcur => "Non-concur: the proposal conflicts with existing guidance.".into(),
                            },
                            by: x.assignee.clone().unwrap_or_default(),
                            at: at(when, &mut rng),
                            resolution: (answer == ConcurrenceAnswer::NonConcur && resolved).then(|| Resolution {
                                note: "Resolved at the deputies' meeting.".into(),
                                by: "Chief of Staff".into(),
                                at: at((when + Days::new(3)).min(today), &mut rng),
                            }),
                        });
                    }
                }
                r.assignments.push(x);
            }
            // Extension requests on some late work.
            if suspense < today && rng.gen_bool(0.15) {
                let xi = r.assignments.len() - used.len();
                let asg = &r.assignments[xi];
                let decided = rng.gen_bool(0.7);
                let approved = rng.gen_bool(0.6);
                let req_day = (suspense - Days::new(3)).max(issued);
                r.extensions.push(ExtensionRequest {
                    id: id(&mut rng),
                    action_id: a.id,
                    assignment_id: asg.id,
                    current_suspense: asg.suspense,
                    requested_suspense: suspense + Days::new(14),
                    justification: "Awaiting data from partner agencies.".into(),
                    requested: Stamp { by: asg.assignee.clone().unwrap_or_default(), at: at(req_day, &mut rng) },
                    decision: decided.then(|| ExtensionDecision {
                        approved,
                        note: if approved { "Approved once.".into() } else { "Denied: the principal's deadline is fixed.".into() },
                        by: "Chief of Staff".into(),
                        at: at((req_day + Days::new(1)).min(today), &mut rng),
                    }),
                });
            }
            if working {
                let n_updates = if status.is_done() { rng.gen_range(1..=4) } else { rng.gen_range(0..=3) };
                let mut pct = 0u8;
                for k in 0..n_updates {
                    pct = (pct + rng.gen_range(10..35)).min(if status.is_done() { 100 } else { 95 });
                    let d = (assign_day + Days::new(((k + 1) * horizon as usize / (n_updates + 1)) as u64)).min(today);
                    r.updates.push(StatusUpdate {
                        id: id(&mut rng),
                        action_id: a.id,
                        percent_complete: pct,
                        text: pick(&mut rng, UPDATE_TEXT).to_string(),
                        reported: actor_stamp(d, &mut rng),
                    });
                }
                if !status.is_done() {
                    a.percent_complete = pct;
                }
            }
        }
        if status != Status::Draft && rng.gen_bool(0.6) {
            for _ in 0..rng.gen_range(1..=2) {
                let (desc, cat) = *pick(&mut rng, RISKS);
                r.risks.push(Risk {
                    id: id(&mut rng),
                    action_id: a.id,
                    description: desc.into(),
                    category: cat,
                    likelihood: rng.gen_range(1..=5),
                    impact: rng.gen_range(1..=5),
                    mitigation: "Weekly check-ins; escalate to the Chief of Staff at the first slip.".into(),
                    owner: pick(&mut rng, &people).0.clone(),
                    status: if status.is_done() { RiskStatus::Closed } else { RiskStatus::Open },
                });
            }
        }
        if status != Status::Draft && rng.gen_bool(0.3) {
            let area = *pick(&mut rng, &[ImpactArea::Cost, ImpactArea::People, ImpactArea::Operations, ImpactArea::Mission]);
            r.impacts.push(ImpactAssessment {
                id: id(&mut rng),
                action_id: a.id,
                area,
                description: "Expected effect on staff workload and service delivery during implementation.".into(),
                estimated_cost: (area == ImpactArea::Cost).then(|| (rng.gen_range(50..5000) * 1000) as f64),
                assessed: actor_stamp(issued, &mut rng),
            });
        }
        if assigned && status != Status::Assigned && rng.gen_bool(0.25) {
            let resolved = status.is_done() || rng.gen_bool(0.4);
            let raised = (issued + Days::new(rng.gen_range(1..horizon))).min(today);
            r.issues.push(Issue {
                id: id(&mut rng),
                action_id: a.id,
                title: pick(&mut rng, ISSUES).to_string(),
                description: String::new(),
                owner: pick(&mut rng, &people).0.clone(),
                raised: actor_stamp(raised, &mut rng),
                resolution: resolved.then(|| Resolution {
                    note: "Worked around; no change to scope.".into(),
                    by: "Chief of Staff".into(),
                    at: at((raised + Days::new(2)).min(today), &mut rng),
                }),
            });
        }
        if matches!(status, Status::Evaluated | Status::Closed) {
            let on_time = a.completed_at.is_some_and(|c| c.date_naive() <= suspense);
            r.evaluations.push(Evaluation {
                id: id(&mut rng),
                action_id: a.id,
                result: *pick(&mut rng, &[OutcomeResult::Met, OutcomeResult::Met, OutcomeResult::PartlyMet, OutcomeResult::NotMet]),
                on_time,
                within_scope: rng.gen_bool(0.85),
                evidence: "After-action report and final deliverable on file.".into(),
                lessons_learned: pick(&mut rng, LESSONS).to_string(),
                evaluated: Stamp { by: "Chief of Staff".into(), at: a.completed_at.unwrap_or_else(|| at(today, &mut rng)) },
            });
        }
        if matches!(status, Status::Closed | Status::Cancelled | Status::Blocked) {
            let (from, reason) = match status {
                Status::Closed => (Status::Evaluated, ""),
                Status::Cancelled => (Status::Issued, "Overtaken by events."),
                _ => (Status::InProgress, "Waiting on a decision from OMB."),
            };
            r.transitions.push(Transition {
                id: id(&mut rng),
                action_id: a.id,
                from,
                to: status,
                reason: reason.into(),
                at: Stamp { by: "Chief of Staff".into(), at: a.closed_at.unwrap_or(a.created_at) },
            });
        }
        if let Some((pid, _)) = prev_action {
            if rng.gen_bool(0.03) && status != Status::Draft {
                r.relations.push(Relation {
                    id: id(&mut rng),
                    action_id: pid,
                    kind: RelationKind::Blocks,
                    target_id: a.id,
                    note: String::new(),
                });
            }
        }
        prev_action = Some((a.id, status));
        r.actions.push(a);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_for_a_seed() {
        let o = Options { actions: 200, ..Default::default() };
        assert_eq!(generate(&o), generate(&o));
        let other = generate(&Options { seed: 7, ..o.clone() });
        assert_ne!(other.actions, generate(&o).actions, "another seed, another workspace");
    }

    #[test]
    fn every_assigned_action_has_exactly_one_opr_and_closed_ones_are_evaluated() {
        let r = generate(&Options { actions: 2000, ..Default::default() });
        for a in &r.actions {
            let oprs = r.assignments.iter().filter(|x| x.action_id == a.id && x.role == Role::Opr).count();
            if matches!(
                a.status,
                Status::Assigned | Status::InProgress | Status::Blocked | Status::Completed | Status::Evaluated | Status::Closed
            ) {
                assert_eq!(oprs, 1, "{} {:?}", a.number, a.status);
            }
            if matches!(a.status, Status::Evaluated | Status::Closed) {
                assert!(r.evaluations.iter().any(|e| e.action_id == a.id));
            }
            if a.status.is_done() {
                assert!(!r.assignments.iter().any(|x| x.action_id == a.id && x.has_unresolved_non_concurrence()));
                assert!(!r.issues.iter().any(|i| i.action_id == a.id && i.resolution.is_none()));
            }
            assert!(rules::validate_action(a).is_ok());
        }
        let statuses: std::collections::BTreeSet<_> = r.actions.iter().map(|a| a.status).collect();
        assert!(statuses.len() >= 9, "covers the lifecycle: {statuses:?}");
    }
}
