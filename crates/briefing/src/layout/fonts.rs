//! The font family books are set in, the fonts that draw what it cannot, and how wide text is.
//!
//! DejaVu Serif (regular, bold, italic; Bitstream Vera licence, see `assets/fonts/`) ships inside
//! the binary so a book prints the same on every machine, with or without the font installed.
//! Characters it lacks come from fallback fonts shipped the same way: DejaVu Sans (Hebrew,
//! Arabic and other alphabets) and Droid Sans Fallback (Chinese, Japanese, Korean; Apache 2.0).
//! Each font is subset per book to the glyphs it draws, so a book without such text carries none
//! of them. Widths come from each font's own `hmtx` table: wrapping decides line breaks on the
//! same numbers the PDF viewer uses to draw, so no line can run past the margin.

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

/// The font that draws a piece of text: a face of the family, or a fallback.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FontRef {
    Face(Face),
    Fallback(usize),
}

impl FontRef {
    pub fn postscript_name(self) -> &'static str {
        match self {
            FontRef::Face(f) => f.postscript_name(),
            FontRef::Fallback(i) => FALLBACK_NAMES[i],
        }
    }
    /// A small number per font, for resource names (`F1`…).
    pub fn number(self) -> usize {
        match self {
            FontRef::Face(f) => f.index() + 1,
            FontRef::Fallback(i) => 4 + i,
        }
    }
}

const FALLBACK_NAMES: [&str; 2] = ["DejaVuSans", "DroidSansFallback"];

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

/// The shipped family and its fallbacks.
pub struct Fonts {
    faces: [FaceMetrics; 3],
    fallbacks: [FaceMetrics; 2],
}

static FONTS: OnceLock<Fonts> = OnceLock::new();

impl Fonts {
    /// The fonts compiled into the binary (parsed once per process).
    pub fn embedded() -> &'static Fonts {
        FONTS.get_or_init(|| Fonts {
            faces: [
                FaceMetrics::parse(include_bytes!("../../assets/fonts/DejaVuSerif.ttf")),
                FaceMetrics::parse(include_bytes!("../../assets/fonts/DejaVuSerif-Bold.ttf")),
                FaceMetrics::parse(include_bytes!("../../assets/fonts/DejaVuSerif-Italic.ttf")),
            ],
            fallbacks: [
                FaceMetrics::parse(include_bytes!("../../assets/fonts/DejaVuSans.ttf")),
                FaceMetrics::parse(include_bytes!("../../assets/fonts/DroidSansFallback.ttf")),
            ],
        })
    }

    pub fn face(&self, face: Face) -> &FaceMetrics {
        &self.faces[face.index()]
    }

    pub fn font(&self, font: FontRef) -> &FaceMetrics {
        match font {
            FontRef::Face(f) => self.face(f),
            FontRef::Fallback(i) => &self.fallbacks[i],
        }
    }

    /// The font that draws `c` in `face`: the face itself when it can, else the first fallback
    /// that can (what it cannot draw at all prints as the face's `?`).
    pub fn font_for(&self, face: Face, c: char) -> FontRef {
        if self.face(face).glyph_width(c).is_some() {
            return FontRef::Face(face);
        }
        match self.fallbacks.iter().position(|f| f.glyph_width(c).is_some()) {
            Some(i) => FontRef::Fallback(i),
            None => FontRef::Face(face),
        }
    }

    /// `text` cut into pieces each drawn by one font, in order.
    pub fn runs(&self, face: Face, text: &str) -> Vec<(FontRef, String)> {
        let mut out: Vec<(FontRef, String)> = Vec::new();
        for c in text.chars() {
            let f = self.font_for(face, c);
            match out.last_mut() {
                Some((last, s)) if *last == f => s.push(c),
                _ => out.push((f, c.to_string())),
            }
        }
        out
    }

    /// Width of `text` set in `face` at `size` points, in points (each character in the font
    /// that draws it, Arabic letters in the joined forms they are drawn in).
    pub fn width(&self, face: Face, size: f32, text: &str) -> f32 {
        super::arabic::shape(text)
            .chars()
            .map(|c| {
                let f = self.font(self.font_for(face, c));
                f.advance(c) as f32 / f.units_per_em
            })
            .sum::<f32>()
            * size
    }

    /// Whether `face`, or a fallback, can draw `c`.
    pub fn covers(&self, face: Face, c: char) -> bool {
        self.font(self.font_for(face, c)).glyph_width(c).is_some()
    }

    /// `text` with every character no font can draw replaced by `?` and control characters
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
    }

    #[test]
    fn other_scripts_come_from_the_fallbacks() {
        let f = Fonts::embedded();
        for (text, font) in [("中文", 1), ("日本語", 1), ("한국어", 1), ("עברית", 0), ("العربية", 0)] {
            assert_eq!(f.printable(Face::Regular, text), text);
            let runs = f.runs(Face::Bold, &format!("EO 1: {text}"));
            assert_eq!(runs.len(), 2, "{runs:?}");
            assert_eq!(runs[0], (FontRef::Face(Face::Bold), "EO 1: ".to_string()));
            assert_eq!(runs[1], (FontRef::Fallback(font), text.to_string()));
            assert!(f.width(Face::Regular, 10.0, text) > 10.0);
        }
    }
}
