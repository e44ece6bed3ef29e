//! The National Archives' executive-order disposition tables.
//!
//! Pasted from web pages, so irregular: entries are `Executive Order N` then a title line, then
//! indented `Key: value` lines, but keys vary in case and spacing, lines go missing, and some
//! values wrap. The reader keeps what it can and reports the rest with its line number.

use crate::orders::{relations_from_notes, PublicOrder};
use crate::Problem;
use chrono::NaiveDate;

/// Parse `January 9, 2009` (also `Jan. 9, 2009`, `January 9 2009`).
pub fn parse_long_date(s: &str) -> Option<NaiveDate> {
    let cleaned: String = s.replace('.', "").replace(',', ", ").split_whitespace().collect::<Vec<_>>().join(" ");
    let cleaned = cleaned.replace(" ,", ",");
    for fmt in ["%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(&cleaned, fmt) {
            return Some(d);
        }
    }
    None
}

/// The first date in a value such as `74 FR 2283, January 14, 2009`.
fn date_in(value: &str) -> Option<NaiveDate> {
    let parts: Vec<&str> = value.split(',').collect();
    for i in 0..parts.len().saturating_sub(1) {
        let candidate = format!("{}, {}", parts[i].trim(), parts[i + 1].trim().split_whitespace().next().unwrap_or(""));
        let words: Vec<&str> = candidate.split_whitespace().collect();
        if words.len() >= 3 {
            let tail = words[words.len() - 3..].join(" ");
            if let Some(d) = parse_long_date(&tail) {
                return Some(d);
            }
        }
    }
    None
}

pub fn parse(file: &str, text: &str) -> (Vec<PublicOrder>, Vec<Problem>) {
    let mut out: Vec<PublicOrder> = Vec::new();
    let mut problems = Vec::new();
    let mut current: Option<(PublicOrder, usize)> = None;
    let mut expect_title = false;
    let mut last_key: Option<String> = None;
    let finish = |cur: Option<(PublicOrder, usize)>, out: &mut Vec<PublicOrder>, problems: &mut Vec<Problem>| {
        if let Some((o, line)) = cur {
            if o.title.is_empty() {
                problems.push(Problem {
                    column: None,
                    file: file.into(),
                    line: Some(line),
                    message: format!("EO {} has no title line; kept with a placeholder title", o.number),
                });
                out.push(PublicOrder { title: format!("Executive Order {}", o.number), ..o });
            } else {
                out.push(o);
            }
        }
    };
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim_end();
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if trimmed.starts_with('#') {
            continue; // an editor's comment in the source files
        }
        let indent = line.len() - line.trim_start().len();
        if let Some(rest) = trimmed.strip_prefix("Executive Order ").filter(|_| indent <= 2) {
            let num: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
            let num = num.trim_end_matches('-').to_uppercase();
            let extra = rest[num.len()..].trim();
            // "Executive Order 4601 Amended To …" right after a header is a title, not a header.
            let is_title = expect_title && !extra.is_empty();
            if num.chars().next().is_some_and(|c| c.is_ascii_digit()) && !is_title {
                finish(current.take(), &mut out, &mut problems);
                let o = PublicOrder { number: num, title: extra.to_string(), ..Default::default() };
                expect_title = extra.is_empty();
                current = Some((o, line_no));
                last_key = None;
                continue;
            }
        }
        let Some((o, _)) = current.as_mut() else {
            problems.push(Problem {
                column: None,
                file: file.into(),
                line: Some(line_no),
                message: format!("text before the first `Executive Order N` entry: `{}`", clip(trimmed)),
            });
            continue;
        };
        let indented = indent > 0;
        let kv = trimmed.split_once(':').filter(|(k, _)| k.len() <= 60 && k.chars().all(|c| c.is_alphabetic() || c == ' '));
        if expect_title && !(indented && kv.is_some()) {
            o.title = trimmed.to_string();
            expect_title = false;
            continue;
        }
        expect_title = false;
        if let Some((k, v)) = kv {
            let key = k.trim().to_ascii_lowercase();
            let v = v.trim();
            match key.as_str() {
                "signed" => match parse_long_date(v) {
                    Some(d) => o.signed = Some(d),
                    None => problems.push(Problem {
                        column: None,
                        file: file.into(),
                        line: Some(line_no),
                        message: format!("EO {}: signing date `{}` is not a date", o.number, clip(v)),
                    }),
                },
                k if k.starts_with("federal register page") => {
                    let v = &v.replace(';', ","); // "55 FR 9313; March 13, 1990" happens too
                    let cite = v.split(',').next().unwrap_or("").trim();
                    if cite.contains("FR") {
                        o.citation = Some(cite.to_string());
                    }
                    o.published = date_in(v);
                }
                _ => {
                    o.relations.extend(relations_from_notes(&o.number, k, v));
                    o.notes.push(format!("{}: {}", k.trim(), v));
                }
            }
            last_key = Some(key);
        } else if let (true, Some(key)) = (indented, last_key.as_deref()) {
            // A wrapped value: belongs to the previous key.
            if let Some(n) = o.notes.last_mut() {
                n.push(' ');
                n.push_str(trimmed);
            }
            o.relations.extend(relations_from_notes(&o.number, key, trimmed));
        } else {
            problems.push(Problem {
                column: None,
                file: file.into(),
                line: Some(line_no),
                message: format!("EO {}: cannot read `{}`", o.number, clip(trimmed)),
            });
        }
    }
    finish(current.take(), &mut out, &mut problems);
    (out, problems)
}

fn clip(s: &str) -> String {
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mandate_domain::RelationKind;

    const SAMPLE: &str = "Executive Order 13484
Amending the Order of Succession Within the Department of Agriculture

    Signed: January 9, 2009
    Federal Register page and date: 74 FR 2283, January 14, 2009
    Amends: EO 13241, December 18, 2001

Executive Order 7677-A
Some Lettered Order
    signed:   March 3, 1937
    Revoked  by: EO 8000, January 1, 1939 (in part)
    Note: This Executive order was not received for publication in the Federal Register.
gibberish line without a key
Executive Order 13489
    Signed: Janvier 21, 2009
# Old: Signed: an editor's comment
 Executive Order 7962
Executive Order 4601 Amended To Authorize Award
    Signed: August 22, 1938
";

    #[test]
    fn reads_entries_tolerantly_and_reports_lines() {
        let (orders, problems) = parse("2009.txt", SAMPLE);
        assert_eq!(orders.len(), 4);
        assert_eq!(orders[3].number, "7962");
        assert_eq!(orders[3].title, "Executive Order 4601 Amended To Authorize Award");
        let o = &orders[0];
        assert_eq!(o.number, "13484");
        assert_eq!(o.signed, NaiveDate::from_ymd_opt(2009, 1, 9));
        assert_eq!(o.published, NaiveDate::from_ymd_opt(2009, 1, 14));
        assert_eq!(o.citation.as_deref(), Some("74 FR 2283"));
        assert_eq!(o.relations[0].kind, RelationKind::Amends);
        let l = &orders[1];
        assert_eq!(l.number, "7677-A");
        assert_eq!(l.signed, NaiveDate::from_ymd_opt(1937, 3, 3));
        assert_eq!(l.relations[0].subject, "8000");
        assert_eq!(l.relations[0].note, "in part");
        // Missing title and an unreadable date are reported with their lines; the order is kept.
        assert_eq!(orders[2].title, "Executive Order 13489");
        let lines: Vec<_> = problems.iter().map(|p| p.line.unwrap()).collect();
        assert_eq!(lines, vec![13, 15, 14], "{problems:?}");
        assert!(problems.iter().any(|p| p.message.contains("Janvier")));
    }

    #[test]
    fn long_dates() {
        assert_eq!(parse_long_date("January 9, 2009"), NaiveDate::from_ymd_opt(2009, 1, 9));
        assert_eq!(parse_long_date("Jan. 9,2009"), NaiveDate::from_ymd_opt(2009, 1, 9));
        assert_eq!(date_in("2 FR 63, January 12, 1937"), NaiveDate::from_ymd_opt(1937, 1, 12));
        let (o, _) = parse("1990.txt", "Executive Order 12706\nX\n    Federal Register page and date: 55 FR 9313; March 13, 1990\n");
        assert_eq!(o[0].citation.as_deref(), Some("55 FR 9313"));
        assert_eq!(o[0].published, NaiveDate::from_ymd_opt(1990, 3, 13));
    }
}
