//! Arabic letters joined as they are written: each letter in its isolated, final, initial or
//! medial form (Unicode's Arabic Presentation Forms-B, which the fallback font draws), chosen by
//! whether it joins the letters beside it. One character in, one character out, so widths and
//! runs line up with the text; the PDF carries the original letters as the line's ActualText,
//! so copying and `pdftotext` give back what was typed.
//!
//! Not covered: the lam-alef ligature (the two letters join, but as two glyphs) and the
//! extended letters of Persian and Urdu (they print in their base form).

use std::borrow::Cow;

/// (letter, its isolated form, whether it also joins the letter after it). Letters that join on
/// both sides have four forms from the isolated one on (isolated, final, initial, medial); the
/// others two (isolated, final).
const LETTERS: &[(char, u32, bool)] = &[
    ('\u{0622}', 0xFE81, false),
    ('\u{0623}', 0xFE83, false),
    ('\u{0624}', 0xFE85, false),
    ('\u{0625}', 0xFE87, false),
    ('\u{0626}', 0xFE89, true),
    ('\u{0627}', 0xFE8D, false),
    ('\u{0628}', 0xFE8F, true),
    ('\u{0629}', 0xFE93, false),
    ('\u{062A}', 0xFE95, true),
    ('\u{062B}', 0xFE99, true),
    ('\u{062C}', 0xFE9D, true),
    ('\u{062D}', 0xFEA1, true),
    ('\u{062E}', 0xFEA5, true),
    ('\u{062F}', 0xFEA9, false),
    ('\u{0630}', 0xFEAB, false),
    ('\u{0631}', 0xFEAD, false),
    ('\u{0632}', 0xFEAF, false),
    ('\u{0633}', 0xFEB1, true),
    ('\u{0634}', 0xFEB5, true),
    ('\u{0635}', 0xFEB9, true),
    ('\u{0636}', 0xFEBD, true),
    ('\u{0637}', 0xFEC1, true),
    ('\u{0638}', 0xFEC5, true),
    ('\u{0639}', 0xFEC9, true),
    ('\u{063A}', 0xFECD, true),
    ('\u{0641}', 0xFED1, true),
    ('\u{0642}', 0xFED5, true),
    ('\u{0643}', 0xFED9, true),
    ('\u{0644}', 0xFEDD, true),
    ('\u{0645}', 0xFEE1, true),
    ('\u{0646}', 0xFEE5, true),
    ('\u{0647}', 0xFEE9, true),
    ('\u{0648}', 0xFEED, false),
    ('\u{0649}', 0xFEEF, false),
    ('\u{064A}', 0xFEF1, true),
];

const TATWEEL: char = '\u{0640}';

fn letter(c: char) -> Option<(u32, bool)> {
    LETTERS.binary_search_by_key(&c, |(l, _, _)| *l).ok().map(|i| (LETTERS[i].1, LETTERS[i].2))
}

/// The letter a joined form stands for (`None` for any other character).
pub fn base_letter(form: char) -> Option<char> {
    let f = form as u32;
    LETTERS.iter().find(|(_, iso, dual)| f >= *iso && f < iso + if *dual { 4 } else { 2 }).map(|(l, _, _)| *l)
}

/// Harakat and other marks sit on a letter without breaking its joins.
fn transparent(c: char) -> bool {
    matches!(c, '\u{0610}'..='\u{061A}' | '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{06D6}'..='\u{06ED}')
}

/// Joins on its left (toward the next letter in reading order).
fn joins_forward(c: char) -> bool {
    c == TATWEEL || letter(c).is_some_and(|(_, dual)| dual)
}

/// Joins on its right (toward the letter before it).
fn joins_backward(c: char) -> bool {
    c == TATWEEL || letter(c).is_some()
}

/// `text` (logical order) with each Arabic letter in its joined form.
pub fn shape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| letter(c).is_some()) {
        return Cow::Borrowed(text);
    }
    let chars: Vec<char> = text.chars().collect();
    let neighbour = |from: usize, step: isize| -> Option<char> {
        let mut i = from as isize + step;
        while i >= 0 && (i as usize) < chars.len() {
            let c = chars[i as usize];
            if !transparent(c) {
                return Some(c);
            }
            i += step;
        }
        None
    };
    let mut out = String::with_capacity(text.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let Some((isolated, dual)) = letter(c) else {
            out.push(c);
            continue;
        };
        let before = neighbour(i, -1).is_some_and(joins_forward);
        let after = dual && neighbour(i, 1).is_some_and(joins_backward);
        let form = match (before, after) {
            (false, false) => 0,
            (true, false) => 1,
            (false, true) => 2,
            (true, true) => 3,
        };
        out.push(char::from_u32(isolated + form).unwrap_or(c));
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_take_the_form_their_neighbours_call_for() {
        assert!(matches!(shape("no Arabic here"), Cow::Borrowed(_)));
        // بيت (house): beh initial, yeh medial, teh final.
        assert_eq!(shape("بيت"), "\u{FE91}\u{FEF4}\u{FE96}");
        // دار (house): dal does not join forward, so alef is isolated, reh isolated.
        assert_eq!(shape("دار"), "\u{FEA9}\u{FE8D}\u{FEAD}");
        // A single letter, and letters either side of a space.
        assert_eq!(shape("ب ب"), "\u{FE8F} \u{FE8F}");
        // A haraka between two letters does not break the join.
        assert_eq!(shape("بَت"), "\u{FE91}\u{064E}\u{FE96}");
        assert_eq!(shape("مراجعة").chars().count(), 6);
        let back: String = shape("مراجعة الميزانية").chars().map(|c| base_letter(c).unwrap_or(c)).collect();
        assert_eq!(back, "مراجعة الميزانية");
    }
}
