//! Mandate's CSV: one row per action, for spreadsheets. Lists (coordinating offices,
//! authorities) are joined with `; ` inside one cell.

use crate::Problem;
use chrono::NaiveDate;
use mandate_domain::{ActionKind, Id, Marking, Priority, Status};

pub const HEADERS: &[&str] = &[
    "number",
    "title",
    "kind",
    "status",
    "priority",
    "marking",
    "issuing_official",
    "issued_on",
    "suspense",
    "percent_complete",
    "opr",
    "ocr",
    "info",
    "authorities",
    "overdue",
    "body",
    "id",
];

#[derive(Clone, Debug, PartialEq)]
pub struct CsvAction {
    pub id: Option<Id>,
    pub number: String,
    pub title: String,
    pub kind: ActionKind,
    pub status: Status,
    pub priority: Priority,
    pub marking: Marking,
    pub issuing_official: Option<String>,
    pub issued_on: Option<NaiveDate>,
    pub suspense: Option<NaiveDate>,
    pub percent_complete: u8,
    pub opr: Option<String>,
    pub ocr: Vec<String>,
    pub info: Vec<String>,
    pub authorities: Vec<String>,
    pub overdue: bool,
    pub body: String,
}

/// What a spreadsheet reads as the start of a formula (OWASP "CSV injection"): `=`, `+`, `-`,
/// `@`, tab and carriage return.
const FORMULA_START: &[char] = &['=', '+', '-', '@', '\t', '\r'];

/// A cell a spreadsheet would run as a formula gets a leading apostrophe, so it is shown as
/// text: Excel hides the apostrophe, LibreOffice shows it; [`unguard`] takes it off again. A
/// cell that already starts with apostrophes before such a character gets one more, so the
/// round trip is exact for every text.
pub fn guard(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.trim_start_matches('\'').starts_with(FORMULA_START) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// The text [`guard`] was given.
pub fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.trim_start_matches('\'').starts_with(FORMULA_START) => rest,
        _ => cell,
    }
}

pub fn write(out: &mut dyn std::io::Write, rows: &[CsvAction]) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(HEADERS)?;
    for r in rows {
        let d = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        w.write_record(&csv::StringRecord::from_iter(
            [
                r.number.as_str(),
                &r.title,
                r.kind.as_str(),
                r.status.as_str(),
                r.priority.as_str(),
                r.marking.as_str(),
                r.issuing_official.as_deref().unwrap_or(""),
                &d(r.issued_on),
                &d(r.suspense),
                &r.percent_complete.to_string(),
                r.opr.as_deref().unwrap_or(""),
                &r.ocr.join("; "),
                &r.info.join("; "),
                &r.authorities.join("; "),
                if r.overdue { "yes" } else { "no" },
                &r.body,
                &r.id.map(|i| i.to_string()).unwrap_or_default(),
            ]
            .into_iter()
            .map(|c| guard(c).into_owned()),
        ))?;
    }
    w.flush()?;
    Ok(())
}

/// Read rows; a row that cannot be read is reported with its line and skipped.
pub fn parse(file: &str, text: &str) -> (Vec<(usize, CsvAction)>, Vec<Problem>) {
    let mut rdr =
        csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::Fields).from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut problems = Vec::new();
    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_ascii_lowercase().replace(' ', "_")).collect(),
        Err(e) => {
            return (
                vec![],
                vec![Problem { column: None, file: file.into(), line: Some(1), message: format!("unreadable header row: {e}") }],
            )
        }
    };
    if !headers.iter().any(|h| h == "title") {
        return (
            vec![],
            vec![Problem { column: None, file: file.into(), line: Some(1), message: "the header row has no `title` column".into() }],
        );
    }
    let col = |name: &str| headers.iter().position(|h| h == name);
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize);
                problems.push(Problem { column: None, file: file.into(), line, message: format!("unreadable row: {e}") });
                continue;
            }
        };
        let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
        let get = |name: &str| unguard(col(name).and_then(|i| rec.get(i)).unwrap_or("").trim()).to_string();
        let list = |name: &str| get(name).split(';').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect::<Vec<_>>();
        // Each error names its column.
        let row = (|| -> Result<CsvAction, (&'static str, String)> {
            let title = get("title");
            if title.is_empty() {
                return Err(("title", "the title is empty".into()));
            }
            let date = |name: &'static str| -> Result<Option<NaiveDate>, (&'static str, String)> {
                let v = get(name);
                if v.is_empty() {
                    Ok(None)
                } else {
                    v.parse().map(Some).map_err(|_| (name, format!("`{v}` is not a date (YYYY-MM-DD)")))
                }
            };
            let or = |name: &str, default: &str| {
                let v = get(name);
                if v.is_empty() {
                    default.to_string()
                } else {
                    v
                }
            };
            let at = |name: &'static str| move |m: String| (name, m);
            let percent = or("percent_complete", "0");
            Ok(CsvAction {
                id: match get("id") {
                    v if v.is_empty() => None,
                    v => Some(v.parse().map_err(at("id"))?),
                },
                number: get("number"),
                title,
                kind: or("kind", "tasker").parse().map_err(at("kind"))?,
                status: or("status", "draft").parse().map_err(at("status"))?,
                priority: or("priority", "routine").parse().map_err(at("priority"))?,
                marking: or("marking", "UNCLASSIFIED").parse().map_err(at("marking"))?,
                issuing_official: Some(get("issuing_official")).filter(|s| !s.is_empty()),
                issued_on: date("issued_on")?,
                suspense: date("suspense")?,
                percent_complete: percent
                    .parse()
                    .ok()
                    .filter(|p| *p <= 100)
                    .ok_or_else(|| ("percent_complete", format!("`{percent}` is not 0–100")))?,
                opr: Some(get("opr")).filter(|s| !s.is_empty()),
                ocr: list("ocr"),
                info: list("info"),
                authorities: list("authorities"),
                overdue: get("overdue") == "yes",
                body: get("body"),
            })
        })();
        match row {
            Ok(r) => out.push((line, r)),
            Err((column, m)) => problems.push(Problem { column: Some(column.into()), file: file.into(), line: Some(line), message: m }),
        }
    }
    (out, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_and_reports_bad_lines() {
        let text = "title,kind,suspense,ocr,body\n\
                    \"Review, with comma\",tasker,2026-12-01,OGC; CFO,\"two\nlines\"\n\
                    Bad date,tasker,12/01/2026,,\n\
                    ,tasker,,,\n\
                    Unknown kind,poem,,,\n";
        let (rows, problems) = parse("in.csv", text);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].1.title, "Review, with comma");
        assert_eq!(rows[0].1.ocr, vec!["OGC", "CFO"]);
        assert_eq!(rows[0].1.body, "two\nlines");
        let lines: Vec<_> = problems.iter().map(|p| p.line.unwrap()).collect();
        assert_eq!(lines, vec![4, 5, 6], "{problems:?}");
        assert!(problems[0].message.contains("12/01/2026"));
        assert_eq!(problems[0].column.as_deref(), Some("suspense"));
        assert_eq!(problems[1].column.as_deref(), Some("title"));
        assert!(problems[2].message.contains("poem"));
        assert_eq!(problems[2].column.as_deref(), Some("kind"));
    }

    #[test]
    fn formula_cells_are_written_as_text_and_read_back_exactly() {
        for text in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+1",
            "-2 percent budget cut",
            "@SUM(A1)",
            "\tTab",
            "'=already quoted",
            "''+two",
            "'plain",
            "plain",
            "",
        ] {
            let g = guard(text);
            assert!(!g.starts_with(FORMULA_START), "{text:?} → {g:?}");
            assert_eq!(unguard(&g), text);
        }
        let row = CsvAction {
            id: None,
            number: "2026-0001".into(),
            title: "=1+1".into(),
            kind: ActionKind::Tasker,
            status: Status::Draft,
            priority: Priority::Routine,
            marking: "UNCLASSIFIED".parse().unwrap(),
            issuing_official: Some("@chief".into()),
            issued_on: None,
            suspense: None,
            percent_complete: 0,
            opr: None,
            ocr: vec![],
            info: vec![],
            authorities: vec![],
            overdue: false,
            body: "-minus".into(),
        };
        let mut out = Vec::new();
        write(&mut out, std::slice::from_ref(&row)).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("'=1+1") && text.contains("'@chief") && text.contains("'-minus"), "{text}");
        let (rows, problems) = parse("x.csv", &text);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(rows[0].1, row);
    }
}
