//! A small flowing-layout engine: text that wraps, pages that break, tables that repeat their
//! header, anchors that later become page numbers and links.
//!
//! It knows nothing about briefing books. Content is poured in top to bottom; the engine keeps a
//! cursor, starts a new page when the next line would cross the bottom margin, and records every
//! mark as an [`Item`] in page coordinates (points, origin top-left). The PDF and any other
//! renderer only draw items, so what was measured here is exactly what prints.

use super::fonts::{Face, Fonts};
use std::collections::HashMap;

/// Paper, margins and binding. All lengths in points (1/72 in).
#[derive(Clone, Debug, PartialEq)]
pub struct PageSetup {
    pub width: f32,
    pub height: f32,
    pub top: f32,
    pub bottom: f32,
    /// Margin on the side away from the binding.
    pub outer: f32,
    /// Margin on the binding side, gutter included.
    pub inner: f32,
    /// Printed on both sides: the binding edge alternates, and right-hand pages have odd numbers.
    pub duplex: bool,
}

pub const MM: f32 = 72.0 / 25.4;

impl PageSetup {
    pub fn letter() -> PageSetup {
        PageSetup::new(612.0, 792.0)
    }
    pub fn a4() -> PageSetup {
        PageSetup::new(210.0 * MM, 297.0 * MM)
    }
    fn new(width: f32, height: f32) -> PageSetup {
        PageSetup { width, height, top: 72.0, bottom: 68.0, outer: 60.0, inner: 60.0, duplex: false }
    }
    /// Adds a binding gutter (in millimetres) to the binding-side margin.
    pub fn with_gutter_mm(mut self, gutter: f32) -> PageSetup {
        self.inner += gutter.max(0.0) * MM;
        self
    }
    pub fn with_duplex(mut self, duplex: bool) -> PageSetup {
        self.duplex = duplex;
        self
    }
    /// Left edge of the text block on the page at `index` (0-based; index 0 is page 1, a
    /// right-hand page, bound on its left).
    pub fn left(&self, index: usize) -> f32 {
        if self.duplex && index % 2 == 1 {
            self.outer
        } else {
            self.inner
        }
    }
    pub fn text_width(&self) -> f32 {
        self.width - self.inner - self.outer
    }
    pub fn text_bottom(&self) -> f32 {
        self.height - self.bottom
    }
}

/// How a run of text looks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Style {
    pub face: Face,
    pub size: f32,
    /// Line height as a multiple of the size.
    pub leading: f32,
    /// 0 = black, 1 = white. Books print in greyscale.
    pub grey: f32,
}

impl Style {
    pub const fn new(face: Face, size: f32) -> Style {
        Style { face, size, leading: 1.3, grey: 0.0 }
    }
    pub const fn grey(mut self, grey: f32) -> Style {
        self.grey = grey;
        self
    }
    pub fn line_height(&self) -> f32 {
        self.size * self.leading
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
    Center,
}

/// One mark on a page. Coordinates in points from the page's top-left corner; `y` of text is
/// its baseline.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Text {
        x: f32,
        y: f32,
        style: Style,
        text: String,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
        grey: f32,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: f32,
    },
    /// A clickable area that jumps to an anchor.
    Link {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        target: String,
    },
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    pub items: Vec<Item>,
    /// What the running header names on this page (e.g. the tab).
    pub running_head: String,
    /// A page left blank so the next part starts on a right-hand page.
    pub blank: bool,
}

/// Where an anchor landed: page index (0-based) and y from the top.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spot {
    pub page: usize,
    pub y: f32,
}

/// A laid-out document: pages and where each anchor landed.
#[derive(Clone, Debug, Default)]
pub struct Laid {
    pub setup: Option<PageSetup>,
    pub pages: Vec<Page>,
    pub anchors: HashMap<String, Spot>,
}

/// The cursor-driven layout engine.
pub struct Flow<'f> {
    pub setup: PageSetup,
    pub fonts: &'f Fonts,
    pages: Vec<Page>,
    anchors: HashMap<String, Spot>,
    y: f32,
    running_head: String,
    /// Extra left indent for the text block (points).
    pub indent: f32,
}

/// A table column: its heading, its share of the table width, and how cells align.
#[derive(Clone, Debug)]
pub struct Column {
    pub title: String,
    pub share: f32,
    pub align: Align,
}

impl Column {
    pub fn new(title: &str, share: f32) -> Column {
        Column { title: title.to_string(), share, align: Align::Left }
    }
    pub fn right(mut self) -> Column {
        self.align = Align::Right;
        self
    }
}

const CELL_PAD: f32 = 3.5;

impl<'f> Flow<'f> {
    pub fn new(setup: PageSetup, fonts: &'f Fonts) -> Flow<'f> {
        Flow { y: setup.top, setup, fonts, pages: Vec::new(), anchors: HashMap::new(), running_head: String::new(), indent: 0.0 }
    }

    /// Number of pages begun so far.
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// Index of the current page (starting one if none has been).
    pub fn page_index(&mut self) -> usize {
        if self.pages.is_empty() {
            self.push_page(false);
        }
        self.pages.len() - 1
    }

    fn push_page(&mut self, blank: bool) {
        self.pages.push(Page { items: Vec::new(), running_head: self.running_head.clone(), blank });
        self.y = self.setup.top;
    }

    fn items(&mut self) -> &mut Vec<Item> {
        let i = self.page_index();
        &mut self.pages[i].items
    }

    /// Draws an item on the current page (for content the engine does not lay out itself).
    pub fn draw(&mut self, item: Item) {
        self.items().push(item);
    }

    pub fn new_page(&mut self) {
        self.push_page(false);
    }

    /// Starts a new page that is a right-hand (odd-numbered) page when printing duplex, leaving
    /// a blank page with `blank_note` centred on it when needed.
    pub fn new_right_page(&mut self, blank_note: &str) {
        self.new_page();
        if self.setup.duplex && (self.pages.len() - 1) % 2 == 1 {
            let last = self.pages.len() - 1;
            self.pages[last].blank = true;
            let style = Style::new(Face::Italic, 10.0).grey(0.35);
            let w = self.fonts.width(style.face, style.size, blank_note);
            let x = (self.setup.width - w) / 2.0;
            let y = self.setup.height / 2.0;
            self.pages[last].items.push(Item::Text { x, y, style, text: blank_note.to_string() });
            self.new_page();
        }
    }

    /// Sets what the running header names, from the current page on.
    pub fn set_running_head(&mut self, head: &str) {
        self.running_head = head.to_string();
        if let Some(p) = self.pages.last_mut() {
            if p.items.is_empty() {
                p.running_head = head.to_string();
            }
        }
    }

    /// Left edge of the text block on the current page, indent included.
    pub fn left(&mut self) -> f32 {
        let i = self.page_index();
        self.setup.left(i) + self.indent
    }

    pub fn width(&self) -> f32 {
        self.setup.text_width() - self.indent
    }

    /// Current y (top of the next line).
    pub fn y(&self) -> f32 {
        self.y
    }

    pub fn remaining(&self) -> f32 {
        self.setup.text_bottom() - self.y
    }

    /// Starts a new page unless `height` points still fit on this one.
    pub fn ensure(&mut self, height: f32) {
        self.page_index();
        if self.remaining() < height {
            self.new_page();
        }
    }

    pub fn space(&mut self, height: f32) {
        self.page_index();
        self.y += height;
        if self.y > self.setup.text_bottom() {
            self.new_page();
        }
    }

    /// Records that `name` is here (the top of the next line).
    pub fn anchor(&mut self, name: &str) {
        let page = self.page_index();
        self.anchors.insert(name.to_string(), Spot { page, y: self.y });
    }

    /// Wraps `text` to the text width and sets it line by line, breaking pages as needed.
    pub fn paragraph(&mut self, style: Style, text: &str) {
        self.paragraph_aligned(style, text, Align::Left);
    }

    pub fn paragraph_aligned(&mut self, style: Style, text: &str, align: Align) {
        let text = self.fonts.printable(style.face, text);
        let width = self.width();
        for line in wrap(self.fonts, style, &text, width) {
            self.ensure(style.line_height());
            let x = self.left() + offset(align, width, self.fonts.width(style.face, style.size, &line));
            let y = self.y + baseline(style);
            self.y += style.line_height();
            if !line.is_empty() {
                self.items().push(Item::Text { x, y, style, text: line });
            }
        }
    }

    /// One line with `left` text and `right` text flush right, joined by dot leaders; the whole
    /// line links to `target` when given. Left text that does not fit is wrapped above.
    pub fn leader_line(&mut self, style: Style, left: &str, right: &str, target: Option<&str>) {
        let fonts = self.fonts;
        let right = fonts.printable(style.face, right);
        let right_w = fonts.width(style.face, style.size, &right);
        // Room for the number is fixed so the wrap does not depend on which number it is.
        let reserve = fonts.width(style.face, style.size, "0000") + 12.0;
        let left_text = fonts.printable(style.face, left);
        let lines = wrap(fonts, style, &left_text, self.width() - reserve.max(right_w + 12.0));
        let height = style.line_height() * lines.len() as f32;
        self.ensure(height);
        let top = self.y;
        let x0 = self.left();
        let width = self.width();
        let n = lines.len();
        for (i, line) in lines.into_iter().enumerate() {
            let y = self.y + baseline(style);
            let w = fonts.width(style.face, style.size, &line);
            if i + 1 == n {
                let dot_w = fonts.width(style.face, style.size, " .");
                let start = x0 + w + 6.0;
                let end = x0 + width - right_w - 6.0;
                let dots = if end > start { ((end - start) / dot_w).floor() as usize } else { 0 };
                if dots > 0 {
                    let leader = " .".repeat(dots);
                    let lw = fonts.width(style.face, style.size, &leader);
                    self.items().push(Item::Text { x: end - lw, y, style: style.grey(0.45), text: leader });
                }
                self.items().push(Item::Text { x: x0 + width - right_w, y, style, text: right.clone() });
            }
            self.items().push(Item::Text { x: x0, y, style, text: line });
            self.y += style.line_height();
        }
        if let Some(target) = target {
            self.items().push(Item::Link { x: x0, y: top, w: width, h: height, target: target.to_string() });
        }
    }

    /// Label–value pairs: labels in a column of `label_width` points, values wrapped beside them.
    pub fn pairs(&mut self, pairs: &[(String, String)], label: Style, value: Style, label_width: f32) {
        let fonts = self.fonts;
        for (l, v) in pairs {
            let llines = wrap(fonts, label, &fonts.printable(label.face, l), label_width - 6.0);
            let vlines = wrap(fonts, value, &fonts.printable(value.face, v), self.width() - label_width);
            let lh = label.line_height().max(value.line_height());
            let n = llines.len().max(vlines.len());
            self.ensure(lh * n.min(3) as f32);
            for i in 0..n {
                self.ensure(lh);
                let x = self.left();
                let y = self.y + baseline(value);
                if let Some(t) = llines.get(i).filter(|t| !t.is_empty()) {
                    self.items().push(Item::Text { x, y, style: label, text: t.clone() });
                }
                if let Some(t) = vlines.get(i).filter(|t| !t.is_empty()) {
                    self.items().push(Item::Text { x: x + label_width, y, style: value, text: t.clone() });
                }
                self.y += lh;
            }
        }
    }

    /// A horizontal rule across the text block.
    pub fn rule(&mut self, width: f32, grey: f32) {
        self.ensure(width + 2.0);
        let x1 = self.left();
        let x2 = x1 + self.width();
        let y = self.y + width / 2.0;
        self.items().push(Item::Line { x1, y1: y, x2, y2: y, width, grey });
        self.y += width + 2.0;
    }

    /// Reserves `height` points on one page and lets `draw` place items in that box
    /// (`x`, `y` of its top-left corner, its width).
    pub fn block(&mut self, height: f32, draw: impl FnOnce(&Fonts, f32, f32, f32, &mut Vec<Item>)) {
        self.ensure(height);
        let (x, y, w) = (self.left(), self.y, self.width());
        let fonts = self.fonts;
        let mut items = Vec::new();
        draw(fonts, x, y, w, &mut items);
        self.items().extend(items);
        self.y += height;
    }

    /// A table across the text block. Rows never split unless a single row is taller than a
    /// page; on every new page the header row is drawn again.
    pub fn table(&mut self, columns: &[Column], rows: &[Vec<String>], body: Style, head: Style) {
        let total: f32 = columns.iter().map(|c| c.share).sum::<f32>().max(f32::EPSILON);
        let width = self.width();
        let widths: Vec<f32> = columns.iter().map(|c| c.share / total * width).collect();
        let fonts = self.fonts;
        let cell_lines = |style: Style, cells: &[String]| -> Vec<Vec<String>> {
            cells.iter().zip(&widths).map(|(cell, w)| wrap(fonts, style, &fonts.printable(style.face, cell), w - 2.0 * CELL_PAD)).collect()
        };
        let titles: Vec<String> = columns.iter().map(|c| c.title.clone()).collect();
        let head_lines = cell_lines(head, &titles);
        let head_h = row_height(&head_lines, head);
        let first_row_h = rows.first().map(|r| row_height(&cell_lines(body, r), body)).unwrap_or(0.0);
        // Keep the header with at least the first row.
        self.ensure(head_h + first_row_h.min(body.line_height() * 3.0 + 2.0 * CELL_PAD));
        self.table_row(&widths, columns, &head_lines, head, Some(0.88));
        for row in rows {
            let mut lines = cell_lines(body, row);
            loop {
                let h = row_height(&lines, body);
                if h <= self.remaining() {
                    self.table_row(&widths, columns, &lines, body, None);
                    break;
                }
                let fresh_page = self.setup.text_bottom() - self.setup.top - head_h;
                if h <= fresh_page {
                    self.new_page();
                    self.table_row(&widths, columns, &head_lines, head, Some(0.88));
                    continue;
                }
                // Taller than a page: set what fits, carry the rest over.
                let fit = (((self.remaining() - 2.0 * CELL_PAD) / body.line_height()).floor() as usize).max(1);
                let rest: Vec<Vec<String>> = lines.iter_mut().map(|c| c.split_off(fit.min(c.len()))).collect();
                self.table_row(&widths, columns, &lines, body, None);
                lines = rest;
                self.new_page();
                self.table_row(&widths, columns, &head_lines, head, Some(0.88));
            }
        }
        self.y += 4.0;
    }

    fn table_row(&mut self, widths: &[f32], columns: &[Column], lines: &[Vec<String>], style: Style, fill: Option<f32>) {
        let h = row_height(lines, style);
        let top = self.y;
        let mut x = self.left();
        let total_w: f32 = widths.iter().sum();
        if let Some(fill) = fill {
            let x0 = x;
            self.items().push(Item::Rect { x: x0, y: top, w: total_w, h, fill });
        }
        let fonts = self.fonts;
        for ((cell, w), col) in lines.iter().zip(widths).zip(columns) {
            for (i, line) in cell.iter().enumerate() {
                let lw = fonts.width(style.face, style.size, line);
                let lx = x + CELL_PAD + offset(col.align, w - 2.0 * CELL_PAD, lw);
                let ly = top + CELL_PAD + i as f32 * style.line_height() + baseline(style);
                if !line.is_empty() {
                    self.items().push(Item::Text { x: lx, y: ly, style, text: line.clone() });
                }
            }
            x += w;
        }
        let x1 = self.left();
        self.items().push(Item::Line { x1, y1: top + h, x2: x1 + total_w, y2: top + h, width: 0.4, grey: 0.6 });
        self.y += h;
    }

    /// Ends the layout.
    pub fn finish(self) -> Laid {
        Laid { setup: Some(self.setup), pages: self.pages, anchors: self.anchors }
    }
}

fn row_height(lines: &[Vec<String>], style: Style) -> f32 {
    let n = lines.iter().map(|c| c.len()).max().unwrap_or(1).max(1);
    n as f32 * style.line_height() + 2.0 * CELL_PAD
}

/// Distance from the top of a line box to the baseline.
fn baseline(style: Style) -> f32 {
    style.size * (style.leading - 1.0) / 2.0 + style.size * 0.8
}

fn offset(align: Align, width: f32, used: f32) -> f32 {
    match align {
        Align::Left => 0.0,
        Align::Right => (width - used).max(0.0),
        Align::Center => ((width - used) / 2.0).max(0.0),
    }
}

/// Breaks `text` into lines no wider than `width`: at spaces where it can, inside a word only
/// when the word alone is wider than the line. `\n` starts a new line; blank lines are kept.
pub fn wrap(fonts: &Fonts, style: Style, text: &str, width: f32) -> Vec<String> {
    let measure = |s: &str| fonts.width(style.face, style.size, s);
    let space = measure(" ");
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut line_w = 0.0;
        for word in para.split(' ').filter(|w| !w.is_empty()) {
            let mut word_w = measure(word);
            let mut word = word.to_string();
            if !line.is_empty() && line_w + space + word_w <= width {
                line.push(' ');
                line.push_str(&word);
                line_w += space + word_w;
                continue;
            }
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            // A word wider than the line is cut where it must be.
            while word_w > width {
                let mut cut = String::new();
                let mut cut_w = 0.0;
                let mut rest = word.chars().peekable();
                while let Some(&c) = rest.peek() {
                    let cw = measure(c.encode_utf8(&mut [0; 4]));
                    if cut_w + cw > width && !cut.is_empty() {
                        break;
                    }
                    cut.push(c);
                    cut_w += cw;
                    rest.next();
                }
                word = rest.collect();
                word_w = measure(&word);
                out.push(cut);
            }
            line = word;
            line_w = word_w;
        }
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style() -> Style {
        Style::new(Face::Regular, 10.0)
    }

    #[test]
    fn wrap_keeps_every_line_inside_the_width_and_loses_no_word() {
        let fonts = Fonts::embedded();
        let text = "The Secretary shall, within 90 days of the date of this order, submit to the President a report — “naïve café” — on the results. Supercalifragilisticexpialidocious_with_no_break_anywhere_at_all_in_it_for_a_long_while";
        let lines = wrap(fonts, style(), text, 150.0);
        assert!(lines.len() > 4);
        for l in &lines {
            assert!(fonts.width(Face::Regular, 10.0, l) <= 150.0 + 0.01, "{l}");
        }
        assert_eq!(lines.concat().replace(' ', ""), text.replace(' ', ""));
    }

    #[test]
    fn wrap_keeps_paragraph_breaks() {
        let lines = wrap(Fonts::embedded(), style(), "one\n\ntwo", 300.0);
        assert_eq!(lines, vec!["one", "", "two"]);
    }

    #[test]
    fn paragraphs_break_pages_and_stay_inside_the_margins() {
        let setup = PageSetup::letter().with_duplex(true).with_gutter_mm(10.0);
        let mut flow = Flow::new(setup.clone(), Fonts::embedded());
        let text = "word ".repeat(4000);
        flow.paragraph(style(), &text);
        let laid = flow.finish();
        assert!(laid.pages.len() > 3);
        for (i, page) in laid.pages.iter().enumerate() {
            for item in &page.items {
                if let Item::Text { x, y, style, text } = item {
                    let w = Fonts::embedded().width(style.face, style.size, text);
                    assert!(*x >= setup.left(i) - 0.01 && x + w <= setup.left(i) + setup.text_width() + 0.01, "page {i}");
                    assert!(*y <= setup.text_bottom() && *y >= setup.top, "page {i} y {y}");
                }
            }
        }
        // Duplex: the binding side alternates.
        assert!(setup.left(0) > setup.left(1));
    }

    #[test]
    fn right_pages_get_a_blank_page_before_them_when_duplex() {
        let mut flow = Flow::new(PageSetup::letter().with_duplex(true), Fonts::embedded());
        flow.paragraph(style(), "page one");
        flow.new_right_page("This page intentionally left blank");
        assert_eq!(flow.page_count(), 3);
        flow.new_right_page("This page intentionally left blank");
        let laid = flow.finish();
        assert_eq!(laid.pages.len(), 5);
        assert!(laid.pages[1].blank && laid.pages[3].blank && !laid.pages[2].blank);
    }

    #[test]
    fn tables_repeat_their_header_on_each_page() {
        let mut flow = Flow::new(PageSetup::letter(), Fonts::embedded());
        let cols = [Column::new("Office", 2.0), Column::new("Role", 1.0), Column::new("Suspense", 1.0).right()];
        let rows: Vec<Vec<String>> = (0..120).map(|i| vec![format!("Office {i}"), "OCR".into(), "2026-12-01".into()]).collect();
        flow.table(&cols, &rows, style(), Style::new(Face::Bold, 10.0));
        let laid = flow.finish();
        assert!(laid.pages.len() >= 3);
        for page in &laid.pages {
            let heads = page.items.iter().filter(|i| matches!(i, Item::Text { text, .. } if text == "Office")).count();
            assert_eq!(heads, 1, "each page has the header once");
        }
        let cells: usize = laid
            .pages
            .iter()
            .flat_map(|p| &p.items)
            .filter(|i| matches!(i, Item::Text { text, .. } if text.starts_with("Office ")))
            .count();
        assert_eq!(cells, 120, "no row lost or repeated");
    }

    #[test]
    fn a_row_taller_than_a_page_is_split_not_lost() {
        let mut flow = Flow::new(PageSetup::letter(), Fonts::embedded());
        let cols = [Column::new("Risk", 1.0), Column::new("Mitigation", 3.0)];
        let long = (0..400).map(|i| format!("step{i}")).collect::<Vec<_>>().join(" ");
        flow.table(&cols, &[vec!["R1".into(), long]], style(), Style::new(Face::Bold, 10.0));
        let laid = flow.finish();
        assert!(laid.pages.len() >= 2);
        let text: String = laid
            .pages
            .iter()
            .flat_map(|p| &p.items)
            .filter_map(|i| if let Item::Text { text, .. } = i { Some(text.clone()) } else { None })
            .collect::<Vec<_>>()
            .join(" ");
        assert!(text.contains("step0 ") && text.contains("step399"));
    }
}
