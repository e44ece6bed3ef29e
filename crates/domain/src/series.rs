//! Recurring taskers: a series is an action template plus a recurrence rule (RFC 5545 RRULE,
//! read by the `rrule` crate), the offices each occurrence is assigned to, and a lead time.
//! Each occurrence is issued as an ordinary action the lead time before its suspense.
//!
//! **Offline-safe.** An occurrence's action, its lifecycle steps and its assignments get
//! identifiers derived from the series and the occurrence's suspense date ([`Id::derived`]), so
//! two desktops that issue the same occurrence while apart write the same records, and after
//! they sync there is one action, not two.
//!
//! **From now on.** Issued occurrences are ordinary actions; changing the series (its title,
//! offices, lead time, rule) changes only the occurrences issued after the change. Skipping an
//! occurrence and ending the series are changes to the series record, audited like any other.

use crate::model::{Action, ActionFile, ActionKind, Assignment, Marking, Priority, Role, Stamp, Status, Transition};
use crate::rules::{self, Ctx, RuleResult, RuleViolation};
use crate::Id;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Most occurrences any one question about a series reads (ten years of weekly taskers).
const LIMIT: u16 = 520;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Series {
    pub id: Id,
    pub title: String,
    pub kind: ActionKind,
    #[serde(default)]
    pub body: String,
    pub priority: Priority,
    pub marking: Marking,
    #[serde(default)]
    pub issuing_official: Option<String>,
    /// The RRULE value, e.g. `FREQ=MONTHLY;BYDAY=-1FR` (the last Friday of each month).
    pub rule: String,
    /// The first occurrence's suspense (the rule's DTSTART).
    pub starts: NaiveDate,
    /// Days before each suspense that the occurrence is issued.
    pub lead_days: u32,
    /// Office of primary responsibility for each occurrence.
    #[serde(default)]
    pub opr: Option<Id>,
    /// Coordinating offices for each occurrence.
    #[serde(default)]
    pub ocrs: Vec<Id>,
    /// Occurrences (by suspense date) that are not to be issued.
    #[serde(default)]
    pub skipped: Vec<NaiveDate>,
    /// No occurrence after this date is issued.
    #[serde(default)]
    pub ended: Option<NaiveDate>,
    pub created: Stamp,
}

fn broken<T>(rule: &'static str, message: impl Into<String>) -> RuleResult<T> {
    Err(RuleViolation { rule, message: message.into() })
}

impl Series {
    fn rule_set(&self) -> Result<rrule::RRuleSet, String> {
        let text = format!("DTSTART:{}T000000Z\nRRULE:{}", self.starts.format("%Y%m%d"), self.rule.trim());
        text.parse::<rrule::RRuleSet>().map_err(|e| format!("the recurrence rule `{}` is not a valid RRULE: {e}", self.rule.trim()))
    }

    /// Suspense dates of the occurrences from `from` to `to` (inclusive), without skipped ones
    /// and none after the series ended.
    pub fn occurrences(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<NaiveDate>, String> {
        let to = self.ended.map_or(to, |e| e.min(to));
        if to < from {
            return Ok(Vec::new());
        }
        let start = midnight(from.pred_opt().unwrap_or(from));
        let dates = self.rule_set()?.after(start).all(LIMIT).dates;
        Ok(dates.into_iter().map(|d| d.date_naive()).filter(|d| *d >= from && *d <= to && !self.skipped.contains(d)).collect())
    }

    /// The occurrences whose issue date (suspense minus lead time) has come by `today`: those
    /// from the later of the series' start and its creation day, so a series made today does
    /// not issue a backlog of past occurrences.
    pub fn due(&self, today: NaiveDate) -> Result<Vec<NaiveDate>, String> {
        let from = self.starts.max(self.created.at.date_naive());
        self.occurrences(from, today + chrono::Days::new(self.lead_days as u64))
    }

    /// The next `n` occurrences on or after `from`, issued or not.
    pub fn upcoming(&self, from: NaiveDate, n: usize) -> Result<Vec<NaiveDate>, String> {
        let far = from.with_year(from.year() + 10).unwrap_or(from);
        Ok(self.occurrences(from, far)?.into_iter().take(n).collect())
    }

    /// The action an occurrence is issued as, by id: the same on every desktop.
    pub fn occurrence_id(&self, suspense: NaiveDate) -> Id {
        Id::derived(&format!("series:{}:{suspense}", self.id))
    }

    /// What `Action::external_ref` says of an occurrence.
    pub fn occurrence_ref(&self, suspense: NaiveDate) -> String {
        format!("series:{}:{suspense}", self.id)
    }
}

fn midnight(d: NaiveDate) -> chrono::DateTime<rrule::Tz> {
    use chrono::TimeZone;
    rrule::Tz::UTC.with_ymd_and_hms(d.year(), d.month(), d.day(), 0, 0, 0).single().expect("midnight UTC exists")
}

/// A series people can rely on: a title, a rule that recurs (RRULE with a FREQ), a sensible
/// lead time, an OPR that is not also an OCR.
pub fn validate_series(s: &Series) -> RuleResult<()> {
    if s.title.trim().is_empty() {
        return broken("title-required", "a series needs a title (each occurrence takes it)");
    }
    if s.issuing_official.as_deref().is_none_or(|o| o.trim().is_empty()) {
        return broken("issuing-official-required", "a series names the official who issues its occurrences");
    }
    if !s.rule.to_ascii_uppercase().contains("FREQ=") {
        return broken("series-rule", format!("the recurrence rule `{}` needs a FREQ (for example FREQ=WEEKLY;BYDAY=MO)", s.rule));
    }
    if let Err(e) = s.rule_set() {
        return broken("series-rule", e);
    }
    if s.lead_days > 366 {
        return broken("series-lead", format!("a lead time of {} days is more than a year", s.lead_days));
    }
    if s.opr.is_some_and(|o| s.ocrs.contains(&o)) {
        return broken("office-once", "the OPR cannot also be an OCR of the same occurrence");
    }
    Ok(())
}

/// Everything one occurrence writes: the action (issued, and assigned when the series names an
/// OPR), its lifecycle steps and its assignments — every id derived from the series and the
/// date. The ordinary rules decide each step, as if a person had taken them.
pub fn issue_occurrence(series: &Series, suspense: NaiveDate, number: String, ctx: &Ctx) -> RuleResult<(ActionFile, Vec<Transition>)> {
    if ctx.actor.role == crate::model::UserRole::Staff {
        return broken("issue-by-leadership", "staff draft actions; an executive or office lead issues a series' occurrences");
    }
    let derived = |what: &str| Id::derived(&format!("series:{}:{suspense}:{what}", series.id));
    let mut a = Action::draft(&series.title, series.kind);
    a.id = series.occurrence_id(suspense);
    a.number = number;
    a.body = series.body.clone();
    a.priority = series.priority;
    a.marking = series.marking.clone();
    a.issuing_official = series.issuing_official.clone();
    a.suspense = Some(suspense);
    a.external_ref = Some(series.occurrence_ref(suspense));
    a.created_at = ctx.now;
    rules::validate_action(&a)?;
    let mut file = ActionFile::new(a);
    let mut steps = Vec::new();
    let (issued, mut t) = rules::transition(&file, Status::Issued, "issued from its series", ctx)?;
    t.id = derived("issued");
    file.action = issued;
    steps.push(t);
    let offices = series.opr.map(|o| (o, Role::Opr)).into_iter().chain(series.ocrs.iter().map(|o| (*o, Role::Ocr)));
    for (office, role) in offices {
        let mut x: Assignment = rules::assign(&file, office, role, None, None, ctx)?;
        x.id = derived(&format!("office:{office}"));
        file.assignments.push(x);
        if role == Role::Opr {
            let (assigned, mut t) = rules::transition(&file, Status::Assigned, "OPR named", ctx)?;
            t.id = derived("assigned");
            file.action = assigned;
            steps.push(t);
        }
    }
    Ok((file, steps))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Actor, UserRole};
    use chrono::{TimeZone, Utc};

    fn series(rule: &str, starts: &str) -> Series {
        Series {
            id: Id::from_u128(7),
            title: "Weekly cabinet report".into(),
            kind: ActionKind::Tasker,
            body: String::new(),
            priority: Priority::Routine,
            marking: Marking::unclassified(),
            issuing_official: Some("Chief of Staff".into()),
            rule: rule.into(),
            starts: starts.parse().unwrap(),
            lead_days: 5,
            opr: Some(Id::from_u128(1)),
            ocrs: vec![Id::from_u128(2)],
            skipped: vec![],
            ended: None,
            created: Stamp { by: "Ana".into(), at: Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap() },
        }
    }
    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn last_friday_quarterly_and_annual_rules_give_the_dates_a_calendar_would() {
        let s = series("FREQ=MONTHLY;BYDAY=-1FR", "2026-01-30");
        assert_eq!(
            s.occurrences(d("2026-01-01"), d("2026-04-30")).unwrap(),
            [d("2026-01-30"), d("2026-02-27"), d("2026-03-27"), d("2026-04-24")]
        );
        let q = series("FREQ=MONTHLY;INTERVAL=3;COUNT=3", "2026-03-31");
        assert_eq!(
            q.occurrences(d("2026-01-01"), d("2027-12-31")).unwrap(),
            [d("2026-03-31"), d("2026-12-31"), d("2027-03-31")],
            "months without a 31st are skipped, as RFC 5545 says"
        );
        let y = series("FREQ=YEARLY;UNTIL=20280101T000000Z", "2026-09-30");
        assert_eq!(y.occurrences(d("2026-01-01"), d("2030-01-01")).unwrap(), [d("2026-09-30"), d("2027-09-30")]);
    }

    #[test]
    fn skipped_and_ended_occurrences_are_not_due_and_a_new_series_has_no_backlog() {
        let mut s = series("FREQ=WEEKLY", "2025-12-01");
        // Created 2026-01-01: the weekly occurrences before it are not issued.
        assert_eq!(s.due(d("2026-01-01")).unwrap(), [d("2026-01-05")], "the one within the lead time");
        s.skipped.push(d("2026-01-12"));
        assert_eq!(s.due(d("2026-01-15")).unwrap(), [d("2026-01-05"), d("2026-01-19")]);
        s.ended = Some(d("2026-01-10"));
        assert_eq!(s.due(d("2026-02-15")).unwrap(), [d("2026-01-05")]);
    }

    #[test]
    fn an_occurrence_is_the_same_records_wherever_it_is_issued() {
        let s = series("FREQ=WEEKLY", "2026-01-05");
        let exec = |h| Ctx {
            actor: Actor { name: "Ana".into(), role: UserRole::Executive },
            now: Utc.with_ymd_and_hms(2026, 1, 1, h, 0, 0).unwrap(),
        };
        let (a, ta) = issue_occurrence(&s, d("2026-01-12"), "2026-0001".into(), &exec(8)).unwrap();
        let (b, tb) = issue_occurrence(&s, d("2026-01-12"), "2026-0042".into(), &exec(17)).unwrap();
        assert_eq!(a.action.id, b.action.id);
        assert_eq!(a.action.status, Status::Assigned);
        assert_eq!(a.assignments.iter().map(|x| x.id).collect::<Vec<_>>(), b.assignments.iter().map(|x| x.id).collect::<Vec<_>>());
        assert_eq!(ta.iter().map(|t| t.id).collect::<Vec<_>>(), tb.iter().map(|t| t.id).collect::<Vec<_>>());
        assert_ne!(a.action.id, s.occurrence_id(d("2026-01-19")));
        assert!(validate_series(&series("WEEKLY", "2026-01-05")).is_err());
        assert!(validate_series(&series("FREQ=FORTNIGHTLY", "2026-01-05")).unwrap_err().message.contains("not a valid RRULE"));
    }
}
