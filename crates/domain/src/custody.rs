//! Chain of custody: which office held an action, from when to when, and what it did while it
//! held it — read from the audit trail, so it is exactly as trustworthy as the hash chain.
//!
//! An auditor's question is "who held this, and for how long?". The records alone cannot answer
//! it: a reassignment rewrites the assignment in place, and the office that held it before is
//! gone from the record. Every state of every record is in the audit trail, though, so the
//! custody is replayed from there: each recorded state of the action's assignments, extension
//! requests and the action itself, in the order they were recorded.
//!
//! Times are the stamps the records carry (when the step was taken, on whichever desktop took
//! it), not when an entry was written here: a step synced in a week later still happened when it
//! happened. Only a removal, which leaves no stamp, uses the audit entry's time.
//!
//! A hold ends when the office is moved off the assignment (reassigned), the assignment is
//! removed, or the action's work ends (completed, cancelled or superseded).

use crate::model::{Action, Assignment, ConcurrenceAnswer, ExtensionRequest, Role, Status};
use crate::Id;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One recorded state, as the audit trail holds it (oldest first).
#[derive(Clone, Debug)]
pub enum Recorded {
    Action(Action, DateTime<Utc>),
    Assignment(Assignment),
    Extension(ExtensionRequest),
    /// An assignment removed at this (audit) time.
    AssignmentRemoved(Id, DateTime<Utc>),
}

/// Why a hold ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum HoldEnd {
    Reassigned,
    Removed,
    Completed,
    Cancelled,
}

/// Something that happened while an office held the action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CustodyEvent {
    pub at: DateTime<Utc>,
    pub what: String,
}

/// One office's time holding an action through one assignment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Hold {
    pub assignment_id: Id,
    pub office_id: Id,
    pub role: Role,
    pub from: DateTime<Utc>,
    pub acknowledged: Option<DateTime<Utc>>,
    /// A coordinating office's answer, and when.
    pub answer: Option<ConcurrenceAnswer>,
    pub answered: Option<DateTime<Utc>>,
    /// When the hold ended; `None` while the office still holds it.
    pub until: Option<DateTime<Utc>>,
    pub ended: Option<HoldEnd>,
    /// Extensions asked for and decided, non-concurrences resolved, in order.
    pub events: Vec<CustodyEvent>,
}

impl Hold {
    /// Seconds from assignment to acknowledgement, if acknowledged.
    pub fn seconds_to_acknowledge(&self) -> Option<i64> {
        self.acknowledged.map(|t| (t - self.from).num_seconds().max(0))
    }
    /// Seconds from assignment to a coordinating office's answer, if answered.
    pub fn seconds_to_answer(&self) -> Option<i64> {
        self.answered.map(|t| (t - self.from).num_seconds().max(0))
    }
    /// How long the office held (or, while it still holds, has held) the action as of `now`.
    pub fn seconds_held(&self, now: DateTime<Utc>) -> i64 {
        (self.until.unwrap_or(now) - self.from).num_seconds().max(0)
    }
}

/// Replays recorded states (oldest first) into holds, in the order they began.
pub fn custody(recorded: &[Recorded]) -> Vec<Hold> {
    let mut holds: Vec<Hold> = Vec::new();
    // The hold each assignment currently stands for (index into `holds`).
    let mut current: std::collections::HashMap<Id, usize> = std::collections::HashMap::new();
    let mut extensions_seen: std::collections::HashMap<Id, (bool, bool)> = std::collections::HashMap::new();
    for r in recorded {
        match r {
            Recorded::Assignment(x) => {
                let i = match current.get(&x.id).copied() {
                    Some(i) if holds[i].office_id == x.office_id => i,
                    previous => {
                        if let Some(i) = previous.filter(|&i| holds[i].until.is_none()) {
                            // Reassigned: the old office's hold ends when the new one's begins.
                            holds[i].until = Some(x.assigned.at.max(holds[i].from));
                            holds[i].ended = Some(HoldEnd::Reassigned);
                        }
                        holds.push(Hold {
                            assignment_id: x.id,
                            office_id: x.office_id,
                            role: x.role,
                            from: x.assigned.at,
                            acknowledged: None,
                            answer: None,
                            answered: None,
                            until: None,
                            ended: None,
                            events: Vec::new(),
                        });
                        current.insert(x.id, holds.len() - 1);
                        holds.len() - 1
                    }
                };
                let h = &mut holds[i];
                h.role = x.role;
                if h.acknowledged.is_none() {
                    h.acknowledged = x.acknowledged.as_ref().map(|s| s.at);
                }
                if let Some(c) = &x.concurrence {
                    if h.answered.is_none() {
                        h.answer = Some(c.answer);
                        h.answered = Some(c.at);
                    }
                    if let Some(res) = &c.resolution {
                        let what = format!("non-concurrence resolved by {}: {}", res.by, res.note);
                        if !h.events.iter().any(|e| e.what == what) {
                            h.events.push(CustodyEvent { at: res.at, what });
                        }
                    }
                }
            }
            Recorded::AssignmentRemoved(id, at) => {
                if let Some(&i) = current.get(id) {
                    if holds[i].until.is_none() {
                        holds[i].until = Some(*at);
                        holds[i].ended = Some(HoldEnd::Removed);
                    }
                }
            }
            Recorded::Extension(e) => {
                let Some(&i) = current.get(&e.assignment_id) else { continue };
                let seen = extensions_seen.entry(e.id).or_insert((false, false));
                if !seen.0 {
                    seen.0 = true;
                    holds[i].events.push(CustodyEvent {
                        at: e.requested.at,
                        what: format!("extension to {} requested by {}", e.requested_suspense, e.requested.by),
                    });
                }
                if let (Some(d), false) = (&e.decision, seen.1) {
                    seen.1 = true;
                    let verdict = if d.approved { "approved" } else { "denied" };
                    holds[i]
                        .events
                        .push(CustodyEvent { at: d.at, what: format!("extension to {} {verdict} by {}", e.requested_suspense, d.by) });
                }
            }
            Recorded::Action(a, at) => {
                let end = match a.status {
                    s if s.is_done() => Some((a.completed_at.unwrap_or(*at), HoldEnd::Completed)),
                    Status::Cancelled | Status::Superseded => Some((*at, HoldEnd::Cancelled)),
                    _ => None,
                };
                if let Some((at, why)) = end {
                    for h in holds.iter_mut().filter(|h| h.until.is_none()) {
                        h.until = Some(at.max(h.from));
                        h.ended = Some(why);
                    }
                }
            }
        }
    }
    for h in &mut holds {
        h.events.sort_by_key(|e| e.at);
    }
    holds.sort_by_key(|h| h.from);
    holds
}

/// The 1-based rank of the `p`th percentile among `n` values (nearest rank: the smallest value
/// with at least p% of the values at or below it). Defined on counts alone, so a histogram gives
/// the same answer as the sorted list.
pub fn rank(n: u64, p: u64) -> u64 {
    (n * p).div_ceil(100).max(1)
}

/// The median and 90th percentile (nearest rank) of a histogram: `(value, how many)` in
/// ascending value order. `None` when it is empty.
pub fn percentiles(histogram: &[(i64, u64)]) -> Option<(i64, i64)> {
    let n: u64 = histogram.iter().map(|(_, c)| c).sum();
    if n == 0 {
        return None;
    }
    let at = |p: u64| {
        let r = rank(n, p);
        let mut seen = 0;
        for (v, c) in histogram {
            seen += c;
            if seen >= r {
                return *v;
            }
        }
        unreachable!("the rank is at most the count")
    };
    Some((at(50), at(90)))
}

/// Durations are kept in whole hours: fine enough for "days before acknowledging", and few
/// enough distinct values that the store keeps them as a histogram per office.
pub fn hours(seconds: i64) -> i64 {
    seconds.max(0) / 3600
}

/// Hours as days, to a tenth.
pub fn days(hours: i64) -> f64 {
    (hours as f64 / 2.4).round() / 10.0
}

/// Per office: how long it holds an action before acknowledging and before answering.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OfficeCustody {
    pub office: String,
    /// Acknowledged holds, and the median and 90th-percentile days to acknowledge.
    pub acknowledged: u64,
    pub ack_median_days: Option<f64>,
    pub ack_p90_days: Option<f64>,
    /// Answered coordinating holds, and the median and 90th-percentile days to answer.
    pub answered: u64,
    pub answer_median_days: Option<f64>,
    pub answer_p90_days: Option<f64>,
}

impl OfficeCustody {
    /// The figures from the two histograms of hours (to acknowledge, to answer).
    pub fn from_histograms(office: &str, ack: &[(i64, u64)], answer: &[(i64, u64)]) -> OfficeCustody {
        let split = |h: &[(i64, u64)]| match percentiles(h) {
            Some((m, p)) => (Some(days(m)), Some(days(p))),
            None => (None, None),
        };
        let ((am, ap), (nm, np)) = (split(ack), split(answer));
        OfficeCustody {
            office: office.to_string(),
            acknowledged: ack.iter().map(|(_, c)| c).sum(),
            ack_median_days: am,
            ack_p90_days: ap,
            answered: answer.iter().map(|(_, c)| c).sum(),
            answer_median_days: nm,
            answer_p90_days: np,
        }
    }
}

/// What one hold adds to its office's histograms: hours to acknowledge and to answer.
pub fn hold_hours(h: &Hold) -> (Option<i64>, Option<i64>) {
    (h.seconds_to_acknowledge().map(hours), h.seconds_to_answer().map(hours))
}

/// The per-office figures over holds, each with its office's code, in code order — the
/// definition the store's kept histograms are held to.
pub fn by_office<'a>(holds: impl IntoIterator<Item = (&'a str, &'a Hold)>) -> Vec<OfficeCustody> {
    type Hist = std::collections::BTreeMap<i64, u64>;
    let mut per: std::collections::BTreeMap<&str, (Hist, Hist)> = std::collections::BTreeMap::new();
    for (code, h) in holds {
        let e = per.entry(code).or_default();
        let (ack, answer) = hold_hours(h);
        if let Some(x) = ack {
            *e.0.entry(x).or_default() += 1;
        }
        if let Some(x) = answer {
            *e.1.entry(x).or_default() += 1;
        }
    }
    per.into_iter()
        .filter(|(_, (a, b))| !a.is_empty() || !b.is_empty())
        .map(|(office, (a, b))| {
            OfficeCustody::from_histograms(office, &a.into_iter().collect::<Vec<_>>(), &b.into_iter().collect::<Vec<_>>())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ActionKind, Concurrence, Stamp};
    use chrono::TimeZone;

    fn t(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
    }
    fn stamp(at: DateTime<Utc>) -> Stamp {
        Stamp { by: "Ana".into(), at }
    }
    fn assignment(id: Id, office: Id, role: Role, at: DateTime<Utc>) -> Assignment {
        Assignment {
            id,
            action_id: Id::new(),
            office_id: office,
            role,
            assignee: None,
            suspense: None,
            assigned: stamp(at),
            acknowledged: None,
            concurrence: None,
            delegation: None,
        }
    }

    #[test]
    fn a_reassignment_ends_one_hold_and_starts_another_and_completion_ends_the_rest() {
        let (opr, ocr) = (Id::new(), Id::new());
        let (a, b, c) = (Id::new(), Id::new(), Id::new());
        let mut x = assignment(opr, a, Role::Opr, t(1, 9));
        let mut y = assignment(ocr, c, Role::Ocr, t(1, 9));
        let mut rec = vec![Recorded::Assignment(x.clone()), Recorded::Assignment(y.clone())];
        x.acknowledged = Some(stamp(t(2, 9)));
        rec.push(Recorded::Assignment(x.clone()));
        // Reassigned to B on day 4: A's acknowledgement stays with A's hold.
        x.office_id = b;
        x.assigned = stamp(t(4, 9));
        x.acknowledged = None;
        rec.push(Recorded::Assignment(x.clone()));
        x.acknowledged = Some(stamp(t(7, 9)));
        rec.push(Recorded::Assignment(x.clone()));
        y.acknowledged = Some(stamp(t(1, 21)));
        y.concurrence = Some(Concurrence {
            answer: ConcurrenceAnswer::NonConcur,
            comment: "no".into(),
            by: "Bo".into(),
            at: t(3, 9),
            resolution: None,
        });
        rec.push(Recorded::Assignment(y.clone()));
        let mut done = Action::draft("Plan", ActionKind::Tasker);
        done.status = Status::Completed;
        done.completed_at = Some(t(10, 9));
        rec.push(Recorded::Action(done, t(10, 10)));
        let holds = custody(&rec);
        assert_eq!(holds.len(), 3);
        assert_eq!((holds[0].office_id, holds[0].until, holds[0].ended), (a, Some(t(4, 9)), Some(HoldEnd::Reassigned)));
        assert_eq!(holds[0].seconds_to_acknowledge(), Some(86_400));
        assert_eq!(
            (holds[2].office_id, holds[2].from, holds[2].until, holds[2].ended),
            (b, t(4, 9), Some(t(10, 9)), Some(HoldEnd::Completed))
        );
        assert_eq!(holds[2].seconds_to_acknowledge(), Some(3 * 86_400));
        assert_eq!(holds[1].seconds_to_answer(), Some(2 * 86_400));
        assert_eq!(holds[1].answer, Some(ConcurrenceAnswer::NonConcur));
        let figures = by_office(holds.iter().map(|h| {
            (
                if h.office_id == a {
                    "A"
                } else if h.office_id == b {
                    "B"
                } else {
                    "C"
                },
                h,
            )
        }));
        assert_eq!(
            figures.iter().map(|f| (f.office.as_str(), f.ack_median_days)).collect::<Vec<_>>(),
            vec![("A", Some(1.0)), ("B", Some(3.0)), ("C", Some(0.5))]
        );
        assert_eq!(figures[2].answer_p90_days, Some(2.0));
    }

    #[test]
    fn removal_ends_a_hold_at_the_audit_time_and_nearest_rank_is_on_counts() {
        let id = Id::new();
        let holds =
            custody(&[Recorded::Assignment(assignment(id, Id::new(), Role::Info, t(1, 0))), Recorded::AssignmentRemoved(id, t(5, 0))]);
        assert_eq!((holds[0].until, holds[0].ended), (Some(t(5, 0)), Some(HoldEnd::Removed)));
        let list: Vec<(i64, u64)> = (1..=10).map(|v| (v, 1)).collect();
        assert_eq!(percentiles(&list), Some((5, 9)));
        assert_eq!(percentiles(&[(3, 4), (8, 1)]), Some((3, 8)));
        assert_eq!(percentiles(&[(7, 1)]), Some((7, 7)));
        assert_eq!(percentiles(&[]), None);
        assert_eq!(rank(3, 50), 2);
    }
}
