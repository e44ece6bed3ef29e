//! Mandate's vocabulary — executive actions, authorities, offices, assignments, risks, outcomes —
//! and the lifecycle rules that govern them.
//!
//! This crate is pure: it does no I/O and knows nothing of SQL, files, async runtimes, Tauri or
//! HTTP. The store loads records, asks this crate whether a step is allowed
//! ([`rules`]), and writes what it returns. Keeping the rules here means the desktop app, the CLI
//! and the agency server all refuse the same things for the same reasons.
//!
//! ```
//! use mandate_domain::{rules, ActionFile, Action, ActionKind, Status};
//! let action = Action::draft("Stand up the permitting task force", ActionKind::Tasker);
//! let file = ActionFile::new(action);
//! // An action cannot be assigned before it is issued, nor without an OPR.
//! assert!(rules::check_transition(&file, Status::Assigned).is_err());
//! ```

pub mod custody;
pub mod filter;
pub mod hlc;
pub mod ids;
pub mod metrics;
pub mod model;
pub mod replication;
pub mod rules;
pub mod series;

pub use filter::{ActionFilter, Sort};
pub use hlc::Hlc;
pub use ids::Id;
pub use model::*;
pub use rules::RuleViolation;
