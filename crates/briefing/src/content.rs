//! What a book says, independent of how it is printed: the parts in order (cover, summary, tabs,
//! one section per action, appendix) as simple blocks. The PDF and the HTML export both render
//! this one model, so they can never disagree about what is in the book.

use crate::options::{BookOptions, Grouping};
use chrono::NaiveDate;
use mandate_domain::metrics::{measure, Measures, MetricsRow};
use mandate_domain::*;
use std::collections::{BTreeMap, HashMap};

/// The records a book is made from.
#[derive(Clone, Debug, Default)]
pub struct BookData {
    pub actions: Vec<ActionFile>,
    pub offices: Vec<Office>,
    /// Each action's chain of custody (by action id), replayed from the audit trail by the
    /// store; an action without an entry prints no custody section.
    pub custody: std::collections::HashMap<Id, Vec<mandate_domain::custody::Hold>>,
}

/// One block of content.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    Heading(String),
    Para(String),
    /// Secondary text (set smaller, in italics).
    Note(String),
    /// Label–value pairs.
    Fields(Vec<(String, String)>),
    Table {
        columns: Vec<Col>,
        rows: Vec<Vec<String>>,
    },
    /// A bar chart of percentages: label, value 0–100, value as printed.
    Bars(Vec<(String, f32, String)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Col {
    pub title: String,
    pub share: f32,
    pub right: bool,
}

fn col(title: &str, share: f32) -> Col {
    Col { title: title.into(), share, right: false }
}
fn rcol(title: &str, share: f32) -> Col {
    Col { title: title.into(), share, right: true }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartKind {
    Summary,
    Divider,
    Action,
    Appendix,
}

/// A part that starts on a new page.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    pub kind: PartKind,
    /// Anchor names (links, bookmarks, page numbers): the part's own, and the tab's when the
    /// part also starts a tab that has no divider page.
    pub anchors: Vec<String>,
    /// Heading at the top of the part.
    pub title: String,
    /// Smaller line under the heading.
    pub subtitle: String,
    /// What the running header names while this part prints.
    pub running_head: String,
    pub blocks: Vec<Block>,
}

/// A contents entry; level 0 = tab or top-level part, 1 = action.
#[derive(Clone, Debug, PartialEq)]
pub struct TocEntry {
    pub level: u8,
    pub title: String,
    pub anchor: String,
}

/// A book's content, ready to print.
#[derive(Clone, Debug)]
pub struct Content {
    pub options: BookOptions,
    pub marking: Marking,
    pub as_of_text: String,
    /// Cover lines (label, value).
    pub cover: Vec<(String, String)>,
    pub toc: Vec<TocEntry>,
    pub parts: Vec<Part>,
    /// Tabs in print order, with the number of actions in each.
    pub tabs: Vec<(String, usize)>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ContentError {
    #[error("the book has no actions: the selection matched nothing")]
    Empty,
    #[error("tab `{tab}` lists `{action}`, which is not among the selected actions")]
    UnknownPick { tab: String, action: String },
}

/// Days between the as-of date and the suspense, in words.
pub fn suspense_words(suspense: Option<NaiveDate>, status: Status, today: NaiveDate) -> String {
    let Some(s) = suspense else { return "no suspense".into() };
    if !status.is_open() {
        return format!("{s}");
    }
    let days = (s - today).num_days();
    match days {
        0 => format!("{s} (due today)"),
        1 => format!("{s} (1 day left)"),
        d if d > 1 => format!("{s} ({d} days left)"),
        -1 => format!("{s} (OVERDUE by 1 day)"),
        d => format!("{s} (OVERDUE by {} days)", -d),
    }
}

fn stamp_date(s: &Stamp) -> String {
    s.at.format("%Y-%m-%d").to_string()
}

fn pct(v: Option<f64>) -> String {
    v.map(|p| format!("{p:.1}%")).unwrap_or_else(|| "—".into())
}

struct Ctx<'a> {
    offices: HashMap<Id, &'a Office>,
    today: NaiveDate,
    as_of: chrono::DateTime<chrono::Utc>,
}

impl Ctx<'_> {
    fn office(&self, id: Id) -> String {
        self.offices.get(&id).map(|o| format!("{} — {}", o.code, o.name)).unwrap_or_else(|| "(unknown office)".into())
    }
    fn office_code(&self, id: Id) -> String {
        self.offices.get(&id).map(|o| o.code.clone()).unwrap_or_else(|| "?".into())
    }
}

/// Builds the book's content from the records and options.
pub fn compose(data: &BookData, options: &BookOptions) -> Result<Content, ContentError> {
    if data.actions.is_empty() {
        return Err(ContentError::Empty);
    }
    let ctx = Ctx { offices: data.offices.iter().map(|o| (o.id, o)).collect(), today: options.as_of.date_naive(), as_of: options.as_of };
    let marking = options.marking.clone().unwrap_or_else(|| Marking::highest(data.actions.iter().map(|f| &f.action.marking)));
    let as_of_text = options.as_of.format("%Y-%m-%d %H:%M UTC").to_string();
    let tabs = group(data, options, &ctx)?;
    let s = &options.sections;

    let mut cover = Vec::new();
    let mut push = |label: &str, value: &str| {
        if !value.trim().is_empty() {
            cover.push((label.to_string(), value.to_string()));
        }
    };
    push("Prepared for", &options.prepared_for);
    push("Occasion", &options.occasion);
    push("Prepared by", &options.prepared_by);
    push("As of", &as_of_text);
    push("Version", &options.version);
    push("Contents", &format!("{} actions in {} tabs", data.actions.len(), tabs.len()));
    push("Distribution", &options.distribution.join("; "));
    if options.withheld > 0 {
        let n = options.withheld;
        push(
            "Withheld",
            &format!("{n} selected action{} not in this copy (recipient's offices may not see them)", if n == 1 { " is" } else { "s are" }),
        );
    }

    let mut toc = Vec::new();
    let mut parts = Vec::new();
    if s.summary {
        toc.push(TocEntry { level: 0, title: "Summary".into(), anchor: "summary".into() });
        parts.push(summary(data, &tabs, &ctx));
    }
    for (t, (name, files)) in tabs.iter().enumerate() {
        let tab_anchor = format!("tab-{t}");
        toc.push(TocEntry { level: 0, title: format!("Tab {} — {}", t + 1, name), anchor: tab_anchor.clone() });
        let running_head = format!("Tab {} — {}", t + 1, name);
        if s.dividers {
            let rows = files
                .iter()
                .map(|f| {
                    vec![f.action.number.clone(), f.action.title.clone(), suspense_words(f.action.suspense, f.action.status, ctx.today)]
                })
                .collect();
            parts.push(Part {
                kind: PartKind::Divider,
                anchors: vec![tab_anchor.clone()],
                title: format!("Tab {}", t + 1),
                subtitle: name.clone(),
                running_head: running_head.clone(),
                blocks: vec![Block::Table { columns: vec![col("Number", 1.2), col("Action", 4.0), col("Suspense", 2.2)], rows }],
            });
        }
        for (i, f) in files.iter().enumerate() {
            let anchor = format!("action-{}", f.action.id);
            toc.push(TocEntry { level: 1, title: format!("{} — {}", f.action.number, f.action.title), anchor: anchor.clone() });
            let mut part = action_part(f, &ctx, options, data.custody.get(&f.action.id));
            part.anchors = vec![anchor];
            part.running_head = running_head.clone();
            if !s.dividers && i == 0 {
                // Without a divider page the tab starts with its first action.
                part.anchors.insert(0, tab_anchor.clone());
                part.subtitle = format!("{running_head} · {}", part.subtitle);
            }
            parts.push(part);
        }
    }
    if s.appendix {
        toc.push(TocEntry { level: 0, title: "Appendix — Legal authorities".into(), anchor: "appendix".into() });
        parts.push(appendix(data));
    }
    Ok(Content {
        options: options.clone(),
        marking,
        as_of_text,
        cover,
        toc,
        parts,
        tabs: tabs.iter().map(|(n, f)| (n.clone(), f.len())).collect(),
    })
}

fn group<'a>(data: &'a BookData, options: &BookOptions, ctx: &Ctx) -> Result<Vec<(String, Vec<&'a ActionFile>)>, ContentError> {
    let by_suspense = |v: &mut Vec<&ActionFile>| {
        v.sort_by(|a, b| {
            (a.action.suspense.is_none(), a.action.suspense, &a.action.number).cmp(&(
                b.action.suspense.is_none(),
                b.action.suspense,
                &b.action.number,
            ))
        })
    };
    let mut tabs: Vec<(String, Vec<&ActionFile>)> = match options.group_by {
        Grouping::Picked => {
            let find = |key: &str| {
                let k = key.trim();
                data.actions.iter().find(|f| f.action.number.eq_ignore_ascii_case(k) || f.action.id.to_string() == k)
            };
            let mut out = Vec::new();
            for tab in &options.tabs {
                let files = tab
                    .actions
                    .iter()
                    .map(|k| find(k).ok_or_else(|| ContentError::UnknownPick { tab: tab.name.clone(), action: k.clone() }))
                    .collect::<Result<Vec<_>, _>>()?;
                out.push((tab.name.clone(), files));
            }
            if out.is_empty() {
                let mut all: Vec<&ActionFile> = data.actions.iter().collect();
                by_suspense(&mut all);
                out.push(("Actions".into(), all));
            }
            return Ok(reorder(out, &options.tab_order));
        }
        Grouping::Office => {
            let mut m: BTreeMap<String, Vec<&ActionFile>> = BTreeMap::new();
            for f in &data.actions {
                let key = f.opr().map(|a| ctx.office(a.office_id)).unwrap_or_else(|| "No OPR assigned".into());
                m.entry(key).or_default().push(f);
            }
            let (mut named, none): (Vec<_>, Vec<_>) = m.into_iter().partition(|(k, _)| k != "No OPR assigned");
            named.extend(none);
            named
        }
        Grouping::Kind => {
            let mut m: BTreeMap<ActionKind, Vec<&ActionFile>> = BTreeMap::new();
            for f in &data.actions {
                m.entry(f.action.kind).or_default().push(f);
            }
            m.into_iter().map(|(k, v)| (k.label().to_string(), v)).collect()
        }
        Grouping::Priority => {
            let mut m: BTreeMap<std::cmp::Reverse<Priority>, Vec<&ActionFile>> = BTreeMap::new();
            for f in &data.actions {
                m.entry(std::cmp::Reverse(f.action.priority)).or_default().push(f);
            }
            m.into_iter().map(|(k, v)| (k.0.label().to_string(), v)).collect()
        }
    };
    for (_, v) in &mut tabs {
        by_suspense(v);
    }
    Ok(reorder(tabs, &options.tab_order))
}

/// Moves the tabs named in `order` to the front, in that order (names match case-insensitively,
/// by the whole name or its office code before " — ").
fn reorder<T>(mut tabs: Vec<(String, T)>, order: &[String]) -> Vec<(String, T)> {
    let mut out = Vec::with_capacity(tabs.len());
    for want in order {
        let w = want.trim();
        if let Some(i) =
            tabs.iter().position(|(n, _)| n.eq_ignore_ascii_case(w) || n.split(" — ").next().is_some_and(|c| c.eq_ignore_ascii_case(w)))
        {
            out.push(tabs.remove(i));
        }
    }
    out.extend(tabs);
    out
}

fn summary(data: &BookData, tabs: &[(String, Vec<&ActionFile>)], ctx: &Ctx) -> Part {
    let rows: Vec<MetricsRow> = data.actions.iter().map(|f| MetricsRow::from_file(f, |id| ctx.office_code(id))).collect();
    let m = measure(&rows, ctx.today);
    let measures_table = measures_rows(&m);
    let p = |v: Option<f64>| v.unwrap_or(0.0) as f32;
    let bars = vec![
        ("On time and within scope".to_string(), p(m.pct_on_time_within_scope), pct(m.pct_on_time_within_scope)),
        ("With legal authority".to_string(), p(m.pct_with_authority), pct(m.pct_with_authority)),
        ("With risk assessment".to_string(), p(m.pct_with_risk_assessment), pct(m.pct_with_risk_assessment)),
        ("With outcome evaluation".to_string(), p(m.pct_with_outcome_evaluation), pct(m.pct_with_outcome_evaluation)),
        (
            "Overdue (of open)".to_string(),
            if m.open > 0 { m.overdue_open as f32 * 100.0 / m.open as f32 } else { 0.0 },
            format!("{} of {}", m.overdue_open, m.open),
        ),
    ];
    let per_tab = tabs
        .iter()
        .enumerate()
        .map(|(i, (name, files))| {
            let rows: Vec<MetricsRow> = files.iter().map(|f| MetricsRow::from_file(f, |id| ctx.office_code(id))).collect();
            let t = measure(&rows, ctx.today);
            vec![
                format!("{} — {}", i + 1, name),
                files.len().to_string(),
                t.open.to_string(),
                t.overdue_open.to_string(),
                t.unassigned.to_string(),
                pct(t.pct_with_authority),
            ]
        })
        .collect();
    Part {
        kind: PartKind::Summary,
        anchors: vec!["summary".into()],
        title: "Summary".into(),
        subtitle: format!("Success measures for the {} actions in this book, as of {}", data.actions.len(), ctx.today),
        running_head: "Summary".into(),
        blocks: vec![
            Block::Table { columns: vec![col("Measure", 3.0), rcol("Value", 1.2)], rows: measures_table },
            Block::Heading("At a glance".into()),
            Block::Bars(bars),
            Block::Heading("By tab".into()),
            Block::Table {
                columns: vec![col("Tab", 3.2), rcol("Actions", 1.0), rcol("Open", 0.8), rcol("Overdue", 1.0), rcol("Unassigned", 1.1), rcol("Authority", 1.1)],
                rows: per_tab,
            },
            Block::Note(
                "On time and within scope: done by the suspense and evaluated as within scope. Overdue: open past its suspense. Unassigned: issued with nobody assigned."
                    .into(),
            ),
        ],
    }
}

fn measures_rows(m: &Measures) -> Vec<Vec<String>> {
    let h = |v: Option<f64>| v.map(|h| format!("{h:.1} h")).unwrap_or_else(|| "—".into());
    vec![
        vec!["Actions (issued or later)".into(), m.actions.to_string()],
        vec!["Open".into(), m.open.to_string()],
        vec!["Completed".into(), m.completed.to_string()],
        vec!["On time and within scope".into(), format!("{} ({})", m.completed_on_time_within_scope, pct(m.pct_on_time_within_scope))],
        vec!["Missed deadlines".into(), m.missed_deadlines.to_string()],
        vec!["Overdue and still open".into(), m.overdue_open.to_string()],
        vec!["Unassigned".into(), m.unassigned.to_string()],
        vec!["Without an OPR".into(), m.without_opr.to_string()],
        vec!["With legal authority".into(), format!("{} ({})", m.with_authority, pct(m.pct_with_authority))],
        vec!["Without legal authority".into(), (m.actions - m.with_authority.min(m.actions)).to_string()],
        vec!["With risk assessment".into(), format!("{} ({})", m.with_risk_assessment, pct(m.pct_with_risk_assessment))],
        vec!["With outcome evaluation".into(), format!("{} ({})", m.with_outcome_evaluation, pct(m.pct_with_outcome_evaluation))],
        vec!["Median time to concurrence".into(), h(m.median_hours_to_concurrence)],
        vec!["Spanning several offices".into(), m.spanning_several_offices.to_string()],
    ]
}

fn action_part(f: &ActionFile, ctx: &Ctx, options: &BookOptions, custody: Option<&Vec<mandate_domain::custody::Hold>>) -> Part {
    let a = &f.action;
    let s = &options.sections;
    let mut blocks = Vec::new();
    let mut fields = vec![
        ("Kind".to_string(), a.kind.label().to_string()),
        ("Priority".to_string(), a.priority.label().to_string()),
        ("Status".to_string(), format!("{} ({}% complete)", a.status.label(), a.percent_complete)),
        ("Suspense".to_string(), suspense_words(a.suspense, a.status, ctx.today)),
        ("Issuing official".to_string(), a.issuing_official.clone().unwrap_or_else(|| "—".into())),
        ("Issued".to_string(), a.issued_on.map(|d| d.to_string()).unwrap_or_else(|| "not yet issued".into())),
        ("Marking".to_string(), a.marking.to_string()),
    ];
    if let Some(r) = &a.external_ref {
        fields.push(("Reference".into(), r.clone()));
    }
    if let Some(p) = a.parent_id.and_then(|p| f.brief(p)) {
        fields.push(("Part of".into(), format!("{} — {}", p.number, p.title)));
    }
    blocks.push(Block::Fields(fields));

    if s.authorities {
        blocks.push(Block::Heading("Legal authority".into()));
        if f.citations.is_empty() {
            blocks.push(Block::Note("No legal authority recorded.".into()));
        } else {
            let rows = f
                .citations
                .iter()
                .filter_map(|c| f.authorities.iter().find(|x| x.id == c.authority_id).map(|au| (au, c)))
                .map(|(au, c)| vec![au.citation.clone(), au.kind.label().to_string(), join_nonempty(&[&au.title, &c.note], " — ")])
                .collect();
            blocks.push(Block::Table { columns: vec![col("Citation", 1.6), col("Kind", 1.1), col("Title / note", 3.3)], rows });
        }
    }
    if s.assignments {
        blocks.push(Block::Heading("Assignments".into()));
        if f.assignments.is_empty() {
            blocks.push(Block::Note("Not assigned to any office.".into()));
        } else {
            let mut list: Vec<&Assignment> = f.assignments.iter().collect();
            list.sort_by_key(|x| (x.role, ctx.office_code(x.office_id)));
            let rows = list
                .iter()
                .map(|x| {
                    let concurrence = match (&x.concurrence, x.role) {
                        (Some(c), _) => {
                            let mut t = format!("{} {}", c.answer.label(), c.at.format("%Y-%m-%d"));
                            if !c.comment.is_empty() {
                                t.push_str(&format!(": {}", c.comment));
                            }
                            if let Some(r) = &c.resolution {
                                t.push_str(&format!(" (resolved: {})", r.note));
                            }
                            t
                        }
                        (None, Role::Ocr) => "awaited".into(),
                        (None, _) => "—".into(),
                    };
                    let mut office = ctx.office(x.office_id);
                    if let Some(d) = &x.delegation {
                        office.push_str(&format!(" (acting: {})", d.to));
                    }
                    vec![
                        office,
                        x.role.label().to_string(),
                        x.suspense.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
                        x.acknowledged.as_ref().map(stamp_date).unwrap_or_else(|| "not yet".into()),
                        concurrence,
                    ]
                })
                .collect();
            blocks.push(Block::Table {
                columns: vec![
                    col("Office", 2.4),
                    col("Role", 0.7),
                    col("Suspense", 1.2),
                    col("Acknowledged", 1.5),
                    col("Concurrence", 2.4),
                ],
                rows,
            });
        }

        let pending: Vec<&ExtensionRequest> = f.extensions.iter().collect();
        if !pending.is_empty() {
            let rows = pending
                .iter()
                .map(|e| {
                    let decision = match &e.decision {
                        Some(d) if d.approved => format!("approved {}", d.at.format("%Y-%m-%d")),
                        Some(d) => format!("denied {}: {}", d.at.format("%Y-%m-%d"), d.note),
                        None => "awaiting decision".into(),
                    };
                    vec![e.requested_suspense.to_string(), e.justification.clone(), decision]
                })
                .collect();
            blocks.push(Block::Table { columns: vec![col("Extension to", 1.2), col("Justification", 3.3), col("Decision", 1.8)], rows });
        }
    }
    if let Some(holds) = custody.filter(|h| s.custody && !h.is_empty()) {
        blocks.push(Block::Heading("Chain of custody".into()));
        let at = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d").to_string();
        let after = |from: chrono::DateTime<chrono::Utc>, t: Option<chrono::DateTime<chrono::Utc>>| match t {
            Some(t) => format!("{} ({:.1} d)", at(t), (t - from).num_seconds().max(0) as f64 / 86_400.0),
            None => "—".into(),
        };
        let rows = holds
            .iter()
            .map(|h| {
                let until = match (h.until, h.ended) {
                    (Some(u), Some(why)) => format!("{} ({})", at(u), hold_end(why)),
                    _ => "holds it".into(),
                };
                vec![
                    ctx.office_code(h.office_id),
                    h.role.label().to_string(),
                    at(h.from),
                    after(h.from, h.acknowledged),
                    after(h.from, h.answered),
                    until,
                    format!("{:.1}", h.seconds_held(ctx.as_of) as f64 / 86_400.0),
                ]
            })
            .collect();
        blocks.push(Block::Table {
            columns: vec![
                col("Office", 0.9),
                col("Role", 0.6),
                col("From", 1.1),
                col("Acknowledged", 1.8),
                col("Answered", 1.8),
                col("Until", 1.8),
                rcol("Days held", 0.8),
            ],
            rows,
        });
    }
    if s.requirements {
        blocks.push(Block::Heading("Requirements".into()));
        blocks.push(if a.body.trim().is_empty() {
            Block::Note("No requirements text recorded.".into())
        } else {
            Block::Para(a.body.clone())
        });
    }
    if s.risks {
        blocks.push(Block::Heading("Risks and impact".into()));
        if f.risks.is_empty() {
            blocks.push(Block::Note("No risk assessment recorded.".into()));
        } else {
            let mut risks: Vec<&Risk> = f.risks.iter().collect();
            risks.sort_by_key(|r| std::cmp::Reverse(r.score()));
            let rows = risks
                .iter()
                .map(|r| {
                    vec![
                        r.description.clone(),
                        r.likelihood.to_string(),
                        r.impact.to_string(),
                        r.score().to_string(),
                        join_nonempty(&[&r.mitigation, &format!("({})", r.status.label())], " "),
                    ]
                })
                .collect();
            blocks.push(Block::Table {
                columns: vec![col("Risk", 2.6), rcol("Likelihood", 1.0), rcol("Impact", 0.8), rcol("Score", 0.7), col("Mitigation", 2.6)],
                rows,
            });
        }
        if !f.impacts.is_empty() {
            let rows = f
                .impacts
                .iter()
                .map(|i| vec![i.area.label().to_string(), i.description.clone(), i.estimated_cost.map(money).unwrap_or_else(|| "—".into())])
                .collect();
            blocks.push(Block::Table { columns: vec![col("Impact area", 1.2), col("Assessment", 3.8), rcol("Est. cost", 1.2)], rows });
        }
    }
    if s.relations {
        let mut rows: Vec<Vec<String>> = Vec::new();
        let brief = |id: Id| f.brief(id).map(|b| format!("{} — {}", b.number, b.title)).unwrap_or_else(|| "(not in this workspace)".into());
        for r in &f.relations {
            rows.push(vec![r.kind.label().to_string(), brief(r.target_id), r.note.clone()]);
        }
        for r in &f.inverse_relations {
            rows.push(vec![r.kind.inverse_label().to_string(), brief(r.action_id), r.note.clone()]);
        }
        for c in f.children() {
            rows.push(vec!["Sub-tasker".into(), format!("{} — {}", c.number, c.title), c.status.label().to_string()]);
        }
        if !rows.is_empty() {
            blocks.push(Block::Heading("Dependencies and relations".into()));
            blocks.push(Block::Table { columns: vec![col("Relation", 1.3), col("Action", 4.0), col("Note", 1.2)], rows });
        }
    }
    if s.updates {
        blocks.push(Block::Heading("Latest status updates".into()));
        let mut ups: Vec<&StatusUpdate> = f.updates.iter().collect();
        ups.sort_by(|x, y| y.reported.at.cmp(&x.reported.at));
        if ups.is_empty() {
            blocks.push(Block::Note("No status reported yet.".into()));
        }
        for u in ups.into_iter().take(3) {
            blocks.push(Block::Note(format!("{} · {}% · {}", stamp_date(&u.reported), u.percent_complete, u.reported.by)));
            blocks.push(Block::Para(u.text.clone()));
        }
    }
    if s.issues {
        let open: Vec<&Issue> = f.issues.iter().filter(|i| i.resolution.is_none()).collect();
        if !open.is_empty() {
            blocks.push(Block::Heading("Open issues".into()));
            let rows = open.iter().map(|i| vec![i.title.clone(), i.owner.clone(), stamp_date(&i.raised), i.description.clone()]).collect();
            blocks.push(Block::Table { columns: vec![col("Issue", 2.0), col("Owner", 1.2), col("Raised", 1.0), col("Detail", 2.6)], rows });
        }
    }
    if s.outcome {
        if let Some(e) = &f.evaluation {
            blocks.push(Block::Heading("Outcome and lessons learned".into()));
            blocks.push(Block::Fields(vec![
                ("Result".into(), e.result.label().to_string()),
                ("On time".into(), yes_no(e.on_time)),
                ("Within scope".into(), yes_no(e.within_scope)),
                ("Evaluated".into(), format!("{} by {}", stamp_date(&e.evaluated), e.evaluated.by)),
            ]));
            if !e.evidence.is_empty() {
                blocks.push(Block::Para(format!("Evidence: {}", e.evidence)));
            }
            if !e.lessons_learned.is_empty() {
                blocks.push(Block::Para(format!("Lessons learned: {}", e.lessons_learned)));
            }
        }
    }
    Part {
        kind: PartKind::Action,
        anchors: Vec::new(),
        title: a.title.clone(),
        subtitle: format!("{} · {} · {}", a.number, a.kind.label(), a.status.label()),
        running_head: String::new(),
        blocks,
    }
}

fn appendix(data: &BookData) -> Part {
    let mut cited: BTreeMap<String, (&Authority, Vec<&Action>)> = BTreeMap::new();
    for f in &data.actions {
        for c in &f.citations {
            if let Some(au) = f.authorities.iter().find(|x| x.id == c.authority_id) {
                let e = cited.entry(format!("{}\u{0}{}", au.citation.to_lowercase(), au.id)).or_insert((au, Vec::new()));
                if !e.1.iter().any(|x| x.id == f.action.id) {
                    e.1.push(&f.action);
                }
            }
        }
    }
    let rows: Vec<Vec<String>> = cited
        .values()
        .map(|(au, acts)| {
            let mut acts = acts.clone();
            acts.sort_by(|a, b| a.number.cmp(&b.number));
            vec![
                join_nonempty(&[&au.citation, &au.title], " — "),
                au.kind.label().to_string(),
                acts.iter().map(|a| format!("{} {}", a.number, a.title)).collect::<Vec<_>>().join("; "),
            ]
        })
        .collect();
    let blocks = if rows.is_empty() {
        vec![Block::Note("No action in this book cites a legal authority.".into())]
    } else {
        vec![Block::Table { columns: vec![col("Authority", 2.4), col("Kind", 1.0), col("Cited by", 3.2)], rows }]
    };
    Part {
        kind: PartKind::Appendix,
        anchors: vec!["appendix".into()],
        title: "Appendix — Legal authorities".into(),
        subtitle: format!("{} authorities cited by the actions in this book", cited.len()),
        running_head: "Appendix".into(),
        blocks,
    }
}

fn join_nonempty(parts: &[&str], sep: &str) -> String {
    parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(sep)
}

fn yes_no(b: bool) -> String {
    if b { "Yes" } else { "No" }.into()
}

fn money(v: f64) -> String {
    let whole = v.round() as i64;
    let s = whole.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{}${out}", if whole < 0 { "-" } else { "" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suspense_words_count_days_from_the_as_of_date() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let today = d("2026-11-24");
        assert_eq!(suspense_words(Some(d("2026-11-30")), Status::Assigned, today), "2026-11-30 (6 days left)");
        assert_eq!(suspense_words(Some(d("2026-11-24")), Status::Assigned, today), "2026-11-24 (due today)");
        assert_eq!(suspense_words(Some(d("2026-11-20")), Status::InProgress, today), "2026-11-20 (OVERDUE by 4 days)");
        assert_eq!(suspense_words(Some(d("2026-11-20")), Status::Closed, today), "2026-11-20");
        assert_eq!(suspense_words(None, Status::Issued, today), "no suspense");
    }

    #[test]
    fn money_groups_thousands() {
        assert_eq!(money(1234567.4), "$1,234,567");
        assert_eq!(money(999.0), "$999");
    }

    #[test]
    fn reorder_moves_named_tabs_first() {
        let tabs = vec![("DOE — Energy".to_string(), 1), ("OGC — Counsel".to_string(), 2), ("OMB — Budget".to_string(), 3)];
        let out = reorder(tabs, &["omb".into(), "OGC — Counsel".into(), "nope".into()]);
        assert_eq!(out.iter().map(|t| t.1).collect::<Vec<_>>(), vec![3, 2, 1]);
    }

    #[test]
    fn an_empty_selection_is_an_error() {
        assert_eq!(compose(&BookData::default(), &BookOptions::default()).unwrap_err(), ContentError::Empty);
    }
}

fn hold_end(why: mandate_domain::custody::HoldEnd) -> &'static str {
    use mandate_domain::custody::HoldEnd;
    match why {
        HoldEnd::Reassigned => "reassigned",
        HoldEnd::Removed => "removed",
        HoldEnd::Completed => "completed",
        HoldEnd::Cancelled => "cancelled",
    }
}
