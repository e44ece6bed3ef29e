//! `mandate`: the headless twin of the desktop app. Every step of the workflow can be scripted
//! from here; each subcommand is a thin call into `mandate-store`.
//!
//! Exit codes: 0 success, 1 error, 2 bad command line, 3 a lifecycle rule refused the step,
//! 4 the audit chain does not verify.

mod args;
mod brief;
mod print;
mod sync;

use anyhow::{anyhow, bail, Context, Result};
use args::*;
use chrono::NaiveDate;
use clap::Parser;
use mandate_domain::*;
use mandate_store::import::BadRows;
use mandate_store::ops::{media_type_for, NewAction, NewRisk};
use mandate_store::query::ActionFilter;
use mandate_store::{key_source_for, DbKey, Profile, Store, StoreError};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// mimalloc for Rust and SQLite alike (see `mandate-alloc`).
#[global_allocator]
static ALLOCATOR: mandate_alloc::MiMalloc = mandate_alloc::MiMalloc;

/// Exit code of an import that reported problems (files with bad rows left out, or bad rows
/// skipped with --keep-good-rows): the README lists every exit code.
const EXIT_IMPORT_PROBLEMS: i32 = 5;

fn main() {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime");
    let code = match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            let rule = e.chain().any(|c| matches!(c.downcast_ref::<StoreError>(), Some(StoreError::Rule(_))));
            // Print the cause chain once: sqlx repeats its message at every level.
            let mut msg = String::new();
            for c in e.chain() {
                let c = c.to_string();
                if !msg.contains(&c) {
                    if !msg.is_empty() {
                        msg.push_str(": ");
                    }
                    msg.push_str(&c);
                }
            }
            eprintln!("error: {msg}");
            if rule {
                3
            } else {
                1
            }
        }
    };
    std::process::exit(code);
}

fn default_db() -> PathBuf {
    directories::ProjectDirs::from("gov", "Mandate", "Mandate")
        .map(|d| d.data_dir().join("mandate.db"))
        .unwrap_or_else(|| PathBuf::from("mandate.db"))
}

async fn open(cli: &Cli) -> Result<Store> {
    let path = cli.db.clone().unwrap_or_else(default_db);
    if !path.exists() {
        return Err(StoreError::NoWorkspace(path).into());
    }
    let key = key_source_for(&path).load()?;
    let mut store = Store::open(&path, &key).await?;
    if cli.as_user.is_some() || cli.as_role.is_some() {
        let mut actor = store.actor().clone();
        if let Some(n) = &cli.as_user {
            actor.name = n.clone();
        }
        if let Some(r) = cli.as_role {
            actor.role = r;
        }
        store.act_as(actor);
    }
    Ok(store)
}

fn today(cli: &Cli) -> NaiveDate {
    cli.today.unwrap_or_else(|| chrono::Local::now().date_naive())
}

/// Progress on stderr: a rewritten line on a terminal, one line per stage otherwise.
fn progress() -> impl Fn(&str, u64, u64) + Sync {
    let tty = std::io::stderr().is_terminal();
    let last = std::sync::Mutex::new(String::new());
    move |stage: &str, done: u64, total: u64| {
        let mut last = last.lock().expect("progress lock");
        if tty {
            eprint!("\r{stage}: {done}/{total}        ");
            if done >= total {
                eprintln!();
            }
        } else if *last != stage {
            eprintln!("{stage}… ({total})");
            *last = stage.to_string();
        }
    }
}

async fn action_id(store: &Store, key: &str) -> Result<Id> {
    Ok(store.resolve_action(key).await?)
}

fn yes_no(s: &str) -> Result<bool> {
    match s.to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" => Ok(true),
        "no" | "n" | "false" => Ok(false),
        _ => bail!("expected yes or no, got `{s}`"),
    }
}

async fn run(cli: Cli) -> Result<i32> {
    match &cli.command {
        Command::Init(a) => init(&cli, a).await.map(|_| 0),
        Command::Demo(a) => demo(&cli, a).await.map(|_| 0),
        Command::Key(k) => key_cmd(&cli, k).await.map(|_| 0),
        _ => {
            let store = open(&cli).await?;
            // Close on the error path too: exiting while sqlx's threads still close SQLCipher
            // connections can crash the process at exit (seen once as a signal instead of exit 1).
            let result = dispatch(&cli, &store).await;
            store.close().await;
            result
        }
    }
}

async fn init(cli: &Cli, a: &InitArgs) -> Result<()> {
    let path = cli.db.clone().unwrap_or_else(default_db);
    let source = key_source_for(&path);
    let from_env = std::env::var_os(mandate_store::KEY_ENV).is_some();
    let key = if from_env { source.load()? } else { DbKey::generate() };
    let profile = Profile { name: a.name.clone(), role: a.role, office: a.office.clone().map(|o| o.to_uppercase()), ..Default::default() };
    if path.exists() {
        return Err(StoreError::AlreadyExists(path).into());
    }
    // Store the key first: a workspace whose key could not be kept must not be created.
    source.save(&key).with_context(|| format!("no workspace was created at {}", path.display()))?;
    let store = Store::create(&path, &key, profile).await?;
    if let Some(code) = &a.office {
        store.add_office(code, a.office_name.as_deref().unwrap_or(code), OfficeKind::Office, None).await?;
    }
    if let Some(n) = a.sample {
        let r = mandate_sample::generate(&mandate_sample::Options { actions: n, today: today(cli), ..Default::default() });
        store.insert_records(&r, &progress()).await?;
    }
    println!("Created an encrypted workspace at {}", path.display());
    println!("The key is kept in {}.", source.describe());
    println!();
    println!("RECOVERY CODE — print or write this down and keep it somewhere safe. It is shown only");
    println!("now, and it is the only way back in if the key is lost from the credential store:");
    println!();
    println!("    {}", key.recovery_code().as_str());
    println!();
    println!("Restore with: mandate --db {} key recover", path.display());
    store.close().await;
    Ok(())
}

async fn demo(cli: &Cli, a: &DemoArgs) -> Result<()> {
    let path = cli.db.clone().unwrap_or_else(|| PathBuf::from("demo/mandate-demo.db"));
    if path.exists() {
        std::fs::remove_file(&path).with_context(|| format!("removing the previous demo at {}", path.display()))?;
        for ext in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
        }
    }
    let source = key_source_for(&path);
    let key = if std::env::var_os(mandate_store::KEY_ENV).is_some() { source.load()? } else { DbKey::generate() };
    let stored = source.save(&key);
    let store = Store::create(
        &path,
        &key,
        Profile { name: "Demo Chief of Staff".into(), role: UserRole::Executive, office: Some("OCOS".into()), ..Default::default() },
    )
    .await?;
    let t = std::time::Instant::now();
    let r = mandate_sample::generate(&mandate_sample::Options { actions: a.actions, today: today(cli), ..Default::default() });
    let w = store.insert_records(&r, &progress()).await?;
    eprintln!(
        "Generated {} actions ({} records, each with its audit and change-log entry) in {:.1?}",
        r.actions.len(),
        w.created,
        t.elapsed()
    );
    eprintln!("Workspace: {} (SQLCipher {})", path.display(), store.cipher_version().await?);
    let v = store.verify_audit().await?;
    eprintln!("Audit chain: {} entries, {}", v.entries, if v.ok { "verified" } else { "BROKEN" });
    let report = store.measures(today(cli), None, None, None).await?;
    print::metrics(&report);
    eprintln!();
    match stored {
        Ok(()) => eprintln!("The key is kept in {}.", source.describe()),
        Err(e) => {
            eprintln!("Note: {e}.");
            eprintln!("To reopen this demo, set MANDATE_DB_KEY to its recovery code: {}", key.recovery_code().as_str());
        }
    }
    eprintln!("Try: mandate --db {} action list --overdue --limit 10", path.display());
    store.close().await;
    Ok(())
}

async fn key_cmd(cli: &Cli, k: &KeyCommand) -> Result<()> {
    let path = cli.db.clone().unwrap_or_else(default_db);
    let source = key_source_for(&path);
    match k {
        KeyCommand::Recover { code } => {
            let code = match code {
                Some(c) => c.clone(),
                None => {
                    eprint!("Recovery code: ");
                    let mut s = String::new();
                    std::io::stdin().read_line(&mut s)?;
                    s
                }
            };
            let key = DbKey::from_recovery_code(&code)?;
            let store = Store::open(&path, &key).await?;
            store.close().await;
            source.save(&key)?;
            println!("The recovery code opens {}; its key is stored again in {}.", path.display(), source.describe());
        }
        KeyCommand::Rekey => {
            let old = source.load()?;
            let store = Store::open(&path, &old).await?;
            let new = DbKey::generate();
            store.rekey(&old, &new).await?;
            source.save(&new).context("the workspace was re-encrypted but the new key could not be stored: use the recovery code below with `mandate key recover`")?;
            println!("Re-encrypted {} under a new key (stored in {}).", path.display(), source.describe());
            println!("The old recovery code no longer works. NEW RECOVERY CODE:");
            println!();
            println!("    {}", new.recovery_code().as_str());
        }
        KeyCommand::Check => {
            let key = source.load()?;
            let store = Store::open(&path, &key).await?;
            println!("{} opens with the key in {} (SQLCipher {}).", path.display(), source.describe(), store.cipher_version().await?);
            store.close().await;
        }
    }
    Ok(())
}

async fn dispatch(cli: &Cli, s: &Store) -> Result<i32> {
    let json = cli.json;
    match &cli.command {
        Command::Sync { command, go_on } => return sync::run(s, command.as_ref(), *go_on, json).await,
        Command::Remove { kind, id } => {
            let table = match kind.to_ascii_lowercase().trim_end_matches('s') {
                "risk" => "risks",
                "impact" => "impacts",
                "issue" => "issues",
                "document" => "documents",
                "citation" => "citations",
                "relation" => "relations",
                other => bail!("`{other}` records cannot be removed; use risk, impact, issue, document, citation or relation"),
            };
            let rid: Id = id.parse().map_err(|_| anyhow::anyhow!("`{id}` is not a record id"))?;
            s.delete_record(table, rid).await?;
            print::done(json, &serde_json::json!({"removed": table, "id": id}), &format!("Removed {kind} {id}"));
        }
        Command::Action(c) => action_cmd(cli, s, c).await?,
        Command::Assign { action, office, role, suspense, assignee } => {
            let x = s.assign(action_id(s, action).await?, office, *role, *suspense, assignee.clone()).await?;
            print::done(json, &x, &format!("Assigned {} as {}", office.to_uppercase(), role.label()));
        }
        Command::Reassign { action, from, to } => {
            let x = s.reassign(action_id(s, action).await?, from, to).await?;
            print::done(json, &x, &format!("{}'s {} assignment moved to {}", from.to_uppercase(), x.role.label(), to.to_uppercase()));
        }
        Command::Acknowledge { action, office } => {
            let x = s.acknowledge(action_id(s, action).await?, office).await?;
            print::done(json, &x, &format!("{} acknowledged", office.to_uppercase()));
        }
        Command::Concur { action, office, comment } => {
            let answer = if comment.is_some() { ConcurrenceAnswer::ConcurWithComment } else { ConcurrenceAnswer::Concur };
            let x = s.concur(action_id(s, action).await?, office, answer, comment.as_deref().unwrap_or("")).await?;
            print::done(json, &x, &format!("{} concurred", office.to_uppercase()));
        }
        Command::NonConcur { action, office, reason } => {
            let x = s.concur(action_id(s, action).await?, office, ConcurrenceAnswer::NonConcur, reason).await?;
            print::done(json, &x, &format!("{} non-concurred", office.to_uppercase()));
        }
        Command::ResolveNonConcurrence { action, office, note } => {
            let x = s.resolve_non_concurrence(action_id(s, action).await?, office, note).await?;
            print::done(json, &x, &format!("{}'s non-concurrence resolved", office.to_uppercase()));
        }
        Command::Extension(c) => match c {
            ExtensionCommand::Request { action, office, to, justification } => {
                let r = s.request_extension(action_id(s, action).await?, office, *to, justification).await?;
                print::done(json, &r, &format!("Extension to {to} requested for {}", office.to_uppercase()));
            }
            ExtensionCommand::Decide { action, office, approve, deny, note } => {
                if approve == deny {
                    bail!("say --approve or --deny");
                }
                let r = s.decide_extension(action_id(s, action).await?, office, *approve, note.as_deref().unwrap_or("")).await?;
                print::done(json, &r, if *approve { "Extension approved" } else { "Extension denied" });
            }
        },
        Command::Delegate { action, office, to, note } => {
            let x = s.delegate(action_id(s, action).await?, office, to, note.as_deref().unwrap_or("")).await?;
            print::done(json, &x, &format!("{}'s assignment delegated to {to}", office.to_uppercase()));
        }
        Command::Authority(c) => match c {
            AuthorityCommand::Add { citation, kind, title, url } => {
                let a = s.add_authority(*kind, citation, title.as_deref().unwrap_or(""), url.as_deref()).await?;
                print::done(json, &a, &format!("Authority {} ({}) in the library", a.citation, a.kind.label()));
            }
            AuthorityCommand::Cite { action, citation, note } => {
                let a = s.cite(action_id(s, action).await?, citation, note.as_deref().unwrap_or("")).await?;
                print::done(json, &a, &format!("Cites {}", a.citation));
            }
            AuthorityCommand::List => {
                let mut all = s.all::<Authority>().await?;
                all.sort_by(|a, b| a.citation.cmp(&b.citation));
                print::authorities(json, &all);
            }
            AuthorityCommand::Show { citation } => {
                let a = s
                    .all::<Authority>()
                    .await?
                    .into_iter()
                    .find(|a| a.citation.eq_ignore_ascii_case(citation))
                    .ok_or_else(|| anyhow!("no authority `{citation}` in the library"))?;
                let citing = s.actions_citing(a.id).await?;
                print::authority(json, &a, &citing);
            }
        },
        Command::Risk { action, description, category, likelihood, impact, mitigation, owner } => {
            let r = s
                .add_risk(
                    action_id(s, action).await?,
                    NewRisk {
                        description: description.clone(),
                        category: *category,
                        likelihood: *likelihood,
                        impact: *impact,
                        mitigation: mitigation.clone().unwrap_or_default(),
                        owner: owner.clone().unwrap_or_default(),
                    },
                )
                .await?;
            print::done(json, &r, &format!("Risk recorded (score {})", r.score()));
        }
        Command::RiskStatus { action, risk, status, mitigation } => {
            let r = s.update_risk(action_id(s, action).await?, risk, *status, mitigation.as_deref()).await?;
            print::done(json, &r, &format!("Risk \"{}\" is now {}", r.description, r.status.label().to_lowercase()));
        }
        Command::Impact { action, area, description, cost } => {
            let i = s.add_impact(action_id(s, action).await?, *area, description, *cost).await?;
            print::done(json, &i, "Impact assessment recorded");
        }
        Command::Update { action, percent, text } => {
            let u = s.add_update(action_id(s, action).await?, *percent, text).await?;
            print::done(json, &u, &format!("Status update recorded ({percent}%)"));
        }
        Command::Issue(c) => match c {
            IssueCommand::Raise { action, title, description, owner } => {
                let i = s
                    .raise_issue(action_id(s, action).await?, title, description.as_deref().unwrap_or(""), owner.as_deref().unwrap_or(""))
                    .await?;
                print::done(json, &i, "Issue raised");
            }
            IssueCommand::Resolve { action, issue, note } => {
                let i = s.resolve_issue(action_id(s, action).await?, issue, note).await?;
                print::done(json, &i, "Issue resolved");
            }
        },
        Command::Relate { action, kind, target, note } => {
            let r = s.relate(action_id(s, action).await?, *kind, target, note.as_deref().unwrap_or("")).await?;
            print::done(json, &r, &format!("{action} {} {target}", kind.label().to_lowercase()));
        }
        Command::Document(c) => match c {
            DocumentCommand::Add { action, file, name } => {
                let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
                let name = name
                    .clone()
                    .unwrap_or_else(|| file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "document".into()));
                let d = s.attach(action_id(s, action).await?, &name, media_type_for(&name), &bytes).await?;
                print::done(json, &d, &format!("Attached {} ({} bytes, sha256 {})", d.name, d.size, &d.sha256[..12]));
            }
            DocumentCommand::Get { action, document, out } => {
                let f = s.action_file(action_id(s, action).await?).await?;
                let d = f
                    .documents
                    .iter()
                    .find(|d| d.id.to_string() == *document || d.name == *document)
                    .ok_or_else(|| anyhow!("no document `{document}` on {action}"))?;
                let bytes = s.document_bytes(&d.sha256).await?;
                std::fs::write(out, bytes).with_context(|| format!("writing {}", out.display()))?;
                eprintln!("Wrote {} to {}", d.name, out.display());
            }
        },
        Command::Evaluate { action, result, on_time, within_scope, evidence, lessons } => {
            let e = s
                .evaluate(
                    action_id(s, action).await?,
                    *result,
                    yes_no(on_time)?,
                    yes_no(within_scope)?,
                    evidence.as_deref().unwrap_or(""),
                    lessons.as_deref().unwrap_or(""),
                )
                .await?;
            print::done(json, &e, "Outcome evaluated");
        }
        Command::Series(c) => series(s, c, today(cli), json).await?,
        Command::Office(c) => match c {
            OfficeCommand::Add { code, name, kind, parent } => {
                let o = s.add_office(code, name, *kind, parent.as_deref()).await?;
                print::done(json, &o, &format!("Office {} added", o.code));
            }
            OfficeCommand::List => print::offices(json, &s.all::<Office>().await?),
        },
        Command::Person(c) => match c {
            PersonCommand::Add { name, title, email, office } => {
                let p = s.add_person(name, title.as_deref().unwrap_or(""), email.as_deref(), office.as_deref()).await?;
                print::done(json, &p, &format!("{} added", p.name));
            }
            PersonCommand::List => print::people(json, &s.all::<Person>().await?, &s.all::<Office>().await?),
        },
        Command::Metrics { office, from, to } => {
            let report = s.measures(today(cli), office.as_deref(), *from, *to).await?;
            let custody: Vec<_> = s
                .custody_by_office()
                .await?
                .into_iter()
                .filter(|c| office.as_ref().is_none_or(|o| c.office.eq_ignore_ascii_case(o)))
                .collect();
            if json {
                // The report's own fields, with the custody figures beside them.
                let mut out = serde_json::to_value(&report)?;
                out["custody"] = serde_json::to_value(&custody)?;
                print::json(&out);
            } else {
                print::metrics(&report);
                print::custody_by_office(&custody);
            }
        }
        Command::Custody { action } => {
            let (id, holds) = s.custody(action).await?;
            let file = s.action_file(id).await?;
            let codes: std::collections::HashMap<_, _> =
                s.all::<mandate_domain::Office>().await?.into_iter().map(|o| (o.id, o.code)).collect();
            if json {
                let holds: Vec<_> = holds.iter().map(|h| serde_json::json!({"office": codes.get(&h.office_id), "hold": h})).collect();
                print::json(&serde_json::json!({"action": file.action.number, "title": file.action.title, "holds": holds}));
            } else {
                print::custody(&file.action, &holds, &codes, chrono::Utc::now());
            }
        }
        Command::Import { paths, keep_good_rows } => {
            let bad_rows = if *keep_good_rows { BadRows::KeepGoodRows } else { BadRows::RejectFile };
            let summary = s.import_paths(paths, bad_rows, &progress()).await?;
            print::import_summary(json, &summary);
            if !summary.problems.is_empty() {
                return Ok(EXIT_IMPORT_PROBLEMS);
            }
        }
        Command::Export { format, out } => export(cli, s, *format, out).await?,
        Command::Brief(a) => brief::brief(s, a, today(cli), &progress()).await?,
        Command::View(c) => brief::view(s, c, json).await?,
        Command::Templates => brief::templates(s, json).await?,
        Command::Audit(c) => match c {
            AuditCommand::Verify => {
                let v = s.verify_audit().await?;
                if json {
                    print::json(&v);
                } else if v.ok {
                    println!("Audit chain verified: {} entries, head {}", v.entries, v.head_hash);
                } else if let Some(b) = &v.first_bad {
                    println!("AUDIT CHAIN BROKEN at entry {}: {}", b.seq, b.reason);
                }
                return Ok(if v.ok { 0 } else { 4 });
            }
            AuditCommand::Export { out } => {
                let mut f = std::io::BufWriter::new(std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?);
                let n = s.export_audit(&mut f).await?;
                f.flush()?;
                eprintln!("Wrote {n} audit entries to {} (verify with: python3 docs/verify-audit.py {})", out.display(), out.display());
            }
            AuditCommand::Show { action } => {
                let id = action_id(s, action).await?;
                let h = s.audit_history(&id.to_string()).await?;
                print::history(json, &h);
            }
        },
        Command::Sample { actions, seed } => {
            let r = mandate_sample::generate(&mandate_sample::Options { actions: *actions, seed: *seed, today: today(cli) });
            let w = s.insert_records(&r, &progress()).await?;
            eprintln!("Added {} sample actions ({} records)", r.actions.len(), w.created);
        }
        Command::Init(_) | Command::Demo(_) | Command::Key(_) => unreachable!("handled before opening"),
    }
    Ok(0)
}

async fn export(cli: &Cli, s: &Store, format: ExportFormat, out: &Path) -> Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?);
    match format {
        ExportFormat::Json => {
            let n = s.export_json(&mut f).await?;
            eprintln!("Wrote {n} records to {}", out.display());
        }
        ExportFormat::Csv => {
            let rows = s.csv_rows(None, today(cli)).await?;
            mandate_interchange::csv_format::write(&mut f, &rows)?;
            eprintln!("Wrote {} actions to {}", rows.len(), out.display());
        }
        ExportFormat::Ics => {
            let events = s.suspense_events(Some(24 * 60)).await?;
            f.write_all(mandate_interchange::ics::write(&events, chrono::Utc::now(), "Mandate suspenses").as_bytes())?;
            eprintln!("Wrote {} suspense events to {}", events.len(), out.display());
        }
    }
    f.flush()?;
    Ok(())
}

async fn action_cmd(cli: &Cli, s: &Store, c: &ActionCommand) -> Result<()> {
    let json = cli.json;
    match c {
        ActionCommand::Create(a) => {
            let f = s
                .create_action(NewAction {
                    title: a.title.clone(),
                    kind: a.kind,
                    body: a.body.clone().unwrap_or_default(),
                    priority: a.priority,
                    marking: a.marking.clone(),
                    issuing_official: a.official.clone(),
                    suspense: a.suspense,
                    parent: a.parent.clone(),
                    authorities: a.authority.clone(),
                    issue: a.issue,
                })
                .await?;
            if json {
                print::json(&print::show_json(&f, &s.all::<Office>().await?));
            } else {
                println!("{} {} ({})", f.action.number, f.action.title, f.action.status.label());
            }
        }
        ActionCommand::Edit(e) => {
            let id = action_id(s, &e.action).await?;
            let a = s
                .edit_action(id, |a| {
                    if let Some(t) = &e.title {
                        a.title = t.clone();
                    }
                    if let Some(b) = &e.body {
                        a.body = b.clone();
                    }
                    if let Some(p) = e.priority {
                        a.priority = p;
                    }
                    if let Some(m) = &e.marking {
                        a.marking = m.clone();
                    }
                    if let Some(o) = &e.official {
                        a.issuing_official = Some(o.clone());
                    }
                    if let Some(d) = e.suspense {
                        a.suspense = Some(d);
                    }
                    if let Some(k) = e.kind {
                        a.kind = k;
                    }
                    Ok(())
                })
                .await?;
            print::done(json, &a, &format!("{} updated", a.number));
        }
        ActionCommand::List(l) => {
            let f = l.filter(None);
            let items = s.list_actions(&f, today(cli)).await?;
            print::list(json, &items);
        }
        ActionCommand::Search { query, limit } => {
            let f = ActionFilter { text: Some(query.clone()), limit: *limit, ..Default::default() };
            let items = s.list_actions(&f, today(cli)).await?;
            print::list(json, &items);
        }
        ActionCommand::Show { action } => {
            let f = s.action_file(action_id(s, action).await?).await?;
            let offices = s.all::<Office>().await?;
            if json {
                print::json(&print::show_json(&f, &offices));
            } else {
                print::show(&f, &offices, today(cli));
            }
        }
        ActionCommand::Step(_) => {
            let (step, action, reason) = c.step().expect("a lifecycle step");
            let id = action_id(s, action).await?;
            let to = match step {
                Step::Issue => Status::Issued,
                Step::Start => Status::InProgress,
                Step::Block => Status::Blocked,
                Step::Unblock => Status::InProgress,
                Step::Complete => Status::Completed,
                Step::Close => Status::Closed,
                Step::Reopen => Status::InProgress,
                Step::Cancel => Status::Cancelled,
                Step::Supersede => Status::Superseded,
            };
            let a = s.transition(id, to, reason.map(String::as_str).unwrap_or("")).await?;
            print::done(json, &a, &format!("{} is now {}", a.number, a.status.label().to_lowercase()));
        }
    }
    Ok(())
}

async fn series(s: &Store, c: &SeriesCommand, today: NaiveDate, json: bool) -> Result<()> {
    use mandate_store::series::{NewSeries, SeriesChange};
    let issued = |n: &[String]| {
        if !n.is_empty() {
            eprintln!("Issued {} occurrence{}: {}", n.len(), if n.len() == 1 { "" } else { "s" }, n.join(", "));
        }
    };
    match c {
        SeriesCommand::Create { title, kind, body, priority, marking, official, rule, starts, lead_days, opr, ocr } => {
            let new = NewSeries {
                title: title.clone(),
                kind: *kind,
                body: body.clone().unwrap_or_default(),
                priority: *priority,
                marking: marking.clone(),
                issuing_official: official.clone(),
                rule: rule.clone(),
                starts: *starts,
                lead_days: *lead_days,
                opr: opr.clone(),
                ocrs: ocr.clone(),
            };
            let created = s.create_series(new, today).await?;
            print::done(json, &created, &format!("Series `{}` created ({})", created.title, created.id));
        }
        SeriesCommand::List => {
            issued(&s.issue_due_occurrences(today).await?);
            let list = s.series_list(today).await?;
            if json {
                print::json(&list);
            } else if list.is_empty() {
                println!("No series yet; create one with `mandate series create`.");
            } else {
                for v in list {
                    let x = &v.series;
                    let state = match x.ended {
                        Some(e) => format!("ends {e}"),
                        None => "ongoing".into(),
                    };
                    println!(
                        "{}\t{}\t{}\t{} days ahead\tOPR {}\t{state}",
                        x.id,
                        x.title,
                        x.rule,
                        x.lead_days,
                        v.opr.as_deref().unwrap_or("—")
                    );
                    let next: Vec<String> = v.next.iter().map(|d| d.to_string()).collect();
                    println!("\t{} issued; next: {}", v.issued, if next.is_empty() { "none".into() } else { next.join(", ") });
                    if !x.skipped.is_empty() {
                        println!("\tskipped: {}", x.skipped.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "));
                    }
                }
            }
        }
        SeriesCommand::Skip { series, date } => {
            let x = s.skip_occurrence(series, *date).await?;
            print::done(json, &x, &format!("The {date} occurrence of `{}` will not be issued", x.title));
        }
        SeriesCommand::End { series, after } => {
            let last = after.unwrap_or(today);
            let x = s.end_series(series, last).await?;
            print::done(json, &x, &format!("Series `{}` ends: no occurrence after {last}", x.title));
        }
        SeriesCommand::Change { series, title, lead_days, rule, opr, ocr } => {
            let change = SeriesChange {
                title: title.clone(),
                lead_days: *lead_days,
                rule: rule.clone(),
                opr: opr.clone(),
                ocrs: if ocr.is_empty() { None } else { Some(ocr.clone()) },
            };
            let x = s.change_series(series, change).await?;
            print::done(json, &x, &format!("Series `{}` changed from now on", x.title));
        }
        SeriesCommand::Issue => {
            let n = s.issue_due_occurrences(today).await?;
            issued(&n);
            if json {
                print::json(&n);
            } else if n.is_empty() {
                println!("Nothing due to issue");
            }
        }
    }
    Ok(())
}
