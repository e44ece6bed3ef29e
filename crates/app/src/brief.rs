//! The Briefing book screen: choose actions and options, save the setup as a template, print.

use crate::{invalid, App, Result};
use mandate_briefing::{output, BookData, BookOptions};
use mandate_domain::*;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct BriefRequest {
    /// `{view, filter, actions}` — a saved view, a filter, hand-picked action numbers.
    pub selection: BookSelection,
    /// Missing fields take their defaults; the as-of time is always when it is printed.
    pub options: BookOptions,
    pub out: String,
    /// "pdf" or "html".
    pub format: String,
    pub recipients: Vec<String>,
    pub save_template: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct BriefResult {
    pub files: Vec<String>,
    pub pages: u32,
    pub actions: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct TemplateEntry {
    pub name: String,
    pub selection: BookSelection,
    pub options: BookOptions,
}

/// Prints a book from a workspace: the one pipeline behind `mandate brief` and the window's
/// Briefing book screen. Saves the template first when asked (its as-of is always "when
/// printed"), refuses an empty selection, reports progress.
#[allow(clippy::too_many_arguments)]
pub async fn print_book(
    s: &mandate_store::Store,
    selection: &BookSelection,
    options: &BookOptions,
    out: &std::path::Path,
    html: bool,
    recipients: &[String],
    save_template: Option<&str>,
    today: chrono::NaiveDate,
    progress: &(dyn Fn(&str, u64, u64) + Sync),
) -> Result<BriefResult> {
    output::check_writable(out).map_err(|e| invalid(e.to_string()))?;
    if let Some(name) = save_template.filter(|n| !n.trim().is_empty()) {
        let mut saved = options.clone();
        saved.as_of = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
        let json = serde_json::to_value(&saved).map_err(|e| invalid(e.to_string()))?;
        s.save_book_template(name, selection, json).await?;
    }
    let ids = s.select_actions(selection, today).await?;
    if ids.is_empty() {
        return Err(invalid(
            "the selection matched no actions, so there is no book to print; check the view or filters (the actions list with the same filters shows what they match)",
        ));
    }
    let data = BookData { actions: s.action_files(&ids, progress).await?, offices: s.all::<Office>().await? };
    let n = data.actions.len() as u32;
    if html {
        let page = mandate_briefing::html_book(&data, options).map_err(|e| invalid(e.to_string()))?;
        output::write_whole(out, page.as_bytes()).map_err(|e| invalid(e.to_string()))?;
        return Ok(BriefResult { files: vec![out.display().to_string()], pages: 0, actions: n });
    }
    let book = mandate_briefing::pdf_book(&data, options, &mut |d, t| progress("Laying out pages", d as u64, t as u64))
        .map_err(|e| invalid(e.to_string()))?;
    let files = output::write_pdfs(&book, out, recipients, &mut |d, t| progress("Writing PDF", d as u64, t as u64))
        .map_err(|e| invalid(e.to_string()))?;
    Ok(BriefResult { files: files.iter().map(|f| f.display().to_string()).collect(), pages: book.page_count() as u32, actions: n })
}

impl App {
    pub async fn brief(&self, req: BriefRequest, progress: &(dyn Fn(&str, u64, u64) + Sync)) -> Result<BriefResult> {
        let BriefRequest { selection, mut options, out, format, recipients, save_template } = req;
        options.as_of = chrono::Utc::now();
        let out = std::path::PathBuf::from(out);
        self.with(async |s| {
            print_book(s, &selection, &options, &out, format == "html", &recipients, save_template.as_deref(), crate::today(), progress)
                .await
        })
        .await
    }

    pub async fn book_templates(&self) -> Result<Vec<TemplateEntry>> {
        self.with(async |s| {
            Ok(s.book_templates()
                .await?
                .into_iter()
                .map(|t| {
                    let options = serde_json::from_value(t.options)
                        .map_err(|e| invalid(format!("the book template `{}` has options this version cannot read: {e}", t.name)))?;
                    Ok(TemplateEntry { name: t.name, selection: t.selection, options })
                })
                .collect::<Result<Vec<_>>>()?)
        })
        .await
    }
}
