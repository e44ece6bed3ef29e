//! Mandate's own JSON: every record of a workspace, lossless.
//!
//! The file is ordinary JSON, written with one record per line so that a diff or a problem
//! report points at a record, and so large exports stream. Records are kept as JSON values here;
//! the store checks each against its type when importing.

use crate::Problem;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;

pub const VERSION: u32 = 1;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Bundle {
    pub mandate_export: u32,
    #[serde(default)]
    pub exported_at: String,
    /// Records by table name, in the order they must be written.
    pub records: BTreeMap<String, Vec<serde_json::Value>>,
}

/// Write `tables` (in the given order) as a bundle.
pub fn write(out: &mut dyn Write, exported_at: &str, tables: &[(&str, Vec<String>)]) -> std::io::Result<()> {
    writeln!(out, "{{\"mandate_export\": {VERSION}, \"exported_at\": {}, \"records\": {{", serde_json::Value::from(exported_at))?;
    for (ti, (table, rows)) in tables.iter().enumerate() {
        writeln!(out, "{}: [", serde_json::Value::from(*table))?;
        for (i, r) in rows.iter().enumerate() {
            writeln!(out, "{}{}", r, if i + 1 < rows.len() { "," } else { "" })?;
        }
        writeln!(out, "]{}", if ti + 1 < tables.len() { "," } else { "" })?;
    }
    writeln!(out, "}}}}")
}

pub fn parse(file: &str, text: &str) -> Result<Bundle, Problem> {
    let b: Bundle = serde_json::from_str(text).map_err(|e| Problem {
        column: None,
        file: file.into(),
        line: Some(e.line()),
        message: format!("not a Mandate export: {e}"),
    })?;
    if b.mandate_export != VERSION {
        return Err(Problem {
            column: None,
            file: file.into(),
            line: Some(1),
            message: format!("export format version {} is not supported (this Mandate reads version {VERSION})", b.mandate_export),
        });
    }
    Ok(b)
}

/// Where each table's records start (the 1-based line of its first record), when the file was
/// written by [`write`]; problem reports use it to point at a line.
pub fn table_lines(text: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for (i, l) in text.lines().enumerate() {
        if let Some(name) = l.strip_suffix(": [").and_then(|n| serde_json::from_str::<String>(n).ok()) {
            out.insert(name, i + 2);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_lines() {
        let mut buf = Vec::new();
        write(&mut buf, "2026-11-24T00:00:00Z", &[("offices", vec!["{\"id\":1}".into(), "{\"id\":2}".into()]), ("actions", vec![])])
            .unwrap();
        let text = String::from_utf8(buf).unwrap();
        let b = parse("x.json", &text).unwrap();
        assert_eq!(b.records["offices"].len(), 2);
        assert_eq!(table_lines(&text)["offices"] + 1, 4);
        assert_eq!(text.lines().nth(3).unwrap(), "{\"id\":2}");
        let bad = parse("x.json", "{\"mandate_export\": 9, \"records\": {}}").unwrap_err();
        assert!(bad.message.contains("version 9"));
    }
}
