//! Which actions a list shows: the filters behind the actions table, saved views and briefing
//! book selections. Plain data, so a view can be saved, replicated and replayed anywhere.

use crate::model::{ActionKind, Priority, Status};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Sort {
    /// Soonest suspense first; actions without one last.
    #[default]
    Suspense,
    /// Newest first.
    Newest,
    /// Best text match first (needs a text query; the default for a search with no other filter).
    Relevance,
    /// By action number.
    Number,
    /// By title, A to Z.
    Title,
    /// By place in the lifecycle (draft, issued, assigned … closed, cancelled, superseded).
    Status,
    /// By kind, then suspense.
    Kind,
    /// Most urgent first (flash, immediate, priority, routine), then suspense.
    Priority,
}

/// Filters for the actions list. Empty means everything. Every field may be left out (the UI
/// sends only what the user set), so the TypeScript type marks them all optional.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
pub struct ActionFilter {
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<Status>>"))]
    pub statuses: Vec<Status>,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<ActionKind>>"))]
    pub kinds: Vec<ActionKind>,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<Priority>>"))]
    pub priorities: Vec<Priority>,
    /// Office code: actions where this office has any assignment.
    #[serde(default)]
    pub office: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>"))]
    pub overdue: bool,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>"))]
    pub at_risk: bool,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>"))]
    pub unassigned: bool,
    /// Suspense on or after this day (the calendar's month).
    #[serde(default)]
    pub due_from: Option<chrono::NaiveDate>,
    /// Suspense on or before this day.
    #[serde(default)]
    pub due_to: Option<chrono::NaiveDate>,
    /// Words to find in titles, requirements, status updates and cited authorities.
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub sort: Option<Sort>,
    /// Reverse the sort (not for relevance).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>"))]
    pub descending: bool,
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<u32>"))]
    pub offset: u32,
}
