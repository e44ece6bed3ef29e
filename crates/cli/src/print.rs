//! Text and JSON output. JSON shapes are part of the CLI's contract (see README).

use chrono::NaiveDate;
use mandate_domain::metrics::{Measures, MetricsReport};
use mandate_domain::*;
use mandate_store::audit::Entry;
use mandate_store::import::ImportSummary;
use mandate_store::query::ListItem;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashMap;

pub fn json<T: Serialize>(v: &T) {
    println!("{}", serde_json::to_string_pretty(v).expect("serialises"));
}

/// After a write: the record as JSON, or a one-line confirmation.
pub fn done<T: Serialize>(as_json: bool, v: &T, msg: &str) {
    if as_json {
        json(v);
    } else {
        println!("{msg}");
    }
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() > n {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    } else {
        s.to_string()
    }
}

pub fn list(as_json: bool, items: &[ListItem]) {
    if as_json {
        return json(&items);
    }
    if items.is_empty() {
        println!("No actions match.");
        return;
    }
    println!("{:<12} {:<11} {:<15} {:<10} {:>4}  {}", "NUMBER", "SUSPENSE", "STATUS", "PRIORITY", "DONE", "TITLE");
    for i in items {
        let suspense = i.suspense.map(|d| d.to_string()).unwrap_or_else(|| "—".into());
        let flag = if i.overdue { "!" } else { " " };
        println!(
            "{:<12} {:<10}{} {:<15} {:<10} {:>3}%  {}",
            i.number,
            suspense,
            flag,
            i.status.label(),
            i.priority.label(),
            i.percent_complete,
            clip(&i.title, 70)
        );
    }
    println!("{} action{}", items.len(), if items.len() == 1 { "" } else { "s" });
}

fn office_codes(offices: &[Office]) -> HashMap<Id, String> {
    offices.iter().map(|o| (o.id, o.code.clone())).collect()
}

/// `show --json`: the action's fields at the top level, then everything recorded about it, with
/// office codes filled in beside office ids.
pub fn show_json(f: &ActionFile, offices: &[Office]) -> Value {
    let codes = office_codes(offices);
    let mut v = serde_json::to_value(f).expect("serialises");
    let obj = v.as_object_mut().expect("object");
    let action = obj.remove("action").expect("action");
    let mut out = action.as_object().cloned().unwrap_or_default();
    if let Some(Value::Array(xs)) = obj.get_mut("assignments") {
        for x in xs {
            let code = x.get("office_id").and_then(Value::as_str).and_then(|s| s.parse::<Id>().ok()).and_then(|id| codes.get(&id).cloned());
            x.as_object_mut().expect("object").insert("office_code".into(), json!(code));
        }
    }
    for (k, val) in std::mem::take(obj) {
        out.insert(k, val);
    }
    Value::Object(out)
}

pub fn show(f: &ActionFile, offices: &[Office], today: NaiveDate) {
    let a = &f.action;
    let codes = office_codes(offices);
    let code = |id: Id| codes.get(&id).cloned().unwrap_or_else(|| id.to_string());
    println!("{}", a.marking);
    println!("{}  {}", a.number, a.title);
    println!("{} · {} · {} · {}% complete", a.kind.label(), a.priority.label(), a.status.label(), a.percent_complete);
    if let Some(s) = a.suspense {
        let days = (s - today).num_days();
        let when = if !a.status.is_open() {
            String::new()
        } else if days < 0 {
            format!(" (OVERDUE by {} days)", -days)
        } else {
            format!(" ({days} days left)")
        };
        println!("Suspense: {s}{when}");
    }
    if let Some(o) = &a.issuing_official {
        println!("Issued by: {o}{}", a.issued_on.map(|d| format!(" on {d}")).unwrap_or_default());
    }
    if let Some(p) = a.parent_id.and_then(|p| f.brief(p)) {
        println!("Sub-tasker of: {} {}", p.number, p.title);
    }
    if !a.body.is_empty() {
        println!("\nRequirements:\n{}", a.body);
    }
    if !f.authorities.is_empty() {
        println!("\nLegal authority:");
        for x in &f.authorities {
            let title = if x.title.is_empty() { String::new() } else { format!(" — {}", x.title) };
            println!("  {}{title} ({})", x.citation, x.kind.label());
        }
    }
    if !f.assignments.is_empty() {
        println!("\nAssignments:");
        for x in &f.assignments {
            let ack =
                x.acknowledged.as_ref().map(|s| format!("acknowledged {}", s.at.date_naive())).unwrap_or_else(|| "not acknowledged".into());
            let conc = match &x.concurrence {
                Some(c) => {
                    let res = if c.answer == ConcurrenceAnswer::NonConcur {
                        if c.resolution.is_some() {
                            " (resolved)"
                        } else {
                            " (UNRESOLVED)"
                        }
                    } else {
                        ""
                    };
                    format!(", {}{res}{}", c.answer.label(), if c.comment.is_empty() { String::new() } else { format!(": {}", c.comment) })
                }
                None if x.role == Role::Ocr => ", concurrence pending".into(),
                None => String::new(),
            };
            let del = x.delegation.as_ref().map(|d| format!(", delegated to {}", d.to)).unwrap_or_default();
            println!(
                "  {:<5} {:<8} suspense {}  {ack}{conc}{del}",
                x.role.label(),
                code(x.office_id),
                x.suspense.map(|d| d.to_string()).unwrap_or_else(|| "—".into())
            );
        }
    }
    if !f.extensions.is_empty() {
        println!("\nExtension requests:");
        for e in &f.extensions {
            let d = match &e.decision {
                Some(d) if d.approved => format!("approved by {}", d.by),
                Some(d) => format!("denied by {}: {}", d.by, d.note),
                None => "pending".into(),
            };
            println!("  to {} — {} ({d})", e.requested_suspense, e.justification);
        }
    }
    if !f.risks.is_empty() {
        println!("\nRisks:");
        for r in &f.risks {
            println!(
                "  [{:>2}] {} ({}, L{} × I{}, {}) {}",
                r.score(),
                r.description,
                r.category.label(),
                r.likelihood,
                r.impact,
                r.status.label(),
                if r.mitigation.is_empty() { String::new() } else { format!("— mitigation: {}", r.mitigation) }
            );
        }
    }
    if !f.impacts.is_empty() {
        println!("\nImpact:");
        for i in &f.impacts {
            println!("  {}: {}{}", i.area.label(), i.description, i.estimated_cost.map(|c| format!(" (est. ${c:.0})")).unwrap_or_default());
        }
    }
    if !f.updates.is_empty() {
        println!("\nStatus updates:");
        for u in &f.updates {
            println!("  {} {:>3}%  {} — {}", u.reported.at.date_naive(), u.percent_complete, u.text, u.reported.by);
        }
    }
    if !f.issues.is_empty() {
        println!("\nIssues:");
        for (n, i) in f.issues.iter().enumerate() {
            let st = i.resolution.as_ref().map(|r| format!("resolved: {}", r.note)).unwrap_or_else(|| "OPEN".into());
            println!("  {}. {} ({st})", n + 1, i.title);
        }
    }
    if !f.relations.is_empty() || !f.inverse_relations.is_empty() {
        println!("\nRelations:");
        for r in &f.relations {
            if let Some(b) = f.brief(r.target_id) {
                println!(
                    "  {} {} {}{}",
                    r.kind.label(),
                    b.number,
                    b.title,
                    if r.note.is_empty() { String::new() } else { format!(" ({})", r.note) }
                );
            }
        }
        for r in &f.inverse_relations {
            if let Some(b) = f.brief(r.action_id) {
                println!(
                    "  {} {} {}{}",
                    r.kind.inverse_label(),
                    b.number,
                    b.title,
                    if r.note.is_empty() { String::new() } else { format!(" ({})", r.note) }
                );
            }
        }
    }
    let children: Vec<_> = f.children().collect();
    if !children.is_empty() {
        println!("\nSub-taskers:");
        for c in children {
            println!("  {} {} ({})", c.number, c.title, c.status.label());
        }
    }
    if !f.documents.is_empty() {
        println!("\nDocuments:");
        for d in &f.documents {
            println!("  {} ({}, {} bytes)", d.name, d.media_type, d.size);
        }
    }
    if let Some(e) = &f.evaluation {
        println!(
            "\nOutcome: {} · on time: {} · within scope: {}",
            e.result.label(),
            if e.on_time { "yes" } else { "no" },
            if e.within_scope { "yes" } else { "no" }
        );
        if !e.lessons_learned.is_empty() {
            println!("Lessons learned: {}", e.lessons_learned);
        }
    }
    if !f.transitions.is_empty() {
        println!("\nLifecycle:");
        for t in &f.transitions {
            println!(
                "  {} {} → {} by {}{}",
                t.at.at.date_naive(),
                t.from.label(),
                t.to.label(),
                t.at.by,
                if t.reason.is_empty() { String::new() } else { format!(": {}", t.reason) }
            );
        }
    }
    println!("\nid {}", a.id);
}

pub fn authorities(as_json: bool, all: &[Authority]) {
    if as_json {
        return json(&all);
    }
    for a in all {
        println!("{:<40} {:<22} {}", clip(&a.citation, 40), a.kind.label(), clip(&a.title, 60));
    }
    println!("{} authorities", all.len());
}

pub fn authority(as_json: bool, a: &Authority, citing: &[ActionBrief]) {
    if as_json {
        return json(&json!({"authority": a, "cited_by": citing}));
    }
    println!("{} — {} ({})", a.citation, a.title, a.kind.label());
    println!("Cited by {} action(s):", citing.len());
    for c in citing {
        println!("  {} {} ({})", c.number, c.title, c.status.label());
    }
}

pub fn offices(as_json: bool, all: &[Office]) {
    if as_json {
        return json(&all);
    }
    for o in all {
        println!("{:<8} {:<16} {}", o.code, o.kind.label(), o.name);
    }
}

pub fn people(as_json: bool, all: &[Person], offices: &[Office]) {
    if as_json {
        return json(&all);
    }
    let codes = office_codes(offices);
    for p in all {
        println!("{:<28} {:<8} {}", p.name, p.office_id.and_then(|o| codes.get(&o).cloned()).unwrap_or_default(), p.title);
    }
}

fn pct(v: Option<f64>) -> String {
    v.map(|p| format!("{p:.1}%")).unwrap_or_else(|| "—".into())
}

fn measures_rows(m: &Measures) -> Vec<(&'static str, String)> {
    vec![
        ("Actions (issued)", m.actions.to_string()),
        ("Open", m.open.to_string()),
        ("Completed", m.completed.to_string()),
        ("Completed on time and within scope", format!("{} ({})", m.completed_on_time_within_scope, pct(m.pct_on_time_within_scope))),
        ("Missed deadlines", m.missed_deadlines.to_string()),
        ("  of which still open and overdue", m.overdue_open.to_string()),
        ("Unassigned", m.unassigned.to_string()),
        ("Without an OPR", m.without_opr.to_string()),
        ("With legal authority", format!("{} ({})", m.with_authority, pct(m.pct_with_authority))),
        ("With risk assessment", format!("{} ({})", m.with_risk_assessment, pct(m.pct_with_risk_assessment))),
        ("With outcome evaluation", format!("{} ({})", m.with_outcome_evaluation, pct(m.pct_with_outcome_evaluation))),
        (
            "Time to concurrence (median / mean h)",
            format!(
                "{} / {}",
                m.median_hours_to_concurrence.map(|h| format!("{h:.1}")).unwrap_or("—".into()),
                m.mean_hours_to_concurrence.map(|h| format!("{h:.1}")).unwrap_or("—".into())
            ),
        ),
        ("Spanning several offices", m.spanning_several_offices.to_string()),
    ]
}

pub fn metrics(r: &MetricsReport) {
    let scope = match (&r.office, r.from, r.to) {
        (None, None, None) => String::new(),
        (o, f, t) => format!(
            " — {}{}",
            o.as_ref().map(|o| format!("office {o} ")).unwrap_or_default(),
            match (f, t) {
                (None, None) => String::new(),
                (f, t) => format!(
                    "issued {} to {}",
                    f.map(|d| d.to_string()).unwrap_or("…".into()),
                    t.map(|d| d.to_string()).unwrap_or("…".into())
                ),
            }
        ),
    };
    println!("Success measures as of {}{scope}", r.as_of);
    for (k, v) in measures_rows(&r.overall) {
        println!("  {k:<40} {v}");
    }
    if !r.per_office.is_empty() {
        println!("\nPer office:");
        println!(
            "  {:<8} {:>7} {:>9} {:>8} {:>7} {:>8} {:>9} {:>7}",
            "OFFICE", "ACTIONS", "ON TIME%", "MISSED", "NO OPR", "AUTH%", "RISK%", "EVAL%"
        );
        for (code, m) in &r.per_office {
            println!(
                "  {:<8} {:>7} {:>9} {:>8} {:>7} {:>8} {:>9} {:>7}",
                code,
                m.actions,
                pct(m.pct_on_time_within_scope),
                m.missed_deadlines,
                m.without_opr,
                pct(m.pct_with_authority),
                pct(m.pct_with_risk_assessment),
                pct(m.pct_with_outcome_evaluation)
            );
        }
    }
}

pub fn import_summary(as_json: bool, s: &ImportSummary) {
    if as_json {
        // `ok` says whether the import went through without a problem (the exit code says it too).
        let mut v = serde_json::to_value(s).expect("summaries serialise");
        v["ok"] = serde_json::Value::Bool(s.problems.is_empty());
        return json(&v);
    }
    println!("{}", mandate_app::files::import_summary(s));
    for p in &s.problems {
        eprintln!("  {p}");
    }
}

pub fn history(as_json: bool, h: &[Entry]) {
    if as_json {
        return json(&h);
    }
    for e in h {
        println!("#{:<7} {} {:<22} {:<7} {:<12} {}", e.seq, e.at, clip(&e.actor, 22), e.op, e.entity, e.entity_id);
    }
}

/// The per-office custody figures under the success measures.
pub fn custody_by_office(rows: &[mandate_domain::custody::OfficeCustody]) {
    if rows.is_empty() {
        return;
    }
    let d = |x: Option<f64>| x.map(|v| format!("{v:.1}")).unwrap_or_else(|| "—".into());
    println!("\nDays an office holds an action (from the audit trail, all time):");
    println!("  {:<8} {:>7} {:>8} {:>8} {:>9} {:>8} {:>8}", "OFFICE", "ACKED", "ACK MED", "ACK P90", "ANSWERED", "ANS MED", "ANS P90");
    for c in rows {
        println!(
            "  {:<8} {:>7} {:>8} {:>8} {:>9} {:>8} {:>8}",
            c.office,
            c.acknowledged,
            d(c.ack_median_days),
            d(c.ack_p90_days),
            c.answered,
            d(c.answer_median_days),
            d(c.answer_p90_days)
        );
    }
}

/// An action's chain of custody, one office's hold after another.
pub fn custody(
    action: &mandate_domain::Action,
    holds: &[mandate_domain::custody::Hold],
    codes: &std::collections::HashMap<mandate_domain::Id, String>,
    now: chrono::DateTime<chrono::Utc>,
) {
    use mandate_domain::custody::HoldEnd;
    println!("Chain of custody for {} — {}", action.number, action.title);
    if holds.is_empty() {
        println!("  No office has held it yet.");
        return;
    }
    let t = |x: chrono::DateTime<chrono::Utc>| x.format("%Y-%m-%d %H:%M").to_string();
    let after = |from: chrono::DateTime<chrono::Utc>, x: chrono::DateTime<chrono::Utc>| {
        format!("{} (after {:.1} d)", t(x), (x - from).num_seconds().max(0) as f64 / 86_400.0)
    };
    for h in holds {
        let office = codes.get(&h.office_id).cloned().unwrap_or_else(|| h.office_id.to_string());
        let held = h.seconds_held(now) as f64 / 86_400.0;
        let until = match (h.until, h.ended) {
            (Some(u), Some(why)) => {
                let why = match why {
                    HoldEnd::Reassigned => "reassigned",
                    HoldEnd::Removed => "removed",
                    HoldEnd::Completed => "completed",
                    HoldEnd::Cancelled => "cancelled",
                };
                format!("until {} ({why})", t(u))
            }
            _ => "still holds it".to_string(),
        };
        println!("  {office} ({}) from {}, {until}: held {held:.1} days", h.role.label(), t(h.from));
        match h.acknowledged {
            Some(a) => println!("      acknowledged {}", after(h.from, a)),
            None => println!("      not acknowledged"),
        }
        if let (Some(answer), Some(at)) = (h.answer, h.answered) {
            println!("      {} {}", answer.label(), after(h.from, at));
        }
        for e in &h.events {
            println!("      {}: {}", t(e.at), e.what);
        }
    }
}
