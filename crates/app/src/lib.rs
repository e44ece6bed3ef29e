//! What the desktop app can do, as plain async functions over the store, the rules and the
//! briefing crate. The Tauri commands in `src-tauri` are one-line wrappers over these, so every
//! screen's behaviour is testable without a window and the shell holds no logic.
//!
//! Types crossing to the UI derive `ts_rs::TS`; `cargo test -p mandate-app` writes their
//! TypeScript to `ui/src/lib/bindings/` and the test command fails when the committed copy is
//! out of date.

use chrono::{Datelike, NaiveDate};
use mandate_domain::metrics::{Measures, MetricsReport};
use mandate_domain::*;
use mandate_store::ops::NewAction;
use mandate_store::query::ListItem;
use mandate_store::{key_source_for, DbKey, Profile, Store, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use tokio::sync::RwLock;
use ts_rs::TS;

pub mod brief;
pub mod files;
pub mod series;
pub mod steps;
pub mod sync;
pub use brief::{BriefRequest, BriefResult, TemplateEntry};
pub use files::ImportResult;
pub use steps::{StepRequest, StepState};
pub use sync::{ConflictView, ConnectForm, RefusalView, SyncOutcome, SyncView};

/// An error the UI shows: what went wrong, and the rule when a lifecycle rule refused a step.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AppError {
    pub message: String,
    pub rule: Option<String>,
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        let rule = match &e {
            StoreError::Rule(v) => Some(v.rule.to_string()),
            _ => None,
        };
        AppError { message: e.to_string(), rule }
    }
}

impl From<mandate_store::key::KeyError> for AppError {
    fn from(e: mandate_store::key::KeyError) -> Self {
        StoreError::from(e).into()
    }
}

impl From<RuleViolation> for AppError {
    fn from(v: RuleViolation) -> Self {
        AppError { message: v.message.clone(), rule: Some(v.rule.to_string()) }
    }
}

pub(crate) fn invalid(message: impl Into<String>) -> AppError {
    AppError { message: message.into(), rule: None }
}

pub type Result<T> = std::result::Result<T, AppError>;

/// The workspace as the window sees it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct WorkspaceStatus {
    pub path: String,
    /// A workspace file exists (otherwise: first run).
    pub exists: bool,
    pub open: bool,
    pub user: Option<String>,
    pub role: Option<String>,
    pub office: Option<String>,
    /// The highest marking among the workspace's actions (the window's banner).
    pub marking: String,
    pub today: String,
    /// Marking new actions start with.
    pub default_marking: String,
    /// Days before a suspense when an action turns amber and reminders start.
    pub reminder_days: u32,
}

/// What the first-run screen asks.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct FirstRun {
    pub name: String,
    /// executive, office_lead, staff or auditor.
    pub role: String,
    pub office_code: String,
    pub office_name: String,
    /// "empty", "sample" or "import".
    pub start: String,
    pub sample_actions: Option<u32>,
    pub import_paths: Vec<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct Created {
    /// Shown once, for the user to print or write down.
    pub recovery_code: String,
    pub key_kept_in: String,
    pub status: WorkspaceStatus,
    pub imported: Option<String>,
}

/// One page of the actions table and the number of matches in all.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ActionPage {
    pub items: Vec<ListItem>,
    pub total: u64,
}

/// Everything the action detail screen shows.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ActionView {
    pub file: ActionFile,
    /// Office id → "CODE — Name".
    pub offices: BTreeMap<String, String>,
    /// Every lifecycle step, allowed or with the rule that blocks it.
    pub steps: Vec<StepState>,
    pub overdue: bool,
    /// green / amber / red / none.
    pub stoplight: String,
    pub history: Vec<mandate_store::audit::Entry>,
    /// Which office held the action when, replayed from the audit trail (the timeline).
    pub custody: Vec<mandate_domain::custody::Hold>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct WorkItem {
    pub action_id: String,
    pub number: String,
    pub title: String,
    pub office: String,
    pub suspense: Option<String>,
    pub stoplight: String,
    pub why: String,
}

/// "My work": what needs me or my office now.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct MyWork {
    pub office: Option<String>,
    pub to_acknowledge: Vec<WorkItem>,
    pub to_concur: Vec<WorkItem>,
    pub extensions_to_decide: Vec<WorkItem>,
    pub overdue: Vec<WorkItem>,
    pub due_soon: Vec<WorkItem>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct TrendPoint {
    pub month: String,
    pub measures: Measures,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct Dashboard {
    pub report: MetricsReport,
    pub trend: Vec<TrendPoint>,
    /// Per office: days it holds an action before acknowledging and before answering.
    pub custody: Vec<mandate_domain::custody::OfficeCustody>,
}

/// A new action as the form sends it: issued and assigned in one go when it says so.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct NewActionForm {
    pub title: String,
    pub kind: String,
    pub body: String,
    pub priority: String,
    pub marking: Option<String>,
    pub issuing_official: Option<String>,
    pub suspense: Option<String>,
    pub authorities: Vec<String>,
    pub issue: bool,
    pub opr: Option<String>,
    pub ocrs: Vec<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AuthorityEntry {
    pub authority: Authority,
    pub citing: Vec<ActionBrief>,
}

/// The desktop's handle on one workspace file.
pub struct App {
    path: PathBuf,
    store: RwLock<Option<Store>>,
    started: std::time::Instant,
    sync: std::sync::Mutex<sync::SyncState>,
    /// The last work summary a notification showed (so a sync only notifies what is new).
    last_summary: std::sync::Mutex<Option<String>>,
}

/// Launch figures for `cargo xtask bench` (printed when `MANDATE_STARTUP_REPORT` is set).
#[derive(Debug, Clone, Serialize)]
pub struct StartupReport {
    /// From the app's start to the first screen drawn with its data.
    pub first_screen_ms: u128,
    /// Resident and peak resident memory of this process (the Rust side; WebKit renders in its
    /// own processes), in kilobytes. Linux only.
    pub rss_kb: Option<u64>,
    pub peak_rss_kb: Option<u64>,
}

fn parse<T: std::str::FromStr<Err = String>>(what: &str, s: &str) -> Result<T> {
    s.parse().map_err(|e: String| invalid(format!("{what}: {e}")))
}

fn date(what: &str, s: &str) -> Result<NaiveDate> {
    s.parse().map_err(|_| invalid(format!("{what}: `{s}` is not a date (YYYY-MM-DD)")))
}

/// The day overdue is judged against: `MANDATE_TODAY` when set (tests, demos), else today.
pub fn today() -> NaiveDate {
    std::env::var("MANDATE_TODAY").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| chrono::Local::now().date_naive())
}

/// Suspense stoplight: red overdue, amber due within `amber_days`, green otherwise.
pub fn stoplight(suspense: Option<NaiveDate>, status: Status, today: NaiveDate, amber_days: i64) -> &'static str {
    match suspense {
        _ if !status.is_open() => "none",
        None => "none",
        Some(s) if s < today => "red",
        Some(s) if (s - today).num_days() <= amber_days => "amber",
        Some(_) => "green",
    }
}

impl App {
    /// The workspace at `MANDATE_DB`, or the per-user default.
    pub fn new(path: Option<PathBuf>) -> App {
        let path = path.or_else(|| std::env::var_os("MANDATE_DB").map(PathBuf::from)).unwrap_or_else(default_path);
        App {
            path,
            store: RwLock::new(None),
            started: std::time::Instant::now(),
            sync: Default::default(),
            last_summary: Default::default(),
        }
    }

    pub(crate) async fn with<T>(&self, f: impl AsyncFnOnce(&Store) -> Result<T>) -> Result<T> {
        let guard = self.store.read().await;
        match guard.as_ref() {
            Some(s) => f(s).await,
            None => Err(invalid("no workspace is open")),
        }
    }

    /// The window says its first screen is up. With `MANDATE_STARTUP_REPORT` set, prints the
    /// launch figures as one JSON line and returns true when the caller should then quit
    /// (`MANDATE_STARTUP_REPORT=exit`, what the benchmark uses).
    pub fn first_screen_shown(&self) -> bool {
        let Ok(mode) = std::env::var("MANDATE_STARTUP_REPORT") else { return false };
        let report = self.report();
        println!("{}", serde_json::to_string(&report).expect("a report serialises"));
        mode == "exit"
    }

    /// For the benchmark: the Rust side alone (no window) doing what the screens ask for — open,
    /// My work, the first page of Actions, one action, the Dashboard — then its peak memory.
    pub async fn memory_probe(&self) -> Result<StartupReport> {
        self.open().await?;
        self.my_work().await?;
        let page = self.list_actions(ActionFilter { limit: Some(200), ..Default::default() }).await?;
        if let Some(first) = page.items.first() {
            self.action(&first.id.to_string()).await?;
        }
        self.dashboard().await?;
        Ok(self.report())
    }

    /// Time since start and this process's memory (from /proc; `None` elsewhere).
    fn report(&self) -> StartupReport {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let kb = |key: &str| status.lines().find(|l| l.starts_with(key)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok());
        StartupReport { first_screen_ms: self.started.elapsed().as_millis(), rss_kb: kb("VmRSS:"), peak_rss_kb: kb("VmHWM:") }
    }

    pub async fn status(&self) -> Result<WorkspaceStatus> {
        let guard = self.store.read().await;
        let mut st = WorkspaceStatus {
            path: self.path.display().to_string(),
            exists: self.path.exists(),
            open: guard.is_some(),
            user: None,
            role: None,
            office: None,
            marking: Marking::unclassified().to_string(),
            today: today().to_string(),
            default_marking: Marking::unclassified().to_string(),
            reminder_days: 7,
        };
        if let Some(s) = guard.as_ref() {
            let p = s.profile();
            st.user = Some(p.name.clone());
            st.role = Some(p.role.as_str().to_string());
            st.office = p.office.clone();
            st.marking = s.highest_marking().await?.to_string();
            st.default_marking = p.default_marking.clone().unwrap_or_else(Marking::unclassified).to_string();
            st.reminder_days = reminder_days(s);
        }
        Ok(st)
    }

    /// Opens the workspace with the key from the credential store (or `MANDATE_DB_KEY`).
    pub async fn open(&self) -> Result<WorkspaceStatus> {
        {
            let mut guard = self.store.write().await;
            if guard.is_none() {
                let key = key_source_for(&self.path).load()?;
                *guard = Some(Store::open(&self.path, &key).await?);
            }
        }
        self.status().await
    }

    /// First run: a new encrypted workspace, its key kept in the credential store, the user's
    /// profile and office, and the chosen start (empty, sample data, or an import).
    pub async fn create(&self, setup: FirstRun, progress: &(dyn Fn(&str, u64, u64) + Sync)) -> Result<Created> {
        if self.path.exists() {
            return Err(StoreError::AlreadyExists(self.path.clone()).into());
        }
        if setup.name.trim().is_empty() {
            return Err(invalid("your name is needed: it is recorded with every change you make"));
        }
        let role: UserRole = parse("role", &setup.role)?;
        let code = setup.office_code.trim().to_uppercase();
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| invalid(format!("cannot create {}: {e}", dir.display())))?;
        }
        let source = key_source_for(&self.path);
        let key = if std::env::var_os(mandate_store::KEY_ENV).is_some() { source.load()? } else { DbKey::generate() };
        source.save(&key)?;
        let profile =
            Profile { name: setup.name.trim().to_string(), role, office: (!code.is_empty()).then(|| code.clone()), ..Default::default() };
        let store = Store::create(&self.path, &key, profile).await?;
        if !code.is_empty() {
            let name = if setup.office_name.trim().is_empty() { code.clone() } else { setup.office_name.trim().to_string() };
            store.add_office(&code, &name, OfficeKind::Office, None).await?;
        }
        let mut imported = None;
        match setup.start.as_str() {
            "sample" => {
                let n = setup.sample_actions.unwrap_or(500).clamp(1, 200_000) as usize;
                let r = mandate_sample::generate(&mandate_sample::Options { actions: n, today: today(), ..Default::default() });
                store.insert_records(&r, progress).await?;
                imported = Some(format!("{n} sample actions"));
            }
            "import" => {
                let paths: Vec<PathBuf> = setup.import_paths.iter().map(PathBuf::from).collect();
                let s = store.import_paths(&paths, mandate_store::import::BadRows::RejectFile, progress).await?;
                imported = Some(files::import_summary(&s));
            }
            _ => {}
        }
        *self.store.write().await = Some(store);
        Ok(Created {
            recovery_code: key.recovery_code().to_string(),
            key_kept_in: source.describe(),
            status: self.status().await?,
            imported,
        })
    }

    /// Reopens a workspace whose key was lost from the credential store, with its recovery
    /// code, and puts the key back.
    pub async fn recover(&self, code: &str) -> Result<WorkspaceStatus> {
        let key = DbKey::from_recovery_code(code)?;
        {
            let mut guard = self.store.write().await;
            let store = Store::open(&self.path, &key).await?;
            key_source_for(&self.path).save(&key)?;
            *guard = Some(store);
        }
        self.status().await
    }

    /// Re-encrypts the workspace under a new key (kept in the credential store) and returns the
    /// new recovery code; the old code stops working.
    pub async fn rekey(&self) -> Result<String> {
        let mut guard = self.store.write().await;
        let store = guard.take().ok_or_else(|| invalid("no workspace is open"))?;
        let source = key_source_for(&self.path);
        let old = source.load()?;
        let new = DbKey::generate();
        let result = store.rekey(&old, &new).await;
        // Whatever happened, reopen with the key that now opens the file.
        let key = if result.is_ok() { &new } else { &old };
        *guard = Some(Store::open(&self.path, key).await?);
        result?;
        source.save(&new).map_err(|e| {
            invalid(format!(
                "the workspace was re-encrypted but the new key could not be stored ({e}); keep this recovery code: {}",
                new.recovery_code().as_str()
            ))
        })?;
        Ok(new.recovery_code().to_string())
    }

    /// Saves the user's preferences (default marking, reminder lead time).
    pub async fn update_settings(&self, default_marking: String, reminder_days: u32) -> Result<WorkspaceStatus> {
        {
            let mut guard = self.store.write().await;
            let s = guard.as_mut().ok_or_else(|| invalid("no workspace is open"))?;
            let mut p = s.profile().clone();
            p.default_marking = Some(parse("default marking", &default_marking)?);
            if !(1..=90).contains(&reminder_days) {
                return Err(invalid("reminders start 1 to 90 days before a suspense"));
            }
            p.reminder_days = Some(reminder_days);
            s.set_profile(p).await?;
        }
        self.status().await
    }

    pub async fn close(&self) {
        if let Some(s) = self.store.write().await.take() {
            s.close().await;
        }
    }

    pub async fn list_actions(&self, filter: ActionFilter) -> Result<ActionPage> {
        self.with(async |s| {
            let t = today();
            let mut count_filter = filter.clone();
            count_filter.limit = None;
            count_filter.offset = 0;
            Ok(ActionPage { items: s.list_actions(&filter, t).await?, total: s.count_actions(&count_filter, t).await? })
        })
        .await
    }

    pub async fn action(&self, key: &str) -> Result<ActionView> {
        self.with(async |s| view(s, key).await).await
    }

    pub async fn step(&self, key: &str, step: StepRequest) -> Result<ActionView> {
        self.with(async |s| {
            let id = s.resolve_action(key).await?;
            steps::run(s, id, step).await?;
            view(s, &id.to_string()).await
        })
        .await
    }

    pub async fn create_action(&self, form: NewActionForm) -> Result<ActionView> {
        self.with(async |s| {
            if form.title.trim().is_empty() {
                return Err(invalid("an action needs a title"));
            }
            let new = NewAction {
                title: form.title.trim().to_string(),
                kind: parse("kind", &form.kind)?,
                body: form.body.clone(),
                priority: parse("priority", &form.priority)?,
                marking: match form.marking.as_deref().filter(|m| !m.trim().is_empty()) {
                    Some(m) => Some(parse("marking", m)?),
                    None => s.profile().default_marking.clone(),
                },
                issuing_official: form.issuing_official.clone().filter(|o| !o.trim().is_empty()),
                suspense: match form.suspense.as_deref().filter(|d| !d.is_empty()) {
                    Some(d) => Some(date("suspense", d)?),
                    None => None,
                },
                parent: None,
                authorities: form.authorities.iter().map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect(),
                issue: form.issue,
            };
            let file = s.create_action(new).await?;
            let id = file.action.id;
            if let Some(opr) = form.opr.as_deref().filter(|o| !o.is_empty()) {
                s.assign(id, opr, Role::Opr, file.action.suspense, None).await?;
            }
            for ocr in form.ocrs.iter().filter(|o| !o.is_empty()) {
                s.assign(id, ocr, Role::Ocr, file.action.suspense, None).await?;
            }
            view(s, &id.to_string()).await
        })
        .await
    }

    #[allow(clippy::type_complexity)]
    pub async fn offices(&self) -> Result<Vec<Office>> {
        self.with(async |s| {
            let mut o = s.all::<Office>().await?;
            o.sort_by(|a, b| a.code.cmp(&b.code));
            Ok(o)
        })
        .await
    }

    pub async fn add_office(&self, code: String, name: String, kind: String) -> Result<Office> {
        self.with(async |s| Ok(s.add_office(&code, &name, parse("kind", &kind)?, None).await?)).await
    }

    pub async fn add_person(&self, name: String, title: String, email: Option<String>, office: Option<String>) -> Result<Person> {
        self.with(async |s| {
            if name.trim().is_empty() {
                return Err(invalid("a person needs a name"));
            }
            let email = email.filter(|e| !e.trim().is_empty());
            let office = office.filter(|o| !o.trim().is_empty());
            Ok(s.add_person(&name, &title, email.as_deref(), office.as_deref()).await?)
        })
        .await
    }

    pub async fn people(&self) -> Result<Vec<Person>> {
        self.with(async |s| Ok(s.all::<Person>().await?)).await
    }

    pub async fn authorities(&self) -> Result<Vec<AuthorityEntry>> {
        self.with(async |s| {
            let mut list = s.all::<Authority>().await?;
            list.sort_by(|a, b| a.citation.cmp(&b.citation));
            let mut out = Vec::with_capacity(list.len());
            for a in list {
                let citing = s.actions_citing(a.id).await?;
                out.push(AuthorityEntry { authority: a, citing });
            }
            Ok(out)
        })
        .await
    }

    pub async fn dashboard(&self) -> Result<Dashboard> {
        self.with(async |s| {
            let t = today();
            let report = s.measures(t, None, None, None).await?;
            // Trend: the measures for actions issued in each of the last twelve months.
            let months: Vec<(NaiveDate, NaiveDate)> = (0..12)
                .rev()
                .map(|back| {
                    let first = month_start(t, back);
                    let next = month_start(t, back - 1);
                    (first, next.pred_opt().unwrap_or(next))
                })
                .collect();
            let measures = s.measures_per_period(t, &months).await?;
            let trend = months
                .iter()
                .zip(measures)
                .map(|((first, _), measures)| TrendPoint { month: first.format("%Y-%m").to_string(), measures })
                .collect();
            Ok(Dashboard { report, trend, custody: s.custody_by_office().await? })
        })
        .await
    }

    pub async fn my_work(&self) -> Result<MyWork> {
        self.with(async |s| my_work(s).await).await
    }

    /// The notification text for My work. With `only_new` (after a sync brought records), `None`
    /// unless it differs from the last one shown: reminders repeat, syncs only announce changes.
    pub async fn work_summary(&self, only_new: bool) -> Result<Option<String>> {
        let summary = self.summarise_work().await?;
        let mut last = self.last_summary.lock().expect("summary lock");
        if only_new && *last == summary {
            return Ok(None);
        }
        last.clone_from(&summary);
        Ok(summary)
    }

    async fn summarise_work(&self) -> Result<Option<String>> {
        let w = self.my_work().await?;
        let mut parts = Vec::new();
        if !w.overdue.is_empty() {
            parts.push(format!("{} overdue", w.overdue.len()));
        }
        if !w.due_soon.is_empty() {
            parts.push(format!("{} due within 7 days", w.due_soon.len()));
        }
        let respond = w.to_acknowledge.len() + w.to_concur.len() + w.extensions_to_decide.len();
        if respond > 0 {
            parts.push(format!("{respond} awaiting your office's response"));
        }
        Ok((!parts.is_empty()).then(|| parts.join(", ")))
    }

    pub async fn views(&self) -> Result<Vec<SavedView>> {
        self.with(async |s| Ok(s.views().await?)).await
    }

    pub async fn save_view(&self, name: String, filter: ActionFilter) -> Result<SavedView> {
        self.with(async |s| Ok(s.save_view(&name, &filter).await?)).await
    }
}

fn month_start(today: NaiveDate, back: i32) -> NaiveDate {
    let months = today.year() * 12 + today.month0() as i32 - back;
    NaiveDate::from_ymd_opt(months.div_euclid(12), months.rem_euclid(12) as u32 + 1, 1).expect("valid month")
}

fn default_path() -> PathBuf {
    directories::ProjectDirs::from("gov", "Mandate", "Mandate")
        .map(|d| d.data_dir().join("mandate.db"))
        .unwrap_or_else(|| PathBuf::from("mandate.db"))
}

fn reminder_days(s: &Store) -> u32 {
    s.profile().reminder_days.unwrap_or(7)
}

async fn view(s: &Store, key: &str) -> Result<ActionView> {
    let id = s.resolve_action(key).await?;
    let file = s.action_file(id).await?;
    let offices = s.all::<Office>().await?.into_iter().map(|o| (o.id.to_string(), format!("{} — {}", o.code, o.name))).collect();
    let t = today();
    let history = s.audit_history(&id.to_string()).await?;
    let (_, custody) = s.custody(&id.to_string()).await?;
    Ok(ActionView {
        custody,
        steps: steps::states(&file, s.actor()),
        overdue: file.action.is_overdue(t),
        stoplight: stoplight(file.action.suspense, file.action.status, t, reminder_days(s) as i64).into(),
        offices,
        history,
        file,
    })
}

/// How many of each kind My work lists (the counts on its cards are of these lists).
const MY_WORK_LIMIT: u32 = 200;

async fn my_work(s: &Store) -> Result<MyWork> {
    let t = today();
    // Recurring taskers' occurrences that have come due are issued before the list is read.
    s.issue_due_occurrences(t).await?;
    let amber = reminder_days(s) as i64;
    let office = s.profile().office.clone();
    let mut w = MyWork {
        office: office.clone(),
        to_acknowledge: vec![],
        to_concur: vec![],
        extensions_to_decide: vec![],
        overdue: vec![],
        due_soon: vec![],
    };
    for p in s.pending_responses(office.as_deref(), MY_WORK_LIMIT).await? {
        let item = WorkItem {
            action_id: p.action_id.to_string(),
            number: p.number,
            title: p.title,
            office: p.office,
            suspense: p.suspense.map(|d| d.to_string()),
            stoplight: stoplight(p.suspense, Status::InProgress, t, amber).to_string(),
            why: match p.what.as_str() {
                "acknowledge" => format!("Acknowledge as {}", p.role.label()),
                "concur" => "Concur or non-concur".to_string(),
                _ => format!("Decide the extension request: {}", p.detail),
            },
        };
        match p.what.as_str() {
            "acknowledge" => w.to_acknowledge.push(item),
            "concur" => w.to_concur.push(item),
            _ => w.extensions_to_decide.push(item),
        }
    }
    let open = vec![Status::Issued, Status::Assigned, Status::InProgress, Status::Blocked];
    let overdue = ActionFilter { office: office.clone(), overdue: true, limit: Some(MY_WORK_LIMIT), ..Default::default() };
    let soon = ActionFilter {
        office: office.clone(),
        statuses: open,
        due_from: Some(t),
        due_to: Some(t + chrono::Days::new(amber as u64)),
        limit: Some(MY_WORK_LIMIT),
        ..Default::default()
    };
    let item = |i: &ListItem, why: &str| WorkItem {
        action_id: i.id.to_string(),
        number: i.number.clone(),
        title: i.title.clone(),
        office: office.clone().unwrap_or_default(),
        suspense: i.suspense.map(|d| d.to_string()),
        stoplight: stoplight(i.suspense, i.status, t, amber).to_string(),
        why: why.to_string(),
    };
    w.overdue = s.list_actions(&overdue, t).await?.iter().map(|i| item(i, "Past its suspense")).collect();
    let soon_why = format!("Due within {amber} days");
    w.due_soon = s.list_actions(&soon, t).await?.iter().map(|i| item(i, &soon_why)).collect();
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records the window gets straight from a command (not inside one of the app's own types)
    /// are exported here; everything the app's types contain is exported with them.
    #[test]
    fn export_record_bindings() {
        use ts_rs::{Config, TS};
        let cfg = Config::from_env();
        Office::export_all(&cfg).unwrap();
        Person::export_all(&cfg).unwrap();
        SavedView::export_all(&cfg).unwrap();
        ActionFilter::export_all(&cfg).unwrap();
        series::NewSeries::export_all(&cfg).unwrap();
        series::Occurrence::export_all(&cfg).unwrap();
    }

    #[test]
    fn stoplights_follow_the_suspense() {
        let t: NaiveDate = "2026-11-24".parse().unwrap();
        let d = |s: &str| Some(s.parse::<NaiveDate>().unwrap());
        assert_eq!(stoplight(d("2026-11-20"), Status::InProgress, t, 7), "red");
        assert_eq!(stoplight(d("2026-11-30"), Status::InProgress, t, 7), "amber");
        assert_eq!(stoplight(d("2026-12-30"), Status::InProgress, t, 7), "green");
        assert_eq!(stoplight(d("2026-11-20"), Status::Closed, t, 7), "none");
    }

    #[test]
    fn month_starts_go_back_across_years() {
        let t: NaiveDate = "2026-02-14".parse().unwrap();
        assert_eq!(month_start(t, 0).to_string(), "2026-02-01");
        assert_eq!(month_start(t, 3).to_string(), "2025-11-01");
        assert_eq!(month_start(t, -1).to_string(), "2026-03-01");
    }
}
