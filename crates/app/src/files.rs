//! Imports and exports from the window (files picked with the native dialog).

use crate::{invalid, App, Result};
use serde::Serialize;
use std::io::Write;
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ImportResult {
    pub summary: String,
    /// Each problem with its file and line.
    pub problems: Vec<String>,
}

impl App {
    /// One import, one transaction: problems are reported with their file and line and the
    /// rest is kept.
    pub async fn import(&self, paths: Vec<String>, progress: &(dyn Fn(&str, u64, u64) + Sync)) -> Result<ImportResult> {
        if paths.is_empty() {
            return Err(invalid("choose at least one file or folder to import"));
        }
        self.with(async |s| {
            let paths: Vec<std::path::PathBuf> = paths.iter().map(Into::into).collect();
            let r = s.import_paths(&paths, progress).await?;
            Ok(ImportResult {
                summary: format!(
                    "{} file(s): {} actions created, {} updated, {} unchanged; {} relations linked, {} naming orders not present; {} problem(s).",
                    r.files, r.actions_created, r.actions_updated, r.actions_unchanged, r.relations_linked, r.relations_unresolved, r.problems.len()
                ),
                problems: r.problems.iter().map(|p| p.to_string()).collect(),
            })
        })
        .await
    }

    /// Writes the workspace as Mandate JSON (lossless), the actions as CSV, or their suspenses
    /// as an iCalendar file. Returns what was written.
    pub async fn export(&self, format: String, out: String) -> Result<String> {
        self.with(async |s| {
            let io = |e: std::io::Error| invalid(format!("cannot write {out}: {e}"));
            let mut f = std::io::BufWriter::new(std::fs::File::create(&out).map_err(io)?);
            let said = match format.as_str() {
                "json" => format!("{} records", s.export_json(&mut f).await?),
                "csv" => {
                    let rows = s.csv_rows(None, crate::today()).await?;
                    mandate_interchange::csv_format::write(&mut f, &rows).map_err(|e| invalid(e.to_string()))?;
                    format!("{} actions", rows.len())
                }
                "ics" => {
                    let events = s.suspense_events(Some(24 * 60)).await?;
                    f.write_all(mandate_interchange::ics::write(&events, chrono::Utc::now(), "Mandate suspenses").as_bytes())
                        .map_err(io)?;
                    format!("{} suspense dates", events.len())
                }
                other => return Err(invalid(format!("`{other}` is not an export format (json, csv or ics)"))),
            };
            f.flush().map_err(io)?;
            Ok(format!("Wrote {said} to {out}"))
        })
        .await
    }
}
