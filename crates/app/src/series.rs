//! The Series screen: recurring taskers, and their occurrences on the calendar.

use crate::{today, App, Result};
pub use chrono::NaiveDate;
pub use mandate_domain::series::Series;
pub use mandate_store::series::{NewSeries, Occurrence, SeriesChange, SeriesView};
use serde::Serialize;
use ts_rs::TS;

/// The Series screen: every series, and what looking at them issued.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SeriesScreen {
    pub series: Vec<SeriesView>,
    /// Numbers of the occurrences issued because they came due.
    pub issued: Vec<String>,
}

/// A change from the Series screen.
#[derive(Debug, Clone, serde::Deserialize, TS)]
#[ts(export)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum SeriesStep {
    Skip { date: NaiveDate },
    End { after: NaiveDate },
    Change(SeriesChange),
}

impl App {
    pub async fn series(&self) -> Result<SeriesScreen> {
        self.with(async |s| {
            let issued = s.issue_due_occurrences(today()).await?;
            Ok(SeriesScreen { series: s.series_list(today()).await?, issued })
        })
        .await
    }

    pub async fn create_series(&self, new: NewSeries) -> Result<Series> {
        self.with(async |s| Ok(s.create_series(new, today()).await?)).await
    }

    pub async fn series_step(&self, key: &str, step: SeriesStep) -> Result<Series> {
        self.with(async |s| {
            Ok(match step {
                SeriesStep::Skip { date } => s.skip_occurrence(key, date).await?,
                SeriesStep::End { after } => s.end_series(key, after).await?,
                SeriesStep::Change(c) => s.change_series(key, c).await?,
            })
        })
        .await
    }

    /// Occurrences in a stretch of the calendar, issued or still to come.
    pub async fn occurrences(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<Occurrence>> {
        self.with(async |s| Ok(s.occurrences(from, to).await?)).await
    }
}
