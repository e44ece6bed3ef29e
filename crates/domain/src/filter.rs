//! Which actions a list shows: the filters behind the actions table, saved views and briefing
//! book selections. Plain data, so a view can be saved, replicated and replayed anywhere.

use crate::model::{ActionKind, Priority, Status};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Soonest suspense first; actions without one last.
    #[default]
    Suspense,
    /// Newest first.
    Newest,
    /// Best text match first (needs a text query; the default for a search with no other filter).
    Relevance,
}

/// Filters for the actions list. Empty means everything.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ActionFilter {
    #[serde(default)]
    pub statuses: Vec<Status>,
    #[serde(default)]
    pub kinds: Vec<ActionKind>,
    #[serde(default)]
    pub priorities: Vec<Priority>,
    /// Office code: actions where this office has any assignment.
    #[serde(default)]
    pub office: Option<String>,
    #[serde(default)]
    pub overdue: bool,
    #[serde(default)]
    pub at_risk: bool,
    #[serde(default)]
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
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub offset: u32,
}
