//! The success measures kept as sums, so the Dashboard and `mandate metrics` cost milliseconds
//! at 100k actions instead of reading every action, assignment, citation, risk and evaluation.
//!
//! Why sums work: every measure is a sum of what each action adds
//! ([`mandate_domain::metrics::Contribution`]), except overdue (kept as the open actions'
//! suspense dates, compared with today when read) and the median time to concurrence (kept as
//! each concurrence's seconds, read off an index in order). Each is kept per office (key 0 for
//! the whole workspace) and per period day, so `--office` and `--from/--to` are range reads.
//!
//! How they stay right: `Tx::commit` brings up to date every action it wrote, or whose
//! assignments, citations, risks or evaluation it wrote ([`TABLES`]), in the same transaction —
//! whoever wrote it: an edit, an import, a change pulled from the server. For each, it takes
//! away what the action added before (`measure_actions` keeps it) and adds what it adds now. The
//! per-action rule is the domain's, the one `metrics::measure` uses over loaded files; a property
//! test holds the two equal over random workspaces, edits and syncs (`tests/measures.rs`).
//! `measure_dirty` lists actions written before the sums existed (a workspace made by an earlier
//! version): the first read of the measures brings them up to date, once.

use crate::import::Progress;
use crate::{Result, Store, StoreError};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use mandate_domain::metrics::{Contribution, Measures, MetricsReport, MetricsRow, Totals};
use mandate_domain::{Role, Status};
use sqlx::Row;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The record tables whose writes change an action's measures.
pub(crate) const TABLES: [&str; 5] = ["actions", "assignments", "citations", "risks", "evaluations"];

/// Actions brought up to date per statement batch.
pub(crate) const CHUNK: usize = 5000;

/// One action's part of the sums: the keys it is counted under (0 and each of its offices'),
/// its period day, and what it adds.
struct Kept {
    day: i64,
    keys: Vec<i64>,
    contribution: Contribution,
}

/// rows, the contribution's flags, concurrences, concurrence seconds.
type Sums = [i64; 14];

impl Kept {
    fn flags_bits(&self) -> i64 {
        self.contribution.flags().iter().enumerate().map(|(i, f)| (*f as i64) << i).sum()
    }
    fn sums(&self) -> Sums {
        let mut s = [0i64; 14];
        s[0] = 1;
        for (i, f) in self.contribution.flags().iter().enumerate() {
            s[1 + i] = *f as i64;
        }
        s[12] = self.contribution.concurrence_seconds.len() as i64;
        s[13] = self.contribution.concurrence_seconds.iter().sum();
        s
    }
}

fn from_bits(bits: i64, concurrence_seconds: Vec<i64>) -> Contribution {
    let f = |i: usize| bits >> i & 1 == 1;
    Contribution {
        measured: f(0),
        open: f(1),
        completed: f(2),
        on_time_within_scope: f(3),
        done_late: f(4),
        unassigned: f(5),
        without_opr: f(6),
        with_authority: f(7),
        with_risk: f(8),
        with_evaluation: f(9),
        several_offices: f(10),
        open_suspense: None,
        concurrence_seconds,
    }
}

/// A date as the tables keep it.
fn day(d: NaiveDate) -> i64 {
    d.num_days_from_ce() as i64
}

impl Store {
    /// Bring the sums up to date for actions written before they existed (once, after an
    /// upgrade); returns how many actions it looked at.
    pub async fn refresh_measures(&self, progress: Progress<'_>) -> Result<u64> {
        let total: i64 = sqlx::query_scalar("SELECT count(*) FROM measure_dirty").fetch_one(self.pool()).await?;
        if total == 0 {
            return Ok(0);
        }
        let mut done = 0u64;
        progress("measures", 0, total as u64);
        loop {
            let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
            let ids: Vec<String> =
                sqlx::query_scalar("SELECT action_id FROM measure_dirty LIMIT ?1").bind(CHUNK as i64).fetch_all(&mut *tx).await?;
            if ids.is_empty() {
                break;
            }
            refresh(&mut tx, &ids).await?;
            tx.commit().await?;
            done += ids.len() as u64;
            progress("measures", done.min(total as u64), total as u64);
        }
        Ok(done)
    }

    /// The success measures as of `today`, overall and per office, optionally narrowed to one
    /// office (by code, any case) and a period of issue dates — what `metrics::report` gives over
    /// every action's row, read from the sums.
    pub async fn measures(
        &self,
        today: NaiveDate,
        office: Option<&str>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<MetricsReport> {
        self.refresh_measures(&|_, _, _| {}).await?;
        let mut conn = self.pool().begin().await?; // one snapshot for every read below
        let codes: HashMap<i64, String> =
            sqlx::query_as::<_, (i64, String)>("SELECT k.key, o.code FROM measure_offices k JOIN offices o ON o.id = k.office_id")
                .fetch_all(&mut *conn)
                .await?
                .into_iter()
                .collect();
        // The keys a report lists: the workspace and every office, or the asked-for office.
        let wanted: Option<Vec<i64>> = office.map(|o| codes.iter().filter(|(_, c)| c.eq_ignore_ascii_case(o)).map(|(k, _)| *k).collect());
        let span = Span::new(from, to);
        let per_key = totals(&mut conn, today, &span, wanted.as_deref()).await?;
        // The actions of one office are exactly that office's row.
        let overall_key = match &wanted {
            None => Some(ALL),
            Some(keys) => keys.first().copied(),
        };
        let mut per_office = BTreeMap::new();
        let mut overall = Measures::default();
        for (key, (rows, t)) in per_key {
            let m = t.measures(median(&mut conn, key, &span, t.concurrences).await?);
            if let Some(code) = codes.get(&key).filter(|_| rows > 0) {
                per_office.insert(code.clone(), m.clone());
            }
            if Some(key) == overall_key {
                overall = m;
            }
        }
        Ok(MetricsReport { as_of: today, from, to, office: office.map(str::to_string), overall, per_office })
    }

    /// The measures over the whole workspace for each of several periods (the Dashboard's
    /// twelve-month trend): one read of the days they cover, then a median per period.
    pub async fn measures_per_period(&self, today: NaiveDate, periods: &[(NaiveDate, NaiveDate)]) -> Result<Vec<Measures>> {
        self.refresh_measures(&|_, _, _| {}).await?;
        let (Some(lo), Some(hi)) = (periods.iter().map(|p| p.0).min(), periods.iter().map(|p| p.1).max()) else {
            return Ok(vec![]);
        };
        let mut conn = self.pool().begin().await?;
        let by_day = sqlx::query(&format!("SELECT day, {SUMS} FROM measure_counts WHERE office = 0 AND day BETWEEN ?1 AND ?2"))
            .bind(day(lo))
            .bind(day(hi))
            .fetch_all(&mut *conn)
            .await?;
        let overdue = sqlx::query_as::<_, (i64, i64)>(
            "SELECT day, count(*) FROM measure_open WHERE office = 0 AND suspense < ?3 AND day BETWEEN ?1 AND ?2 GROUP BY day",
        )
        .bind(day(lo))
        .bind(day(hi))
        .bind(day(today))
        .fetch_all(&mut *conn)
        .await?;
        let mut out = Vec::with_capacity(periods.len());
        for (from, to) in periods {
            let within = |d: i64| (day(*from)..=day(*to)).contains(&d);
            let mut t = Totals::default();
            for r in by_day.iter().filter(|r| within(r.get::<i64, _>(0))) {
                add_sums(&mut t, r);
            }
            t.overdue_open = overdue.iter().filter(|(d, _)| within(*d)).map(|(_, n)| *n as u64).sum();
            let median = median(&mut conn, ALL, &Span::new(Some(*from), Some(*to)), t.concurrences).await?;
            out.push(t.measures(median));
        }
        Ok(out)
    }
}

/// The sums of `measure_counts` after its first column, in the order [`add_sums`] reads them.
const SUMS: &str = "rows, measured, open, completed, on_time_within_scope, done_late, unassigned, without_opr, with_authority, \
     with_risk, with_evaluation, several_offices, concurrences, concurrence_seconds";

/// Add a row of [`SUMS`] (after one leading column) to `t`; returns its `rows`.
fn add_sums(t: &mut Totals, r: &sqlx::sqlite::SqliteRow) -> i64 {
    for (i, n) in t.flags.iter_mut().enumerate() {
        *n += r.get::<i64, _>(2 + i) as u64;
    }
    t.concurrences += r.get::<i64, _>(13) as u64;
    t.concurrence_seconds += r.get::<i64, _>(14);
    r.get::<i64, _>(1)
}

/// The workspace's key in the tables.
const ALL: i64 = 0;

/// A period of issue dates as day numbers.
struct Span {
    from: i64,
    to: i64,
    narrowed: bool,
}

impl Span {
    fn new(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Span {
        Span { from: from.map(day).unwrap_or(i64::MIN), to: to.map(day).unwrap_or(i64::MAX), narrowed: from.is_some() || to.is_some() }
    }
}

/// Per key: how many actions (drafts included) and their totals, for the listed keys or all.
async fn totals(
    conn: &mut sqlx::SqliteConnection,
    today: NaiveDate,
    span: &Span,
    keys: Option<&[i64]>,
) -> Result<BTreeMap<i64, (i64, Totals)>> {
    let only = keys.map(|k| serde_json::to_string(k).expect("keys serialise"));
    let filter = if only.is_some() { "AND office IN (SELECT value FROM json_each(?3))" } else { "AND ?3 IS NULL" };
    let sums: Vec<String> = SUMS.split(',').map(|c| format!("sum({})", c.trim())).collect();
    let rows = sqlx::query(&format!(
        "SELECT office, {} FROM measure_counts WHERE day BETWEEN ?1 AND ?2 {filter} GROUP BY office",
        sums.join(", ")
    ))
    .bind(span.from)
    .bind(span.to)
    .bind(&only)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = BTreeMap::new();
    for r in rows {
        let mut t = Totals::default();
        let n = add_sums(&mut t, &r);
        out.insert(r.get::<i64, _>(0), (n, t));
    }
    // Overdue: a seek per office to its open actions due before today.
    let listed = serde_json::to_string(&out.keys().collect::<Vec<_>>()).expect("keys serialise");
    let overdue = sqlx::query_as::<_, (i64, i64)>(
        "SELECT office, count(*) FROM measure_open \
         WHERE office IN (SELECT value FROM json_each(?3)) AND suspense < ?4 AND day BETWEEN ?1 AND ?2 GROUP BY office",
    )
    .bind(span.from)
    .bind(span.to)
    .bind(&listed)
    .bind(day(today))
    .fetch_all(&mut *conn)
    .await?;
    for (key, n) in overdue {
        if let Some((_, t)) = out.get_mut(&key) {
            t.overdue_open = n as u64;
        }
    }
    Ok(out)
}

/// The median concurrence time (seconds) of a key's `n` concurrences in the period: the middle
/// one or two values, read off an index in order.
async fn median(conn: &mut sqlx::SqliteConnection, key: i64, span: &Span, n: u64) -> Result<Option<f64>> {
    if n == 0 {
        return Ok(None);
    }
    // Over everything, walk the index in time order; over a period (a month of the trend), sort
    // that period's few values instead of walking all of them.
    let index = if span.narrowed { "measure_concurrences_by_period" } else { "measure_concurrences_by_time" };
    let middle: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT seconds FROM measure_concurrences INDEXED BY {index} \
         WHERE office = ?1 AND day BETWEEN ?2 AND ?3 ORDER BY seconds LIMIT ?4 OFFSET ?5"
    ))
    .bind(key)
    .bind(span.from)
    .bind(span.to)
    .bind(2 - (n % 2) as i64)
    .bind(((n - 1) / 2) as i64)
    .fetch_all(&mut *conn)
    .await?;
    Ok(match middle.as_slice() {
        [one] => Some(*one as f64),
        [a, b] => Some((a + b) as f64 / 2.0),
        _ => None,
    })
}

/// Take away what each action added before, add what it adds now, and unmark it.
pub(crate) async fn refresh(conn: &mut sqlx::SqliteConnection, ids: &[String]) -> Result<()> {
    let list = serde_json::to_string(ids).expect("ids serialise");
    let bad = |what: &str| StoreError::Invalid(format!("a stored success-measure row has an unreadable {what}"));
    let mut deltas: HashMap<(i64, i64), Sums> = HashMap::new();
    let mut add = |kept: &Kept, sign: i64| {
        let sums = kept.sums();
        for key in &kept.keys {
            let d = deltas.entry((*key, kept.day)).or_insert([0; 14]);
            for (x, s) in d.iter_mut().zip(sums) {
                *x += sign * s;
            }
        }
    };
    let old = sqlx::query_as::<_, (i64, String, i64, String)>(
        "SELECT day, offices, flags, conc FROM measure_actions WHERE action_id IN (SELECT value FROM json_each(?1))",
    )
    .bind(&list)
    .fetch_all(&mut *conn)
    .await?;
    for (day, keys, flags, conc) in old {
        let keys: Vec<i64> = serde_json::from_str(&keys).map_err(|_| bad("office list"))?;
        let conc: Vec<i64> = serde_json::from_str(&conc).map_err(|_| bad("concurrence list"))?;
        add(&Kept { day, keys, contribution: from_bits(flags, conc) }, -1);
    }
    let now = current(conn, &list).await?;
    for (_, k) in &now {
        add(k, 1);
    }
    for table in ["measure_actions", "measure_open", "measure_concurrences"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE action_id IN (SELECT value FROM json_each(?1))"))
            .bind(&list)
            .execute(&mut *conn)
            .await?;
    }
    let (mut actions, mut open, mut conc) = (Vec::new(), Vec::new(), Vec::new());
    for (id, k) in &now {
        let c = &k.contribution;
        let keys = serde_json::to_string(&k.keys).expect("list");
        actions.push(serde_json::json!([id, k.day, keys, k.flags_bits(), serde_json::to_string(&c.concurrence_seconds).expect("list")]));
        for key in &k.keys {
            if let Some(s) = c.open_suspense {
                open.push(serde_json::json!([id, key, day(s), k.day]));
            }
            for s in &c.concurrence_seconds {
                conc.push(serde_json::json!([id, key, k.day, s]));
            }
        }
    }
    for (sql, rows) in [
        ("INSERT INTO measure_actions(action_id, day, offices, flags, conc) SELECT value->>0, value->>1, value->>2, value->>3, value->>4 FROM json_each(?1)", actions),
        ("INSERT INTO measure_open(action_id, office, suspense, day) SELECT value->>0, value->>1, value->>2, value->>3 FROM json_each(?1)", open),
        ("INSERT INTO measure_concurrences(action_id, office, day, seconds) SELECT value->>0, value->>1, value->>2, value->>3 FROM json_each(?1)", conc),
    ] {
        if !rows.is_empty() {
            sqlx::query(sql).bind(serde_json::Value::Array(rows).to_string()).execute(&mut *conn).await?;
        }
    }
    let deltas: Vec<serde_json::Value> = deltas
        .into_iter()
        .filter(|(_, d)| d.iter().any(|x| *x != 0))
        .map(|((key, day), d)| {
            let mut v = vec![serde_json::json!(key), serde_json::json!(day)];
            v.extend(d.iter().map(|x| serde_json::json!(x)));
            serde_json::Value::Array(v)
        })
        .collect();
    if !deltas.is_empty() {
        let columns = [
            "rows",
            "measured",
            "open",
            "completed",
            "on_time_within_scope",
            "done_late",
            "unassigned",
            "without_opr",
            "with_authority",
            "with_risk",
            "with_evaluation",
            "several_offices",
            "concurrences",
            "concurrence_seconds",
        ];
        let values: Vec<String> = (0..columns.len()).map(|i| format!("value->>{}", i + 2)).collect();
        let sets: Vec<String> = columns.iter().map(|c| format!("{c} = {c} + excluded.{c}")).collect();
        let deltas = serde_json::Value::Array(deltas).to_string();
        sqlx::query(&format!(
            "INSERT INTO measure_counts(office, day, {}) SELECT value->>0, value->>1, {} FROM json_each(?1) WHERE true \
             ON CONFLICT(office, day) DO UPDATE SET {}",
            columns.join(", "),
            values.join(", "),
            sets.join(", ")
        ))
        .bind(&deltas)
        .execute(&mut *conn)
        .await?;
        sqlx::query("DELETE FROM measure_counts WHERE rows = 0 AND (office, day) IN (SELECT value->>0, value->>1 FROM json_each(?1))")
            .bind(&deltas)
            .execute(&mut *conn)
            .await?;
    }
    crate::custody::refresh(conn, &list).await?;
    sqlx::query("DELETE FROM measure_dirty WHERE action_id IN (SELECT value FROM json_each(?1))").bind(&list).execute(&mut *conn).await?;
    Ok(())
}

/// The small integer key each office is kept under (made for offices seen the first time).
pub(crate) async fn office_keys(conn: &mut sqlx::SqliteConnection, mut office_ids: Vec<String>) -> Result<HashMap<String, i64>> {
    office_ids.sort_unstable();
    office_ids.dedup();
    let office_ids = serde_json::to_string(&office_ids).expect("ids serialise");
    sqlx::query("INSERT INTO measure_offices(office_id) SELECT value FROM json_each(?1) WHERE true ON CONFLICT DO NOTHING")
        .bind(&office_ids)
        .execute(&mut *conn)
        .await?;
    Ok(sqlx::query_as::<_, (String, i64)>(
        "SELECT office_id, key FROM measure_offices WHERE office_id IN (SELECT value FROM json_each(?1))",
    )
    .bind(&office_ids)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect())
}

/// What the listed actions add now, from their records (an action no longer there adds
/// nothing), each under the keys of the offices assigned to it. Office ids stand in for codes
/// in the domain's row: the sums are kept per office, so renaming one changes nothing here.
async fn current(conn: &mut sqlx::SqliteConnection, list: &str) -> Result<Vec<(String, Kept)>> {
    let bad = |what: &str| StoreError::Invalid(format!("a stored record has an unreadable {what}"));
    let time = |s: Option<String>| s.and_then(|s| s.parse::<DateTime<Utc>>().ok());
    let mut offices: HashMap<String, Vec<(String, Role)>> = HashMap::new();
    let mut seconds: HashMap<String, Vec<i64>> = HashMap::new();
    let rows = sqlx::query_as::<_, (String, String, String, Option<String>, Option<String>)>(
        "SELECT action_id, office_id, role, data->>'$.assigned.at', data->>'$.concurrence.at' \
         FROM assignments WHERE action_id IN (SELECT value FROM json_each(?1))",
    )
    .bind(list)
    .fetch_all(&mut *conn)
    .await?;
    let keys = office_keys(conn, rows.iter().map(|r| r.1.clone()).collect()).await?;
    for (action, office, role, assigned, answered) in rows {
        let role: Role = role.parse().map_err(|_| bad("assignment role"))?;
        if role == Role::Ocr {
            if let (Some(a), Some(c)) = (time(assigned), time(answered)) {
                seconds.entry(action.clone()).or_default().push((c - a).num_seconds());
            }
        }
        offices.entry(action).or_default().push((office, role));
    }
    let having = |table: &str| format!("SELECT DISTINCT action_id FROM {table} WHERE action_id IN (SELECT value FROM json_each(?1))");
    let cited: HashSet<String> = sqlx::query_scalar(&having("citations")).bind(list).fetch_all(&mut *conn).await?.into_iter().collect();
    let risked: HashSet<String> = sqlx::query_scalar(&having("risks")).bind(list).fetch_all(&mut *conn).await?.into_iter().collect();
    let evaluated: HashMap<String, (bool, bool)> = sqlx::query_as::<_, (String, bool, bool)>(
        "SELECT action_id, data->'on_time' = 'true', data->'within_scope' = 'true' FROM evaluations \
         WHERE action_id IN (SELECT value FROM json_each(?1))",
    )
    .bind(list)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|(a, t, s)| (a, (t, s)))
    .collect();
    let rows = sqlx::query_as::<_, (String, String, Option<String>, String, Option<String>)>(
        "SELECT id, status, suspense, coalesce(issued_on, substr(data->>'created_at', 1, 10)), data->>'completed_at' \
         FROM actions WHERE id IN (SELECT value FROM json_each(?1))",
    )
    .bind(list)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, status, suspense, period, completed_at) in rows {
        let row = MetricsRow {
            status: status.parse::<Status>().map_err(|_| bad("status"))?,
            suspense: suspense.and_then(|s| s.parse().ok()),
            period_date: period.parse().map_err(|_| bad("date"))?,
            completed_at: time(completed_at),
            has_authority: cited.contains(&id),
            has_risk: risked.contains(&id),
            evaluation: evaluated.get(&id).copied(),
            concurrence_seconds: seconds.remove(&id).unwrap_or_default(),
            offices: offices.remove(&id).unwrap_or_default(),
        };
        let mut office_keys: Vec<i64> = row.offices.iter().filter_map(|(o, _)| keys.get(o).copied()).collect();
        office_keys.sort_unstable();
        office_keys.dedup();
        let keys = std::iter::once(ALL).chain(office_keys).collect();
        out.push((id, Kept { day: day(row.period_date), keys, contribution: Contribution::of(&row) }));
    }
    Ok(out)
}

impl Store {
    /// The same report computed the slow way: every action's file loaded and measured by
    /// `metrics::report`, the definition the sums are held to. Seconds at 100k actions; for
    /// checking the sums, not for screens.
    pub async fn measures_from_files(
        &self,
        today: NaiveDate,
        office: Option<&str>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<MetricsReport> {
        use mandate_domain::{Action, Office};
        let codes: HashMap<mandate_domain::Id, String> = self.all::<Office>().await?.into_iter().map(|o| (o.id, o.code)).collect();
        let mut rows = Vec::new();
        for a in self.all::<Action>().await? {
            let file = self.action_file(a.id).await?;
            rows.push(MetricsRow::from_file(&file, |id| codes.get(&id).cloned().unwrap_or_else(|| id.to_string())));
        }
        Ok(mandate_domain::metrics::report(&rows, today, office, from, to))
    }
}
