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
    #[ts(type = "{ view?: string | null, filter?: Record<string, unknown> | null, actions: string[] }")]
    pub selection: BookSelection,
    /// The briefing crate's `BookOptions` as JSON; missing fields take their defaults.
    #[ts(type = "Record<string, unknown>")]
    pub options: serde_json::Value,
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
    #[ts(type = "{ view?: string | null, filter?: Record<string, unknown> | null, actions: string[] }")]
    pub selection: BookSelection,
    #[ts(type = "Record<string, unknown>")]
    pub options: serde_json::Value,
}

impl App {
    pub async fn brief(&self, req: BriefRequest, progress: &(dyn Fn(&str, u64, u64) + Sync)) -> Result<BriefResult> {
        let out = std::path::PathBuf::from(&req.out);
        output::check_writable(&out).map_err(|e| invalid(e.to_string()))?;
        let mut options: BookOptions = serde_json::from_value(req.options.clone()).map_err(|e| invalid(format!("book options: {e}")))?;
        options.as_of = chrono::Utc::now();
        self.with(async |s| {
            if let Some(name) = req.save_template.as_deref().filter(|n| !n.trim().is_empty()) {
                s.save_book_template(name, &req.selection, req.options.clone()).await?;
            }
            let ids = s.select_actions(&req.selection, crate::today()).await?;
            if ids.is_empty() {
                return Err(invalid("the selection matched no actions, so there is no book to print"));
            }
            let data = BookData { actions: s.action_files(&ids, progress).await?, offices: s.all::<Office>().await? };
            let n = data.actions.len() as u32;
            if req.format == "html" {
                let html = mandate_briefing::html_book(&data, &options).map_err(|e| invalid(e.to_string()))?;
                output::write_whole(&out, html.as_bytes()).map_err(|e| invalid(e.to_string()))?;
                return Ok(BriefResult { files: vec![req.out.clone()], pages: 0, actions: n });
            }
            let book = mandate_briefing::pdf_book(&data, &options, &mut |d, t| progress("Laying out pages", d as u64, t as u64))
                .map_err(|e| invalid(e.to_string()))?;
            let files = output::write_pdfs(&book, &out, &req.recipients, &mut |d, t| progress("Writing PDF", d as u64, t as u64))
                .map_err(|e| invalid(e.to_string()))?;
            Ok(BriefResult { files: files.iter().map(|f| f.display().to_string()).collect(), pages: book.page_count() as u32, actions: n })
        })
        .await
    }

    pub async fn book_templates(&self) -> Result<Vec<TemplateEntry>> {
        self.with(async |s| {
            Ok(s.book_templates()
                .await?
                .into_iter()
                .map(|t| TemplateEntry { name: t.name, selection: t.selection, options: t.options })
                .collect())
        })
        .await
    }
}
