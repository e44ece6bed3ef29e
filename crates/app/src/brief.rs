//! The Briefing book screen: choose actions and options, save the setup as a template, print.

use crate::{invalid, App, Result};
use mandate_briefing::{output, BookData, BookOptions, Recipient};
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
    /// One entry per file written, in the same order: a recipient limited to some offices gets
    /// fewer actions and pages than the whole book.
    pub copies: Vec<BookCopy>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct BookCopy {
    pub file: String,
    pub pages: u32,
    pub actions: u32,
    /// Selected actions left out because the recipient's offices may not see them.
    pub withheld: u32,
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
    let recipients: Vec<Recipient> = recipients.iter().map(|r| r.parse::<Recipient>().map_err(invalid)).collect::<Result<_>>()?;
    let actions = s.action_files(&ids, progress).await?;
    let mut custody = std::collections::HashMap::new();
    if options.sections.custody {
        for f in &actions {
            custody.insert(f.action.id, s.custody(&f.action.id.to_string()).await?.1);
        }
    }
    let data = BookData { actions, offices: s.all::<Office>().await?, custody };
    let n = data.actions.len() as u32;
    let limited = recipients.iter().any(|r| !r.offices.is_empty());
    // Actions the book refers to without printing them (a parent, a relation's other end): a
    // copy limited to offices names them only if its recipient may see them too.
    let referred = if limited { referred_files(s, &data).await? } else { Vec::new() };
    if html && recipients.is_empty() {
        let page = mandate_briefing::html_book(&data, options, None).map_err(|e| invalid(e.to_string()))?;
        output::write_whole(out, page.as_bytes()).map_err(|e| invalid(e.to_string()))?;
        let file = out.display().to_string();
        return Ok(BriefResult {
            files: vec![file.clone()],
            pages: 0,
            actions: n,
            copies: vec![BookCopy { file, pages: 0, actions: n, withheld: 0 }],
        });
    }
    let lay_out = |data: &BookData, options: &BookOptions, what: &str| {
        mandate_briefing::pdf_book(data, options, &mut |d, t| progress(what, d as u64, t as u64)).map_err(|e| invalid(e.to_string()))
    };
    if !html && !limited {
        // Every copy holds the whole book: laid out once, watermarked per recipient.
        let book = lay_out(&data, options, "Laying out pages")?;
        let names: Vec<String> = recipients.into_iter().map(|r| r.name).collect();
        let files = output::write_pdfs(&book, out, &names, &mut |d, t| progress("Writing PDF", d as u64, t as u64))
            .map_err(|e| invalid(e.to_string()))?;
        let pages = book.page_count() as u32;
        let files: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        let copies = files.iter().map(|f| BookCopy { file: f.clone(), pages, actions: n, withheld: 0 }).collect();
        return Ok(BriefResult { files, pages, actions: n, copies });
    }
    // A book per recipient, from their share of the records: PDF copies limited to offices, and
    // every HTML copy (its label is part of its text). Every copy is made before any is
    // written: a recipient who may see nothing, or an office code that names no office, leaves
    // no files behind.
    let mut made = Vec::new();
    for (i, r) in recipients.iter().enumerate() {
        let copy = copy_for(&data, &referred, r)?;
        let mut o = options.clone();
        o.withheld = n - copy.actions.len() as u32;
        let label = Some((i + 1, r.name.as_str()));
        let (bytes, pages) = if html {
            (mandate_briefing::html_book(&copy, &o, label).map_err(|e| invalid(e.to_string()))?.into_bytes(), 0)
        } else {
            let book = lay_out(&copy, &o, &format!("Laying out copy {} of {}", i + 1, recipients.len()))?;
            (book.pdf(label).map_err(|e| invalid(e.to_string()))?, book.page_count() as u32)
        };
        made.push((bytes, pages, copy.actions.len() as u32, o.withheld));
    }
    let mut copies = Vec::new();
    for (i, (r, (bytes, pages, actions, withheld))) in recipients.iter().zip(&made).enumerate() {
        let path = output::copy_path(out, i + 1, &r.name);
        output::write_whole(&path, bytes).map_err(|e| invalid(e.to_string()))?;
        progress("Writing copies", i as u64 + 1, recipients.len() as u64);
        copies.push(BookCopy { file: path.display().to_string(), pages: *pages, actions: *actions, withheld: *withheld });
    }
    let pages = copies.iter().map(|c| c.pages).max().unwrap_or(0);
    Ok(BriefResult { files: copies.iter().map(|c| c.file.clone()).collect(), pages, actions: n, copies })
}

/// The files of actions the book refers to (parent, sub-taskers, relations) but does not print.
async fn referred_files(s: &mandate_store::Store, data: &BookData) -> Result<Vec<ActionFile>> {
    let selected: std::collections::HashSet<Id> = data.actions.iter().map(|f| f.action.id).collect();
    let referred: std::collections::BTreeSet<Id> =
        data.actions.iter().flat_map(|f| f.related.iter().map(|b| b.id)).filter(|id| !selected.contains(id)).collect();
    Ok(s.action_files(&referred.into_iter().collect::<Vec<_>>(), &|_, _, _| {}).await?)
}

/// A recipient's share of the book: every action when they name no offices, otherwise only
/// those one of their offices may see under the server's rule ([`replication::office_may_see`]),
/// and within those, references (parent, sub-taskers, relations) only to actions they may see
/// as well — `referred` holds the files of referenced actions outside the selection.
fn copy_for<'a>(data: &'a BookData, referred: &[ActionFile], r: &Recipient) -> Result<std::borrow::Cow<'a, BookData>> {
    if r.offices.is_empty() {
        return Ok(std::borrow::Cow::Borrowed(data));
    }
    let mut ids = Vec::new();
    for code in &r.offices {
        match data.offices.iter().find(|o| o.code.eq_ignore_ascii_case(code)) {
            Some(o) => ids.push(o.id),
            None => return Err(invalid(format!("recipient `{}`: there is no office with code `{code}`", r.name))),
        }
    }
    let visible: std::collections::HashSet<Id> = data
        .actions
        .iter()
        .chain(referred)
        .filter(|f| ids.iter().any(|&o| replication::office_may_see(o, f)))
        .map(|f| f.action.id)
        .collect();
    let actions: Vec<ActionFile> = data
        .actions
        .iter()
        .filter(|f| visible.contains(&f.action.id))
        .map(|f| {
            let mut f = f.clone();
            f.related.retain(|b| visible.contains(&b.id));
            f.relations.retain(|x| visible.contains(&x.target_id));
            f.inverse_relations.retain(|x| visible.contains(&x.action_id));
            f
        })
        .collect();
    if actions.is_empty() {
        return Err(invalid(format!(
            "recipient `{}`: {} may see none of the {} selected actions, so their copy would be empty; nothing was written",
            r.name,
            r.offices.join(", "),
            data.actions.len()
        )));
    }
    Ok(std::borrow::Cow::Owned(BookData { actions, offices: data.offices.clone(), custody: data.custody.clone() }))
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
