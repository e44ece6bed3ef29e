//! Briefing books end to end: `mandate brief` on a real encrypted workspace, and the PDFs it
//! writes checked with real tools — qpdf, pdffonts, pdftotext (poppler) — not with our own code.

use std::path::Path;
use std::process::Command;

mod common;
use common::Ws;

const AS_OF: &str = "2026-11-24T08:00:00Z";

fn new_ws() -> Ws {
    Ws::init(&["--name", "Ana Analyst", "--office", "EXSEC", "--role", "executive"])
}

/// `mandate brief --out FILE --as-of AS_OF …`, which must succeed; returns its progress output.
fn brief(ws: &Ws, out: &Path, extra: &[&str]) -> String {
    let mut a = vec!["brief", "--out", out.to_str().unwrap(), "--as-of", AS_OF];
    a.extend_from_slice(extra);
    let o = ws.run(&a);
    assert!(o.status.success(), "brief failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tool(name: &str, args: &[&str]) -> String {
    let o =
        Command::new(name).args(args).output().unwrap_or_else(|e| panic!("{name} is not installed ({e}); `cargo xtask test` installs it"));
    assert!(o.status.success(), "{name} {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// pdftotext output, one string per page.
fn pages(pdf: &Path, layout: bool) -> Vec<String> {
    let mut args = vec![];
    if layout {
        args.push("-layout");
    }
    args.extend([pdf.to_str().unwrap(), "-"]);
    let text = tool("pdftotext", &args);
    let mut p: Vec<String> = text.split('\x0c').map(str::to_string).collect();
    if p.last().is_some_and(|l| l.trim().is_empty()) {
        p.pop();
    }
    p
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text of an HTML file as a reader sees it (not the style sheet or the window title), by
/// Python's `html.parser` rather than our own code.
fn html_text(path: &Path) -> String {
    const SCRIPT: &str = "import sys, html.parser
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.out = []; self.skip = 0
    def handle_starttag(self, tag, attrs):
        if tag in ('style', 'title'): self.skip += 1
    def handle_endtag(self, tag):
        if tag in ('style', 'title'): self.skip -= 1
    def handle_data(self, data):
        if not self.skip: self.out.append(data)
p = P(); p.feed(open(sys.argv[1], encoding='utf-8').read()); p.close(); print(' '.join(p.out))
";
    tool("python3", &["-c", SCRIPT, path.to_str().unwrap()])
}

fn page_count(pdf: &Path) -> usize {
    let info = tool("pdfinfo", &[pdf.to_str().unwrap()]);
    info.lines().find_map(|l| l.strip_prefix("Pages:")).unwrap().trim().parse().unwrap()
}

/// Contents lines: (text before the leaders, page number).
fn contents(pages_layout: &[String]) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for p in pages_layout.iter().filter(|p| p.lines().take(4).any(|l| l.trim_end().ends_with("Contents"))) {
        // An entry too long for one line wraps; its page number ends its last line.
        let mut pending = String::new();
        for line in p.lines() {
            let t = format!("{pending} {}", line.trim());
            let t = t.trim();
            let Some((left, num)) = t.rsplit_once(' ').filter(|(_, n)| n.parse::<usize>().is_ok()) else {
                let starts_entry = t.chars().take(4).all(|c| c.is_ascii_digit()) || t.starts_with("Tab ");
                pending = if starts_entry && !t.is_empty() { t.to_string() } else { String::new() };
                continue;
            };
            pending.clear();
            let n: usize = num.parse().unwrap();
            let left = left.trim_end_matches(['.', ' ']).trim();
            if left.starts_with("Tab ")
                || left.chars().take(4).all(|c| c.is_ascii_digit())
                || left == "Summary"
                || left.starts_with("Appendix")
            {
                out.push((squash(left), n));
            }
        }
    }
    out
}

fn outline_titles(pdf: &Path) -> Vec<(usize, String)> {
    let json: serde_json::Value = serde_json::from_str(&tool("qpdf", &["--json=2", "--json-key=outlines", pdf.to_str().unwrap()])).unwrap();
    fn walk(v: &serde_json::Value, depth: usize, out: &mut Vec<(usize, String)>) {
        for o in v.as_array().unwrap() {
            out.push((depth, o["title"].as_str().unwrap().to_string()));
            walk(&o["kids"], depth + 1, out);
        }
    }
    let mut out = Vec::new();
    walk(&json["outlines"], 0, &mut out);
    out
}

#[test]
fn a_sample_book_passes_the_print_checks() {
    let ws = new_ws();
    ws.ok(&["sample", "--actions", "24"]);
    let list = ws.json(&["action", "list"]);
    let items = list.as_array().unwrap();
    let markings: Vec<mandate_domain::Marking> = items.iter().map(|i| i["marking"].as_str().unwrap().parse().unwrap()).collect();
    let marking = mandate_domain::Marking::highest(&markings).to_string();

    let pdf = ws.path("book.pdf");
    let log = brief(&ws, &pdf, &["--all", "--title", "Weekly Principal’s Book", "--prepared-for", "The Deputy Secretary", "--duplex"]);
    assert!(log.contains("Laying out pages") && log.contains("Wrote"), "progress and result on stderr: {log}");

    // The file is structurally sound, and every font is embedded as a subset.
    let check = tool("qpdf", &["--check", pdf.to_str().unwrap()]);
    assert!(check.contains("No syntax or stream encoding errors"), "{check}");
    let fonts = tool("pdffonts", &[pdf.to_str().unwrap()]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert_eq!(rows.len(), 3, "regular, bold and italic: {fonts}");
    for r in rows {
        let cols: Vec<&str> = r.split_whitespace().collect();
        assert!(cols[0].contains('+'), "subset name: {r}");
        assert_eq!(&cols[cols.len() - 5..cols.len() - 2], &["yes", "yes", "yes"], "embedded, subset, with a Unicode map: {r}");
    }

    let text = pages(&pdf, false);
    assert_eq!(text.len(), page_count(&pdf));
    // Every action's title is in the book, and the marking is on every page (top and bottom).
    let all = squash(&text.join(" "));
    for i in items {
        let title = i["title"].as_str().unwrap();
        assert!(all.contains(&squash(title)), "title missing: {title}");
    }
    for (n, p) in text.iter().enumerate() {
        assert!(p.matches(&marking).count() >= 2, "page {} lacks the {marking} banners", n + 1);
    }

    // Contents page numbers are the pages where the parts start.
    let layout = pages(&pdf, true);
    let toc = contents(&layout);
    let action_entries: Vec<&(String, usize)> = toc.iter().filter(|(l, _)| l.chars().take(4).all(|c| c.is_ascii_digit())).collect();
    assert_eq!(action_entries.len(), items.len(), "one contents entry per action: {toc:?}");
    for (left, page) in &action_entries {
        let number = left.split(" — ").next().unwrap();
        let start = &text[page - 1];
        assert!(start.contains(&format!("{number} ·")), "contents say {number} starts on page {page}, but it is not there");
        // The contents pages mention every number too; look only at the body before this page.
        let earlier = text.get(4..page - 1).unwrap_or_default().iter().any(|p| p.contains(&format!("{number} ·")));
        assert!(!earlier, "{number} starts before page {page}");
    }
    // Duplex: every tab starts on a right-hand (odd) page, with blank pages marked as such.
    let tabs: Vec<&(String, usize)> = toc.iter().filter(|(l, _)| l.starts_with("Tab ")).collect();
    assert!(tabs.len() >= 3);
    for (l, p) in &tabs {
        assert_eq!(p % 2, 1, "{l} starts on page {p}");
        assert!(text[p - 1].contains(l.split(" — ").next().unwrap()));
    }
    assert!(all.contains("This page intentionally left blank"));
    let summary = toc.iter().find(|(l, _)| l == "Summary").unwrap();
    assert!(text[summary.1 - 1].contains("On time and within scope"));
    let pages_n = text.len();
    assert!(text[pages_n - 1].contains(&format!("Page {pages_n} of {pages_n}")));

    // The outline mirrors the contents: each tab, with each of its actions beneath it.
    let outline = outline_titles(&pdf);
    assert_eq!(outline.iter().filter(|(d, t)| *d == 0 && t.starts_with("Tab ")).count(), tabs.len());
    assert_eq!(outline.iter().filter(|(d, _)| *d == 1).count(), items.len());
    assert!(outline.iter().any(|(_, t)| t == "Summary") && outline.iter().any(|(_, t)| t.starts_with("Appendix")));

    // Contents entries are links into the book.
    let qdf = ws.path("book-qdf.pdf");
    tool("qpdf", &["--qdf", "--object-streams=disable", pdf.to_str().unwrap(), qdf.to_str().unwrap()]);
    let raw = String::from_utf8_lossy(&std::fs::read(&qdf).unwrap()).into_owned();
    let links = raw.matches("/Subtype /Link").count();
    assert!(links >= toc.len(), "{links} links for {} contents entries", toc.len());
    assert!(raw.matches("/XYZ").count() >= links, "each link jumps to a place on a page");

    // Reproducible: the same data, options and as-of time give the same bytes.
    let again = ws.path("again.pdf");
    brief(&ws, &again, &["--all", "--title", "Weekly Principal’s Book", "--prepared-for", "The Deputy Secretary", "--duplex"]);
    assert!(std::fs::read(&pdf).unwrap() == std::fs::read(&again).unwrap(), "two runs differ");
    let later = ws.path("later.pdf");
    let mut args = vec!["brief", "--out", later.to_str().unwrap(), "--as-of", "2026-11-25T08:00:00Z", "--all"];
    args.extend(["--title", "Weekly Principal’s Book", "--prepared-for", "The Deputy Secretary", "--duplex"]);
    ws.ok(&args);
    assert!(std::fs::read(&pdf).unwrap() != std::fs::read(&later).unwrap(), "a later as-of time is a different book");

    // Per-recipient copies: one file each, the name on every page.
    let copies = ws.path("copies.pdf");
    brief(&ws, &copies, &["--all", "--recipient", "J. Smith", "--recipient", "Zoë Ortiz", "--draft"]);
    for (n, name, file) in [(1, "J. Smith", "copies-copy-1-j-smith.pdf"), (2, "Zoë Ortiz", "copies-copy-2-zoë-ortiz.pdf")] {
        let path = ws.path(file);
        let text = pages(&path, false);
        for (i, p) in text.iter().enumerate() {
            let p = squash(p);
            assert!(p.contains(&format!("Copy {n} — prepared for {name}")), "{file} page {} lacks the recipient watermark", i + 1);
        }
        tool("qpdf", &["--check", path.to_str().unwrap()]);
    }
    assert!(!copies.exists(), "with recipients only the copies are written");
}

/// A recipient named with offices gets only what those offices may see (the agency server's
/// rule): two recipients, two different action sets, checked with pdftotext, the outline and
/// the document information; no withheld title appears anywhere in a copy.
#[test]
fn each_recipient_copy_holds_only_what_their_offices_may_see() {
    let ws = new_ws();
    ws.ok(&["sample", "--actions", "30"]);
    let all: Vec<(String, String)> = ws
        .json(&["action", "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["number"].as_str().unwrap().to_string(), i["title"].as_str().unwrap().to_string()))
        .collect();
    let offices: Vec<String> =
        ws.json(&["office", "list"]).as_array().unwrap().iter().map(|o| o["code"].as_str().unwrap().to_string()).collect();
    let seen_by = |code: &str| -> Vec<String> {
        ws.json(&["action", "list", "--office", code])
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["number"].as_str().unwrap().to_string())
            .collect()
    };
    // Two offices that each see some, but not all, of the actions, and not the same ones.
    let mut picked: Vec<(String, Vec<String>)> = Vec::new();
    for o in &offices {
        let sees = seen_by(o);
        if !sees.is_empty() && sees.len() < all.len() && picked.iter().all(|(_, s)| *s != sees) {
            picked.push((o.clone(), sees));
        }
        if picked.len() == 2 {
            break;
        }
    }
    assert_eq!(picked.len(), 2, "the sample has two offices with different assignments: {offices:?}");
    // A relation from an action the first copy shows to one it withholds: the copy must not
    // name the other end.
    let hidden = all.iter().map(|(m, _)| m).find(|m| !picked[0].1.contains(m)).unwrap();
    let related = picked[0].1.iter().any(|m| ws.run(&["relate", m, "--kind", "see_also", "--to", hidden]).status.success());
    assert!(related, "one of the first office's actions can still be related");
    let out = ws.path("need.pdf");
    let r1 = format!("A. Reader={}", picked[0].0);
    let r2 = format!("B. Reader={}", picked[1].0.to_lowercase());
    let log = brief(&ws, &out, &["--all", "--recipient", &r1, "--recipient", &r2]);
    for (n, (file, (_, sees))) in ["need-copy-1-a-reader.pdf", "need-copy-2-b-reader.pdf"].iter().zip(&picked).enumerate() {
        let path = ws.path(file);
        tool("qpdf", &["--check", path.to_str().unwrap()]);
        let text = squash(&pages(&path, false).join(" "));
        let outline: Vec<String> = outline_titles(&path).into_iter().map(|(_, t)| squash(&t)).collect();
        let info = tool("pdfinfo", &[path.to_str().unwrap()]);
        for (number, title) in &all {
            let title = squash(title);
            if sees.contains(number) {
                assert!(text.contains(&title), "copy {} lacks {number} ({title}), which its office may see", n + 1);
            } else {
                // Sample follow-ups repeat an earlier title with a suffix: such a title is
                // checked by its number only.
                let shown_within = all.iter().any(|(m, t)| sees.contains(m) && squash(t).contains(&title));
                let at = text.find(&format!("{number} ")).or(if shown_within { None } else { text.find(&title) });
                assert!(at.is_none(), "copy {} shows withheld {number}: …{}…", n + 1, &text[at.unwrap().saturating_sub(100)..][..300]);
                let names = |t: &str| t.contains(number.as_str()) || (!shown_within && t.contains(&title));
                assert!(!outline.iter().any(|t| names(t)), "copy {} bookmarks withheld {number}", n + 1);
                assert!(!names(&info), "copy {} metadata names withheld {number}", n + 1);
            }
        }
        let withheld = all.len() - sees.len();
        assert!(text.contains(&format!("{} actions in", sees.len())), "copy {} counts only its own actions", n + 1);
        assert!(text.contains(&format!("{withheld} selected action")), "copy {} cover says how many were withheld", n + 1);
        assert!(log.contains(&format!("{} actions, {withheld} withheld", sees.len())), "{log}");
    }
    assert_ne!(std::fs::read(ws.path("need-copy-1-a-reader.pdf")).unwrap().len(), 0);

    // The same copies as HTML (for e-mail and screen readers), read back with Python's HTML
    // parser: each labelled with its copy and recipient, holding the same actions as the PDF.
    let html_out = ws.path("need.html");
    let log = brief(&ws, &html_out, &["--all", "--format", "html", "--recipient", &r1, "--recipient", &r2, "--recipient", "C. Whole"]);
    assert!(!html_out.exists(), "with recipients only the copies are written");
    // A recipient named without offices gets the whole book, labelled as theirs.
    let whole = squash(&html_text(&ws.path("need-copy-3-c-whole.html")));
    assert!(whole.contains("Copy 3 — prepared for C. Whole") && !whole.contains("selected action"), "the whole book, nothing withheld");
    assert!(all.iter().all(|(_, t)| whole.contains(&squash(t))), "every action in the whole copy");
    assert!(log.contains(&format!("need-copy-3-c-whole.html ({} actions)", all.len())), "{log}");
    for (n, (file, (_, sees))) in ["need-copy-1-a-reader.html", "need-copy-2-b-reader.html"].iter().zip(&picked).enumerate() {
        let path = ws.path(file);
        let raw = std::fs::read_to_string(&path).unwrap();
        let text = squash(&html_text(&path));
        let reader = ["A. Reader", "B. Reader"][n];
        assert!(text.contains(&format!("Copy {} — prepared for {reader}", n + 1)), "{file} is labelled for its recipient");
        for (number, title) in &all {
            let title = squash(title);
            if sees.contains(number) {
                assert!(text.contains(&title), "{file} lacks {number} ({title}), which its office may see");
            } else {
                let shown_within = all.iter().any(|(m, t)| sees.contains(m) && squash(t).contains(&title));
                assert!(!raw.contains(number.as_str()), "{file} names withheld {number}");
                assert!(shown_within || !text.contains(&title), "{file} shows withheld {number} ({title})");
            }
        }
        let withheld = all.len() - sees.len();
        assert!(text.contains(&format!("{} actions in", sees.len())), "{file} counts only its own actions");
        assert!(text.contains(&format!("{withheld} selected action")), "{file} cover says how many were withheld");
        assert!(log.contains(&format!("{file} ({} actions, {withheld} withheld)", sees.len())), "{log}");
    }

    // An office code that names no office, or an office that may see nothing, writes nothing.
    ws.ok(&["office", "add", "--code", "NEWBY", "--name", "Newly created office"]);
    for (arg, says) in [("C. Reader=NOPE", "no office with code `NOPE`"), ("C. Reader=NEWBY", "may see none of the 30 selected actions")] {
        let bad = ws.path("bad.pdf");
        let o =
            ws.run(&["brief", "--out", bad.to_str().unwrap(), "--as-of", AS_OF, "--all", "--recipient", "D. Whole", "--recipient", arg]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains(says), "{err}");
        assert!(!ws.path("bad-copy-1-d-whole.pdf").exists(), "a refused request writes no copy at all");
    }
}

/// pdftotext -bbox: (page, xMin, xMax, word) for every word, and the page width.
fn word_boxes(pdf: &Path) -> (f32, Vec<(usize, f32, f32, String)>) {
    let html = tool("pdftotext", &["-bbox", pdf.to_str().unwrap(), "-"]);
    let attr = |tag: &str, name: &str| -> f32 {
        let start = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        tag[start..].split('"').next().unwrap().parse().unwrap()
    };
    let mut width = 0.0;
    let mut page = 0;
    let mut words = Vec::new();
    for part in html.split('<').skip(1) {
        if part.starts_with("page ") {
            page += 1;
            width = attr(part, "width");
        } else if part.starts_with("word ") {
            let (tag, text) = part.split_once('>').unwrap();
            words.push((page, attr(tag, "xMin"), attr(tag, "xMax"), text.to_string()));
        }
    }
    (width, words)
}

#[test]
fn hard_text_wraps_inside_the_margins_and_long_tables_repeat_their_header() {
    let ws = new_ws();
    let long_word = "Antidisestablishmentarianism".repeat(12);
    let title = "Coordinate the “Zürich–Genève” accord — naïve café résumé for Señor Núñez, Ωμέγα and Москва";
    let body = format!("Deliver the plan. {long_word} and then the rest of the requirement text, which wraps normally.");
    let created = ws.json(&[
        "action",
        "create",
        "--title",
        title,
        "--kind",
        "tasker",
        "--body",
        &body,
        "--official",
        "Deputy Secretary",
        "--suspense",
        "2026-12-20",
        "--issue",
    ]);
    let number = created["number"].as_str().unwrap().to_string();
    let hostile = ws.json(&[
        "action",
        "create",
        "--title",
        "<img src=x onerror=alert(1)> & \"quotes\"",
        "--kind",
        "tasker",
        "--official",
        "Deputy Secretary",
        "--issue",
    ]);
    let hostile_number = hostile["number"].as_str().unwrap().to_string();
    // 40 offices on one action: the assignments table must break across pages.
    for i in 0..40 {
        let code = format!("O{i:02}");
        ws.ok(&["office", "add", "--code", &code, "--name", &format!("Office number {i} for coordination")]);
        let role = if i == 0 { "opr" } else { "ocr" };
        ws.ok(&["assign", &number, "--office", &code, "--role", role, "--suspense", "2026-12-15"]);
    }

    let pdf = ws.path("hard.pdf");
    brief(&ws, &pdf, &["--action", &number, "--action", &hostile_number, "--gutter-mm", "12"]);
    tool("qpdf", &["--check", pdf.to_str().unwrap()]);

    // Nothing outside the margins: 60 pt outer, 60 pt + 12 mm on the binding side.
    let (width, words) = word_boxes(&pdf);
    let inner = 60.0 + 12.0 * 72.0 / 25.4;
    assert!(!words.is_empty());
    for (page, x0, x1, w) in &words {
        assert!(*x0 >= inner - 1.0 && *x1 <= width - 60.0 + 1.0, "page {page}: `{w}` at {x0}–{x1} crosses a margin");
    }
    let all = squash(&pages(&pdf, false).join(" "));
    assert!(all.contains(&squash(title)), "accents and curly quotes survive: {all}");
    // The long word is cut across lines, but every character is there, in order.
    assert!(all.replace(' ', "").contains(&long_word), "the unbroken word is complete");
    assert!(all.contains("<img src=x onerror=alert(1)> & \"quotes\""), "hostile text prints as text");

    let text = pages(&pdf, false);
    let with_header: Vec<usize> =
        text.iter().enumerate().filter(|(_, p)| p.contains("Acknowledged") && p.contains("Concurrence")).map(|(i, _)| i + 1).collect();
    assert!(with_header.len() >= 2, "the 40-row table spans pages with its header on each: {with_header:?}");
    for i in 0..40 {
        assert!(all.contains(&format!("O{i:02} — Office number {i} for coordination")), "row {i} is printed");
    }

    // The HTML export carries the same content, escaped.
    let html_path = ws.path("hard.html");
    brief(&ws, &html_path, &["--action", &number, "--action", &hostile_number, "--format", "html"]);
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;"));
    assert!(!html.contains("<img"), "no markup from record text");
    assert!(html.contains("O39 — Office number 39 for coordination") && html.contains("Zürich–Genève"));
    assert!(html.contains("@media print") && html.contains("<thead>"));
}

#[test]
fn bad_requests_are_refused_with_a_reason_and_templates_replay() {
    let ws = new_ws();
    ws.ok(&["sample", "--actions", "12"]);
    let out = ws.path("x.pdf");

    let o = ws.run(&["brief", "--out", out.to_str().unwrap(), "--status", "superseded", "--kind", "memorandum"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("matched no actions"), "{}", String::from_utf8_lossy(&o.stderr));
    let o = ws.run(&["brief", "--out", ws.path("no/such/dir/x.pdf").to_str().unwrap(), "--all"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("does not exist"));
    let o = ws.run(&["brief", "--out", out.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("say which actions"));
    let o = ws.run(&["brief", "--out", out.to_str().unwrap(), "--action", "2099-9999"]);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("2099-9999"));
    let o = ws.run(&["brief", "--out", out.to_str().unwrap(), "--all", "--omit", "riskz"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("`riskz` is not a book section"));
    assert!(!out.exists(), "nothing written by refused requests");

    // A saved view selects; a template replays selection and options.
    ws.ok(&["view", "save", "Open taskers", "--status", "in_progress", "--status", "assigned"]);
    let first = ws.path("t1.pdf");
    brief(
        &ws,
        &first,
        &[
            "--view",
            "Open taskers",
            "--title",
            "Weekly principal's book",
            "--group-by",
            "priority",
            "--save-template",
            "Weekly principal's book",
        ],
    );
    let second = ws.path("t2.pdf");
    brief(&ws, &second, &["--template", "weekly principal's book"]);
    assert!(std::fs::read(&first).unwrap() == std::fs::read(&second).unwrap(), "the template reproduces the book");
    let listed = ws.ok(&["templates"]);
    assert!(listed.contains("Weekly principal's book"));
    let o = ws.run(&["brief", "--out", out.to_str().unwrap(), "--template", "Nope"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("known: Weekly principal's book"));
}

/// Titles in Chinese, Japanese, Korean, Hebrew and Arabic print as themselves (not `?`), from
/// fallback fonts embedded as subsets; right-to-left titles come back from the PDF in reading
/// order; a recipient's name in another script is watermarked too. Checked with pdftotext and
/// pdffonts. A book without such text carries no fallback font.
#[test]
fn books_print_every_script_from_embedded_fallback_fonts() {
    const TITLES: &[&str] = &[
        "中文标题：国土安全审查",
        "日本語のタイトル：防災計画",
        "한국어 제목: 예산 검토",
        "סקירת תקציב הביטחון",
        "مراجعة الميزانية العامة",
    ];
    let ws = new_ws();
    let plain = ws.path("plain.pdf");
    ws.ok(&["action", "create", "--title", "Plain English title", "--official", "Secretary", "--issue"]);
    brief(&ws, &plain, &["--all"]);
    let plain_fonts = tool("pdffonts", &[plain.to_str().unwrap()]);
    assert!(!plain_fonts.contains("DroidSansFallback") && !plain_fonts.contains("DejaVuSans "), "{plain_fonts}");

    for t in TITLES {
        ws.ok(&["action", "create", "--title", t, "--body", t, "--official", "Secretary", "--issue"]);
    }
    let pdf = ws.path("scripts.pdf");
    brief(&ws, &pdf, &["--all", "--recipient", "王小明"]);
    let pdf = ws.path("scripts-copy-1-王小明.pdf");
    let pdf = if pdf.exists() {
        pdf
    } else {
        std::fs::read_dir(ws.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().contains("scripts-copy-1"))
            .unwrap()
    };
    let text = squash(&pages(&pdf, false).join(" "));
    // pdftotext marks right-to-left runs with embedding controls; the letters between them are
    // the title, in reading order.
    let text: String = text.chars().filter(|c| !matches!(c, '\u{202a}'..='\u{202e}')).collect();
    for t in TITLES {
        assert!(text.contains(t), "{t} does not come back from the PDF:\n{text}");
    }
    assert!(!text.contains("???"), "no title prints as question marks");
    assert!(text.contains("王小明"), "the recipient's watermark");
    let fonts = tool("pdffonts", &[pdf.to_str().unwrap()]);
    assert!(fonts.contains("+DroidSansFallback") && fonts.contains("+DejaVuSans "), "{fonts}");
    for line in fonts.lines().skip(2) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        // name type… encoding emb sub uni object generation
        let n = cols.len();
        assert_eq!((cols[n - 5], cols[n - 4]), ("yes", "yes"), "every font embedded as a subset: {line}");
    }
    // Subsets: the CJK fallback font is 3.4 MB; a book using a few dozen of its glyphs is not.
    let size = std::fs::metadata(&pdf).unwrap().len();
    assert!(size < 400_000, "{size} bytes");
    let qpdf = Command::new("qpdf").args(["--check"]).arg(&pdf).output().unwrap();
    assert!(qpdf.status.success(), "{}", String::from_utf8_lossy(&qpdf.stdout));
}
