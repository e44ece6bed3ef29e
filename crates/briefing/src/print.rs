//! Lays a book's [`Content`] out on pages and prints it as PDF.
//!
//! Page numbers in the table of contents need to know where everything lands, and where things
//! land depends on how long the contents are. The contents reserve a fixed width for every page
//! number, so their length does not depend on the numbers: the first pass lays out the whole
//! book with blank numbers, the second with the numbers the first pass found — same pages, now
//! numbered. Running headers, "Page X of Y" and marking banners are added once the total is
//! known.

use crate::content::{Block, Content, PartKind};
use crate::layout::{
    render, Align, Bookmark, Column, Face, Flow, Fonts, Item, Laid, PageSetup, PdfError, PdfInfo, Placement, Style, Watermark,
};
use crate::options::Paper;
use std::collections::HashMap;

const BLANK_NOTE: &str = "This page intentionally left blank";

const BODY: Style = Style::new(Face::Regular, 10.0);
const SMALL: Style = Style::new(Face::Regular, 9.0);
const TABLE_HEAD: Style = Style::new(Face::Bold, 9.0);
const NOTE: Style = Style::new(Face::Italic, 9.0).grey(0.3);
const HEADING: Style = Style::new(Face::Bold, 12.0);
const TITLE: Style = Style::new(Face::Bold, 16.0);
const SUBTITLE: Style = Style::new(Face::Italic, 10.0).grey(0.3);

/// A book laid out and ready to print, once or once per recipient.
pub struct PrintedBook {
    laid: Laid,
    outline: Vec<Bookmark>,
    info: PdfInfo,
    draft: bool,
    /// Contents entries with the page numbers printed for them.
    pub contents: Vec<(String, usize)>,
}

impl PrintedBook {
    pub fn page_count(&self) -> usize {
        self.laid.pages.len()
    }

    /// Pages left blank so the next part starts on a right-hand page (1-based page numbers).
    pub fn blank_pages(&self) -> Vec<usize> {
        self.laid.pages.iter().enumerate().filter(|(_, p)| p.blank).map(|(i, _)| i + 1).collect()
    }

    /// The PDF; with `copy`, the numbered copy for one recipient, watermarked with their name.
    pub fn pdf(&self, copy: Option<(usize, &str)>) -> Result<Vec<u8>, PdfError> {
        let mut marks = Vec::new();
        if self.draft {
            marks.push(Watermark { text: "DRAFT".into(), size: 120.0, grey: 0.88, placement: Placement::Diagonal { offset: 0.0 } });
        }
        if let Some((n, name)) = copy {
            let offset = if self.draft { -150.0 } else { 0.0 };
            marks.push(Watermark { text: copy_label(n, name), size: 30.0, grey: 0.85, placement: Placement::Diagonal { offset } });
            marks.push(Watermark { text: copy_label(n, name), size: 7.5, grey: 0.25, placement: Placement::Foot { from_bottom: 33.0 } });
        }
        render(&self.laid, &self.info, &self.outline, &marks)
    }
}

/// What a per-recipient copy says: "Copy 3 — prepared for J. Smith".
pub fn copy_label(n: usize, name: &str) -> String {
    format!("Copy {n} — prepared for {name}")
}

/// Lays the book out. `progress(done, total)` is called as parts are set.
pub fn lay_out(content: &Content, progress: &mut dyn FnMut(usize, usize)) -> PrintedBook {
    let o = &content.options;
    let setup = match o.paper {
        Paper::Letter => PageSetup::letter(),
        Paper::A4 => PageSetup::a4(),
    }
    .with_gutter_mm(o.gutter_mm)
    .with_duplex(o.duplex);
    let fonts = Fonts::embedded();
    let total = content.parts.len() * 2;
    let mut done = 0;
    let first = pass(content, &setup, fonts, None, &mut |_| {
        done += 1;
        progress(done, total)
    });
    let numbers: HashMap<String, usize> = first.anchors.iter().map(|(k, s)| (k.clone(), s.page + 1)).collect();
    let mut laid = pass(content, &setup, fonts, Some(&numbers), &mut |_| {
        done += 1;
        progress(done, total)
    });
    decorate(&mut laid, content, fonts);
    let contents = content.toc.iter().map(|e| (e.title.clone(), laid.anchors.get(&e.anchor).map(|s| s.page + 1).unwrap_or(0))).collect();
    PrintedBook {
        outline: outline(content),
        info: PdfInfo {
            title: o.title.clone(),
            author: o.prepared_by.clone(),
            subject: [o.occasion.as_str(), &format!("as of {}", content.as_of_text)]
                .iter()
                .filter(|s| !s.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            keywords: vec!["briefing book".into(), content.marking.to_string()],
            created: Some(o.as_of),
        },
        draft: o.draft,
        laid,
        contents,
    }
}

fn outline(content: &Content) -> Vec<Bookmark> {
    let mut out = vec![
        Bookmark { title: "Cover".into(), anchor: "cover".into(), children: vec![] },
        Bookmark { title: "Contents".into(), anchor: "contents".into(), children: vec![] },
    ];
    for e in &content.toc {
        let b = Bookmark { title: e.title.clone(), anchor: e.anchor.clone(), children: vec![] };
        match (e.level, out.last_mut()) {
            (1, Some(parent)) => parent.children.push(b),
            _ => out.push(b),
        }
    }
    out
}

fn pass(
    content: &Content,
    setup: &PageSetup,
    fonts: &Fonts,
    numbers: Option<&HashMap<String, usize>>,
    tick: &mut dyn FnMut(usize),
) -> Laid {
    let o = &content.options;
    let mut flow = Flow::new(setup.clone(), fonts);

    // Cover.
    flow.anchor("cover");
    flow.space(setup.height * 0.16);
    flow.paragraph_aligned(Style::new(Face::Bold, 11.0).grey(0.35), "BRIEFING BOOK", Align::Center);
    flow.space(10.0);
    flow.paragraph_aligned(Style::new(Face::Bold, 26.0), &o.title, Align::Center);
    if o.draft {
        flow.space(6.0);
        flow.paragraph_aligned(Style::new(Face::Bold, 12.0).grey(0.3), "DRAFT — not for distribution", Align::Center);
    }
    flow.space(18.0);
    flow.rule(1.2, 0.2);
    flow.space(14.0);
    for (label, value) in &content.cover {
        flow.paragraph_aligned(Style::new(Face::Bold, 9.0).grey(0.4), &label.to_uppercase(), Align::Center);
        flow.paragraph_aligned(Style::new(Face::Regular, 12.0), value, Align::Center);
        flow.space(8.0);
    }

    // Contents.
    flow.new_right_page(BLANK_NOTE);
    flow.set_running_head("Contents");
    flow.anchor("contents");
    heading_block(&mut flow, "Contents", "");
    for e in &content.toc {
        let page = numbers.and_then(|n| n.get(&e.anchor)).map(|p| p.to_string()).unwrap_or_default();
        if e.level == 0 {
            flow.indent = 0.0;
            flow.space(5.0);
            flow.leader_line(Style::new(Face::Bold, 10.5), &e.title, &page, Some(&e.anchor));
        } else {
            flow.indent = 14.0;
            flow.leader_line(SMALL, &e.title, &page, Some(&e.anchor));
        }
    }
    flow.indent = 0.0;

    for (i, part) in content.parts.iter().enumerate() {
        let starts_tab = part.kind != PartKind::Action || part.anchors.len() > 1;
        if starts_tab {
            flow.new_right_page(BLANK_NOTE);
        } else {
            flow.new_page();
        }
        flow.set_running_head(&part.running_head);
        for a in &part.anchors {
            flow.anchor(a);
        }
        if part.kind == PartKind::Divider {
            flow.space(setup.height * 0.12);
            flow.paragraph_aligned(Style::new(Face::Bold, 30.0), &part.title, Align::Center);
            flow.space(6.0);
            flow.paragraph_aligned(Style::new(Face::Bold, 18.0).grey(0.25), &part.subtitle, Align::Center);
            flow.space(24.0);
            flow.rule(1.0, 0.3);
            flow.space(10.0);
        } else {
            heading_block(&mut flow, &part.title, &part.subtitle);
        }
        for b in &part.blocks {
            block(&mut flow, b);
        }
        tick(i);
    }
    flow.finish()
}

fn heading_block(flow: &mut Flow, title: &str, subtitle: &str) {
    flow.paragraph(TITLE, title);
    if !subtitle.is_empty() {
        flow.paragraph(SUBTITLE, subtitle);
    }
    flow.space(3.0);
    flow.rule(0.8, 0.25);
    flow.space(6.0);
}

fn block(flow: &mut Flow, b: &Block) {
    match b {
        Block::Heading(t) => {
            flow.space(8.0);
            // Keep a heading with a few lines of what follows it.
            flow.ensure(HEADING.line_height() + BODY.line_height() * 3.0);
            flow.paragraph(HEADING, t);
            flow.space(2.0);
        }
        Block::Para(t) => {
            flow.paragraph(BODY, t);
            flow.space(4.0);
        }
        Block::Note(t) => {
            // A note introduces what follows it: never leave it alone at the foot of a page.
            flow.ensure(NOTE.line_height() + BODY.line_height());
            flow.paragraph(NOTE, t);
            flow.space(2.0);
        }
        Block::Fields(pairs) => {
            flow.pairs(pairs, Style::new(Face::Bold, 9.5).grey(0.25), Style::new(Face::Regular, 9.5), 110.0);
            flow.space(2.0);
        }
        Block::Table { columns, rows } => {
            let cols: Vec<Column> = columns
                .iter()
                .map(|c| {
                    let col = Column::new(&c.title, c.share);
                    if c.right {
                        col.right()
                    } else {
                        col
                    }
                })
                .collect();
            flow.table(&cols, rows, SMALL, TABLE_HEAD);
        }
        Block::Bars(bars) => {
            let row = 18.0;
            flow.block(bars.len() as f32 * row + 6.0, |fonts, x, y, w, items| {
                let label_w = 170.0;
                let value_w = 70.0;
                let bar_w = (w - label_w - value_w).max(40.0);
                for (i, (label, value, text)) in bars.iter().enumerate() {
                    let top = y + i as f32 * row + 3.0;
                    items.push(Item::Text { x, y: top + 10.0, style: SMALL, text: fonts.printable(Face::Regular, label) });
                    items.push(Item::Rect { x: x + label_w, y: top, w: bar_w, h: 12.0, fill: 0.9 });
                    let filled = bar_w * (value.clamp(0.0, 100.0) / 100.0);
                    if filled > 0.0 {
                        items.push(Item::Rect { x: x + label_w, y: top, w: filled, h: 12.0, fill: 0.35 });
                    }
                    let tw = fonts.width(Face::Bold, 9.0, text);
                    items.push(Item::Text { x: x + w - tw, y: top + 10.0, style: TABLE_HEAD, text: fonts.printable(Face::Bold, text) });
                }
            });
        }
    }
}

/// Marking banners on every page; running header and "Page X of Y" on every page but the cover.
fn decorate(laid: &mut Laid, content: &Content, fonts: &Fonts) {
    let setup = laid.setup.clone().unwrap_or_else(PageSetup::letter);
    let total = laid.pages.len();
    let marking = content.marking.to_string();
    let banner = Style::new(Face::Bold, 10.0);
    let small = Style::new(Face::Regular, 8.0).grey(0.3);
    let head = Style::new(Face::Italic, 8.0).grey(0.3);
    let title = fonts.printable(Face::Italic, &content.options.title);
    let as_of = format!("As of {}", content.as_of_text);
    for (i, page) in laid.pages.iter_mut().enumerate() {
        let left = setup.left(i);
        let width = setup.text_width();
        let centre = |style: Style, text: &str| left + (width - fonts.width(style.face, style.size, text)) / 2.0;
        let right = |style: Style, text: &str| left + width - fonts.width(style.face, style.size, text);
        let mut add = vec![
            Item::Text { x: centre(banner, &marking), y: 30.0, style: banner, text: marking.clone() },
            Item::Text { x: centre(banner, &marking), y: setup.height - 20.0, style: banner, text: marking.clone() },
        ];
        if i > 0 {
            let page_no = format!("Page {} of {}", i + 1, total);
            let running = fonts.printable(Face::Italic, &page.running_head);
            // Page numbers sit on the outer edge: right on right-hand pages, left on left-hand ones.
            let outer_right = !setup.duplex || i % 2 == 0;
            let (num_x, asof_x) = if outer_right { (right(small, &page_no), left) } else { (left, right(small, &as_of)) };
            add.extend([
                Item::Text { x: left, y: 52.0, style: head, text: title.clone() },
                Item::Text { x: right(head, &running), y: 52.0, style: head, text: running },
                Item::Line { x1: left, y1: 57.0, x2: left + width, y2: 57.0, width: 0.4, grey: 0.5 },
                Item::Line { x1: left, y1: setup.height - 56.0, x2: left + width, y2: setup.height - 56.0, width: 0.4, grey: 0.5 },
                Item::Text { x: num_x, y: setup.height - 44.0, style: small, text: page_no },
                Item::Text { x: asof_x, y: setup.height - 44.0, style: small, text: as_of.clone() },
            ]);
        }
        page.items.extend(add);
    }
}
