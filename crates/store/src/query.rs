//! Reads: one action's whole file, filtered lists, full-text search, the rows behind the
//! success measures.
//!
//! Every list the app shows is one of [`Store::list_actions`]'s queries, so the benchmark that
//! times them times what users wait for.

use crate::{Record, Result, Store, StoreError};
use chrono::NaiveDate;
use mandate_domain::*;
use serde::{Deserialize, Serialize};
use sqlx::{Row, SqliteConnection};

/// How many of the newest full-text matches are ranked by relevance. Ranking every match of a
/// common word in 100k actions costs ~50 ms; ranking a bounded candidate set keeps search fast,
/// at the price that an old, highly relevant match can lose to newer ones.
pub const RANKED_CANDIDATES: u32 = 300;

pub use mandate_domain::filter::{ActionFilter, Sort};

/// A response owed on an action (see [`Store::pending_responses`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PendingResponse {
    /// acknowledge, concur or extension.
    pub what: String,
    pub action_id: Id,
    pub number: String,
    pub title: String,
    pub office: String,
    pub role: Role,
    pub suspense: Option<NaiveDate>,
    /// The justification of an extension request.
    pub detail: String,
}

fn pending_row(what: &str, r: &sqlx::sqlite::SqliteRow) -> Result<PendingResponse> {
    let bad = || StoreError::Invalid("a stored assignment is unreadable".into());
    Ok(PendingResponse {
        what: what.to_string(),
        action_id: r.get::<String, _>(0).parse().map_err(|_| bad())?,
        number: r.get(1),
        title: r.get(2),
        office: r.get(3),
        role: r.get::<String, _>(4).parse().map_err(|_| bad())?,
        suspense: r.get::<Option<String>, _>(5).and_then(|d| d.parse().ok()),
        detail: r.get::<Option<String>, _>(6).unwrap_or_default(),
    })
}

/// One row of the actions list — the stable JSON of `mandate action list --json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ListItem {
    pub id: Id,
    pub number: String,
    pub title: String,
    pub kind: ActionKind,
    pub status: Status,
    pub priority: Priority,
    pub suspense: Option<NaiveDate>,
    pub percent_complete: u8,
    pub marking: String,
    pub overdue: bool,
}

/// Turn what a person typed into an FTS5 query: every word must appear, the last word may be a
/// prefix. Quoting each word means FTS5 operators typed by accident (`-`, `OR`, `:`) are text.
pub fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> =
        text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(|w| format!("\"{}\"", w.to_lowercase())).collect();
    let n = words.len();
    if n == 0 {
        return None;
    }
    Some(words.into_iter().enumerate().map(|(i, w)| if i + 1 == n { format!("{w}*") } else { w }).collect::<Vec<_>>().join(" "))
}

/// The full-text columns people's words are matched against (not `tags`).
const TEXT_COLUMNS: &str = "{number title body updates authorities}";

/// The MATCH expression for a list: the typed words against the text columns and, when the list
/// is also filtered by status or office, those as tags (migration 8), so the index narrows the
/// matches itself instead of every match of a common word being tested against the filters.
/// Without words, an office alone is its tag: the office's actions read from one compact doclist
/// rather than a probe into the assignments index for every row walked (each probe a few pages
/// to decrypt; ~60 ms a page of 200 at 100k actions). `office_id` is the filter's office, when it
/// names one; `None` when there is nothing to match.
pub fn search_match(text: Option<&str>, statuses: &[Status], office_id: Option<Id>) -> Option<String> {
    let office = office_id.map(|id| format!("tags : xo{}", id.to_string().replace('-', "")));
    let Some(words) = text.and_then(fts_query) else { return office };
    let mut parts = vec![format!("{TEXT_COLUMNS} : ({words})")];
    if !statuses.is_empty() {
        let tags: Vec<String> = statuses.iter().map(|s| format!("xs{}", s.as_str().replace('_', ""))).collect();
        parts.push(format!("tags : ({})", tags.join(" OR ")));
    }
    parts.extend(office);
    Some(parts.join(" AND "))
}

/// An action's place in the lifecycle, as SQL. Migration 5 indexes exactly this expression, so
/// sorting by status walks an index (the test `lifecycle_order_matches_its_index` keeps the two
/// the same).
const LIFECYCLE_ORDER: &str = "CASE status WHEN 'draft' THEN 0 WHEN 'issued' THEN 1 WHEN 'assigned' THEN 2 \
WHEN 'in_progress' THEN 3 WHEN 'blocked' THEN 4 WHEN 'completed' THEN 5 WHEN 'evaluated' THEN 6 WHEN 'closed' THEN 7 \
WHEN 'cancelled' THEN 8 WHEN 'superseded' THEN 9 END";

/// The ORDER BY of a list page. Every order is one an index holds (with `due, id` or the rowid
/// as tie-breakers), so a page of 100k actions is read off an index, never sorted.
fn order_by(sort: Sort, descending: bool) -> String {
    let keys: &[&str] = match sort {
        Sort::Newest => return if descending { "a.seq".into() } else { "a.seq DESC".into() },
        Sort::Suspense | Sort::Relevance => &["a.due", "a.id"],
        Sort::Number => &["a.number", "a.seq"],
        Sort::Title => &["a.title", "a.seq"],
        Sort::Status => &[LIFECYCLE_ORDER, "a.due", "a.id"],
        Sort::Kind => &["a.kind", "a.due", "a.id"],
        Sort::Priority => &["a.priority", "a.due", "a.id"],
    };
    let dir = if descending { " DESC" } else { "" };
    keys.iter().map(|k| format!("{k}{dir}")).collect::<Vec<_>>().join(", ")
}

/// A filter of statuses and nothing else (a page may still be sorted and limited).
fn where_is_only_status(f: &ActionFilter) -> bool {
    ActionFilter { statuses: vec![], sort: None, descending: false, limit: None, offset: 0, ..f.clone() } == ActionFilter::default()
}

fn where_is_empty(w: &str) -> bool {
    w == "1"
}

const OPEN_WORKING: &str = "('issued','assigned','in_progress','blocked')";

/// Exactly the open, working statuses (the board's and "most urgent first"'s filter)?
fn is_open_working(statuses: &[Status]) -> bool {
    let open = [Status::Issued, Status::Assigned, Status::InProgress, Status::Blocked];
    statuses.len() == open.len() && open.iter().all(|s| statuses.contains(s))
}

/// The SQL side of an [`ActionFilter`] (the filter itself is domain data).
trait FilterSql {
    fn where_clause(&self, today: &str, args: &mut Vec<String>, for_count: bool, walk: bool) -> String;
}

impl FilterSql for ActionFilter {
    /// The WHERE clause. Pages (`for_count = false`) walk an index in suspense order and test
    /// each candidate, stopping after one page; counts start from the office's assignments.
    /// `walk`: the page is sorted by another index (title, priority…) — the unary `+` on the
    /// filtered columns keeps SQLite walking that index and testing each row, rather than
    /// reading every row of a common status through its index and sorting them (500 ms for
    /// "open, most urgent first" at 100k actions).
    fn where_clause(&self, today: &str, args: &mut Vec<String>, for_count: bool, walk: bool) -> String {
        let mut w = vec!["1".to_string()];
        let a = if walk { "+a" } else { "a" };
        let mut list = |vals: Vec<&str>, col: &str, w: &mut Vec<String>| {
            if !vals.is_empty() {
                let ph: Vec<String> = vals
                    .iter()
                    .map(|v| {
                        args.push(v.to_string());
                        format!("?{}", args.len())
                    })
                    .collect();
                w.push(format!("{a}.{col} IN ({})", ph.join(",")));
            }
        };
        if is_open_working(&self.statuses) {
            // Literal, not bound: partial indexes over open actions (suspense order, priority
            // order) apply only when the query states their WHERE itself.
            w.push(format!("{a}.status IN {OPEN_WORKING}"));
        } else {
            list(self.statuses.iter().map(|s| s.as_str()).collect(), "status", &mut w);
        }
        list(self.kinds.iter().map(|s| s.as_str()).collect(), "kind", &mut w);
        list(self.priorities.iter().map(|s| s.as_str()).collect(), "priority", &mut w);
        if let Some(o) = &self.office {
            args.push(o.trim().to_uppercase());
            let office = format!("(SELECT id FROM offices WHERE code = ?{})", args.len());
            w.push(if for_count {
                // `count_actions` starts from `assignments s` (an office is on an action once).
                format!("s.office_id = {office}")
            } else {
                format!("EXISTS (SELECT 1 FROM assignments s WHERE s.office_id = {office} AND s.action_id = a.id)")
            });
        }
        if self.overdue {
            args.push(today.to_string());
            w.push(format!("{a}.status IN {OPEN_WORKING} AND {a}.due < ?{}", args.len()));
        }
        if self.at_risk {
            args.push(today.to_string());
            let t = args.len();
            args.push((today.parse::<NaiveDate>().expect("today is a date") + chrono::Days::new(AT_RISK_WINDOW_DAYS as u64)).to_string());
            w.push(format!(
                "{a}.status IN {OPEN_WORKING} AND {a}.due >= ?{t} AND {a}.due <= ?{} AND a.percent < {AT_RISK_DONE_PERCENT}",
                args.len()
            ));
        }
        if let Some(from) = self.due_from {
            args.push(from.to_string());
            w.push(format!("{a}.due >= ?{}", args.len()));
        }
        if let Some(to) = self.due_to {
            args.push(to.to_string());
            w.push(format!("{a}.due <= ?{}", args.len()));
        }
        if self.unassigned {
            // Assigned and later states have an OPR by rule, so "nobody assigned" is an issued
            // action without assignments (the same definition as the success measure).
            w.push(format!("{a}.status = 'issued' AND NOT EXISTS (SELECT 1 FROM assignments s WHERE s.action_id = a.id)"));
        }
        w.join(" AND ")
    }
}

fn item_from_row(r: &sqlx::sqlite::SqliteRow, today: NaiveDate) -> Result<ListItem> {
    let bad = |what: &str, v: String| StoreError::Invalid(format!("stored action has an unreadable {what}: {v}"));
    let status: Status = r.get::<String, _>("status").parse().map_err(|e| bad("status", e))?;
    let suspense: Option<NaiveDate> = r.get::<Option<String>, _>("suspense").and_then(|s| s.parse().ok());
    Ok(ListItem {
        id: r.get::<String, _>("id").parse().map_err(|e| bad("id", e))?,
        number: r.get("number"),
        title: r.get("title"),
        kind: r.get::<String, _>("kind").parse().map_err(|e| bad("kind", e))?,
        status,
        priority: r.get::<String, _>("priority").parse().map_err(|e| bad("priority", e))?,
        suspense,
        percent_complete: r.get::<i64, _>("percent").clamp(0, 100) as u8,
        marking: r.get("marking"),
        overdue: status.is_open() && status != Status::Draft && suspense.is_some_and(|s| s < today),
    })
}

pub(crate) async fn get<R: Record>(conn: &mut SqliteConnection, id: Id) -> Result<Option<R>> {
    let row: Option<String> =
        sqlx::query_scalar(&format!("SELECT data FROM {} WHERE id = ?", R::TABLE)).bind(id.to_string()).fetch_optional(&mut *conn).await?;
    row.map(|d| decode::<R>(&d)).transpose()
}

pub(crate) fn decode<R: Record>(data: &str) -> Result<R> {
    serde_json::from_str(data).map_err(|e| StoreError::Invalid(format!("a stored {} record is unreadable: {e}", R::TABLE)))
}

pub(crate) async fn children<R: Record>(conn: &mut SqliteConnection, action_id: Id) -> Result<Vec<R>> {
    let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT data FROM {} WHERE action_id = ? ORDER BY rowid", R::TABLE))
        .bind(action_id.to_string())
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|d| decode::<R>(d)).collect()
}

pub(crate) async fn all<R: Record>(conn: &mut SqliteConnection) -> Result<Vec<R>> {
    let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT data FROM {} ORDER BY rowid", R::TABLE)).fetch_all(&mut *conn).await?;
    rows.iter().map(|d| decode::<R>(d)).collect()
}

async fn briefs(conn: &mut SqliteConnection, ids: &[Id]) -> Result<Vec<ActionBrief>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let ids: Vec<String> = ids.iter().map(Id::to_string).collect();
    let rows: Vec<String> = sqlx::query_scalar("SELECT data FROM actions WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY seq")
        .bind(serde_json::to_string(&ids).expect("ids serialise"))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|d| decode::<Action>(d).map(|a| ActionBrief::from(&a))).collect()
}

/// Load everything about one action.
pub(crate) async fn load_file(conn: &mut SqliteConnection, id: Id) -> Result<ActionFile> {
    let action: Action = get(&mut *conn, id).await?.ok_or_else(|| StoreError::NotFound(format!("no action with id {id}")))?;
    let mut f = ActionFile::new(action);
    f.citations = children(&mut *conn, id).await?;
    for c in &f.citations {
        if let Some(a) = get::<Authority>(&mut *conn, c.authority_id).await? {
            f.authorities.push(a);
        }
    }
    f.assignments = children(&mut *conn, id).await?;
    f.extensions = children(&mut *conn, id).await?;
    f.risks = children(&mut *conn, id).await?;
    f.impacts = children(&mut *conn, id).await?;
    f.updates = children(&mut *conn, id).await?;
    f.issues = children(&mut *conn, id).await?;
    f.relations = children(&mut *conn, id).await?;
    let inv: Vec<String> = sqlx::query_scalar("SELECT data FROM relations WHERE target_id = ? ORDER BY rowid")
        .bind(id.to_string())
        .fetch_all(&mut *conn)
        .await?;
    f.inverse_relations = inv.iter().map(|d| decode::<Relation>(d)).collect::<Result<_>>()?;
    f.evaluation = children::<Evaluation>(&mut *conn, id).await?.into_iter().next();
    f.documents = children(&mut *conn, id).await?;
    f.transitions = children(&mut *conn, id).await?;
    let child_ids: Vec<String> =
        sqlx::query_scalar("SELECT id FROM actions WHERE parent_id = ?").bind(id.to_string()).fetch_all(&mut *conn).await?;
    let mut related: Vec<Id> = child_ids.iter().filter_map(|s| s.parse().ok()).collect();
    related.extend(f.relations.iter().map(|r| r.target_id));
    related.extend(f.inverse_relations.iter().map(|r| r.action_id));
    related.extend(f.action.parent_id);
    related.sort();
    related.dedup();
    f.related = briefs(&mut *conn, &related).await?;
    Ok(f)
}

/// Normalise what people type for an action: `eo13526`, `EO 13526`, `Executive Order 13526`.
fn normalise_number(key: &str) -> String {
    let k = key.trim();
    let upper = k.to_uppercase();
    let digits = upper.trim_start_matches("EXECUTIVE ORDER").trim_start_matches("EO").trim_start_matches('.').trim();
    if upper.starts_with("EO") || upper.starts_with("EXECUTIVE ORDER") {
        if digits.chars().all(|c| c.is_ascii_digit()) && !digits.is_empty() {
            return format!("EO {digits}");
        }
    }
    k.to_string()
}

pub(crate) async fn resolve_action(conn: &mut SqliteConnection, key: &str) -> Result<Id> {
    if let Ok(id) = key.parse::<Id>() {
        return Ok(id);
    }
    let n = normalise_number(key);
    let id: Option<String> =
        sqlx::query_scalar("SELECT id FROM actions WHERE number = ?1 UNION ALL SELECT id FROM actions WHERE external_ref = ?1 LIMIT 1")
            .bind(&n)
            .fetch_optional(&mut *conn)
            .await?;
    id.and_then(|s| s.parse().ok())
        .ok_or_else(|| StoreError::NotFound(format!("no action numbered `{key}` (give its number, e.g. 2026-0042 or EO 13526, or its id)")))
}

pub(crate) async fn office_by_code(conn: &mut SqliteConnection, code: &str) -> Result<Office> {
    let d: Option<String> =
        sqlx::query_scalar("SELECT data FROM offices WHERE code = ?").bind(code.trim().to_uppercase()).fetch_optional(&mut *conn).await?;
    match d {
        Some(d) => decode(&d),
        None => Err(StoreError::NotFound(format!("no office with code `{code}`; add it with `mandate office add`"))),
    }
}

impl Store {
    /// Find an action by number (`2026-0042`, `EO 13526`) or id.
    pub async fn resolve_action(&self, key: &str) -> Result<Id> {
        resolve_action(&mut *self.pool().acquire().await?, key).await
    }

    pub async fn action_file(&self, id: Id) -> Result<ActionFile> {
        load_file(&mut *self.pool().acquire().await?, id).await
    }

    pub async fn get<R: Record>(&self, id: Id) -> Result<Option<R>> {
        get(&mut *self.pool().acquire().await?, id).await
    }

    /// The human numbers of these actions (those present), in one query: screens that name
    /// hundreds of actions by number need no action file each.
    pub async fn action_numbers(&self, ids: &[String]) -> Result<std::collections::HashMap<String, String>> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT id, number FROM actions WHERE id IN (SELECT value FROM json_each(?1)) AND number IS NOT NULL")
                .bind(serde_json::to_string(ids).expect("ids serialise"))
                .fetch_all(self.pool())
                .await?;
        Ok(rows.into_iter().collect())
    }

    pub async fn all<R: Record>(&self) -> Result<Vec<R>> {
        all(&mut *self.pool().acquire().await?).await
    }

    pub async fn office(&self, code: &str) -> Result<Office> {
        office_by_code(&mut *self.pool().acquire().await?, code).await
    }

    /// The bytes of a stored document.
    pub async fn document_bytes(&self, sha256: &str) -> Result<Vec<u8>> {
        sqlx::query_scalar("SELECT bytes FROM document_blobs WHERE sha256 = ?")
            .bind(sha256)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no stored document content with hash {sha256}")))
    }

    /// The MATCH part of a list. Usually with a unary `+`, which keeps SQLite from driving the
    /// query off the (possibly large) set of matches and reading every matching row: it walks the
    /// list index in order and tests membership, stopping after a page. With `drive`, the words
    /// and the office's and status's tags have already narrowed the matches to a few hundred or
    /// thousand: reading those and sorting them beats walking the index (1–10 ms instead of 4–12
    /// at 100k actions, most when the matches are fewer than a page).
    fn match_clause(fts: Option<&String>, args: &mut Vec<String>, drive: bool) -> Option<String> {
        args.push(fts?.clone());
        let plus = if drive { "" } else { "+" };
        Some(format!("{plus}a.seq IN (SELECT rowid FROM action_search WHERE action_search MATCH ?{})", args.len()))
    }

    /// The MATCH expression for a filter's search, if it has one (see [`search_match`]), and
    /// whether it carries the filter's office (then the office test is the index's).
    async fn filter_match(&self, f: &ActionFilter) -> Result<(Option<String>, bool)> {
        let office_id = match &f.office {
            Some(code) => sqlx::query_scalar::<_, String>("SELECT id FROM offices WHERE code = ?1")
                .bind(code.trim().to_uppercase())
                .fetch_optional(self.pool())
                .await?
                .and_then(|id| id.parse().ok()),
            None => None,
        };
        let m = search_match(f.text.as_deref(), &f.statuses, office_id);
        let tagged = m.is_some() && office_id.is_some();
        Ok((m, tagged))
    }

    /// The actions list: filtered, sorted, paged. `today` decides overdue and at-risk.
    pub async fn list_actions(&self, f: &ActionFilter, today: NaiveDate) -> Result<Vec<ListItem>> {
        let mut args = Vec::new();
        let mut w = f.where_clause(&today.to_string(), &mut args, false, false);
        let (fts, office_tagged) = self.filter_match(f).await?;
        // A search on its own is ranked; a search inside a filtered list keeps the list's order
        // (suspense), which the list indexes serve without ranking every match.
        let words = f.text.as_deref().and_then(fts_query).is_some();
        let sort = f.sort.unwrap_or(if words && where_is_empty(&w) { Sort::Relevance } else { Sort::Suspense });
        // Open actions by priority have their own partial index (migration 10): no walk needed.
        let open_by_priority = sort == Sort::Priority && is_open_working(&f.statuses) && where_is_only_status(f);
        let walk = !matches!(sort, Sort::Suspense | Sort::Relevance) && !open_by_priority;
        if walk || office_tagged {
            // The MATCH already holds only the office's actions: no second test of each row.
            let office = if office_tagged { None } else { f.office.clone() };
            args.clear();
            w = ActionFilter { office, ..f.clone() }.where_clause(&today.to_string(), &mut args, false, walk);
        }
        let limit = f.limit.map(i64::from).unwrap_or(-1);
        let cols = "a.id, a.number, a.title, a.kind, a.status, a.priority, a.suspense, a.percent, a.marking";
        let sql = match (&fts, sort) {
            (Some(q), Sort::Relevance) if words => {
                // Rank (bm25, titles weighted) the newest matches that pass the other filters.
                args.push(q.clone());
                format!(
                    "WITH hits AS (SELECT s.rowid AS seq, bm25(action_search, 2.0, 10.0, 1.0, 1.0, 2.0, 0.0) AS score \
                       FROM action_search s JOIN actions a ON a.seq = s.rowid \
                       WHERE action_search MATCH ?{} AND {w} ORDER BY s.rowid DESC LIMIT {RANKED_CANDIDATES}) \
                     SELECT {cols} FROM hits JOIN actions a ON a.seq = hits.seq ORDER BY hits.score, a.seq DESC LIMIT {limit} OFFSET {}",
                    args.len(),
                    f.offset
                )
            }
            (_, sort) => {
                if let Some(clause) = Self::match_clause(fts.as_ref(), &mut args, words && office_tagged) {
                    w.push_str(" AND ");
                    w.push_str(&clause);
                }
                let order = order_by(sort, f.descending);
                // Left to itself SQLite reads every open action off the suspense index and sorts.
                let from = if open_by_priority { "actions a INDEXED BY actions_open_priority" } else { "actions a" };
                format!("SELECT {cols} FROM {from} WHERE {w} ORDER BY {order} LIMIT {limit} OFFSET {}", f.offset)
            }
        };
        let mut q = sqlx::query(&sql);
        for a in &args {
            q = q.bind(a);
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter().map(|r| item_from_row(r, today)).collect()
    }

    /// How many actions match (ignores limit, offset and sort).
    pub async fn count_actions(&self, f: &ActionFilter, today: NaiveDate) -> Result<u64> {
        let mut args = Vec::new();
        let w = f.where_clause(&today.to_string(), &mut args, true, false);
        let text_only = where_is_empty(&w) && f.office.is_none();
        // Counts start from the office's assignments (one index range): no tag needed.
        let words = f.text.as_deref().and_then(fts_query).is_some();
        let sql = match if words { self.filter_match(f).await?.0 } else { None } {
            // A search alone is counted by the full-text index itself.
            Some(q) if text_only => {
                args.push(q);
                format!("SELECT count(*) FROM action_search WHERE action_search MATCH ?{}", args.len())
            }
            Some(q) => {
                args.push(q);
                let from = if f.office.is_some() { "assignments s CROSS JOIN actions a ON a.id = s.action_id" } else { "actions a" };
                format!(
                    "SELECT count(*) FROM {from} WHERE {w} AND a.seq IN (SELECT rowid FROM action_search WHERE action_search MATCH ?{})",
                    args.len()
                )
            }
            None => {
                let only_office = f.office.is_some() && w.matches(" AND ").count() == 1;
                if only_office {
                    // An office is on an action at most once: its assignments are the count.
                    format!("SELECT count(*) FROM assignments s WHERE {w}")
                } else {
                    let from = if f.office.is_some() { "assignments s CROSS JOIN actions a ON a.id = s.action_id" } else { "actions a" };
                    format!("SELECT count(*) FROM {from} WHERE {w}")
                }
            }
        };
        let mut q = sqlx::query_scalar::<_, i64>(&sql);
        for a in &args {
            q = q.bind(a);
        }
        Ok(q.fetch_one(self.pool()).await? as u64)
    }

    /// Responses owed by an office (or by every office): assignments to acknowledge, OCR
    /// concurrences to give, extension requests to decide — on open actions, soonest suspense
    /// first, at most `limit` of each.
    pub async fn pending_responses(&self, office: Option<&str>, limit: u32) -> Result<Vec<PendingResponse>> {
        let office_clause = if office.is_some() { "AND o.code = ?1" } else { "AND ?1 IS NULL" };
        let code = office.map(|c| c.trim().to_uppercase());
        let open = "a.status IN ('issued','assigned','in_progress','blocked')";
        let mut out = Vec::new();
        for (what, from, cond) in [
            // Acknowledgements owed are common (thousands at 100k): walk open actions in suspense
            // order (migration 6's partial index) and stop after a page.
            (
                "acknowledge",
                "actions a INDEXED BY actions_open_due CROSS JOIN assignments s ON a.id = s.action_id",
                "s.data->>'acknowledged' IS NULL",
            ),
            // Concurrences owed are few: start from the index of exactly those rows (its WHERE,
            // repeated here, is what lets SQLite use it).
            (
                "concur",
                "assignments s INDEXED BY assignments_concurrence_pending CROSS JOIN actions a ON a.id = s.action_id",
                "s.role = 'ocr' AND s.data->>'concurrence' IS NULL AND s.data->>'acknowledged' IS NOT NULL",
            ),
        ] {
            let sql = format!(
                "SELECT a.id, a.number, a.title, o.code, s.role, coalesce(s.data->>'suspense', a.due) AS due, '' \
                 FROM {from} JOIN offices o ON o.id = s.office_id \
                 WHERE {cond} AND {open} {office_clause} ORDER BY a.due, a.id LIMIT {limit}"
            );
            for r in sqlx::query(&sql).bind(&code).fetch_all(self.pool()).await? {
                out.push(pending_row(what, &r)?);
            }
        }
        let sql = format!(
            "SELECT a.id, a.number, a.title, o.code, s.role, e.data->>'requested_suspense' AS due, e.data->>'justification' \
             FROM extensions e JOIN assignments s ON s.id = e.data->>'assignment_id' JOIN actions a ON a.id = e.action_id \
             JOIN offices o ON o.id = s.office_id \
             WHERE {open} AND e.data->>'decision' IS NULL {} ORDER BY due LIMIT {limit}",
            // Extensions are decided by the issuing side, so they are listed for everyone.
            if office.is_some() { "AND ?1 IS NOT NULL" } else { "AND ?1 IS NULL" }
        );
        for r in sqlx::query(&sql).bind(&code).fetch_all(self.pool()).await? {
            out.push(pending_row("extension", &r)?);
        }
        Ok(out)
    }

    /// The highest handling marking among all actions (the window's banner).
    pub async fn highest_marking(&self) -> Result<Marking> {
        let marks: Vec<String> = sqlx::query_scalar("SELECT DISTINCT marking FROM actions").fetch_all(self.pool()).await?;
        let marks: Vec<Marking> = marks.iter().filter_map(|m| m.parse().ok()).collect();
        Ok(Marking::highest(&marks))
    }

    /// Actions citing an authority (for the authorities library).
    pub async fn actions_citing(&self, authority_id: Id) -> Result<Vec<ActionBrief>> {
        let ids: Vec<String> = sqlx::query_scalar("SELECT action_id FROM citations WHERE authority_id = ?")
            .bind(authority_id.to_string())
            .fetch_all(self.pool())
            .await?;
        let ids: Vec<Id> = ids.iter().filter_map(|s| s.parse().ok()).collect();
        briefs(&mut *self.pool().acquire().await?, &ids).await
    }

    /// Counts per record table (for summaries and tests).
    pub async fn counts(&self) -> Result<std::collections::BTreeMap<String, u64>> {
        let mut out = std::collections::BTreeMap::new();
        for t in crate::record::TABLES.iter().chain(&["audit", "changes"]) {
            let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {t}")).fetch_one(self.pool()).await?;
            out.insert(t.to_string(), n as u64);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_query_quotes_words_and_prefixes_the_last() {
        assert_eq!(fts_query("Cyber security").as_deref(), Some("\"cyber\" \"security\"*"));
        assert_eq!(fts_query("  - : ").as_deref(), None);
        assert_eq!(fts_query("a OR b").as_deref(), Some("\"a\" \"or\" \"b\"*"), "operators typed by accident are words");
        assert_eq!(fts_query("EO-13526").as_deref(), Some("\"eo\" \"13526\"*"));
    }

    #[test]
    fn numbers_are_normalised() {
        assert_eq!(normalise_number("eo13526"), "EO 13526");
        assert_eq!(normalise_number("Executive Order 13526"), "EO 13526");
        assert_eq!(normalise_number("2026-0042"), "2026-0042");
    }

    #[test]
    fn lifecycle_order_matches_its_index() {
        let migration = include_str!("../migrations/20261203000005_sort_indexes.sql");
        let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat(migration).contains(&flat(LIFECYCLE_ORDER)), "migration 5 must index LIFECYCLE_ORDER exactly");
        // Every status has its place, in the lifecycle's order.
        let places: Vec<usize> =
            Status::ALL.iter().map(|s| LIFECYCLE_ORDER.find(&format!("'{}'", s.as_str())).expect("status listed")).collect();
        assert!(places.windows(2).all(|w| w[0] < w[1]), "statuses in lifecycle order");
    }
}
