//! `mandate brief`, `mandate view`, `mandate templates`: choosing a book's actions and options
//! from the command line, a saved view or a saved template.

use crate::args::{BookFormat, BriefArgs, ListArgs, ViewCommand};
use anyhow::{bail, Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use mandate_briefing::{BookOptions, Grouping, PickedTab, Sections};
use mandate_domain::*;
use mandate_store::Store;

fn filter_given(l: &ListArgs) -> bool {
    !l.status.is_empty()
        || !l.kind.is_empty()
        || !l.priority.is_empty()
        || l.office.is_some()
        || l.overdue
        || l.at_risk
        || l.unassigned
        || l.query.is_some()
        || l.due_from.is_some()
        || l.due_to.is_some()
}

/// `--limit`, `--offset`, `--sort`, `--descending`: they shape a selection, so they need one.
fn shaping_given(l: &ListArgs) -> bool {
    l.limit.is_some() || l.offset > 0 || l.sort.is_some() || l.descending
}

fn parse_as_of(s: &str) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = s.parse::<NaiveDate>() {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight").and_utc());
    }
    bail!("--as-of `{s}` is not a time; use RFC 3339 (2026-11-24T08:00:00Z) or a date (2026-11-24)")
}

fn parse_tab(s: &str) -> Result<PickedTab> {
    let Some((name, list)) = s.split_once('=') else { bail!("--tab `{s}` needs the form \"Name=NUMBER,NUMBER\"") };
    let actions: Vec<String> = list.split(',').map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect();
    if name.trim().is_empty() || actions.is_empty() {
        bail!("--tab `{s}` needs a name and at least one action number");
    }
    Ok(PickedTab { name: name.trim().to_string(), actions })
}

/// The book's options: the template's (if any), then whatever the command line says.
fn options(a: &BriefArgs, base: BookOptions) -> Result<BookOptions> {
    let mut o = base;
    let set = |field: &mut String, v: &Option<String>| {
        if let Some(v) = v {
            *field = v.clone();
        }
    };
    set(&mut o.title, &a.title);
    set(&mut o.prepared_for, &a.prepared_for);
    set(&mut o.occasion, &a.occasion);
    set(&mut o.prepared_by, &a.prepared_by);
    set(&mut o.version, &a.version);
    o.as_of = match &a.as_of {
        Some(s) => parse_as_of(s)?,
        None => Utc::now(),
    };
    if !a.distribution.is_empty() {
        o.distribution = a.distribution.clone();
    }
    if a.marking.is_some() {
        o.marking = a.marking.clone();
    }
    o.draft |= a.draft;
    o.duplex |= a.duplex;
    if let Some(p) = a.paper {
        o.paper = p;
    }
    if let Some(g) = a.gutter_mm {
        if !(0.0..=50.0).contains(&g) {
            bail!("--gutter-mm {g} is out of range (0 to 50)");
        }
        o.gutter_mm = g;
    }
    if let Some(g) = a.group_by {
        o.group_by = g;
    }
    if !a.tabs.is_empty() {
        o.tabs = a.tabs.iter().map(|t| parse_tab(t)).collect::<Result<_>>()?;
        o.group_by = Grouping::Picked;
    }
    if !a.tab_order.is_empty() {
        o.tab_order = a.tab_order.clone();
    }
    if let Some(list) = &a.sections {
        o.sections = Sections::only(list).map_err(anyhow::Error::msg)?;
    }
    if let Some(list) = &a.omit {
        o.sections = o.sections.clone().without(list).map_err(anyhow::Error::msg)?;
    }
    Ok(o)
}

pub async fn brief(s: &Store, a: &BriefArgs, today: NaiveDate, progress: &(dyn Fn(&str, u64, u64) + Sync)) -> Result<()> {
    mandate_briefing::output::check_writable(&a.out)?;
    let template = match &a.template {
        Some(name) => Some(s.book_template(name).await?),
        None => None,
    };
    let base: BookOptions = match &template {
        Some(t) => serde_json::from_value(t.options.clone()).with_context(|| format!("template `{}` has unreadable options", t.name))?,
        None => BookOptions::default(),
    };
    let options = options(a, base)?;
    let mut selection = BookSelection { view: a.view.clone(), filter: None, actions: a.actions.clone() };
    // The list's options apply to the book's selection as they do to `action list`: the same
    // filter, order, limit and offset.
    if a.view.is_some() && (filter_given(&a.filter) || shaping_given(&a.filter) || a.all) {
        bail!("--view selects with the view's own filter; list options (--office, --limit, --sort, --all, …) cannot be added to it: save a view with them instead");
    }
    if filter_given(&a.filter) || a.all {
        selection.filter = Some(a.filter.filter(None));
    } else if shaping_given(&a.filter) {
        bail!("--limit, --offset, --sort and --descending need a selection to shape: add --all or filters (--office, --status, …)");
    }
    // Hand-picked tabs name their actions: they are part of the selection.
    for t in &options.tabs {
        selection.actions.extend(t.actions.iter().cloned());
    }
    let given = selection.view.is_some() || selection.filter.is_some() || !selection.actions.is_empty();
    if !given {
        match &template {
            Some(t) => selection = t.selection.clone(),
            None => {
                bail!("say which actions go in the book: --view NAME, filters (--office, --status, …), --action NUMBER, --tab, or --all")
            }
        }
    }
    let r = mandate_app::brief::print_book(
        s,
        &selection,
        &options,
        &a.out,
        a.format == BookFormat::Html,
        &a.recipients,
        a.save_template.as_deref(),
        today,
        progress,
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.message))?;
    if let Some(name) = &a.save_template {
        eprintln!("Saved briefing-book template `{name}`");
    }
    for c in &r.copies {
        let withheld = if c.withheld > 0 { format!(", {} withheld", c.withheld) } else { String::new() };
        if c.pages > 0 {
            eprintln!("Wrote {} ({} pages, {} actions{withheld})", c.file, c.pages, c.actions);
        } else {
            eprintln!("Wrote {} ({} actions{withheld})", c.file, c.actions);
        }
    }
    Ok(())
}

pub async fn view(s: &Store, c: &ViewCommand, json: bool) -> Result<()> {
    match c {
        ViewCommand::Save { name, filter } => {
            let v = s.save_view(name, &filter.filter(None)).await?;
            if json {
                crate::print::json(&v);
            } else {
                println!("Saved view `{}`", v.name);
            }
        }
        ViewCommand::List => {
            let views = s.views().await?;
            if json {
                crate::print::json(&views);
            } else {
                for v in views {
                    println!("{}\t{}", v.name, serde_json::to_string(&v.filter)?);
                }
            }
        }
    }
    Ok(())
}

pub async fn templates(s: &Store, json: bool) -> Result<()> {
    let t = s.book_templates().await?;
    if json {
        crate::print::json(&t);
    } else {
        for t in t {
            println!("{}\t(saved {} by {})", t.name, t.saved.at.format("%Y-%m-%d"), t.saved.by);
        }
    }
    Ok(())
}
