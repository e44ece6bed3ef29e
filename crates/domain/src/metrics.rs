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
    /// Hours from OCR assignment to answer, one per answered OCR.
    pub concurrence_hours: Vec<f64>,
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

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 { v[m] } else { (v[m - 1] + v[m]) / 2.0 })
}

/// Measures over a set of rows.
pub fn measure<'a>(rows: impl IntoIterator<Item = &'a MetricsRow>, today: NaiveDate) -> Measures {
    let mut m = Measures::default();
    let mut hours = Vec::new();
    for r in rows {
        if matches!(r.status, Status::Draft) {
            continue; // not yet issued: no measure applies
        }
        m.actions += 1;
        let active = !matches!(r.status, Status::Cancelled | Status::Superseded);
        if r.status.is_open() {
            m.open += 1;
        }
        if r.status.is_done() {
            m.completed += 1;
            let done_on = r.completed_at.map(|t| t.date_naive());
            let on_time = match (done_on, r.suspense) {
                (Some(d), Some(s)) => d <= s,
                _ => r.evaluation.map(|e| e.0).unwrap_or(true),
            };
            if !on_time {
                m.missed_deadlines += 1;
            }
            if on_time && r.evaluation.is_some_and(|e| e.1) {
                m.completed_on_time_within_scope += 1;
            }
        } else if r.status.is_open() && r.suspense.is_some_and(|s| s < today) {
            m.missed_deadlines += 1;
            m.overdue_open += 1;
        }
        if r.status == Status::Issued && r.offices.is_empty() {
            m.unassigned += 1;
        }
        if active && !r.offices.iter().any(|(_, role)| *role == Role::Opr) {
            m.without_opr += 1;
        }
        m.with_authority += r.has_authority as u64;
        m.with_risk_assessment += r.has_risk as u64;
        m.with_outcome_evaluation += r.evaluation.is_some() as u64;
        hours.extend_from_slice(&r.concurrence_hours);
        let mut codes: Vec<&str> = r.offices.iter().map(|(c, _)| c.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        if codes.len() >= 2 {
            m.spanning_several_offices += 1;
        }
    }
    m.pct_on_time_within_scope = pct(m.completed_on_time_within_scope, m.completed);
    m.pct_with_authority = pct(m.with_authority, m.actions);
    m.pct_with_risk_assessment = pct(m.with_risk_assessment, m.actions);
    m.pct_with_outcome_evaluation = pct(m.with_outcome_evaluation, m.actions);
    m.concurrences = hours.len() as u64;
    if !hours.is_empty() {
        m.mean_hours_to_concurrence = Some((hours.iter().sum::<f64>() / hours.len() as f64 * 10.0).round() / 10.0);
        m.median_hours_to_concurrence = median(&mut hours).map(|h| (h * 10.0).round() / 10.0);
    }
    m
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
            concurrence_hours: file
                .assignments
                .iter()
                .filter(|s| s.role == Role::Ocr)
                .filter_map(|s| s.concurrence.as_ref().map(|c| (c.at - s.assigned.at).num_seconds() as f64 / 3600.0))
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
            concurrence_hours: vec![],
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
        on_time.concurrence_hours = vec![2.0, 10.0];
        let mut late = row(Status::Completed);
        late.completed_at = Some("2026-12-02T10:00:00Z".parse().unwrap());
        late.offices = vec![("OGC".into(), Role::Opr)];
        late.has_risk = true;
        let mut overdue = row(Status::InProgress);
        overdue.offices = vec![("CFO".into(), Role::Ocr)];
        overdue.concurrence_hours = vec![30.0];
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
