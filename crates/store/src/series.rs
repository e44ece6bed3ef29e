//! Recurring taskers (`mandate_domain::series`): series records, and issuing the occurrences
//! that have come due as ordinary actions. Issuing is idempotent — an occurrence already in the
//! workspace (issued here, or pulled from another desktop that issued it first) is left alone —
//! and happens whenever someone looks: `mandate series list`, the Series screen, My work.

use crate::query::{all, get, office_by_code};
use crate::write::Put;
use crate::{Result, Store, StoreError};
use chrono::NaiveDate;
use mandate_domain::rules::{self, Ctx};
use mandate_domain::series::{self, Series};
use mandate_domain::{ActionKind, Id, Marking, Priority};
use mandate_interchange::ics::SuspenseEvent;
use serde::{Deserialize, Serialize};

/// A series as entered; offices by code.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewSeries {
    pub title: String,
    pub kind: ActionKind,
    #[serde(default)]
    pub body: String,
    pub priority: Priority,
    #[serde(default)]
    pub marking: Option<Marking>,
    pub issuing_official: String,
    pub rule: String,
    pub starts: NaiveDate,
    pub lead_days: u32,
    #[serde(default)]
    pub opr: Option<String>,
    #[serde(default)]
    pub ocrs: Vec<String>,
}

/// A change to a series "from now on": what is given replaces what it had; occurrences
/// already issued are ordinary actions and do not change.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SeriesChange {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub lead_days: Option<u32>,
    #[serde(default)]
    pub opr: Option<String>,
    #[serde(default)]
    pub ocrs: Option<Vec<String>>,
    #[serde(default)]
    pub rule: Option<String>,
}

/// A series as its screen and `series list` show it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SeriesView {
    pub series: Series,
    pub opr: Option<String>,
    pub ocrs: Vec<String>,
    /// Occurrences issued so far (actions in this workspace).
    pub issued: u32,
    /// The next occurrences' suspense dates, whether issued yet or not.
    pub next: Vec<NaiveDate>,
}

/// An occurrence on the calendar: issued (with its action's number) or still to come.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Occurrence {
    pub series_id: Id,
    pub title: String,
    pub suspense: NaiveDate,
    pub number: Option<String>,
}

/// Series are leadership's to set (the agency server refuses them from anyone else, too).
fn check_can_change_series(actor: &mandate_domain::Actor) -> Result<()> {
    rules::check_can_write(actor)?;
    if !matches!(actor.role, mandate_domain::UserRole::Executive | mandate_domain::UserRole::OfficeLead) {
        return Err(rules::RuleViolation {
            rule: "series-by-leadership",
            message: format!(
                "only an executive or an office lead sets up recurring taskers; {} is {}",
                actor.name,
                actor.role.label().to_lowercase()
            ),
        }
        .into());
    }
    Ok(())
}

impl Store {
    async fn office_ids(&self, conn: &mut sqlx::SqliteConnection, opr: Option<&str>, ocrs: &[String]) -> Result<(Option<Id>, Vec<Id>)> {
        let opr = match opr.filter(|o| !o.trim().is_empty()) {
            Some(code) => Some(office_by_code(conn, code).await?.id),
            None => None,
        };
        let mut ids = Vec::new();
        for code in ocrs.iter().filter(|o| !o.trim().is_empty()) {
            ids.push(office_by_code(conn, code).await?.id);
        }
        Ok((opr, ids))
    }

    /// A series by id or by title (any case).
    pub async fn find_series(&self, key: &str) -> Result<Series> {
        let list: Vec<Series> = all(&mut *self.pool().acquire().await?).await?;
        let key = key.trim();
        let found: Vec<&Series> = list.iter().filter(|s| s.id.to_string() == key || s.title.trim().eq_ignore_ascii_case(key)).collect();
        match found.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(StoreError::NotFound(format!(
                "no series `{key}`; known: {}",
                if list.is_empty() { "none yet".to_string() } else { list.iter().map(|s| s.title.clone()).collect::<Vec<_>>().join(", ") }
            ))),
            _ => Err(StoreError::Invalid(format!("several series are titled `{key}`; name one by its id"))),
        }
    }

    /// Create a series, then issue whatever of it is already due.
    pub async fn create_series(&self, new: NewSeries, today: NaiveDate) -> Result<Series> {
        check_can_change_series(self.actor())?;
        let mut tx = self.begin().await?;
        let (opr, ocrs) = self.office_ids(tx.conn(), new.opr.as_deref(), &new.ocrs).await?;
        let ctx = Ctx { actor: self.actor().clone(), now: tx.now() };
        let s = Series {
            id: Id::new(),
            title: new.title.trim().to_string(),
            kind: new.kind,
            body: new.body.trim().to_string(),
            priority: new.priority,
            marking: new.marking.unwrap_or_else(Marking::unclassified),
            issuing_official: Some(new.issuing_official.trim().to_string()).filter(|o| !o.is_empty()),
            rule: new.rule.trim().to_string(),
            starts: new.starts,
            lead_days: new.lead_days,
            opr,
            ocrs,
            skipped: Vec::new(),
            ended: None,
            created: ctx.stamp(),
        };
        series::validate_series(&s)?;
        tx.put(vec![Put::create(&s)]).await?;
        tx.commit().await?;
        self.issue_due_occurrences(today).await?;
        Ok(s)
    }

    /// Rewrite a series (skip, end, change from now on), audited like every write.
    async fn rewrite(&self, before: &Series, after: Series) -> Result<Series> {
        check_can_change_series(self.actor())?;
        series::validate_series(&after)?;
        let mut tx = self.begin().await?;
        tx.put(vec![Put::new(Some(before), &after)]).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Skip one occurrence (by its suspense date): it will not be issued. An occurrence
    /// already issued is an ordinary action; cancel it instead.
    pub async fn skip_occurrence(&self, key: &str, date: NaiveDate) -> Result<Series> {
        let s = self.find_series(key).await?;
        let occurs = s.occurrences(date, date).map_err(StoreError::Invalid)?;
        if occurs.is_empty() {
            let next = s.upcoming(date, 3).map_err(StoreError::Invalid)?;
            return Err(StoreError::Invalid(format!(
                "series `{}` has no occurrence on {date} (next: {})",
                s.title,
                next.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
            )));
        }
        let mut conn = self.pool().acquire().await?;
        if get::<mandate_domain::Action>(&mut conn, s.occurrence_id(date)).await?.is_some() {
            return Err(StoreError::Invalid(format!(
                "the {date} occurrence of `{}` is already issued; cancel that action instead",
                s.title
            )));
        }
        drop(conn);
        let mut after = s.clone();
        after.skipped.push(date);
        after.skipped.sort();
        self.rewrite(&s, after).await
    }

    /// End a series: no occurrence after `last` is issued.
    pub async fn end_series(&self, key: &str, last: NaiveDate) -> Result<Series> {
        let s = self.find_series(key).await?;
        let mut after = s.clone();
        after.ended = Some(last);
        self.rewrite(&s, after).await
    }

    /// Change a series from now on.
    pub async fn change_series(&self, key: &str, change: SeriesChange) -> Result<Series> {
        let s = self.find_series(key).await?;
        let mut after = s.clone();
        let mut conn = self.pool().acquire().await?;
        if let Some(t) = change.title {
            after.title = t.trim().to_string();
        }
        if let Some(l) = change.lead_days {
            after.lead_days = l;
        }
        if let Some(r) = change.rule {
            after.rule = r.trim().to_string();
        }
        if let Some(o) = change.opr {
            after.opr = self.office_ids(&mut conn, Some(&o), &[]).await?.0;
        }
        if let Some(list) = change.ocrs {
            after.ocrs = self.office_ids(&mut conn, None, &list).await?.1;
        }
        drop(conn);
        self.rewrite(&s, after).await
    }

    /// Issue every occurrence that has come due (suspense minus lead time on or before
    /// `today`) and is not yet in the workspace; returns the numbers issued.
    pub async fn issue_due_occurrences(&self, today: NaiveDate) -> Result<Vec<String>> {
        let list: Vec<Series> = all(&mut *self.pool().acquire().await?).await?;
        if list.is_empty() || self.actor().role == mandate_domain::UserRole::Staff {
            return Ok(Vec::new());
        }
        // Most looks find nothing to issue: find out on a read connection, without taking the
        // write lock.
        let mut missing = Vec::new();
        {
            let mut conn = self.pool().acquire().await?;
            for s in &list {
                for date in s.due(today).map_err(StoreError::Invalid)? {
                    if get::<mandate_domain::Action>(&mut conn, s.occurrence_id(date)).await?.is_none() {
                        missing.push((s, date));
                    }
                }
            }
        }
        if missing.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin().await?;
        let ctx = Ctx { actor: self.actor().clone(), now: tx.now() };
        let mut issued = Vec::new();
        for (s, date) in missing {
            // Checked again inside the transaction: another window may have issued it since.
            if get::<mandate_domain::Action>(tx.conn(), s.occurrence_id(date)).await?.is_some() {
                continue;
            }
            let number = tx.next_number().await?;
            let (file, steps) = series::issue_occurrence(s, date, number, &ctx)?;
            let mut puts = vec![Put::create(&file.action)];
            puts.extend(steps.iter().map(Put::create));
            puts.extend(file.assignments.iter().map(Put::create));
            tx.put(puts).await?;
            issued.push(file.action.number.clone());
        }
        tx.commit().await?;
        Ok(issued)
    }

    /// Every series with its offices' codes, how many occurrences are issued, and the next few.
    pub async fn series_list(&self, today: NaiveDate) -> Result<Vec<SeriesView>> {
        let mut conn = self.pool().acquire().await?;
        let list: Vec<Series> = all(&mut conn).await?;
        let offices: std::collections::HashMap<Id, String> =
            all::<mandate_domain::Office>(&mut conn).await?.into_iter().map(|o| (o.id, o.code)).collect();
        let code = |id: &Id| offices.get(id).cloned().unwrap_or_else(|| id.to_string());
        let mut out = Vec::new();
        for s in list {
            let prefix = format!("series:{}:%", s.id);
            let issued: i64 = sqlx::query_scalar("SELECT count(*) FROM actions WHERE data->>'external_ref' LIKE ?1")
                .bind(&prefix)
                .fetch_one(&mut *conn)
                .await?;
            let next = s.upcoming(today, 3).map_err(StoreError::Invalid)?;
            out.push(SeriesView {
                opr: s.opr.as_ref().map(code),
                ocrs: s.ocrs.iter().map(code).collect(),
                issued: issued as u32,
                next,
                series: s,
            });
        }
        out.sort_by(|a, b| a.series.title.cmp(&b.series.title));
        Ok(out)
    }

    /// Occurrences with a suspense from `from` to `to`, issued or still to come (the calendar).
    pub async fn occurrences(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<Occurrence>> {
        let mut conn = self.pool().acquire().await?;
        let list: Vec<Series> = all(&mut conn).await?;
        let mut out = Vec::new();
        for s in list {
            for date in s.occurrences(from, to).map_err(StoreError::Invalid)? {
                let number = get::<mandate_domain::Action>(&mut conn, s.occurrence_id(date)).await?.map(|a| a.number);
                out.push(Occurrence { series_id: s.id, title: s.title.clone(), suspense: date, number });
            }
        }
        out.sort_by_key(|o| o.suspense);
        Ok(out)
    }
}

impl Store {
    /// Each series' occurrences still to come as one recurring calendar event (its RRULE, with
    /// skipped and already-issued dates as EXDATEs — issued ones are events of their own).
    pub async fn series_events(&self, today: NaiveDate, reminder_minutes: Option<u32>) -> Result<Vec<SuspenseEvent>> {
        let mut conn = self.pool().acquire().await?;
        let list: Vec<Series> = all(&mut conn).await?;
        let mut out = Vec::new();
        for s in list {
            let future = s.upcoming(today, 520).map_err(StoreError::Invalid)?;
            let mut issued = Vec::new();
            for d in &future {
                if get::<mandate_domain::Action>(&mut conn, s.occurrence_id(*d)).await?.is_some() {
                    issued.push(*d);
                }
            }
            let Some(start) = future.iter().copied().find(|d| !issued.contains(d)) else { continue };
            let upper = |p: &str| p.trim().to_ascii_uppercase();
            let mut rule: Vec<String> = s
                .rule
                .split(';')
                .filter(|p| !upper(p).starts_with("COUNT=") && !upper(p).starts_with("UNTIL=") && !p.trim().is_empty())
                .map(|p| p.trim().to_string())
                .collect();
            let finite =
                s.ended.is_some() || s.rule.to_ascii_uppercase().contains("COUNT=") || s.rule.to_ascii_uppercase().contains("UNTIL=");
            if finite {
                let last = future.last().copied().unwrap_or(start);
                rule.push(format!("UNTIL={}", last.format("%Y%m%d")));
            }
            let exdates: Vec<NaiveDate> = s
                .skipped
                .iter()
                .chain(&issued)
                .copied()
                .filter(|d| *d > start)
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            out.push(SuspenseEvent {
                uid: format!("series-{}@mandate", s.id),
                date: start,
                summary: format!("Suspense (recurring): {}", s.title),
                description: format!(
                    "Occurrences of the series \"{}\" not yet issued; each is issued {} days before its suspense.",
                    s.title, s.lead_days
                ),
                categories: vec!["Mandate".into(), "Series".into()],
                reminder_minutes,
                rrule: Some(rule.join(";")),
                exdates,
            });
        }
        Ok(out)
    }
}
