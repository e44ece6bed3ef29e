//! What a user chooses about a book (BRIEFING-BOOK.md): its cover, paper, grouping and sections.

use chrono::{DateTime, Utc};
use mandate_domain::Marking;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Paper {
    #[default]
    Letter,
    A4,
}

impl FromStr for Paper {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "letter" => Ok(Paper::Letter),
            "a4" => Ok(Paper::A4),
            _ => Err(format!("`{s}` is not a paper size; expected letter or a4")),
        }
    }
}

/// How actions are grouped into tabs.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Grouping {
    /// By the office of primary responsibility.
    #[default]
    Office,
    Kind,
    Priority,
    /// The tabs and their actions exactly as the user listed them.
    Picked,
}

impl FromStr for Grouping {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "office" => Ok(Grouping::Office),
            "kind" => Ok(Grouping::Kind),
            "priority" => Ok(Grouping::Priority),
            "picked" | "hand-picked" | "manual" => Ok(Grouping::Picked),
            _ => Err(format!("`{s}` is not a grouping; expected office, kind, priority or picked")),
        }
    }
}

/// A hand-picked tab: its name and its actions (numbers or ids), in order.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickedTab {
    pub name: String,
    pub actions: Vec<String>,
}

/// Which parts of the book and of each action's section are printed.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Sections {
    pub summary: bool,
    pub dividers: bool,
    pub authorities: bool,
    pub assignments: bool,
    /// Each action's chain of custody: which office held it when (from the audit trail).
    pub custody: bool,
    pub requirements: bool,
    pub risks: bool,
    pub relations: bool,
    pub updates: bool,
    pub issues: bool,
    pub outcome: bool,
    pub appendix: bool,
}

impl Default for Sections {
    fn default() -> Self {
        Sections {
            summary: true,
            dividers: true,
            authorities: true,
            assignments: true,
            custody: true,
            requirements: true,
            risks: true,
            relations: true,
            updates: true,
            issues: true,
            outcome: true,
            appendix: true,
        }
    }
}

impl Sections {
    pub const NAMES: &'static [&'static str] = &[
        "summary",
        "dividers",
        "authorities",
        "assignments",
        "custody",
        "requirements",
        "risks",
        "relations",
        "updates",
        "issues",
        "outcome",
        "appendix",
    ];

    fn flag(&mut self, name: &str) -> Option<&mut bool> {
        Some(match name {
            "summary" => &mut self.summary,
            "dividers" => &mut self.dividers,
            "authorities" => &mut self.authorities,
            "assignments" => &mut self.assignments,
            "custody" => &mut self.custody,
            "requirements" => &mut self.requirements,
            "risks" => &mut self.risks,
            "relations" => &mut self.relations,
            "updates" => &mut self.updates,
            "issues" => &mut self.issues,
            "outcome" => &mut self.outcome,
            "appendix" => &mut self.appendix,
            _ => return None,
        })
    }

    /// Only the named sections (comma-separated).
    pub fn only(list: &str) -> Result<Sections, String> {
        let mut s = Sections::none();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            *s.flag(name).ok_or_else(|| unknown(name))? = true;
        }
        Ok(s)
    }

    /// All sections but the named ones.
    pub fn without(mut self, list: &str) -> Result<Sections, String> {
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            *self.flag(name).ok_or_else(|| unknown(name))? = false;
        }
        Ok(self)
    }

    fn none() -> Sections {
        let mut s = Sections::default();
        for n in Sections::NAMES {
            *s.flag(n).expect("listed") = false;
        }
        s
    }
}

fn unknown(name: &str) -> String {
    format!("`{name}` is not a book section; expected some of: {}", Sections::NAMES.join(", "))
}

/// Everything about a book except which actions are in it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BookOptions {
    pub title: String,
    pub prepared_for: String,
    pub occasion: String,
    pub prepared_by: String,
    /// The moment the book reflects; printed on the cover and every page, and the only clock
    /// the book reads (so the same data and as-of time give the same bytes).
    /// Optional in TypeScript: the app sets it when it prints.
    #[cfg_attr(feature = "ts", ts(as = "Option<DateTime<Utc>>", optional))]
    pub as_of: DateTime<Utc>,
    pub version: String,
    pub distribution: Vec<String>,
    /// Banner marking; `None` means the highest marking among the included actions.
    pub marking: Option<Marking>,
    pub draft: bool,
    pub paper: Paper,
    pub duplex: bool,
    /// Extra binding margin in millimetres.
    pub gutter_mm: f32,
    pub group_by: Grouping,
    /// Tabs for [`Grouping::Picked`].
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<PickedTab>>", optional))]
    pub tabs: Vec<PickedTab>,
    /// Tab names to put first, in this order (the rest follow in their natural order).
    pub tab_order: Vec<String>,
    pub sections: Sections,
    /// How many selected actions this copy leaves out because its recipient's offices may not
    /// see them (see [`Recipient`]); the cover says how many, never which.
    #[cfg_attr(feature = "ts", ts(skip))]
    pub withheld: u32,
}

impl Default for BookOptions {
    fn default() -> Self {
        BookOptions {
            title: "Briefing book".into(),
            prepared_for: String::new(),
            occasion: String::new(),
            prepared_by: String::new(),
            as_of: DateTime::<Utc>::UNIX_EPOCH,
            version: "1".into(),
            distribution: Vec::new(),
            marking: None,
            draft: false,
            paper: Paper::Letter,
            duplex: false,
            gutter_mm: 0.0,
            group_by: Grouping::Office,
            tabs: Vec::new(),
            tab_order: Vec::new(),
            sections: Sections::default(),
            withheld: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_parse_and_unknown_names_are_named_in_the_error() {
        let s = Sections::only("summary, risks").unwrap();
        assert!(s.summary && s.risks && !s.appendix);
        let s = Sections::default().without("appendix").unwrap();
        assert!(!s.appendix && s.summary);
        let e = Sections::only("summary,riskz").unwrap_err();
        assert!(e.contains("`riskz`") && e.contains("risks"), "{e}");
    }

    #[test]
    fn options_round_trip_as_json_for_templates() {
        let o = BookOptions { title: "Weekly principal's book".into(), duplex: true, group_by: Grouping::Kind, ..Default::default() };
        let json = serde_json::to_string(&o).unwrap();
        assert_eq!(serde_json::from_str::<BookOptions>(&json).unwrap(), o);
        // Templates saved by older versions lack newer fields: they take defaults.
        let partial: BookOptions = serde_json::from_str(r#"{"title":"T"}"#).unwrap();
        assert_eq!(partial.sections, Sections::default());
    }
}

/// Who a numbered copy is for: `J. Smith`, or `J. Smith=OGC,OMB` when the copy holds only what
/// those offices may see (a recipient's need to know follows the offices they speak for).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    pub name: String,
    /// Office codes, upper case; empty means the whole book.
    pub offices: Vec<String>,
}

impl FromStr for Recipient {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (name, offices) = match s.split_once('=') {
            Some((name, list)) => {
                let offices: Vec<String> = list.split(',').map(|o| o.trim().to_uppercase()).filter(|o| !o.is_empty()).collect();
                if offices.is_empty() {
                    return Err(format!("recipient `{s}`: after `=` name at least one office code (\"J. Smith=OGC,OMB\")"));
                }
                (name, offices)
            }
            None => (s, Vec::new()),
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(format!("recipient `{s}` has no name (\"J. Smith\" or \"J. Smith=OGC,OMB\")"));
        }
        Ok(Recipient { name: name.to_string(), offices })
    }
}

#[cfg(test)]
mod recipient_tests {
    use super::Recipient;

    #[test]
    fn recipients_name_their_offices_after_an_equals_sign() {
        let r: Recipient = " J. Smith = ogc, OMB ,".parse().unwrap();
        assert_eq!(r, Recipient { name: "J. Smith".into(), offices: vec!["OGC".into(), "OMB".into()] });
        assert_eq!("Zoë".parse::<Recipient>().unwrap().offices, Vec::<String>::new());
        assert!("J. Smith=".parse::<Recipient>().unwrap_err().contains("at least one office"));
        assert!("=OGC".parse::<Recipient>().unwrap_err().contains("no name"));
    }
}
