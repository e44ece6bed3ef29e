//! The book as one self-contained HTML file: the same parts as the PDF, for e-mail and screen
//! readers, with print CSS so a browser prints it as a book too. Every piece of record text is
//! escaped; the file loads nothing from anywhere.

use crate::content::{Block, Content, PartKind};

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = r#"
:root { color-scheme: light; }
body { font-family: "DejaVu Serif", Georgia, "Times New Roman", serif; font-size: 10.5pt; line-height: 1.4; color: #111; margin: 0 auto; max-width: 52em; padding: 0 1.5em; }
.marking { position: sticky; top: 0; text-align: center; font-weight: bold; letter-spacing: .05em; background: #fff; border-bottom: 1px solid #999; padding: .25em 0; }
.marking.bottom { position: static; border-top: 1px solid #999; border-bottom: none; margin-top: 2em; }
header.cover { text-align: center; padding: 4em 0 2em; }
header.cover .kicker { font-weight: bold; color: #555; letter-spacing: .1em; }
header.cover h1 { font-size: 2.2em; margin: .3em 0; }
header.cover dl { display: inline-block; text-align: center; }
header.cover dt { font-size: .8em; font-weight: bold; color: #555; text-transform: uppercase; margin-top: .8em; }
header.cover dd { margin: 0; font-size: 1.15em; }
.draft { font-weight: bold; color: #444; }
nav ol { list-style: none; padding-left: 0; }
nav ol ol { padding-left: 1.5em; font-size: .95em; }
nav a { color: inherit; }
section { border-top: 2px solid #333; margin-top: 2.5em; padding-top: .5em; }
section h2 { font-size: 1.45em; margin: .2em 0 0; }
section .subtitle { font-style: italic; color: #444; margin: 0 0 .8em; }
section.divider { text-align: center; }
section.divider h2 { font-size: 2.4em; }
h3 { font-size: 1.1em; margin: 1.2em 0 .3em; }
table { border-collapse: collapse; width: 100%; font-size: .9em; margin: .3em 0 .8em; }
th { text-align: left; background: #e6e6e6; }
th, td { padding: .25em .4em; border-bottom: 1px solid #aaa; vertical-align: top; overflow-wrap: anywhere; }
td.num, th.num { text-align: right; }
dl.fields { display: grid; grid-template-columns: 10em 1fr; gap: .15em .8em; margin: .3em 0; }
dl.fields dt { font-weight: bold; color: #333; }
dl.fields dd { margin: 0; }
p { overflow-wrap: anywhere; white-space: pre-wrap; }
p.note { font-style: italic; color: #444; font-size: .92em; }
.bars { width: 100%; max-width: 40em; }
.copy { text-align: center; font-size: .8em; color: #444; padding: .25em 0 1em; }
@media print {
  @page { margin: 2cm 2cm 2.2cm; }
  body { max-width: none; padding: 0; }
  .marking { position: fixed; left: 0; right: 0; border: none; }
  .marking.top { top: -1.4cm; }
  .marking.bottom { bottom: -1.6cm; top: auto; margin: 0; }
  .copy { position: fixed; left: 0; right: 0; bottom: -2.05cm; padding: 0; }
  section { break-before: page; border-top: none; margin-top: 0; }
  nav { break-before: page; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  h3 { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// Renders the book's content as one HTML document. `copy` is a recipient's copy label
/// ("Copy 3 — prepared for J. Smith"): on the cover, and at the foot of every printed page as the
/// PDF's copies carry it.
pub fn render(content: &Content, copy: Option<&str>) -> String {
    let o = &content.options;
    let marking = escape(content.marking.as_str());
    let mut h = String::with_capacity(64 * 1024 + content.parts.len() * 4096);
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n");
    h.push_str(&format!("<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n", escape(&o.title)));
    h.push_str(&format!("<div class=\"marking top\" role=\"note\" aria-label=\"Handling marking\">{marking}</div>\n"));
    h.push_str("<header class=\"cover\" id=\"cover\">\n<div class=\"kicker\">BRIEFING BOOK</div>\n");
    h.push_str(&format!("<h1>{}</h1>\n", escape(&o.title)));
    if o.draft {
        h.push_str("<p class=\"draft\">DRAFT — not for distribution</p>\n");
    }
    h.push_str("<dl>\n");
    if let Some(label) = copy {
        h.push_str(&format!("<dt>Copy</dt><dd>{}</dd>\n", escape(label)));
    }
    for (label, value) in &content.cover {
        h.push_str(&format!("<dt>{}</dt><dd>{}</dd>\n", escape(label), escape(value)));
    }
    h.push_str("</dl>\n</header>\n");

    h.push_str("<nav id=\"contents\" aria-labelledby=\"contents-h\">\n<h2 id=\"contents-h\">Contents</h2>\n<ol>\n");
    let mut open_child = false;
    for (i, e) in content.toc.iter().enumerate() {
        let link = format!("<a href=\"#{}\">{}</a>", escape(&e.anchor), escape(&e.title));
        if e.level == 0 {
            if open_child {
                h.push_str("</ol></li>\n");
                open_child = false;
            }
            let has_children = content.toc.get(i + 1).is_some_and(|n| n.level == 1);
            if has_children {
                h.push_str(&format!("<li>{link}<ol>\n"));
                open_child = true;
            } else {
                h.push_str(&format!("<li>{link}</li>\n"));
            }
        } else {
            h.push_str(&format!("<li>{link}</li>\n"));
        }
    }
    if open_child {
        h.push_str("</ol></li>\n");
    }
    h.push_str("</ol>\n</nav>\n");

    for part in &content.parts {
        let class = match part.kind {
            PartKind::Summary => "summary",
            PartKind::Divider => "divider",
            PartKind::Action => "action",
            PartKind::Appendix => "appendix",
        };
        // Extra anchors (a tab without a divider page) become empty targets.
        let (first, extra) = part.anchors.split_first().map(|(f, r)| (f.as_str(), r)).unwrap_or(("", &[]));
        h.push_str(&format!("<section class=\"{class}\" id=\"{}\">\n", escape(first)));
        for a in extra {
            h.push_str(&format!("<span id=\"{}\"></span>\n", escape(a)));
        }
        h.push_str(&format!("<h2>{}</h2>\n", escape(&part.title)));
        if !part.subtitle.is_empty() {
            h.push_str(&format!("<p class=\"subtitle\">{}</p>\n", escape(&part.subtitle)));
        }
        for b in &part.blocks {
            block(&mut h, b);
        }
        h.push_str("</section>\n");
    }
    h.push_str(&format!("<div class=\"marking bottom\" role=\"note\" aria-label=\"Handling marking\">{marking}</div>\n"));
    if let Some(label) = copy {
        h.push_str(&format!("<div class=\"copy\" role=\"note\" aria-label=\"Copy\">{}</div>\n", escape(label)));
    }
    h.push_str(&format!("<footer><p class=\"note\">As of {}. Version {}.</p></footer>\n", escape(&content.as_of_text), escape(&o.version)));
    h.push_str("</body>\n</html>\n");
    h
}

fn block(h: &mut String, b: &Block) {
    match b {
        Block::Heading(t) => h.push_str(&format!("<h3>{}</h3>\n", escape(t))),
        Block::Para(t) => h.push_str(&format!("<p>{}</p>\n", escape(t))),
        Block::Note(t) => h.push_str(&format!("<p class=\"note\">{}</p>\n", escape(t))),
        Block::Fields(pairs) => {
            h.push_str("<dl class=\"fields\">\n");
            for (l, v) in pairs {
                h.push_str(&format!("<dt>{}</dt><dd>{}</dd>\n", escape(l), escape(v)));
            }
            h.push_str("</dl>\n");
        }
        Block::Table { columns, rows } => {
            h.push_str("<table>\n<thead><tr>");
            for c in columns {
                let class = if c.right { " class=\"num\"" } else { "" };
                h.push_str(&format!("<th scope=\"col\"{class}>{}</th>", escape(&c.title)));
            }
            h.push_str("</tr></thead>\n<tbody>\n");
            for r in rows {
                h.push_str("<tr>");
                for (cell, c) in r.iter().zip(columns) {
                    let class = if c.right { " class=\"num\"" } else { "" };
                    h.push_str(&format!("<td{class}>{}</td>", escape(cell)));
                }
                h.push_str("</tr>\n");
            }
            h.push_str("</tbody>\n</table>\n");
        }
        Block::Bars(bars) => {
            // The same chart as the PDF, as inline SVG with a text equivalent for screen readers.
            let row = 22;
            let height = bars.len() * row + 4;
            let desc: Vec<String> = bars.iter().map(|(l, _, t)| format!("{l}: {t}")).collect();
            h.push_str(&format!(
                "<svg class=\"bars\" viewBox=\"0 0 600 {height}\" role=\"img\" aria-label=\"{}\">\n",
                escape(&desc.join("; "))
            ));
            for (i, (label, value, text)) in bars.iter().enumerate() {
                let y = i * row + 2;
                let w = (value.clamp(0.0, 100.0) / 100.0 * 300.0).round();
                h.push_str(&format!(
                    "<text x=\"0\" y=\"{}\" font-size=\"12\">{}</text><rect x=\"210\" y=\"{y}\" width=\"300\" height=\"14\" fill=\"#e6e6e6\"/><rect x=\"210\" y=\"{y}\" width=\"{w}\" height=\"14\" fill=\"#555\"/><text x=\"600\" y=\"{}\" font-size=\"12\" text-anchor=\"end\" font-weight=\"bold\">{}</text>\n",
                    y + 12,
                    escape(label),
                    y + 12,
                    escape(text)
                ));
            }
            h.push_str("</svg>\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(escape("<img src=x onerror=alert(1)>"), "&lt;img src=x onerror=alert(1)&gt;");
        assert_eq!(escape("\"a\" & 'b'"), "&quot;a&quot; &amp; &#39;b&#39;");
    }
}
