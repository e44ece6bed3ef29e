//! Imports: public executive-order records, Mandate's JSON and CSV, and e-mail (`.eml`, `.msg`)
//! as draft actions.
//!
//! One import is one transaction: a crash or `kill -9` half way leaves the workspace exactly as
//! it was before. Every row that cannot be used is reported with file, line and column. By
//! default a file with a bad row is left out whole ([`BadRows::RejectFile`]) while the other
//! files of the same import are kept; [`BadRows::KeepGoodRows`] keeps a file's good rows
//! instead, when the user asks for it. Re-importing the same files changes nothing: records imported from public
//! sources get ids derived from the order number, and an unchanged record is not written (no
//! audit entry, no change-log entry).

use crate::record::TABLES;
use crate::write::{Put, Tx};
use crate::{Result, Store, StoreError};
use mandate_domain::*;
use mandate_interchange::orders::{self, PublicOrder};
use mandate_interchange::{bundle, csv_format, detect, federal_register, mail, nara, Format, Problem};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ImportSummary {
    pub files: usize,
    pub actions_created: usize,
    pub actions_updated: usize,
    pub actions_unchanged: usize,
    /// All records (actions, authorities, relations, assignments…) written.
    pub records_created: usize,
    pub records_updated: usize,
    pub records_unchanged: usize,
    pub relations_linked: usize,
    /// Relations naming orders that are neither in the files nor in the workspace.
    pub relations_unresolved: usize,
    pub problems: Vec<Problem>,
    /// Files left out whole because of a problem (none with [`BadRows::KeepGoodRows`] but those
    /// that could not be read at all).
    pub rejected_files: Vec<String>,
}

/// What an import does with a file that has a bad row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BadRows {
    /// Leave the whole file out (and say why); the other files are kept.
    #[default]
    RejectFile,
    /// Import the file's good rows, report the bad ones.
    KeepGoodRows,
}

/// Progress callback: (stage, done, total).
pub type Progress<'a> = &'a (dyn Fn(&str, u64, u64) + Sync);

/// Expand folders (recursively, sorted) into files.
pub fn expand_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|source| StoreError::Io { path: p.clone(), source })?;
        if meta.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|source| StoreError::Io { path: p.clone(), source })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|e| !e.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
                .collect();
            entries.sort();
            let (dirs, files): (Vec<PathBuf>, Vec<PathBuf>) = entries.into_iter().partition(|e| e.is_dir());
            out.extend(files.into_iter().filter(|f| {
                let name = f.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
                !(name.starts_with("license") || name.starts_with("readme"))
            }));
            out.extend(expand_paths(&dirs)?);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

#[derive(Default)]
struct Parsed {
    federal_register: Vec<PublicOrder>,
    nara: Vec<PublicOrder>,
    bundles: Vec<(String, String, bundle::Bundle)>,
    csv: Vec<(String, usize, csv_format::CsvAction)>,
    /// (file name, the original bytes, what was read from them)
    mails: Vec<(String, Vec<u8>, mail::Mail)>,
}

/// Reads and parses every file not in `skip`. With [`BadRows::RejectFile`], a file with a
/// problem contributes nothing and is named in `rejected`.
fn parse_files(files: &[PathBuf], skip: &HashSet<String>, bad_rows: BadRows, summary: &mut ImportSummary, progress: Progress) -> Parsed {
    let mut parsed = Parsed::default();
    for (i, f) in files.iter().enumerate() {
        progress("reading", i as u64, files.len() as u64);
        let name = f.display().to_string();
        if skip.contains(&name) {
            continue;
        }
        let mut file_parsed = Parsed::default();
        let before = summary.problems.len();
        // Every file named counts, read or not: `files - rejected_files` is what was imported.
        summary.files += 1;
        let text = match std::fs::read(f) {
            Err(e) => {
                summary.problems.push(Problem { column: None, file: name.clone(), line: None, message: format!("cannot read: {e}") });
                summary.rejected_files.push(name);
                continue;
            }
            // Mail is told apart by its bytes: an Outlook message is binary, and an Internet
            // message may be in any character set.
            Ok(bytes) if mail::is_mail(&bytes) => {
                match mail::read(&bytes) {
                    Ok(m) => parsed.mails.push((name, bytes, m)),
                    Err(e) => {
                        summary.problems.push(Problem {
                            column: None,
                            file: name.clone(),
                            line: None,
                            message: format!("not a readable e-mail: {e}"),
                        });
                        summary.rejected_files.push(name);
                    }
                }
                continue;
            }
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => {
                    let line = e.as_bytes()[..e.utf8_error().valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
                    summary.problems.push(Problem { column: None, file: name.clone(), line: Some(line), message: "not UTF-8 text".into() });
                    summary.rejected_files.push(name);
                    continue;
                }
            },
        };
        let problems = match detect(&text) {
            Some(Format::FederalRegister) => {
                let (o, p) = federal_register::parse(&name, &text);
                file_parsed.federal_register.extend(o);
                p
            }
            Some(Format::NaraTable) => {
                let (o, p) = nara::parse(&name, &text);
                file_parsed.nara.extend(o);
                p
            }
            Some(Format::MandateJson) => match bundle::parse(&name, &text) {
                Ok(b) => {
                    file_parsed.bundles.push((name.clone(), text, b));
                    vec![]
                }
                Err(p) => vec![p],
            },
            Some(Format::MandateCsv) => {
                let (rows, p) = csv_format::parse(&name, &text);
                file_parsed.csv.extend(rows.into_iter().map(|(l, r)| (name.clone(), l, r)));
                p
            }
            None => vec![Problem {
                column: None,
                file: name.clone(),
                line: None,
                message:
                    "not a format Mandate imports (Federal Register JSON, NARA disposition table, Mandate JSON or CSV, e-mail .eml or .msg)"
                        .into(),
            }],
        };
        summary.problems.extend(problems);
        if summary.problems.len() > before && bad_rows == BadRows::RejectFile {
            summary.rejected_files.push(name);
            continue;
        }
        parsed.federal_register.extend(file_parsed.federal_register);
        parsed.nara.extend(file_parsed.nara);
        parsed.bundles.extend(file_parsed.bundles);
        parsed.csv.extend(file_parsed.csv);
    }
    progress("reading", files.len() as u64, files.len() as u64);
    parsed
}

/// Existing records of `table` among `ids`, as JSON values.
async fn existing(tx: &mut Tx, table: &str, ids: &[Id]) -> Result<HashMap<Id, Value>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(20_000) {
        let list: Vec<String> = chunk.iter().map(Id::to_string).collect();
        let rows: Vec<(String, String)> =
            sqlx::query_as(&format!("SELECT id, data FROM {table} WHERE id IN (SELECT value FROM json_each(?1))"))
                .bind(serde_json::to_string(&list).expect("ids serialise"))
                .fetch_all(tx.conn())
                .await?;
        for (id, data) in rows {
            if let (Ok(id), Ok(v)) = (id.parse(), serde_json::from_str(&data)) {
                out.insert(id, v);
            }
        }
    }
    Ok(out)
}

fn order_ref(number: &str) -> String {
    format!("EO {number}")
}

fn order_body(o: &PublicOrder) -> String {
    let mut b = format!("Executive Order {}: {}.", o.number, o.title.trim_end_matches('.'));
    if let Some(s) = o.signed {
        b.push_str(&format!(" Signed {}", s.format("%B %-d, %Y")));
        if let Some(p) = &o.president {
            b.push_str(&format!(" by {p}"));
        }
        b.push('.');
    }
    if let Some(c) = &o.citation {
        b.push_str(&format!(" Published at {c}"));
        if let Some(p) = o.published {
            b.push_str(&format!(" on {}", p.format("%B %-d, %Y")));
        }
        b.push('.');
    }
    if !o.agencies.is_empty() {
        b.push_str(&format!("\nAgencies: {}.", o.agencies.join("; ")));
    }
    if !o.notes.is_empty() {
        b.push_str("\nDisposition notes:");
        for n in &o.notes {
            b.push_str(&format!("\n- {n}"));
        }
    }
    b
}

fn typed_roundtrip(table: &str, v: Value) -> std::result::Result<(Id, Option<Id>, Value), String> {
    fn rt<R: crate::Record>(v: Value) -> std::result::Result<(Id, Option<Id>, Value), String> {
        let r: R = serde_json::from_value(v).map_err(|e| e.to_string())?;
        Ok((r.id(), r.action_id(), serde_json::to_value(&r).expect("records serialise")))
    }
    match table {
        "offices" => rt::<Office>(v),
        "people" => rt::<Person>(v),
        "authorities" => rt::<Authority>(v),
        "series" => rt::<mandate_domain::series::Series>(v),
        "actions" => rt::<Action>(v),
        "citations" => rt::<Citation>(v),
        "assignments" => rt::<Assignment>(v),
        "extensions" => rt::<ExtensionRequest>(v),
        "risks" => rt::<Risk>(v),
        "impacts" => rt::<ImpactAssessment>(v),
        "updates" => rt::<StatusUpdate>(v),
        "issues" => rt::<Issue>(v),
        "relations" => rt::<Relation>(v),
        "evaluations" => rt::<Evaluation>(v),
        "documents" => rt::<Document>(v),
        "transitions" => rt::<Transition>(v),
        other => Err(format!("unknown record table `{other}`")),
    }
}

/// Fields that point at other records, per table, and the table they point into.
fn references(table: &str) -> &'static [(&'static str, &'static str)] {
    match table {
        "people" => &[("office_id", "offices")],
        "citations" => &[("action_id", "actions"), ("authority_id", "authorities")],
        "assignments" => &[("action_id", "actions"), ("office_id", "offices")],
        "relations" => &[("action_id", "actions"), ("target_id", "actions")],
        "offices" | "authorities" => &[],
        "actions" => &[("parent_id", "actions")],
        _ => &[("action_id", "actions")],
    }
}

impl Store {
    /// Import files and folders (format detected by content). See the module docs.
    ///
    /// Problems found while reading leave their file out before anything is written. Problems
    /// found while merging (a bundle record naming nothing, a CSV row a rule refuses) are only
    /// known inside the transaction: it is then rolled back and the import done again without
    /// the files they came from, so a rejected file never leaves a record behind.
    pub async fn import_paths(&self, paths: &[PathBuf], bad_rows: BadRows, progress: Progress<'_>) -> Result<ImportSummary> {
        rules::check_can_write(self.actor())?;
        let files = expand_paths(paths)?;
        // Files rejected for problems found while merging, with those problems.
        let mut skip: HashSet<String> = HashSet::new();
        let mut carried: Vec<Problem> = Vec::new();
        loop {
            let mut summary = ImportSummary::default();
            let parsed = parse_files(&files, &skip, bad_rows, &mut summary, progress);
            let read_problems = summary.problems.len();
            let mut tx = self.begin().await?;
            tx.bulk().await?;
            self.import_orders(&mut tx, parsed.federal_register, parsed.nara, &mut summary, progress).await?;
            for (name, text, b) in parsed.bundles {
                self.import_bundle(&mut tx, &name, &text, b, &mut summary, progress).await?;
            }
            if !parsed.csv.is_empty() {
                self.import_csv(&mut tx, parsed.csv, &mut summary).await?;
            }
            if !parsed.mails.is_empty() {
                self.import_mails(&mut tx, parsed.mails, &mut summary).await?;
            }
            let merge_problems = summary.problems.split_off(read_problems);
            if bad_rows == BadRows::RejectFile && !merge_problems.is_empty() {
                drop(tx); // rolled back: nothing of this round is kept
                for p in merge_problems {
                    skip.insert(p.file.clone());
                    carried.push(p);
                }
                continue;
            }
            summary.problems.extend(merge_problems);
            progress("saving", 0, 1);
            tx.commit().await?;
            progress("saving", 1, 1);
            summary.files += skip.len();
            summary.problems.extend(carried);
            let mut rejected: Vec<String> = skip.into_iter().collect();
            rejected.sort();
            summary.rejected_files.extend(rejected);
            return Ok(summary);
        }
    }

    async fn import_orders(
        &self,
        tx: &mut Tx,
        fr: Vec<PublicOrder>,
        nara: Vec<PublicOrder>,
        s: &mut ImportSummary,
        progress: Progress<'_>,
    ) -> Result<()> {
        if fr.is_empty() && nara.is_empty() {
            return Ok(());
        }
        let orders = orders::merge(vec![fr, nara]);
        let total = orders.len() as u64;
        let action_ids: Vec<Id> = orders.iter().map(|o| Id::derived(&format!("eo:{}", o.number))).collect();
        let old_actions = existing(tx, "actions", &action_ids).await?;
        let auth_ids: Vec<Id> = orders.iter().map(|o| Id::derived(&format!("authority:eo:{}", o.number))).collect();
        let old_auth = existing(tx, "authorities", &auth_ids).await?;
        let cite_ids: Vec<Id> = orders.iter().map(|o| Id::derived(&format!("citation:eo:{}", o.number))).collect();
        let old_cites = existing(tx, "citations", &cite_ids).await?;

        // Orders relations may point at: those in the files and those already in the workspace.
        let mut known: HashSet<String> = orders.iter().map(|o| o.number.clone()).collect();
        let refs: Vec<String> =
            sqlx::query_scalar("SELECT external_ref FROM actions WHERE external_ref LIKE 'EO %'").fetch_all(tx.conn()).await?;
        known.extend(refs.into_iter().map(|r| r[3..].to_string()));

        let mut action_puts = Vec::with_capacity(orders.len());
        let mut other_puts = Vec::with_capacity(orders.len() * 3);
        let mut rels: BTreeMap<(String, RelationKind, String), String> = BTreeMap::new();
        let now = tx.now();
        for (i, o) in orders.iter().enumerate() {
            if i % 1000 == 0 {
                progress("merging orders", i as u64, total);
            }
            let id = action_ids[i];
            let before: Option<Action> = old_actions.get(&id).and_then(|v| serde_json::from_value(v.clone()).ok());
            let mut a = before.clone().unwrap_or_else(|| {
                let mut a = Action::draft(&o.title, ActionKind::ExecutiveOrder);
                a.id = id;
                a.status = Status::Issued;
                a.created_at = now;
                a
            });
            a.number = order_ref(&o.number);
            a.external_ref = Some(order_ref(&o.number));
            a.kind = ActionKind::ExecutiveOrder;
            a.title = o.title.clone();
            a.body = order_body(o);
            a.issuing_official = o.president.clone();
            a.issued_on = o.signed.or(o.published);
            a.source_url = o.url.clone();
            match &before {
                Some(b) if *b == a => s.actions_unchanged += 1,
                Some(_) => s.actions_updated += 1,
                None => s.actions_created += 1,
            }
            action_puts.push(Put::raw("actions", id, None, old_actions.get(&id).cloned(), serde_json::to_value(&a).expect("serialises")));

            let auth = Authority {
                id: auth_ids[i],
                kind: AuthorityKind::ExecutiveOrder,
                citation: order_ref(&o.number),
                title: match &o.citation {
                    Some(c) => format!("{} ({c})", o.title),
                    None => o.title.clone(),
                },
                url: o.url.clone(),
            };
            other_puts.push(Put::raw(
                "authorities",
                auth.id,
                None,
                old_auth.get(&auth.id).cloned(),
                serde_json::to_value(&auth).expect("serialises"),
            ));
            let cite = Citation { id: cite_ids[i], action_id: id, authority_id: auth.id, note: "the order itself".into() };
            other_puts.push(Put::raw(
                "citations",
                cite.id,
                Some(id),
                old_cites.get(&cite.id).cloned(),
                serde_json::to_value(&cite).expect("serialises"),
            ));
            for r in &o.relations {
                // Both orders' notes usually state the relation; "in part" on either side wins.
                let note = rels.entry((r.subject.clone(), r.kind, r.object.clone())).or_default();
                if note.is_empty() {
                    *note = r.note.clone();
                }
            }
        }
        // Relations, once each (both orders' notes usually state them).
        let mut rel_records = Vec::new();
        for ((subj, kind, obj), note) in rels {
            if !known.contains(&subj) || !known.contains(&obj) {
                s.relations_unresolved += 1;
                continue;
            }
            let rid = Id::derived(&format!("relation:{subj}:{}:{obj}", kind.as_str()));
            rel_records.push(Relation {
                id: rid,
                action_id: Id::derived(&format!("eo:{subj}")),
                kind,
                target_id: Id::derived(&format!("eo:{obj}")),
                note,
            });
        }
        s.relations_linked += rel_records.len();
        let rel_ids: Vec<Id> = rel_records.iter().map(|r| r.id).collect();
        let old_rels = existing(tx, "relations", &rel_ids).await?;
        for r in &rel_records {
            other_puts.push(Put::raw(
                "relations",
                r.id,
                Some(r.action_id),
                old_rels.get(&r.id).cloned(),
                serde_json::to_value(r).expect("serialises"),
            ));
        }
        progress("writing", 0, total);
        let w1 = tx.put(action_puts).await?;
        progress("writing", total / 2, total);
        let w2 = tx.put(other_puts).await?;
        progress("writing", total, total);
        s.records_created += w1.created + w2.created;
        s.records_updated += w1.updated + w2.updated;
        s.records_unchanged += w1.unchanged + w2.unchanged;
        Ok(())
    }

    async fn import_bundle(
        &self,
        tx: &mut Tx,
        name: &str,
        text: &str,
        b: bundle::Bundle,
        s: &mut ImportSummary,
        progress: Progress<'_>,
    ) -> Result<()> {
        let mut known: HashMap<&str, HashSet<Id>> = HashMap::new();
        let mut remap: HashMap<Id, Id> = HashMap::new();
        let lines = bundle::table_lines(text);
        let mut numbers: BTreeMap<String, i64> = BTreeMap::new();
        let unknown: Vec<&String> = b.records.keys().filter(|k| !TABLES.contains(&k.as_str())).collect();
        for k in unknown {
            s.problems.push(Problem {
                column: None,
                file: name.into(),
                line: None,
                message: format!("unknown record table `{k}`; skipped"),
            });
        }
        for table in TABLES {
            let Some(rows) = b.records.get(*table) else { continue };
            progress(&format!("importing {table}"), 0, rows.len() as u64);
            let mut ok = Vec::with_capacity(rows.len());
            for (i, v) in rows.iter().enumerate() {
                let line = lines.get(*table).map(|l| l + i);
                match typed_roundtrip(table, v.clone()) {
                    Ok(r) => ok.push((i, line, r)),
                    Err(m) => {
                        s.problems.push(Problem { column: None, file: name.into(), line, message: format!("{table}[{i}]: {m}; skipped") })
                    }
                }
            }
            let ids: Vec<Id> = ok.iter().map(|(_, _, (id, _, _))| *id).collect();
            let old = existing(tx, table, &ids).await?;
            // Which referenced records are already in the workspace (one query per target table).
            let mut in_workspace: HashSet<Id> = HashSet::new();
            for (field, target) in references(table) {
                let refs: Vec<Id> = ok
                    .iter()
                    .filter_map(|(_, _, (_, _, v))| v.get(*field).and_then(Value::as_str).and_then(|s| s.parse::<Id>().ok()))
                    .filter(|r| !known.get(target).is_some_and(|k| k.contains(r)))
                    .collect();
                in_workspace.extend(existing_ids(tx, target, &refs).await?);
            }
            // References must resolve to this bundle or the workspace, or the record is skipped
            // (a dangling reference would fail the whole import at commit).
            let mut puts = Vec::with_capacity(ok.len());
            for (i, line, (id, action_id, mut value)) in ok {
                // Offices and authorities are unique by code and citation: one already in the
                // workspace under another id is reused, and references follow it.
                for (field, _) in references(table) {
                    if let Some(r) = value.get(*field).and_then(Value::as_str).and_then(|s| s.parse::<Id>().ok()) {
                        if let Some(n) = remap.get(&r) {
                            value[*field] = Value::String(n.to_string());
                        }
                    }
                }
                let same_name: Option<String> = match *table {
                    "offices" => {
                        sqlx::query_scalar("SELECT id FROM offices WHERE code = upper(?1) AND id <> ?2")
                            .bind(value.get("code").and_then(Value::as_str).unwrap_or(""))
                            .bind(id.to_string())
                            .fetch_optional(tx.conn())
                            .await?
                    }
                    "authorities" => {
                        sqlx::query_scalar("SELECT id FROM authorities WHERE citation = ?1 COLLATE NOCASE AND id <> ?2")
                            .bind(value.get("citation").and_then(Value::as_str).unwrap_or(""))
                            .bind(id.to_string())
                            .fetch_optional(tx.conn())
                            .await?
                    }
                    _ => None,
                };
                if let Some(existing) = same_name.and_then(|s| s.parse::<Id>().ok()) {
                    remap.insert(id, existing);
                    known.entry(table).or_default().insert(existing);
                    s.records_unchanged += 1;
                    continue;
                }
                let mut dangling = None;
                for (field, target) in references(table) {
                    if let Some(r) = value.get(*field).and_then(Value::as_str).and_then(|s| s.parse::<Id>().ok()) {
                        let in_bundle = known.get(target).is_some_and(|k| k.contains(&r));
                        if !in_bundle && !in_workspace.contains(&r) {
                            dangling = Some(format!("{table}[{i}]: {field} {r} names no record in the file or the workspace; skipped"));
                            break;
                        }
                    }
                }
                if let Some(m) = dangling {
                    s.problems.push(Problem { column: None, file: name.into(), line, message: m });
                    continue;
                }
                if *table == "actions" {
                    let before: Option<Action> = old.get(&id).and_then(|v| serde_json::from_value(v.clone()).ok());
                    let after: Option<Action> = serde_json::from_value(value.clone()).ok();
                    match (before, after) {
                        (Some(b), Some(a)) if b == a => s.actions_unchanged += 1,
                        (Some(_), _) => s.actions_updated += 1,
                        (None, _) => s.actions_created += 1,
                    }
                    if let Some((y, n)) = value.get("number").and_then(Value::as_str).and_then(numbered) {
                        let top = numbers.entry(y).or_insert(0);
                        *top = (*top).max(n);
                    }
                }
                known.entry(table).or_default().insert(id);
                puts.push(Put::raw(table, id, action_id, old.get(&id).cloned(), value));
            }
            for (y, n) in std::mem::take(&mut numbers) {
                tx.raise_number_seq(&y, n).await?;
            }
            let w = tx.put(puts).await?;
            s.records_created += w.created;
            s.records_updated += w.updated;
            s.records_unchanged += w.unchanged;
            if *table == "relations" {
                s.relations_linked += w.created;
            }
        }
        Ok(())
    }

    /// Each mail becomes a draft action (title from the subject, the sender, recipients and date
    /// above the body), with the original and each attachment attached as documents. The
    /// action's id is derived from the mail's identity (Message-ID, else a hash of its bytes):
    /// a mail imported before — here, or on a desktop this one syncs with — is not imported again.
    async fn import_mails(&self, tx: &mut Tx, mails: Vec<(String, Vec<u8>, mail::Mail)>, s: &mut ImportSummary) -> Result<()> {
        use sha2::{Digest, Sha256};
        let now = tx.now();
        let stamp = Stamp { by: self.actor().name.clone(), at: now };
        for (file, bytes, m) in mails {
            let key = mail::identity(&m, &bytes);
            let id = Id::derived(&format!("mail:{key}"));
            let known: Option<String> =
                sqlx::query_scalar("SELECT number FROM actions WHERE id = ?").bind(id.to_string()).fetch_optional(tx.conn()).await?;
            if known.is_some() {
                s.actions_unchanged += 1;
                s.records_unchanged += 1;
                continue;
            }
            let mut a = Action::draft(&mail::title_from_subject(&m.subject), ActionKind::Tasker);
            a.id = id;
            a.number = tx.next_number().await?;
            a.body = mail::body_text(&m);
            a.created_at = now;
            a.external_ref = Some(key.clone());
            rules::validate_action(&a)?;
            let original =
                std::path::Path::new(&file).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "mail.eml".into());
            let mut docs = vec![(original, m.media_type.to_string(), bytes.as_slice())];
            docs.extend(m.attachments.iter().map(|x| (x.name.clone(), x.media_type.clone(), x.bytes.as_slice())));
            let mut puts = vec![Put::create(&a)];
            for (i, (name, media_type, content)) in docs.into_iter().enumerate() {
                let sha = hex::encode(Sha256::digest(content));
                tx.put_blob(&sha, content).await?;
                puts.push(Put::create(&Document {
                    id: Id::derived(&format!("mail:{key}:document:{i}")),
                    action_id: id,
                    name,
                    media_type,
                    size: content.len() as u64,
                    sha256: sha,
                    added: stamp.clone(),
                }));
            }
            s.actions_created += 1;
            s.records_created += puts.len();
            tx.put(puts).await?;
        }
        Ok(())
    }

    async fn import_csv(&self, tx: &mut Tx, rows: Vec<(String, usize, csv_format::CsvAction)>, s: &mut ImportSummary) -> Result<()> {
        let now = tx.now();
        let actor = self.actor().clone();
        for (file, line, row) in rows {
            let problem = |m: String| Problem { column: None, file: file.clone(), line: Some(line), message: m };
            // Find the action: by id, then by number.
            let mut found: Option<String> = None;
            if let Some(id) = row.id {
                found = sqlx::query_scalar("SELECT data FROM actions WHERE id = ?").bind(id.to_string()).fetch_optional(tx.conn()).await?;
            }
            if found.is_none() && !row.number.is_empty() {
                found = sqlx::query_scalar("SELECT data FROM actions WHERE number = ?").bind(&row.number).fetch_optional(tx.conn()).await?;
            }
            let before: Option<Action> = found.map(|d| crate::query::decode(&d)).transpose()?;
            let mut a = match &before {
                Some(b) => b.clone(),
                None => {
                    let mut a = Action::draft(&row.title, row.kind);
                    if let Some(id) = row.id {
                        a.id = id;
                    }
                    a.created_at = now;
                    a.status = row.status;
                    a.number = if row.number.is_empty() { tx.next_number().await? } else { row.number.clone() };
                    bump_number_seq(tx, &a.number).await?;
                    a
                }
            };
            a.title = row.title.clone();
            a.kind = row.kind;
            a.priority = row.priority;
            a.marking = row.marking.clone();
            a.issuing_official = row.issuing_official.clone();
            a.issued_on = row.issued_on;
            a.suspense = row.suspense;
            a.percent_complete = row.percent_complete;
            a.body = row.body.clone();
            if let Err(v) = rules::validate_action(&a) {
                s.problems.push(problem(format!("{v}; row skipped")));
                continue;
            }
            if let Some(b) = &before {
                if *b == a {
                    s.actions_unchanged += 1;
                    continue;
                }
                if b.status.is_read_only() {
                    s.problems.push(problem(format!(
                        "action {} is {} and read-only; row not applied",
                        b.number,
                        b.status.label().to_lowercase()
                    )));
                    continue;
                }
                if b.status != row.status {
                    s.problems.push(problem(format!(
                        "action {}: status changes ({} → {}) are lifecycle steps and are not imported; other fields applied",
                        b.number, b.status, row.status
                    )));
                }
            }
            let mut puts = vec![Put::new(before.as_ref(), &a)];
            if before.is_none() {
                s.actions_created += 1;
                let mut offices = vec![];
                for (code, role) in row
                    .opr
                    .iter()
                    .map(|c| (c, Role::Opr))
                    .chain(row.ocr.iter().map(|c| (c, Role::Ocr)))
                    .chain(row.info.iter().map(|c| (c, Role::Info)))
                {
                    let office = office_for(tx, code).await?;
                    if offices.contains(&office.id) {
                        continue;
                    }
                    offices.push(office.id);
                    puts.push(Put::create(&Assignment {
                        id: Id::new(),
                        action_id: a.id,
                        office_id: office.id,
                        role,
                        assignee: None,
                        suspense: a.suspense,
                        assigned: actor.stamp(now),
                        acknowledged: None,
                        concurrence: None,
                        delegation: None,
                    }));
                }
                let mut cited = vec![];
                for c in &row.authorities {
                    let mut extra = vec![];
                    let auth = Self::authority_for(tx, c, &mut extra).await?;
                    if cited.contains(&auth.id) {
                        continue;
                    }
                    cited.push(auth.id);
                    puts.splice(0..0, extra);
                    puts.push(Put::create(&Citation { id: Id::new(), action_id: a.id, authority_id: auth.id, note: String::new() }));
                }
            } else {
                s.actions_updated += 1;
            }
            let w = tx.put(puts).await?;
            s.records_created += w.created;
            s.records_updated += w.updated;
        }
        Ok(())
    }
}

async fn existing_ids(tx: &mut Tx, table: &str, ids: &[Id]) -> Result<Vec<Id>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(20_000) {
        let list: Vec<String> = chunk.iter().map(Id::to_string).collect();
        let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT id FROM {table} WHERE id IN (SELECT value FROM json_each(?1))"))
            .bind(serde_json::to_string(&list).expect("ids serialise"))
            .fetch_all(tx.conn())
            .await?;
        out.extend(rows.iter().filter_map(|s| s.parse::<Id>().ok()));
    }
    Ok(out)
}

/// Find an office by code, or create it (name = code) for the CSV importer.
async fn office_for(tx: &mut Tx, code: &str) -> Result<Office> {
    let code = code.trim().to_uppercase();
    let d: Option<String> = sqlx::query_scalar("SELECT data FROM offices WHERE code = ?").bind(&code).fetch_optional(tx.conn()).await?;
    if let Some(d) = d {
        return crate::query::decode(&d);
    }
    let o = Office {
        id: Id::derived(&format!("office:{code}")),
        code: code.clone(),
        name: code.clone(),
        kind: OfficeKind::Office,
        parent_id: None,
    };
    // Created in its own put now so later rows of the same file find it.
    tx.put(vec![Put::create(&o)]).await?;
    Ok(o)
}

/// `2026-0042` → ("2026", 42); other numbers (e.g. `EO 13526`) are not local numbers.
fn numbered(number: &str) -> Option<(String, i64)> {
    let (y, n) = number.split_once('-')?;
    (y.len() == 4 && y.chars().all(|c| c.is_ascii_digit())).then_some(())?;
    Some((y.to_string(), n.parse().ok()?))
}

/// Keep the local numbering ahead of an imported `YYYY-NNNN` number.
async fn bump_number_seq(tx: &mut Tx, number: &str) -> Result<()> {
    match numbered(number) {
        Some((y, n)) => tx.raise_number_seq(&y, n).await,
        None => Ok(()),
    }
}
