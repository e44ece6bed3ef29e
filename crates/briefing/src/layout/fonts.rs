//! The font family books are set in, and how wide text is in it.
//!
//! DejaVu Serif (regular, bold, italic; Bitstream Vera licence, see `assets/fonts/`) ships inside
//! the binary so a book prints the same on every machine, with or without the font installed.
//! Widths come from the font's own `hmtx` table: wrapping decides line breaks on the same numbers
//! the PDF viewer uses to draw, so no line can run past the margin.

use printpdf::ParsedFont;
use std::sync::OnceLock;

/// One face of the family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Face {
    Regular,
    Bold,
    Italic,
}

impl Face {
    pub const ALL: [Face; 3] = [Face::Regular, Face::Bold, Face::Italic];
    pub(crate) fn index(self) -> usize {
        self as usize
    }
    /// PostScript name of the face (what `pdffonts` shows after the subset tag).
    pub fn postscript_name(self) -> &'static str {
        ["DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic"][self.index()]
    }
}

const MISSING: u16 = u16::MAX;

/// Metrics of one face: advance widths for the Basic Multilingual Plane, indexed by code point.
pub struct FaceMetrics {
    pub bytes: &'static [u8],
    units_per_em: f32,
    /// Advance width in font units; `MISSING` when the font has no glyph for the code point.
    widths: Vec<u16>,
    /// Ascender and descender (descender negative), in font units.
    pub ascent: f32,
    pub descent: f32,
}

/// The shipped family.
pub struct Fonts {
    faces: [FaceMetrics; 3],
}

static FONTS: OnceLock<Fonts> = OnceLock::new();

impl Fonts {
    /// The family compiled into the binary (parsed once per process).
    pub fn embedded() -> &'static Fonts {
        FONTS.get_or_init(|| Fonts {
            faces: [
                FaceMetrics::parse(include_bytes!("../../assets/fonts/DejaVuSerif.ttf")),
                FaceMetrics::parse(include_bytes!("../../assets/fonts/DejaVuSerif-Bold.ttf")),
                FaceMetrics::parse(include_bytes!("../../assets/fonts/DejaVuSerif-Italic.ttf")),
            ],
        })
    }

    pub fn face(&self, face: Face) -> &FaceMetrics {
        &self.faces[face.index()]
    }

    /// Width of `text` set in `face` at `size` points, in points.
    pub fn width(&self, face: Face, size: f32, text: &str) -> f32 {
        let f = self.face(face);
        let units: u32 = text.chars().map(|c| f.advance(c) as u32).sum();
        units as f32 * size / f.units_per_em
    }

    /// Whether the face can draw `c`.
    pub fn covers(&self, face: Face, c: char) -> bool {
        self.face(face).glyph_width(c).is_some()
    }

    /// `text` with every character the face cannot draw replaced by `?` and control characters
    /// (tabs, stray returns) by spaces, so nothing prints as an invisible or empty box.
    pub fn printable(&self, face: Face, text: &str) -> String {
        text.chars()
            .map(|c| {
                if c.is_control() {
                    ' '
                } else if self.covers(face, c) {
                    c
                } else {
                    '?'
                }
            })
            .collect()
    }
}

impl FaceMetrics {
    fn parse(bytes: &'static [u8]) -> FaceMetrics {
        let font = ParsedFont::from_bytes(bytes, 0, &mut Vec::new()).expect("the shipped font parses");
        let mut widths = vec![MISSING; 0x10000];
        for (&cp, &gid) in &font.codepoint_to_glyph {
            if cp < 0x10000 && gid != 0 {
                widths[cp as usize] = font.get_glyph_width(gid).unwrap_or(0).min(MISSING - 1);
            }
        }
        FaceMetrics {
            bytes,
            units_per_em: font.units_per_em as f32,
            widths,
            ascent: font.font_metrics.ascent as f32,
            descent: font.font_metrics.descent as f32,
        }
    }

    fn glyph_width(&self, c: char) -> Option<u16> {
        let w = *self.widths.get(c as usize)?;
        (w != MISSING).then_some(w)
    }

    /// Advance of `c`; characters the face lacks measure as `?`, which is what prints instead.
    fn advance(&self, c: char) -> u16 {
        self.glyph_width(c).or_else(|| self.glyph_width('?')).unwrap_or(0)
    }

    pub fn units_per_em(&self) -> f32 {
        self.units_per_em
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_scale_with_size_and_add_up() {
        let f = Fonts::embedded();
        let a = f.width(Face::Regular, 10.0, "Mandate");
        assert!(a > 20.0 && a < 60.0, "{a}");
        assert!((f.width(Face::Regular, 20.0, "Mandate") - 2.0 * a).abs() < 0.01);
        assert!((f.width(Face::Regular, 10.0, "Man") + f.width(Face::Regular, 10.0, "date") - a).abs() < 0.01);
        assert!(f.width(Face::Bold, 10.0, "Mandate") > a, "bold is wider");
    }

    #[test]
    fn accents_dashes_and_quotes_are_covered_and_others_print_as_question_marks() {
        let f = Fonts::embedded();
        for c in "éüñ—“”‘’½Ωж".chars() {
            assert!(f.covers(Face::Regular, c), "{c}");
        }
        assert_eq!(f.printable(Face::Regular, "a\tb\u{10FFFF}c"), "a b?c");
        assert!(!f.covers(Face::Regular, '中'));
        assert_eq!(f.printable(Face::Regular, "中"), "?");
    }
}
