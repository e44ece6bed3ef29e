//! The Federal Register API's `documents.json` responses for executive orders.

use crate::orders::{note_clauses, relations_from_notes, PublicOrder};
use crate::Problem;
use serde::Deserialize;

#[derive(Deserialize)]
struct Response {
    results: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct Doc {
    executive_order_number: Option<serde_json::Value>,
    title: Option<String>,
    signing_date: Option<String>,
    publication_date: Option<String>,
    citation: Option<String>,
    president: Option<President>,
    #[serde(default)]
    agency_names: Vec<String>,
    html_url: Option<String>,
    executive_order_notes: Option<String>,
    disposition_notes: Option<String>,
}

#[derive(Deserialize)]
struct President {
    name: String,
}

/// Read one response. A document that cannot be used is reported (by its position in
/// `results`) and the rest are still read.
pub fn parse(file: &str, text: &str) -> (Vec<PublicOrder>, Vec<Problem>) {
    let mut problems = Vec::new();
    let resp: Response = match serde_json::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            problems.push(Problem {
                column: None,
                file: file.into(),
                line: Some(e.line()),
                message: format!("not a Federal Register response: {e}"),
            });
            return (vec![], problems);
        }
    };
    let mut out = Vec::new();
    for (i, v) in resp.results.into_iter().enumerate() {
        let at = |m: String| Problem { column: None, file: file.into(), line: None, message: format!("results[{i}]: {m}") };
        let d: Doc = match serde_json::from_value(v) {
            Ok(d) => d,
            Err(e) => {
                problems.push(at(format!("unreadable document: {e}")));
                continue;
            }
        };
        let number = match &d.executive_order_number {
            Some(serde_json::Value::Number(n)) => n.to_string(),
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
            _ => {
                problems.push(at("has no executive_order_number".into()));
                continue;
            }
        };
        let title = d.title.unwrap_or_default().trim().to_string();
        if title.is_empty() {
            problems.push(at(format!("EO {number} has no title")));
            continue;
        }
        let date = |s: &Option<String>, what: &str, problems: &mut Vec<Problem>| match s.as_deref() {
            None | Some("") => None,
            Some(s) => match s.parse() {
                Ok(d) => Some(d),
                Err(_) => {
                    problems.push(at(format!("EO {number}: {what} `{s}` is not a date (YYYY-MM-DD)")));
                    None
                }
            },
        };
        let signed = date(&d.signing_date, "signing_date", &mut problems);
        let published = date(&d.publication_date, "publication_date", &mut problems);
        let mut o = PublicOrder {
            number: number.clone(),
            title,
            signed,
            published,
            citation: d.citation.filter(|c| !c.trim().is_empty()),
            president: d.president.map(|p| p.name),
            agencies: d.agency_names,
            url: d.html_url,
            notes: vec![],
            relations: vec![],
        };
        for notes in [d.executive_order_notes, d.disposition_notes].into_iter().flatten() {
            for (k, v) in note_clauses(&notes) {
                o.relations.extend(relations_from_notes(&number, &k, &v));
                o.notes.push(format!("{k}: {v}"));
            }
        }
        out.push(o);
    }
    (out, problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mandate_domain::RelationKind;

    #[test]
    fn reads_orders_and_reports_bad_documents() {
        let text = r#"{"count":3,"results":[
          {"executive_order_number":13489,"title":"Presidential Records","signing_date":"2009-01-21","publication_date":"2009-01-26",
           "citation":"74 FR 4669","president":{"name":"Barack Obama","identifier":"barack-obama"},"agency_names":["Executive Office of the President"],
           "html_url":"https://example.gov/x","executive_order_notes":"Revokes: EO 13233, November 1, 2001"},
          {"title":"no number"},
          {"executive_order_number":13490,"title":"Ethics","signing_date":"21/01/2009"}]}"#;
        let (orders, problems) = parse("obama.json", text);
        assert_eq!(orders.len(), 2);
        assert_eq!(orders[0].relations[0].kind, RelationKind::Revokes);
        assert_eq!(orders[0].relations[0].object, "13233");
        assert_eq!(problems.len(), 2);
        assert!(problems[0].to_string().contains("results[1]"), "{}", problems[0]);
        assert!(problems[1].message.contains("21/01/2009"));
    }

    #[test]
    fn malformed_json_names_the_line() {
        let (o, p) = parse("x.json", "{\n\"results\": [\n{,]}");
        assert!(o.is_empty());
        assert_eq!(p[0].line, Some(3));
    }
}
