//! Files in and out: the Federal Register's executive-order JSON, the National Archives'
//! disposition tables, Mandate's own JSON and CSV, and iCalendar.
//!
//! This crate reads bytes and returns plain records (or writes records as bytes); it never
//! touches the database, so every format is tested on its own and the store decides how
//! parsed records are merged. Readers never stop at the first bad line: they return what they
//! could read plus a [`Problem`] naming the file and line of everything they could not.
//!
//! ```
//! use mandate_interchange::{detect, Format};
//! assert_eq!(detect("Executive Order 13489\nPresidential Records\n"), Some(Format::NaraTable));
//! ```

pub mod bundle;
pub mod csv_format;
pub mod federal_register;
pub mod ics;
pub mod mail;
pub mod nara;
pub mod orders;

use std::fmt;

/// Something a reader could not use, and where it was.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub file: String,
    /// 1-based line, when the format has lines, counted as an editor counts them (a CSV's
    /// header row is line 1; a quoted cell with line breaks spans several).
    pub line: Option<usize>,
    /// The column (CSV header name, or JSON field) that was wrong, when one was.
    pub column: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: ", self.file, l)?,
            None => write!(f, "{}: ", self.file)?,
        }
        if let Some(c) = &self.column {
            write!(f, "column {c}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// The formats Mandate reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Federal Register API `documents.json` with executive orders.
    FederalRegister,
    /// NARA executive-order disposition table (text).
    NaraTable,
    /// Mandate's JSON export.
    MandateJson,
    /// Mandate's CSV (one row per action).
    MandateCsv,
}

/// Recognise a file by its content, not its name.
pub fn detect(text: &str) -> Option<Format> {
    let head: String = text.trim_start_matches('\u{feff}').chars().take(4096).collect();
    let trimmed = head.trim_start();
    if trimmed.starts_with('{') {
        if head.contains("\"mandate_export\"") {
            return Some(Format::MandateJson);
        }
        if head.contains("\"results\"") || head.contains("executive_order_number") {
            return Some(Format::FederalRegister);
        }
        return None;
    }
    let first_line = trimmed.lines().next().unwrap_or("").to_ascii_lowercase();
    if first_line.contains("title") && first_line.contains(',') && (first_line.contains("kind") || first_line.contains("number")) {
        return Some(Format::MandateCsv);
    }
    if trimmed.lines().take(50).any(|l| l.trim_start().starts_with("Executive Order ")) {
        return Some(Format::NaraTable);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_content() {
        assert_eq!(detect("{\"count\":1,\"results\":[{\"executive_order_number\":1}]}"), Some(Format::FederalRegister));
        assert_eq!(detect("{\n\"mandate_export\": 1}"), Some(Format::MandateJson));
        assert_eq!(detect("number,title,kind,status\n"), Some(Format::MandateCsv));
        assert_eq!(detect("\nExecutive Order 1\nx\n"), Some(Format::NaraTable));
        assert_eq!(detect("hello"), None);
    }
}
