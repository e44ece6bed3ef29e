//! Imports and exports from the window (files picked with the native dialog).

use crate::{invalid, App, Result};
use mandate_store::import::{BadRows, ImportSummary};
use serde::Serialize;
use std::io::Write;
use ts_rs::TS;

/// One line saying what an import did, for the window and the command line alike.
pub fn import_summary(r: &ImportSummary) -> String {
    let mut line = format!(
        "Imported {} file(s): {} actions created, {} updated, {} unchanged; {} records written ({} new, {} changed); {} relations linked, {} naming orders not present; {} problem(s).",
        r.files.saturating_sub(r.rejected_files.len()),
        r.actions_created,
        r.actions_updated,
        r.actions_unchanged,
        r.records_created + r.records_updated,
        r.records_created,
        r.records_updated,
        r.relations_linked,
        r.relations_unresolved,
        r.problems.len()
    );
    if !r.rejected_files.is_empty() {
        line.push_str(&format!(
            " {} file(s) with problems left out whole, nothing from them imported (keep their good rows with --keep-good-rows, or \"Keep the good rows\" in the window): {}.",
            r.rejected_files.len(),
            r.rejected_files.join(", ")
        ));
    }
    line
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ImportResult {
    pub summary: String,
    /// Each problem with its file, line and column.
    pub problems: Vec<String>,
    /// Files left out whole because of a bad row (nothing from them was imported).
    pub rejected_files: Vec<String>,
}

impl App {
    /// One import, one transaction: every problem is reported with its file, line and column.
    /// A file with a bad row is left out whole unless `keep_good_rows`; the other files are kept.
    pub async fn import(
        &self,
        paths: Vec<String>,
        keep_good_rows: bool,
        progress: &(dyn Fn(&str, u64, u64) + Sync),
    ) -> Result<ImportResult> {
        if paths.is_empty() {
            return Err(invalid("choose at least one file or folder to import"));
        }
        self.with(async |s| {
            let paths: Vec<std::path::PathBuf> = paths.iter().map(Into::into).collect();
            let bad_rows = if keep_good_rows { BadRows::KeepGoodRows } else { BadRows::RejectFile };
            let r = s.import_paths(&paths, bad_rows, progress).await?;
            Ok(ImportResult {
                summary: import_summary(&r),
                problems: r.problems.iter().map(|p| p.to_string()).collect(),
                rejected_files: r.rejected_files.clone(),
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
