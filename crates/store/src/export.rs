//! Exports: the whole workspace as Mandate JSON (lossless; imports back to the same records),
//! actions as CSV rows, and suspense dates as calendar events.

use crate::record::TABLES;
use crate::{Result, Store, StoreError};
use chrono::NaiveDate;
use mandate_domain::*;
use mandate_interchange::csv_format::CsvAction;
use mandate_interchange::ics::SuspenseEvent;
use sqlx::Row;

impl Store {
    /// Write every record as a Mandate JSON bundle.
    pub async fn export_json(&self, out: &mut (dyn std::io::Write + Send)) -> Result<u64> {
        let mut tables = Vec::new();
        let mut n = 0;
        for t in TABLES {
            let order = if *t == "actions" { "seq" } else { "rowid" };
            let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT data FROM {t} ORDER BY {order}")).fetch_all(self.pool()).await?;
            n += rows.len() as u64;
            tables.push((*t, rows));
        }
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        mandate_interchange::bundle::write(out, &now, &tables).map_err(|e| StoreError::Io { path: "export".into(), source: e })?;
        Ok(n)
    }

    /// One spreadsheet row per action (all actions, or those given), in list order.
    pub async fn csv_rows(&self, ids: Option<&[Id]>, today: NaiveDate) -> Result<Vec<CsvAction>> {
        let filter = match ids {
            Some(ids) => {
                let v: Vec<String> = ids.iter().map(Id::to_string).collect();
                format!(
                    "WHERE a.id IN (SELECT value FROM json_each('{}'))",
                    serde_json::to_string(&v).expect("ids serialise").replace('\'', "''")
                )
            }
            None => String::new(),
        };
        let rows = sqlx::query(&format!(
            "SELECT a.data, \
               (SELECT json_group_array(json_array(o.code, s.role)) FROM assignments s JOIN offices o ON o.id = s.office_id WHERE s.action_id = a.id) AS offices, \
               (SELECT json_group_array(au.citation) FROM citations c JOIN authorities au ON au.id = c.authority_id WHERE c.action_id = a.id) AS cites \
             FROM actions a {filter} ORDER BY a.due, a.id"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let a: Action = crate::query::decode(&r.get::<String, _>("data"))?;
                let offices: Vec<(String, String)> = serde_json::from_str(&r.get::<String, _>("offices")).unwrap_or_default();
                let codes = |role: &str| offices.iter().filter(|(_, x)| x == role).map(|(c, _)| c.clone()).collect::<Vec<_>>();
                Ok(CsvAction {
                    id: Some(a.id),
                    overdue: a.is_overdue(today),
                    number: a.number,
                    title: a.title,
                    kind: a.kind,
                    status: a.status,
                    priority: a.priority,
                    marking: a.marking,
                    issuing_official: a.issuing_official,
                    issued_on: a.issued_on,
                    suspense: a.suspense,
                    percent_complete: a.percent_complete,
                    opr: codes("opr").into_iter().next(),
                    ocr: codes("ocr"),
                    info: codes("info"),
                    authorities: serde_json::from_str(&r.get::<String, _>("cites")).unwrap_or_default(),
                    body: a.body,
                })
            })
            .collect()
    }

    /// Suspense dates of actions still being worked, of assignments whose own suspense
    /// differs from their action's, and of recurring series still to come, as calendar events.
    pub async fn suspense_events(&self, reminder_minutes: Option<u32>) -> Result<Vec<SuspenseEvent>> {
        let rows = sqlx::query(
            "SELECT a.id, a.number, a.title, a.suspense, a.status, a.priority, a.data->>'issuing_official' AS official, \
               (SELECT json_group_array(json_array(s.id, o.code, s.role, s.data->>'suspense')) FROM assignments s JOIN offices o ON o.id = s.office_id WHERE s.action_id = a.id) AS offices \
             FROM actions a WHERE a.status IN ('issued','assigned','in_progress','blocked') AND a.suspense IS NOT NULL ORDER BY a.due, a.id",
        )
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let number: String = r.get("number");
            let title: String = r.get("title");
            let Some(date) = r.get::<Option<String>, _>("suspense").and_then(|s| s.parse::<NaiveDate>().ok()) else { continue };
            let offices: Vec<(String, String, String, Option<String>)> =
                serde_json::from_str(&r.get::<String, _>("offices")).unwrap_or_default();
            let opr = offices.iter().find(|o| o.2 == "opr").map(|o| o.1.clone());
            let status: String = r.get("status");
            out.push(SuspenseEvent {
                uid: format!("{}@mandate", r.get::<String, _>("id")),
                date,
                summary: format!("Suspense: {number} {title}"),
                description: format!(
                    "{number}: {title}\nStatus: {}\nPriority: {}\nOPR: {}\nIssued by: {}",
                    status.replace('_', " "),
                    r.get::<String, _>("priority"),
                    opr.clone().unwrap_or_else(|| "none".into()),
                    r.get::<Option<String>, _>("official").unwrap_or_default()
                ),
                categories: ["Mandate".to_string()].into_iter().chain(opr).collect(),
                reminder_minutes,
                rrule: None,
                exdates: vec![],
            });
            for (sid, code, role, s) in offices {
                if let Some(d) = s.and_then(|s| s.parse::<NaiveDate>().ok()).filter(|d| *d != date) {
                    out.push(SuspenseEvent {
                        uid: format!("{sid}@mandate"),
                        date: d,
                        summary: format!("Suspense ({code} {}): {number} {title}", role.to_uppercase()),
                        description: format!("{code}'s suspense for {number}: {title}"),
                        categories: vec!["Mandate".into(), code],
                        reminder_minutes,
                        rrule: None,
                        exdates: vec![],
                    });
                }
            }
        }
        // Recurring taskers' occurrences still to come, one recurring event per series.
        out.extend(self.series_events(chrono::Utc::now().date_naive(), reminder_minutes).await?);
        Ok(out)
    }
}
