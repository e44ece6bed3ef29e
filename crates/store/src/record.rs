//! Which table each kind of record lives in.
//!
//! All record tables share one shape — `id`, `action_id`, `data` (the record as JSON) — so one
//! writer ([`crate::write::Tx`]) serves them all, and the audit and change logs name the entity
//! by its table.

use mandate_domain::{replication, *};
use serde::{de::DeserializeOwned, Serialize};

pub trait Record: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    /// Table name; also the entity name in the audit and change logs.
    const TABLE: &'static str;
    fn id(&self) -> Id;
    /// The action this record belongs to, if it belongs to one.
    fn action_id(&self) -> Option<Id> {
        None
    }
}

macro_rules! child_record {
    ($($ty:ty => $table:literal),+ $(,)?) => {$(
        impl Record for $ty {
            const TABLE: &'static str = $table;
            fn id(&self) -> Id { self.id }
            fn action_id(&self) -> Option<Id> { Some(self.action_id) }
        }
    )+};
}

macro_rules! free_record {
    ($($ty:ty => $table:literal),+ $(,)?) => {$(
        impl Record for $ty {
            const TABLE: &'static str = $table;
            fn id(&self) -> Id { self.id }
        }
    )+};
}

free_record!(
    Action => "actions",
    Office => "offices",
    Person => "people",
    Authority => "authorities",
    SavedView => "saved_views",
    BookTemplate => "book_templates",
    mandate_domain::series::Series => "series",
);
child_record!(
    Citation => "citations",
    Assignment => "assignments",
    ExtensionRequest => "extensions",
    Risk => "risks",
    ImpactAssessment => "impacts",
    StatusUpdate => "updates",
    Issue => "issues",
    Relation => "relations",
    Evaluation => "evaluations",
    Document => "documents",
    Transition => "transitions",
);

impl Record for replication::Conflict {
    const TABLE: &'static str = replication::CONFLICTS;
    fn id(&self) -> Id {
        self.id
    }
    fn action_id(&self) -> Option<Id> {
        self.action_id
    }
}

/// Every record table, in an order where each table's references point to earlier ones.
pub const TABLES: &[&str] = &[
    "offices",
    "people",
    "authorities",
    "series",
    "actions",
    "citations",
    "assignments",
    "extensions",
    "risks",
    "impacts",
    "updates",
    "issues",
    "relations",
    "evaluations",
    "documents",
    "transitions",
];

/// Columns a table keeps beside `data`, copied from the record's fields of the same name by the
/// writer (a CHECK in the schema holds them equal to the record). Generated columns would do,
/// but SQLite never treats an index over a generated column as covering.
pub fn copied_columns(table: &str) -> &'static [&'static str] {
    match table {
        "assignments" => &["office_id", "role"],
        _ => &[],
    }
}
