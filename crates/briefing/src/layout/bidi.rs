//! Right-to-left text (Hebrew, Arabic) in the order it is drawn.
//!
//! A PDF draws glyphs left to right where it is told; reading order is the reader's business.
//! Lines are kept in logical (typed) order everywhere else and turned into visual order by the
//! Unicode Bidirectional Algorithm (UAX #9, the `unicode-bidi` crate) only when drawn, so a
//! Hebrew title inside an English line reads right to left and the numbers in it stay as typed.

use std::borrow::Cow;

/// `line` (one line, no line breaks) in the left-to-right order its characters are drawn.
pub fn visual_order(line: &str) -> Cow<'_, str> {
    // The book reads left to right: each line is an LTR paragraph, whatever its first letter.
    let info = unicode_bidi::BidiInfo::new(line, Some(unicode_bidi::Level::ltr()));
    if !info.has_rtl() {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len());
    for para in &info.paragraphs {
        out.push_str(&info.reorder_line(para, para.range.clone()));
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn left_to_right_text_is_untouched_and_right_to_left_runs_are_reversed() {
        assert!(matches!(visual_order("Plain English 123"), Cow::Borrowed(_)));
        // "shalom" (שלום) inside an English line: the Hebrew run is drawn last letter first.
        assert_eq!(visual_order("EO 1: שלום now"), "EO 1: םולש now");
        // A number before a Hebrew title stays first (the book's lines run left to right), and
        // digits keep their order.
        assert_eq!(visual_order("2026-0004 — שלום"), "2026-0004 — םולש");
        // A number right after Hebrew joins its run (UAX #9, rule N1), as every viewer shows it.
        assert_eq!(visual_order("שלום 2026"), "2026 םולש");
    }
}
