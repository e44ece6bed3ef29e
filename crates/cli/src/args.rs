//! The command line, in the users' words.

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};
use mandate_domain::*;
use mandate_store::query::{ActionFilter, Sort};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "mandate", version, about = "Issue, assign and track executive actions from the command line.")]
#[command(after_help = "The database key comes from the OS credential store, or from MANDATE_DB_KEY (64 hex characters) when set.")]
pub struct Cli {
    /// Workspace file (default: the per-user data directory).
    #[arg(long, global = true, env = "MANDATE_DB")]
    pub db: Option<PathBuf>,
    /// Print stable JSON instead of text (read commands, and the record a write produced).
    #[arg(long, global = true)]
    pub json: bool,
    /// Act as this person (recorded in the audit trail); default: the workspace profile.
    #[arg(allow_hyphen_values = true, long = "as", global = true, value_name = "NAME")]
    pub as_user: Option<String>,
    /// Act in this role (executive, office_lead, staff, auditor); default: the profile's.
    #[arg(long = "as-role", global = true, value_parser = parse_vocab::<UserRole>)]
    pub as_role: Option<UserRole>,
    /// The day to judge overdue and at-risk against (default: today).
    #[arg(long, global = true, env = "MANDATE_TODAY")]
    pub today: Option<NaiveDate>,
    #[command(subcommand)]
    pub command: Command,
}

pub fn parse_vocab<T: std::str::FromStr<Err = String>>(s: &str) -> Result<T, String> {
    s.parse()
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Sync with the agency server (push local changes, pull others'); subcommands connect,
    /// show status, conflicts and refusals.
    Sync {
        /// Send even though the first push's review says the server will refuse some changes
        /// (`mandate sync preview` lists them; refused changes are undone here and listed).
        #[arg(long)]
        go_on: bool,
        #[command(subcommand)]
        command: Option<SyncCommand>,
    },
    /// Delete a risk, impact, issue, document, citation or relation (logged; replicates as a
    /// tombstone). Actions are never deleted: cancel them.
    Remove {
        /// risk, impact, issue, document, citation or relation
        kind: String,
        /// The record's id.
        id: String,
    },
    /// Create an encrypted workspace (key into the OS credential store) and print its recovery code.
    Init(InitArgs),
    /// Create a demo workspace filled with realistic sample data and print the success measures.
    Demo(DemoArgs),
    /// Actions: create, edit, list, search, show, and lifecycle steps.
    #[command(subcommand)]
    Action(ActionCommand),
    /// Assign an office to an action (naming the OPR of an issued action assigns it).
    Assign {
        action: String,
        #[arg(long)]
        office: String,
        #[arg(long, value_parser = parse_vocab::<Role>)]
        role: Role,
        #[arg(long)]
        suspense: Option<NaiveDate>,
        #[arg(allow_hyphen_values = true, long)]
        assignee: Option<String>,
    },
    /// Move an office's assignment (e.g. the OPR) to another office; acknowledgement starts afresh.
    Reassign {
        action: String,
        #[arg(long)]
        from: String,
        #[arg(allow_hyphen_values = true, long)]
        to: String,
    },
    /// An assignee confirms receipt.
    Acknowledge {
        action: String,
        #[arg(long)]
        office: String,
    },
    /// A coordinating office concurs (with --comment: concurs with comment).
    Concur {
        action: String,
        #[arg(long)]
        office: String,
        #[arg(allow_hyphen_values = true, long)]
        comment: Option<String>,
    },
    /// A coordinating office non-concurs, with its reason.
    NonConcur {
        action: String,
        #[arg(long)]
        office: String,
        #[arg(allow_hyphen_values = true, long)]
        reason: String,
    },
    /// Record how a non-concurrence was resolved.
    ResolveNonConcurrence {
        action: String,
        #[arg(long)]
        office: String,
        #[arg(allow_hyphen_values = true, long)]
        note: String,
    },
    /// Extension requests: request and decide.
    #[command(subcommand)]
    Extension(ExtensionCommand),
    /// Delegate an assignment to a stand-in.
    Delegate {
        action: String,
        #[arg(long)]
        office: String,
        #[arg(allow_hyphen_values = true, long)]
        to: String,
        #[arg(allow_hyphen_values = true, long)]
        note: Option<String>,
    },
    /// The authorities library, and citing an authority on an action.
    #[command(subcommand)]
    Authority(AuthorityCommand),
    /// Record a risk (likelihood and impact 1–5).
    Risk {
        action: String,
        #[arg(allow_hyphen_values = true, long)]
        description: String,
        #[arg(long, value_parser = parse_vocab::<RiskCategory>)]
        category: RiskCategory,
        #[arg(long)]
        likelihood: u8,
        #[arg(long)]
        impact: u8,
        #[arg(allow_hyphen_values = true, long)]
        mitigation: Option<String>,
        #[arg(allow_hyphen_values = true, long)]
        owner: Option<String>,
    },
    /// Change a risk's status (open, mitigated, accepted, closed).
    RiskStatus {
        action: String,
        /// The risk's number in the action's list (1 = first) or its id.
        #[arg(long)]
        risk: String,
        #[arg(long, value_parser = parse_vocab::<RiskStatus>)]
        status: RiskStatus,
        #[arg(allow_hyphen_values = true, long)]
        mitigation: Option<String>,
    },
    /// Record an impact assessment.
    Impact {
        action: String,
        #[arg(long, value_parser = parse_vocab::<ImpactArea>)]
        area: ImpactArea,
        #[arg(allow_hyphen_values = true, long)]
        description: String,
        /// Estimated cost in dollars.
        #[arg(long)]
        cost: Option<f64>,
    },
    /// Report progress (the first update of an acknowledged assignment starts the work).
    Update {
        action: String,
        #[arg(long)]
        percent: u8,
        #[arg(allow_hyphen_values = true, long)]
        text: String,
    },
    /// Issues raised during execution.
    #[command(subcommand)]
    Issue(IssueCommand),
    /// Relate two actions: blocks, amends, revokes, supersedes, see_also.
    Relate {
        action: String,
        #[arg(long, value_parser = parse_vocab::<RelationKind>)]
        kind: RelationKind,
        #[arg(allow_hyphen_values = true, long = "to")]
        target: String,
        #[arg(allow_hyphen_values = true, long)]
        note: Option<String>,
    },
    /// Supporting documents (stored inside the encrypted workspace).
    #[command(subcommand)]
    Document(DocumentCommand),
    /// Record the outcome evaluation of a completed action.
    Evaluate {
        action: String,
        #[arg(long, value_parser = parse_vocab::<OutcomeResult>)]
        result: OutcomeResult,
        /// yes or no
        #[arg(long)]
        on_time: String,
        /// yes or no
        #[arg(long)]
        within_scope: String,
        #[arg(allow_hyphen_values = true, long)]
        evidence: Option<String>,
        #[arg(allow_hyphen_values = true, long)]
        lessons: Option<String>,
    },
    /// Recurring taskers: an action template, an RFC 5545 recurrence rule and a lead time; each
    /// occurrence is issued as an ordinary action the lead time before its suspense.
    #[command(subcommand)]
    Series(SeriesCommand),
    /// Offices, agencies and external partners.
    #[command(subcommand)]
    Office(OfficeCommand),
    /// People.
    #[command(subcommand)]
    Person(PersonCommand),
    /// The success measures, overall and per office.
    /// An action's chain of custody from the audit trail: each office's hold, from assignment
    /// through acknowledgement and answer to reassignment, removal or completion.
    Custody { action: String },
    Metrics {
        #[arg(long)]
        office: Option<String>,
        #[arg(long)]
        from: Option<NaiveDate>,
        #[arg(long)]
        to: Option<NaiveDate>,
    },
    /// Import files or folders (format detected by content).
    /// A file with a bad row is left out whole (the others are kept) and the exit code is 5.
    Import {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Import the good rows of a file with bad rows (the bad ones are still reported, exit 5).
        #[arg(long)]
        keep_good_rows: bool,
    },
    /// Export: json (lossless), csv (one row per action), ics (suspense calendar).
    Export {
        #[arg(value_enum)]
        format: ExportFormat,
        #[arg(long)]
        out: PathBuf,
    },
    /// The audit trail: verify, export, show an action's history.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The database key: recover from the recovery code, re-key, check.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Print a briefing book (PDF; --format html for the self-contained HTML file).
    Brief(Box<BriefArgs>),
    /// Saved views of the actions list (usable as a briefing book's selection).
    #[command(subcommand)]
    View(ViewCommand),
    /// Briefing-book templates saved with `mandate brief --save-template`.
    Templates,
    /// Add generated sample actions to this workspace.
    Sample {
        #[arg(long, default_value_t = 500)]
        actions: usize,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Your name, as the audit trail should record it.
    #[arg(allow_hyphen_values = true, long)]
    pub name: String,
    #[arg(long, default_value = "executive", value_parser = parse_vocab::<UserRole>)]
    pub role: UserRole,
    /// Your office's code (created if new).
    #[arg(long)]
    pub office: Option<String>,
    #[arg(allow_hyphen_values = true, long)]
    pub office_name: Option<String>,
    /// Fill the workspace with N generated sample actions.
    #[arg(long, value_name = "N")]
    pub sample: Option<usize>,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    #[arg(long, default_value_t = 2000)]
    pub actions: usize,
}

#[derive(Subcommand, Debug)]
pub enum ActionCommand {
    /// Create an action (a draft; --issue to issue it at once).
    Create(CreateArgs),
    /// Change an action's own fields.
    Edit(EditArgs),
    /// List actions (every match unless --limit).
    List(ListArgs),
    /// Full-text search over titles, requirements, status updates and authorities.
    Search {
        #[arg(allow_hyphen_values = true)]
        query: String,
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Everything about one action.
    Show { action: String },
    #[command(flatten)]
    Step(StepCommand),
}

#[derive(Subcommand, Debug)]
pub enum StepCommand {
    /// Issue a draft.
    Issue { action: String },
    /// Start work (the OPR must have acknowledged).
    Start { action: String },
    /// Mark blocked, with the reason.
    Block {
        action: String,
        #[arg(allow_hyphen_values = true, long)]
        reason: String,
    },
    /// Back to in progress.
    Unblock { action: String },
    /// Mark the work completed.
    Complete { action: String },
    /// Close an evaluated action (executives only).
    Close { action: String },
    /// Reopen a closed action, with the reason (logged).
    Reopen {
        action: String,
        #[arg(allow_hyphen_values = true, long)]
        reason: String,
    },
    /// Cancel, with the reason.
    Cancel {
        action: String,
        #[arg(allow_hyphen_values = true, long)]
        reason: String,
    },
    /// Mark superseded, with the reason.
    Supersede {
        action: String,
        #[arg(allow_hyphen_values = true, long)]
        reason: String,
    },
}

/// A lifecycle step as the dispatcher sees it.
#[derive(Debug)]
pub enum Step {
    Issue,
    Start,
    Block,
    Unblock,
    Complete,
    Close,
    Reopen,
    Cancel,
    Supersede,
}

impl ActionCommand {
    /// Flatten lifecycle subcommands into (step, action, reason).
    pub fn step(&self) -> Option<(Step, &String, Option<&String>)> {
        let ActionCommand::Step(s) = self else { return None };
        Some(match s {
            StepCommand::Issue { action } => (Step::Issue, action, None),
            StepCommand::Start { action } => (Step::Start, action, None),
            StepCommand::Block { action, reason } => (Step::Block, action, Some(reason)),
            StepCommand::Unblock { action } => (Step::Unblock, action, None),
            StepCommand::Complete { action } => (Step::Complete, action, None),
            StepCommand::Close { action } => (Step::Close, action, None),
            StepCommand::Reopen { action, reason } => (Step::Reopen, action, Some(reason)),
            StepCommand::Cancel { action, reason } => (Step::Cancel, action, Some(reason)),
            StepCommand::Supersede { action, reason } => (Step::Supersede, action, Some(reason)),
        })
    }
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    #[arg(allow_hyphen_values = true, long)]
    pub title: String,
    #[arg(long, default_value = "tasker", value_parser = parse_vocab::<ActionKind>)]
    pub kind: ActionKind,
    /// Requirements text.
    #[arg(allow_hyphen_values = true, long)]
    pub body: Option<String>,
    #[arg(long, default_value = "routine", value_parser = parse_vocab::<Priority>)]
    pub priority: Priority,
    #[arg(long, value_parser = parse_vocab::<Marking>)]
    pub marking: Option<Marking>,
    /// Issuing official.
    #[arg(allow_hyphen_values = true, long)]
    pub official: Option<String>,
    #[arg(long)]
    pub suspense: Option<NaiveDate>,
    /// Parent action (this one is a sub-tasker).
    #[arg(long)]
    pub parent: Option<String>,
    /// Legal authority citation (repeatable), e.g. "5 U.S.C. 301".
    #[arg(long)]
    pub authority: Vec<String>,
    /// Issue at once.
    #[arg(long)]
    pub issue: bool,
}

#[derive(Args, Debug)]
pub struct EditArgs {
    pub action: String,
    #[arg(allow_hyphen_values = true, long)]
    pub title: Option<String>,
    #[arg(allow_hyphen_values = true, long)]
    pub body: Option<String>,
    #[arg(long, value_parser = parse_vocab::<ActionKind>)]
    pub kind: Option<ActionKind>,
    #[arg(long, value_parser = parse_vocab::<Priority>)]
    pub priority: Option<Priority>,
    #[arg(long, value_parser = parse_vocab::<Marking>)]
    pub marking: Option<Marking>,
    #[arg(allow_hyphen_values = true, long)]
    pub official: Option<String>,
    #[arg(long)]
    pub suspense: Option<NaiveDate>,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Status (repeatable).
    #[arg(long, value_parser = parse_vocab::<Status>)]
    pub status: Vec<Status>,
    /// Kind (repeatable).
    #[arg(long, value_parser = parse_vocab::<ActionKind>)]
    pub kind: Vec<ActionKind>,
    #[arg(long, value_parser = parse_vocab::<Priority>)]
    pub priority: Vec<Priority>,
    /// Office code: actions where this office has an assignment.
    #[arg(long)]
    pub office: Option<String>,
    #[arg(long)]
    pub overdue: bool,
    /// Due within 7 days and less than 75% done.
    #[arg(long)]
    pub at_risk: bool,
    /// Issued but nobody assigned.
    #[arg(long)]
    pub unassigned: bool,
    /// Suspense on or after this day.
    #[arg(long)]
    pub due_from: Option<NaiveDate>,
    /// Suspense on or before this day.
    #[arg(long)]
    pub due_to: Option<NaiveDate>,
    /// Text to search for.
    #[arg(allow_hyphen_values = true, long, short = 'q')]
    pub query: Option<String>,
    #[arg(long, value_enum)]
    pub sort: Option<SortArg>,
    /// Reverse the sort order.
    #[arg(long)]
    pub descending: bool,
    #[arg(long)]
    pub limit: Option<u32>,
    #[arg(long, default_value_t = 0)]
    pub offset: u32,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum SortArg {
    Suspense,
    Newest,
    Relevance,
    Number,
    Title,
    Status,
    Kind,
    Priority,
}

impl ListArgs {
    pub fn filter(&self, text: Option<String>) -> ActionFilter {
        ActionFilter {
            statuses: self.status.clone(),
            kinds: self.kind.clone(),
            priorities: self.priority.clone(),
            office: self.office.clone(),
            overdue: self.overdue,
            at_risk: self.at_risk,
            unassigned: self.unassigned,
            due_from: self.due_from,
            due_to: self.due_to,
            text: text.or_else(|| self.query.clone()),
            sort: self.sort.map(|s| match s {
                SortArg::Suspense => Sort::Suspense,
                SortArg::Newest => Sort::Newest,
                SortArg::Relevance => Sort::Relevance,
                SortArg::Number => Sort::Number,
                SortArg::Title => Sort::Title,
                SortArg::Status => Sort::Status,
                SortArg::Kind => Sort::Kind,
                SortArg::Priority => Sort::Priority,
            }),
            descending: self.descending,
            limit: self.limit,
            offset: self.offset,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum ExtensionCommand {
    /// Ask to move an assignment's suspense.
    Request {
        action: String,
        #[arg(long)]
        office: String,
        #[arg(long)]
        to: NaiveDate,
        #[arg(allow_hyphen_values = true, long)]
        justification: String,
    },
    /// Approve or deny the pending request (executive or office lead).
    Decide {
        action: String,
        #[arg(long)]
        office: String,
        #[arg(long)]
        approve: bool,
        #[arg(long)]
        deny: bool,
        #[arg(allow_hyphen_values = true, long)]
        note: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuthorityCommand {
    /// Add an authority to the library (kind inferred from the citation when not given).
    Add {
        #[arg(allow_hyphen_values = true, long)]
        citation: String,
        #[arg(long, value_parser = parse_vocab::<AuthorityKind>)]
        kind: Option<AuthorityKind>,
        #[arg(allow_hyphen_values = true, long)]
        title: Option<String>,
        #[arg(allow_hyphen_values = true, long)]
        url: Option<String>,
    },
    /// Record that an action cites an authority.
    Cite {
        action: String,
        #[arg(allow_hyphen_values = true, long)]
        citation: String,
        #[arg(allow_hyphen_values = true, long)]
        note: Option<String>,
    },
    List,
    /// One authority with the actions citing it.
    Show {
        citation: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum IssueCommand {
    Raise {
        action: String,
        #[arg(allow_hyphen_values = true, long)]
        title: String,
        #[arg(allow_hyphen_values = true, long)]
        description: Option<String>,
        #[arg(allow_hyphen_values = true, long)]
        owner: Option<String>,
    },
    Resolve {
        action: String,
        /// The issue's number in the action's list (1 = first) or its id.
        #[arg(long)]
        issue: String,
        #[arg(allow_hyphen_values = true, long)]
        note: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum DocumentCommand {
    Add {
        action: String,
        file: PathBuf,
        #[arg(allow_hyphen_values = true, long)]
        name: Option<String>,
    },
    /// Write a stored document back out to a file.
    Get {
        action: String,
        /// Document id or name.
        document: String,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum OfficeCommand {
    Add {
        #[arg(long)]
        code: String,
        #[arg(allow_hyphen_values = true, long)]
        name: String,
        #[arg(long, default_value = "office", value_parser = parse_vocab::<OfficeKind>)]
        kind: OfficeKind,
        #[arg(long)]
        parent: Option<String>,
    },
    List,
}

#[derive(Subcommand, Debug)]
pub enum PersonCommand {
    Add {
        #[arg(allow_hyphen_values = true, long)]
        name: String,
        #[arg(allow_hyphen_values = true, long)]
        title: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        office: Option<String>,
    },
    List,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum ExportFormat {
    Json,
    Csv,
    Ics,
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Walk the hash chain; exit code 4 and the first bad entry when it does not verify.
    Verify,
    /// Export the log as JSON Lines for auditors (verifiable with docs/verify-audit.py).
    Export {
        #[arg(long)]
        out: PathBuf,
    },
    /// The audit history of one action and everything attached to it.
    Show { action: String },
}

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Reopen with the printed recovery code and put the key back in the credential store.
    Recover {
        /// The code (asked for on stdin when not given).
        #[arg(long)]
        code: Option<String>,
    },
    /// Re-encrypt under a new key; prints the new recovery code.
    Rekey,
    /// Check that the stored key opens the workspace.
    Check,
}

#[derive(Subcommand, Debug)]
pub enum ViewCommand {
    /// Save the given filters under a name (replaces a view of the same name).
    Save {
        name: String,
        #[command(flatten)]
        filter: ListArgs,
    },
    /// List saved views.
    List,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BookFormat {
    Pdf,
    Html,
}

/// `mandate brief`: which actions, and how the book looks. Options given on the command line
/// override the template's.
#[derive(Args, Debug)]
pub struct BriefArgs {
    /// Where to write the book. With --recipient, one file per recipient beside it
    /// (`book-copy-1-j-smith.pdf`).
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, value_enum, default_value_t = BookFormat::Pdf)]
    pub format: BookFormat,
    /// Start from a saved template (selection and options).
    #[arg(long)]
    pub template: Option<String>,
    /// Save this book's selection and options as a template under this name.
    #[arg(long)]
    pub save_template: Option<String>,

    /// Select the actions of a saved view.
    #[arg(long)]
    pub view: Option<String>,
    /// Hand-pick an action by number or id (repeatable; added to the view or filter).
    #[arg(long = "action", value_name = "NUMBER")]
    pub actions: Vec<String>,
    /// Select every action (when no view, filter or hand-picked action is given).
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub filter: ListArgs,

    #[arg(allow_hyphen_values = true, long)]
    pub title: Option<String>,
    #[arg(allow_hyphen_values = true, long)]
    pub prepared_for: Option<String>,
    #[arg(allow_hyphen_values = true, long)]
    pub occasion: Option<String>,
    #[arg(allow_hyphen_values = true, long)]
    pub prepared_by: Option<String>,
    /// The moment the book reflects (RFC 3339, e.g. 2026-11-24T08:00:00Z, or a date); default now.
    #[arg(long)]
    pub as_of: Option<String>,
    #[arg(allow_hyphen_values = true, long)]
    pub version: Option<String>,
    /// A distribution-list entry (repeatable).
    #[arg(allow_hyphen_values = true, long = "distribution", value_name = "NAME")]
    pub distribution: Vec<String>,
    /// Banner marking (default: the highest among the included actions).
    #[arg(long)]
    pub marking: Option<Marking>,
    /// Print a DRAFT watermark on every page.
    #[arg(long)]
    pub draft: bool,
    /// Make a numbered copy for this person (repeatable): a PDF copy is watermarked with their
    /// name, an HTML copy labelled with it. `NAME=OFFICE,OFFICE` limits the copy to the actions
    /// those offices may see (the agency server's rule); its cover says how many were withheld,
    /// never which.
    #[arg(allow_hyphen_values = true, long = "recipient", value_name = "NAME[=OFFICES]")]
    pub recipients: Vec<String>,
    /// letter or a4.
    #[arg(long)]
    pub paper: Option<mandate_briefing::Paper>,
    /// Printed on both sides: tabs start on right-hand pages.
    #[arg(long)]
    pub duplex: bool,
    /// Extra binding margin, in millimetres.
    #[arg(long)]
    pub gutter_mm: Option<f32>,
    /// office, kind, priority, or picked (with --tab).
    #[arg(long)]
    pub group_by: Option<mandate_briefing::Grouping>,
    /// A hand-picked tab: "Name=NUMBER,NUMBER,…" (repeatable, in order; implies --group-by picked).
    #[arg(long = "tab", value_name = "NAME=NUMBERS")]
    pub tabs: Vec<String>,
    /// Put these tabs first, in this order (tab names or office codes, comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub tab_order: Vec<String>,
    /// Print only these sections (comma-separated: summary, dividers, authorities, assignments,
    /// requirements, risks, relations, updates, issues, outcome, appendix).
    #[arg(long)]
    pub sections: Option<String>,
    /// Leave out these sections (comma-separated).
    #[arg(long)]
    pub omit: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum SyncCommand {
    /// Enrol this workspace with an agency server using a one-time enrolment code.
    Connect {
        /// https://server.example.gov (plain http only to this machine).
        url: String,
        #[arg(long)]
        code: String,
        /// A CA certificate to trust for this server (PEM), e.g. a --dev-tls certificate.
        #[arg(long)]
        ca: Option<PathBuf>,
        /// How the server lists this device (default: the host name).
        #[arg(long)]
        device_name: Option<String>,
    },
    /// Last sync, changes waiting, conflicts and refusals.
    Status,
    /// Conflicts: the losing side of edits made at the same time elsewhere.
    Conflicts {
        /// Include resolved ones.
        #[arg(long)]
        all: bool,
    },
    /// Mark a conflict reviewed; --reapply puts the losing value back (a new edit that wins).
    Resolve {
        id: String,
        #[arg(long)]
        reapply: bool,
    },
    /// Before the first push: what the server will refuse this account, and why.
    Preview,
    /// Changes the server refused, with its reasons.
    Refusals {
        /// Also write them, with the refused values, to this JSON file.
        #[arg(long, value_name = "FILE")]
        export: Option<PathBuf>,
    },
    /// Dismiss a refusal you have read (or --all of them).
    Dismiss {
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        change_id: Option<String>,
        #[arg(long)]
        all: bool,
    },
    /// Forget the server (records stay; the device token leaves the credential store).
    Disconnect,
}

#[derive(Subcommand, Debug)]
pub enum SeriesCommand {
    /// Create a series (and issue any occurrence already due).
    Create {
        #[arg(allow_hyphen_values = true, long)]
        title: String,
        #[arg(long, default_value = "tasker", value_parser = parse_vocab::<ActionKind>)]
        kind: ActionKind,
        /// Requirements text each occurrence carries.
        #[arg(allow_hyphen_values = true, long)]
        body: Option<String>,
        #[arg(long, default_value = "routine", value_parser = parse_vocab::<Priority>)]
        priority: Priority,
        #[arg(long, value_parser = parse_vocab::<Marking>)]
        marking: Option<Marking>,
        /// Issuing official.
        #[arg(allow_hyphen_values = true, long)]
        official: String,
        /// RFC 5545 RRULE: FREQ=WEEKLY;BYDAY=MO, FREQ=MONTHLY;BYDAY=-1FR (last Friday),
        /// FREQ=MONTHLY;INTERVAL=3 (quarterly), FREQ=YEARLY; end with COUNT=n or UNTIL=YYYYMMDD.
        #[arg(long)]
        rule: String,
        /// The first occurrence's suspense.
        #[arg(long)]
        starts: NaiveDate,
        /// Days before each suspense that the occurrence is issued.
        #[arg(long, default_value_t = 7)]
        lead_days: u32,
        #[arg(long)]
        opr: Option<String>,
        /// Coordinating office (repeatable).
        #[arg(long)]
        ocr: Vec<String>,
    },
    /// Every series, with how many occurrences are issued and the next ones (issues what is due).
    List,
    /// Skip one occurrence, by its suspense date.
    Skip {
        series: String,
        #[arg(long)]
        date: NaiveDate,
    },
    /// End a series: no occurrence after the date (default today) is issued.
    End {
        series: String,
        #[arg(long)]
        after: Option<NaiveDate>,
    },
    /// Change a series from now on (occurrences already issued stay as they are).
    Change {
        series: String,
        #[arg(allow_hyphen_values = true, long)]
        title: Option<String>,
        #[arg(long)]
        lead_days: Option<u32>,
        #[arg(long)]
        rule: Option<String>,
        #[arg(long)]
        opr: Option<String>,
        /// Coordinating office (repeatable; replaces the series' list).
        #[arg(long)]
        ocr: Vec<String>,
    },
    /// Issue every occurrence that has come due.
    Issue,
}
