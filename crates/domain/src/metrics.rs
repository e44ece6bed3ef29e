//! Success measures leadership asks for (DOMAIN.md "Success measures"), computed from one row
//! per action so the same numbers appear on screen, on the CLI and in print.
//!
//! Definitions (also in the README):
//! - *on time and within scope*: of the actions whose work is done, those completed on or before
//!   their suspense **and** evaluated as within scope (an unevaluated action has no known scope,
//!   so it does not count as a success yet).
//! - *missed deadline*: done after its suspense, or still open past it.
//! - *unassigned*: issued and nobody assigned yet (later states have an OPR by rule).
//! - *without OPR*: issued with no office of primary responsibility.
//! - *with authority / risk / evaluation*: share of the actions in scope that have one.
//! - *time to concurrence*: hours from an OCR's assignment to its answer.
//! - *several offices*: actions with two or more distinct offices assigned.
//!
//! Every measure is a sum of what each action adds ([`Contribution`]), except the two that
//! change with the date (overdue and missed, which keep the open action's suspense) and the
//! median time to concurrence (which keeps each concurrence's time). That is what lets the store
//! keep the sums as each write happens (`mandate_store::measures`) instead of reading 100k
//! actions each time the Dashboard opens; [`measure`] over rows is the definition both are
//! held to.

use crate::model::{ActionFile, Role, Status};
use crate::Id;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the measures need to know about one action.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricsRow {
    pub status: Status,
    pub suspense: Option<NaiveDate>,
    /// The date that places the action in a period (issue date, else creation date).
    pub period_date: NaiveDate,
    pub completed_at: Option<DateTime<Utc>>,
    /// (office code, role) for each assignment.
    pub offices: Vec<(String, Role)>,
    pub has_authority: bool,
    pub has_risk: bool,
    /// (on_time, within_scope) from the outcome evaluation.
    pub evaluation: Option<(bool, bool)>,
    /// Seconds from OCR assignment to answer, one per answered OCR (whole seconds, so sums and
    /// medians come out the same whatever order they are added in).
    pub concurrence_seconds: Vec<i64>,
}

/// What one action adds to the measures of each set it is in (the workspace, each of its
/// offices). A draft adds nothing: it is not yet issued, so no measure applies.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contribution {
    pub measured: bool,
    pub open: bool,
    pub completed: bool,
    pub on_time_within_scope: bool,
    /// Done after its suspense (the other half of *missed deadline* depends on the date).
    pub done_late: bool,
    pub unassigned: bool,
    pub without_opr: bool,
    pub with_authority: bool,
    pub with_risk: bool,
    pub with_evaluation: bool,
    pub several_offices: bool,
    /// Open with a suspense: overdue (and a missed deadline) once the date passes it.
    pub open_suspense: Option<NaiveDate>,
    pub concurrence_seconds: Vec<i64>,
}

impl Contribution {
    /// The flags in a fixed order (the store keeps them as one integer).
    pub fn flags(&self) -> [bool; 11] {
        [
            self.measured,
            self.open,
            self.completed,
            self.on_time_within_scope,
            self.done_late,
            self.unassigned,
            self.without_opr,
            self.with_authority,
            self.with_risk,
            self.with_evaluation,
            self.several_offices,
        ]
    }

    pub fn of(r: &MetricsRow) -> Contribution {
        if matches!(r.status, Status::Draft) {
            return Contribution::default();
        }
        let mut c = Contribution { measured: true, ..Default::default() };
        let active = !matches!(r.status, Status::Cancelled | Status::Superseded);
        c.open = r.status.is_open();
        if r.status.is_done() {
            c.completed = true;
            let done_on = r.completed_at.map(|t| t.date_naive());
            let on_time = match (done_on, r.suspense) {
                (Some(d), Some(s)) => d <= s,
                _ => r.evaluation.map(|e| e.0).unwrap_or(true),
            };
            c.done_late = !on_time;
            c.on_time_within_scope = on_time && r.evaluation.is_some_and(|e| e.1);
        } else if r.status.is_open() {
            c.open_suspense = r.suspense;
        }
        c.unassigned = r.status == Status::Issued && r.offices.is_empty();
        c.without_opr = active && !r.offices.iter().any(|(_, role)| *role == Role::Opr);
        c.with_authority = r.has_authority;
        c.with_risk = r.has_risk;
        c.with_evaluation = r.evaluation.is_some();
        c.concurrence_seconds = r.concurrence_seconds.clone();
        let mut codes: Vec<&str> = r.offices.iter().map(|(c, _)| c.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        c.several_offices = codes.len() >= 2;
        c
    }
}

/// Sums of contributions over a set of actions: everything the measures need but the median.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// One count per flag of [`Contribution::flags`].
    pub flags: [u64; 11],
    pub overdue_open: u64,
    pub concurrences: u64,
    pub concurrence_seconds: i64,
}

impl Totals {
    /// Add one action's contribution as of `today`.
    pub fn add(&mut self, c: &Contribution, today: NaiveDate) {
        for (n, f) in self.flags.iter_mut().zip(c.flags()) {
            *n += f as u64;
        }
        self.overdue_open += c.open_suspense.is_some_and(|s| s < today) as u64;
        self.concurrences += c.concurrence_seconds.len() as u64;
        self.concurrence_seconds += c.concurrence_seconds.iter().sum::<i64>();
    }

    /// The measures, given the median of the concurrence times (seconds).
    pub fn measures(&self, median_seconds: Option<f64>) -> Measures {
        let [actions, open, completed, on_time_within_scope, done_late, unassigned, without_opr, authority, risk, evaluation, several] =
            self.flags;
        let hours = |s: f64| (s / 3600.0 * 10.0).round() / 10.0;
        Measures {
            actions,
            open,
            completed,
            completed_on_time_within_scope: on_time_within_scope,
            pct_on_time_within_scope: pct(on_time_within_scope, completed),
            missed_deadlines: done_late + self.overdue_open,
            overdue_open: self.overdue_open,
            unassigned,
            without_opr,
            with_authority: authority,
            pct_with_authority: pct(authority, actions),
            with_risk_assessment: risk,
            pct_with_risk_assessment: pct(risk, actions),
            with_outcome_evaluation: evaluation,
            pct_with_outcome_evaluation: pct(evaluation, actions),
            concurrences: self.concurrences,
            mean_hours_to_concurrence: (self.concurrences > 0).then(|| hours(self.concurrence_seconds as f64 / self.concurrences as f64)),
            median_hours_to_concurrence: median_seconds.map(hours),
            spanning_several_offices: several,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Measures {
    pub actions: u64,
    pub open: u64,
    pub completed: u64,
    pub completed_on_time_within_scope: u64,
    /// Percent of completed actions done on time and within scope (`null` when none completed).
    pub pct_on_time_within_scope: Option<f64>,
    pub missed_deadlines: u64,
    pub overdue_open: u64,
    pub unassigned: u64,
    pub without_opr: u64,
    pub with_authority: u64,
    pub pct_with_authority: Option<f64>,
    pub with_risk_assessment: u64,
    pub pct_with_risk_assessment: Option<f64>,
    pub with_outcome_evaluation: u64,
    pub pct_with_outcome_evaluation: Option<f64>,
    pub concurrences: u64,
    pub mean_hours_to_concurrence: Option<f64>,
    pub median_hours_to_concurrence: Option<f64>,
    pub spanning_several_offices: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MetricsReport {
    pub as_of: NaiveDate,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub office: Option<String>,
    pub overall: Measures,
    /// Per office code, for the offices assigned to at least one action in scope.
    pub per_office: BTreeMap<String, Measures>,
}

fn pct(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| ((n as f64) * 1000.0 / d as f64).round() / 10.0)
}

/// The median of whole seconds: the middle one, or the mean of the middle two.
pub fn median_seconds(v: &mut [i64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 { v[m] as f64 } else { (v[m - 1] + v[m]) as f64 / 2.0 })
}

/// Measures over a set of rows.
pub fn measure<'a>(rows: impl IntoIterator<Item = &'a MetricsRow>, today: NaiveDate) -> Measures {
    let mut totals = Totals::default();
    let mut seconds = Vec::new();
    for r in rows {
        let c = Contribution::of(r);
        totals.add(&c, today);
        seconds.extend_from_slice(&c.concurrence_seconds);
    }
    totals.measures(median_seconds(&mut seconds))
}

/// The full report: overall and per office, optionally narrowed to one office and a period.
impl MetricsRow {
    /// The row for one loaded action (what the store computes with grouped scans, for a
    /// handful of actions already in memory — a briefing book's selection).
    pub fn from_file(file: &ActionFile, office_code: impl Fn(Id) -> String) -> MetricsRow {
        let a = &file.action;
        MetricsRow {
            status: a.status,
            suspense: a.suspense,
            period_date: a.issued_on.unwrap_or_else(|| a.created_at.date_naive()),
            completed_at: a.completed_at,
            offices: file.assignments.iter().map(|s| (office_code(s.office_id), s.role)).collect(),
            has_authority: !file.citations.is_empty(),
            has_risk: !file.risks.is_empty(),
            evaluation: file.evaluation.as_ref().map(|e| (e.on_time, e.within_scope)),
            concurrence_seconds: file
                .assignments
                .iter()
                .filter(|s| s.role == Role::Ocr)
                .filter_map(|s| s.concurrence.as_ref().map(|c| (c.at - s.assigned.at).num_seconds()))
                .collect(),
        }
    }
}

pub fn report(
    rows: &[MetricsRow],
    today: NaiveDate,
    office: Option<&str>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> MetricsReport {
    let in_scope: Vec<&MetricsRow> = rows
        .iter()
        .filter(|r| from.is_none_or(|f| r.period_date >= f) && to.is_none_or(|t| r.period_date <= t))
        .filter(|r| office.is_none_or(|o| r.offices.iter().any(|(c, _)| c.eq_ignore_ascii_case(o))))
        .collect();
    let mut by_office: BTreeMap<String, Vec<&MetricsRow>> = BTreeMap::new();
    for r in &in_scope {
        let mut codes: Vec<&String> = r.offices.iter().map(|(c, _)| c).collect();
        codes.sort();
        codes.dedup();
        for c in codes {
            if office.is_none_or(|o| c.eq_ignore_ascii_case(o)) {
                by_office.entry(c.clone()).or_default().push(r);
            }
        }
    }
    MetricsReport {
        as_of: today,
        from,
        to,
        office: office.map(str::to_string),
        overall: measure(in_scope.iter().copied(), today),
        per_office: by_office.into_iter().map(|(k, v)| (k, measure(v, today))).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    fn row(status: Status) -> MetricsRow {
        MetricsRow {
            status,
            suspense: Some(d("2026-11-30")),
            period_date: d("2026-11-01"),
            completed_at: None,
            offices: vec![],
            has_authority: false,
            has_risk: false,
            evaluation: None,
            concurrence_seconds: vec![],
        }
    }

    #[test]
    fn measures_follow_their_definitions() {
        let today = d("2026-12-05");
        let mut on_time = row(Status::Closed);
        on_time.completed_at = Some("2026-11-29T10:00:00Z".parse().unwrap());
        on_time.evaluation = Some((true, true));
        on_time.offices = vec![("OGC".into(), Role::Opr), ("CFO".into(), Role::Ocr)];
        on_time.has_authority = true;
        on_time.concurrence_seconds = vec![2 * 3600, 10 * 3600];
        let mut late = row(Status::Completed);
        late.completed_at = Some("2026-12-02T10:00:00Z".parse().unwrap());
        late.offices = vec![("OGC".into(), Role::Opr)];
        late.has_risk = true;
        let mut overdue = row(Status::InProgress);
        overdue.offices = vec![("CFO".into(), Role::Ocr)];
        overdue.concurrence_seconds = vec![30 * 3600];
        let mut unassigned = row(Status::Issued);
        unassigned.suspense = None;
        let draft = row(Status::Draft);
        let rows = vec![on_time, late, overdue, unassigned, draft];

        let r = report(&rows, today, None, None, None);
        let m = &r.overall;
        assert_eq!(m.actions, 4, "drafts are not measured");
        assert_eq!(m.completed, 2);
        assert_eq!(m.completed_on_time_within_scope, 1);
        assert_eq!(m.pct_on_time_within_scope, Some(50.0));
        assert_eq!(m.missed_deadlines, 2, "one done late, one open past suspense");
        assert_eq!(m.overdue_open, 1);
        assert_eq!(m.unassigned, 1);
        assert_eq!(m.without_opr, 2);
        assert_eq!((m.with_authority, m.pct_with_authority), (1, Some(25.0)));
        assert_eq!(m.with_risk_assessment, 1);
        assert_eq!(m.with_outcome_evaluation, 1);
        assert_eq!(m.concurrences, 3);
        assert_eq!(m.mean_hours_to_concurrence, Some(14.0));
        assert_eq!(m.median_hours_to_concurrence, Some(10.0));
        assert_eq!(m.spanning_several_offices, 1);
        assert_eq!(r.per_office["OGC"].actions, 2);
        assert_eq!(r.per_office["CFO"].actions, 2);

        let only_cfo = report(&rows, today, Some("cfo"), None, None);
        assert_eq!(only_cfo.overall.actions, 2);
        assert_eq!(only_cfo.per_office.len(), 1);

        let none_in_period = report(&rows, today, None, Some(d("2027-01-01")), None);
        assert_eq!(none_in_period.overall.actions, 0);
        assert_eq!(none_in_period.overall.pct_with_authority, None);
    }
}
