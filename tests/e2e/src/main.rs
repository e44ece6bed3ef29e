//! End-to-end tests on the real Mandate window: the desktop binary started by tauri-driver and
//! WebKitWebDriver, under Xvfb (`cargo xtask test` runs this). Each screen is checked with
//! axe-core (no serious or critical WCAG 2.1 AA violations) and saved as a screenshot under
//! `target/e2e-screenshots/`.
//!
//! Environment: `MANDATE_E2E_APP` (the desktop binary), `MANDATE_E2E_AXE` (axe.min.js),
//! `MANDATE_DB`, `MANDATE_DB_KEY`, `MANDATE_TODAY` (passed down to the app).

mod webdriver;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};
use webdriver::Session;

const DRIVER: &str = "http://127.0.0.1:4444";

struct Driver(Child);
impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_driver() -> Result<Driver> {
    let child =
        Command::new("tauri-driver").args(["--port", "4444"]).spawn().context("starting tauri-driver (cargo install tauri-driver)")?;
    let start = Instant::now();
    while std::net::TcpStream::connect("127.0.0.1:4444").is_err() {
        if start.elapsed() > Duration::from_secs(20) {
            bail!("tauri-driver did not listen on 4444");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(Driver(child))
}

struct Ctx {
    app: String,
    axe: String,
    shots: PathBuf,
    checked: Vec<String>,
    /// The recovery code after the workflow re-keyed the workspace.
    recovery: Option<String>,
}

impl Ctx {
    /// Screenshot and accessibility check of the screen now showing.
    fn check_screen(&mut self, s: &Session, name: &str) -> Result<()> {
        std::thread::sleep(Duration::from_millis(900)); // let the screen settle before the picture
        s.screenshot(&self.shots.join(format!("{name}.png")))?;
        let loaded = s.js("return typeof window.axe !== 'undefined'", vec![])?;
        if loaded != json!(true) {
            s.js(&self.axe, vec![])?;
        }
        let v = s.js_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
               .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')) }))))
               .catch(e => done([{ id: 'axe-failed', impact: 'critical', help: String(e), nodes: [] }]));",
            vec![],
        )?;
        let violations = v.as_array().cloned().unwrap_or_default();
        if !violations.is_empty() {
            bail!("{name}: accessibility violations (serious or critical):\n{}", serde_json::to_string_pretty(&violations)?);
        }
        self.checked.push(name.to_string());
        println!("  ✓ {name}: screenshot saved, axe clean");
        Ok(())
    }
}

fn measure(s: &Session, id: &str) -> Result<f64> {
    let t = s.wait_text(&format!("#{id}"), "a number", |t| t.trim_end_matches('%').trim().parse::<f64>().is_ok())?;
    Ok(t.trim_end_matches('%').trim().parse()?)
}

/// First run, then the five workflow steps on a new action, checking the dashboard moves.
fn workflow(ctx: &mut Ctx, s: &Session) -> Result<()> {
    println!("scenario: first run and the five workflow steps");
    s.find("#fr-name")?;
    ctx.check_screen(s, "01-first-run")?;
    s.type_into("#fr-name", "Avery Executive")?;
    s.choose("#fr-role", "executive")?;
    s.type_into("#fr-code", "EXSEC")?;
    s.type_into("#fr-office", "Executive Secretariat")?;
    s.click("#start-sample")?;
    s.type_into("#fr-n", "120")?;
    s.click("button[type=submit]")?;
    let code = s.wait_text("#recovery-code", "a recovery code", |t| t.split('-').count() >= 10)?;
    println!("  recovery code shown ({} groups)", code.split('-').count());
    ctx.check_screen(s, "02-recovery-code")?;
    s.click("#stored")?;
    s.click("#continue")?;
    s.find("nav a[href='#/work']")?;
    ctx.check_screen(s, "03-my-work")?;

    s.go("#/dashboard")?;
    let before_actions = measure(s, "m-actions")?;
    let before_outcome = s.text("#m-outcome")?;
    ctx.check_screen(s, "04-dashboard")?;

    // 1. Issue with authority (and 2. assign OPR and OCR) from the New action screen.
    s.go("#/new")?;
    s.find("#na-title")?;
    ctx.check_screen(s, "05-new-action")?;
    s.type_into("#na-title", "Stand up the permitting reform task force")?;
    s.choose("#na-kind", "tasker")?;
    s.choose("#na-priority", "immediate")?;
    s.choose("#na-suspense", "2026-12-15")?;
    s.type_into("#na-official", "Deputy Secretary")?;
    s.type_into("#na-authority", "42 U.S.C. 4321")?;
    s.type_into("#na-body", "Charter the task force, name members from each bureau, and report options by the suspense.")?;
    s.choose("#na-opr", "OGC")?;
    s.js(
        "const sel = document.querySelector('#na-ocrs'); for (const o of sel.options) o.selected = o.value === 'OCFO'; sel.dispatchEvent(new Event('change', {bubbles:true}));",
        vec![],
    )?;
    s.click("#na-submit")?;
    s.wait_text("#action-title", "the new action", |t| t.contains("permitting reform task force"))?;
    s.wait_text("#action-status", "assigned", |t| t == "Assigned")?;
    let number = s.js("return location.hash.split('/').pop()", vec![])?.as_str().unwrap_or_default().to_string();
    println!("  issued and assigned {number}");
    ctx.check_screen(s, "06-action-detail")?;

    // 3. Risk and impact.
    s.click("details.form:has(#risk-d) summary")?;
    s.type_into("#risk-d", "Bureaus may not release staff in time")?;
    s.choose("#risk-l", "4")?;
    s.choose("#risk-i", "3")?;
    s.type_into("#risk-m", "Secretary's memo to bureau heads")?;
    s.click("#risk-add")?;
    s.wait_text("#h-risk + *", "the risk", |t| !t.contains("No risk assessment"))?;
    s.click("details.form:has(#imp-d) summary")?;
    s.type_into("#imp-d", "Twelve staff for six months")?;
    s.click("#impact-add")?;
    // 4. Acknowledge, concur, update, raise and resolve an issue.
    s.click("button[data-ack='OGC']")?;
    s.wait_text("#h-assign ~ table", "OGC acknowledged", |t| t.matches("not yet").count() == 1)?;
    s.click("button[data-ack='OCFO']")?;
    s.click("button[data-concur='OCFO']")?;
    s.wait_text("#h-assign ~ table", "the concurrence", |t| t.contains("Concur"))?;
    s.click("details.form:has(#upd-t) summary")?;
    s.choose("#upd-p", "60")?;
    s.type_into("#upd-t", "Charter drafted; members named by four of six bureaus")?;
    s.click("#update-add")?;
    s.wait_text("#action-status", "in progress", |t| t == "In progress")?;
    s.click("details.form:has(#iss-t) summary")?;
    s.type_into("#iss-t", "Two bureaus have not named members")?;
    s.type_into("#iss-o", "OGC")?;
    s.click("#issue-add")?;
    s.type_into("#res-0", "Deputy Secretary called both bureau heads")?;
    s.click("button[data-resolve='1']")?;
    s.wait_text("#h-iss ~ p", "the resolution", |t| t.contains("resolved"))?;
    // 5. Complete, evaluate, close.
    s.click("button[data-step='complete']")?;
    s.wait_text("#action-status", "completed", |t| t == "Completed")?;
    s.type_into("#ev-e", "Task force chartered on time")?;
    s.type_into("#ev-l", "Name members before chartering")?;
    s.click("#evaluate-btn")?;
    s.wait_text("#action-status", "evaluated", |t| t == "Evaluated")?;
    s.click("button[data-step='close']")?;
    s.wait_text("#action-status", "closed", |t| t == "Closed")?;
    ctx.check_screen(s, "07-action-closed")?;
    // Its chain of custody: OGC and OCFO each held it from assignment until the work was
    // completed, having acknowledged (and OCFO answered) on the way.
    let custody = s.wait_text("#custody", "the chain of custody", |t| t.matches("work completed").count() == 2)?;
    for office in ["OGC", "OCFO"] {
        s.wait_text(&format!("#custody li[data-office='{office}']"), office, |t| t.contains("Acknowledged") && !t.contains("still holds"))?;
    }
    if !custody.contains("Concur") {
        bail!("OCFO's answer is not on the custody timeline: {custody}");
    }
    // The banner carries this action's marking, not the workspace's highest.
    let marking = s.text("#action-marking")?;
    s.wait_text(".marking.top", "the action's marking", |t| t == marking)?;

    // The dashboard counts the new action, evaluated.
    s.go("#/dashboard")?;
    s.wait_text("#m-actions", "one more action", |t| t.trim().parse::<f64>().ok() == Some(before_actions + 1.0))?;
    let after_outcome = s.text("#m-outcome")?;
    if after_outcome == before_outcome {
        bail!("the share with an outcome evaluation did not change ({before_outcome})");
    }
    println!("  dashboard: actions {before_actions} → {}, with outcome {before_outcome} → {after_outcome}", before_actions + 1.0);
    let held = s.wait_text("#custody-by-office", "days offices hold actions", |t| t.contains("OGC") && t.contains("OCFO"))?;
    println!("  custody per office on the dashboard: {}", held.split_whitespace().take(24).collect::<Vec<_>>().join(" "));
    ctx.check_screen(s, "04b-dashboard-custody")?;

    // A recurring tasker: created on its screen (which issues what is already due), one
    // occurrence skipped, and what is still to come on the actions calendar.
    s.go("#/series")?;
    s.type_into("#se-title", "Weekly cabinet report")?;
    s.type_into("#se-official", "Chief of Staff")?;
    s.choose("#se-rule", "FREQ=WEEKLY")?;
    s.choose("#se-opr", "OGC")?;
    s.choose("#se-ocr", "OCFO")?;
    s.click("#se-create")?;
    let row = "#series-table tr[data-series='Weekly cabinet report']";
    s.wait_text(row, "the new series, with its first occurrences issued", |t| t.contains("FREQ=WEEKLY") && t.contains("OGC"))?;
    ctx.check_screen(s, "15-series")?;
    // The third upcoming occurrence is two weeks out: past the seven days' lead, not issued.
    s.js(
        "const sel = document.querySelector(arguments[0] + ' select'); sel.value = sel.options[3].value; sel.dispatchEvent(new Event('change', {bubbles:true}));",
        vec![Value::String(row.into())],
    )?;
    s.click("button[data-skip='Weekly cabinet report']")?;
    s.wait_text("#series-notice", "the skip", |t| t.contains("will not be issued"))?;
    s.wait_text(row, "the skipped date", |t| t.contains("skipped"))?;
    // Changed from now on: ten days' lead instead of seven.
    s.js(
        "const sel = document.querySelector('#ch-series'); sel.value = [...sel.options].find(o => o.text === arguments[0]).value; sel.dispatchEvent(new Event('change', {bubbles:true}));",
        vec![Value::String("Weekly cabinet report".into())],
    )?;
    s.wait_js(
        "return document.querySelector('#ch-lead') && document.querySelector('#ch-lead').value",
        "the series' lead time in the change form",
        |v| v.as_str() == Some("7"),
    )?;
    s.type_into("#ch-lead", "10")?;
    s.click("#ch-save")?;
    s.wait_text("#series-notice", "the change", |t| t.contains("changed from now on"))?;
    s.wait_text(row, "the new lead time", |t| t.contains("10 days"))?;
    ctx.check_screen(s, "15c-series-changed")?;
    s.go("#/actions")?;
    s.click("div[aria-label='Show as'] button:nth-of-type(3)")?;
    s.find(".calendar")?;
    s.click("button[aria-label='Next month']")?;
    s.wait_js("return document.querySelectorAll('.calendar .coming').length", "occurrences still to come on the calendar", |v| {
        v.as_u64().unwrap_or(0) > 0
    })?;
    ctx.check_screen(s, "15b-calendar-with-series")?;
    s.click("div[aria-label='Show as'] button:nth-of-type(1)")?;
    println!("  recurring tasker created, an occurrence skipped, the rest on the calendar");

    // E-mail in: mails written by Python's `email` package, dropped on the window (a native drop
    // reaches the same handler), each becoming a draft action with its attachments.
    let mails = tempfile::tempdir()?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../crates/cli/tests/mail/make_mails.py");
    let made = Command::new("python3").arg(&script).arg(mails.path()).output().context("python3 writes the test mails")?;
    if !made.status.success() {
        bail!("the test mails were not written: {}", String::from_utf8_lossy(&made.stderr));
    }
    let paths: Vec<String> = ["budget.eml", "hurricane.eml"].iter().map(|f| mails.path().join(f).display().to_string()).collect();
    s.js("window.dispatchEvent(new CustomEvent('mandate:drop', { detail: arguments[0] }))", vec![json!(paths)])?;
    let summary = s.wait_text("#import-summary", "the dropped mails imported", |t| t.contains("2 actions created"))?;
    println!("  mails dropped on the window: {summary}");
    ctx.check_screen(s, "12c-mail-imported")?;
    s.go("#/actions")?;
    s.type_into("#search", "Haushalts")?;
    s.wait_text("#vtable", "the draft made from the mail", |t| t.contains("Überprüfung des Haushalts"))?;
    s.choose("#search", "")?;

    // People and partners are kept from the window too.
    s.go("#/offices")?;
    s.type_into("#pe-name", "Jordan Lee")?;
    s.type_into("#pe-title", "Deputy General Counsel")?;
    s.choose("#pe-office", "OGC")?;
    s.click("form:has(#pe-name) button[type=submit]")?;
    s.wait_text("main table:last-of-type", "the new person", |t| t.contains("Jordan Lee") && t.contains("Deputy General Counsel"))?;

    // The table sorts by any column: a click on a header sorts by it, a second click reverses.
    s.go("#/actions")?;
    s.choose("#f-status", "")?;
    let titles = "const rows = [...document.querySelectorAll('#vtable .vrow[aria-rowindex]')].map(r => r.children[2]?.textContent ?? ''); \
                  const head = document.querySelector('#vtable [role=columnheader]:nth-child(3)').getAttribute('aria-sort'); return [head, rows];";
    let sorted = |v: &Value, dir: &str| -> bool {
        let rows: Vec<&str> =
            v[1].as_array().map(|a| a.iter().filter_map(Value::as_str).filter(|t| !t.is_empty()).collect()).unwrap_or_default();
        v[0] == dir && rows.len() >= 5 && rows.windows(2).all(|w| if dir == "ascending" { w[0] <= w[1] } else { w[0] >= w[1] })
    };
    s.click("#vtable button.sort[title='Sort by title']")?;
    s.wait_js(titles, "titles A to Z", |v| sorted(v, "ascending"))?;
    s.click("#vtable button.sort[title='Sort by title']")?;
    let z = s.wait_js(titles, "titles Z to A", |v| sorted(v, "descending"))?;
    println!("  actions table sorted by title both ways (first now: {})", z[1][0]);
    ctx.check_screen(s, "08b-actions-sorted")?;
    s.click("#vtable button.sort[title='Sort by suspense']")?;

    for (hash, name) in [
        ("#/actions", "08-actions"),
        ("#/offices", "09-offices"),
        ("#/authorities", "10-authorities"),
        ("#/brief", "11-briefing-book"),
        ("#/settings", "12-settings"),
        ("#/files", "12b-import-export"),
    ] {
        s.go(hash)?;
        s.find("h1")?;
        ctx.check_screen(s, name)?;
    }
    // A briefing book from the window: selection, options, a template, progress, the result.
    s.go("#/brief")?;
    let out = std::env::temp_dir().join(format!("mandate-e2e-book-{}.pdf", std::process::id()));
    let _ = std::fs::remove_file(&out);
    s.choose("#bk-office", "OGC")?;
    s.type_into("#bk-title", "Weekly principal’s book")?;
    s.type_into("#bk-for", "The Deputy Secretary")?;
    s.click("#bk-draft")?;
    s.type_into("#bk-out", &out.display().to_string())?;
    s.type_into("#bk-save", "Weekly principal's book")?;
    s.click("#bk-generate")?;
    let result = s.wait_text("#bk-result", "the written book", |t| t.contains(".pdf"))?;
    let pdf = std::fs::read(&out).with_context(|| format!("the book at {}", out.display()))?;
    if !pdf.starts_with(b"%PDF-") || pdf.len() < 10_000 {
        bail!("{} is not a book ({} bytes)", out.display(), pdf.len());
    }
    println!("  briefing book printed from the window: {result}");
    ctx.check_screen(s, "11b-briefing-book-printed")?;
    s.go("#/work")?;
    s.go("#/brief")?;
    s.wait_text("#bk-tpl", "the saved template", |t| t.contains("Weekly principal's book"))?;
    let _ = std::fs::remove_file(&out);
    // Copies per recipient: one whole, one holding only what OGC may see, its count of
    // withheld actions shown beside it.
    let copies = std::env::temp_dir().join(format!("mandate-e2e-copies-{}.pdf", std::process::id()));
    s.type_into("#bk-out", &copies.display().to_string())?;
    s.type_into("#bk-rcpt", "A. Whole; B. Counsel=OGC")?;
    s.click("#bk-generate")?;
    let result = s.wait_text("#bk-result", "the recipients' copies", |t| t.contains("withheld"))?;
    for f in ["copy-1-a-whole", "copy-2-b-counsel"] {
        let path = copies.with_file_name(format!("mandate-e2e-copies-{}-{f}.pdf", std::process::id()));
        let pdf = std::fs::read(&path).with_context(|| format!("the copy at {}", path.display()))?;
        if !pdf.starts_with(b"%PDF-") {
            bail!("{} is not a book", path.display());
        }
        let _ = std::fs::remove_file(&path);
    }
    println!("  per-recipient copies printed from the window: {result}");
    ctx.check_screen(s, "11c-briefing-book-copies")?;

    // Settings: preferences saved; re-encryption under a new key gives a new recovery code.
    s.go("#/settings")?;
    s.type_into("#set-days", "10")?;
    s.click("#settings-save")?;
    s.wait_text("[role=status]", "saved", |t| t.contains("Saved"))?;
    s.click("#rekey")?;
    s.click("#rekey-confirm")?;
    let new_code = s.wait_text("#new-recovery-code", "a new recovery code", |t| t.split('-').count() >= 10)?;
    if new_code == code {
        bail!("re-keying kept the old recovery code");
    }
    println!("  re-encrypted under a new key from Settings");
    ctx.recovery = Some(new_code);

    s.go("#/actions")?;
    s.click("button[aria-pressed='false']:nth-of-type(2)")?;
    ctx.check_screen(s, "13-actions-board")?;
    s.go("#/work")?;
    s.js("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'k', ctrlKey: true, bubbles: true}))", vec![])?;
    s.find("#palette-input")?;
    ctx.check_screen(s, "14-command-palette")?;
    Ok(())
}

/// Hostile text shows as text everywhere; nothing in it runs.
fn hostile(ctx: &mut Ctx, s: &Session) -> Result<()> {
    println!("scenario: reopening with the recovery code, then hostile text is plain text");
    // The workspace was re-keyed and the old key (in MANDATE_DB_KEY) no longer opens it: the
    // window asks for the recovery code.
    let code = ctx.recovery.clone().context("the workflow scenario re-keys first")?;
    s.find("#recovery")?;
    ctx.check_screen(s, "15a-recovery")?;
    s.type_into("#recovery", &code)?;
    s.click("form button[type=submit]")?;
    s.find("nav a[href='#/work']")?;
    println!("  reopened with the new recovery code");
    let title = "<img src=x onerror=\"window.__pwned=1\"> & <script>window.__pwned=2</script>";
    s.go("#/new")?;
    s.type_into("#na-title", title)?;
    s.type_into("#na-official", "<b>Official</b>")?;
    s.type_into("#na-body", "<iframe src=\"javascript:window.__pwned=3\"></iframe>")?;
    s.type_into("#na-marking", "CUI//SP-PRVCY")?;
    s.click("#na-submit")?;
    let shown = s.wait_text("#action-title", "the hostile title", |t| t.contains("onerror"))?;
    // Its marking heads the window on its own page and in a list that shows it.
    s.wait_text(".marking.top", "the action's CUI marking", |t| t == "CUI//SP-PRVCY")?;
    if shown != title {
        bail!("the title was altered: `{shown}`");
    }
    let number = s.js("return location.hash.split('/').pop()", vec![])?.as_str().unwrap_or_default().to_string();
    s.go("#/actions")?;
    s.type_into("#search", &number)?;
    s.wait_text("#vtable", "the action in the list", |t| t.contains("onerror"))?;
    s.wait_text(".marking.bottom", "the listed action's marking", |t| t == "CUI//SP-PRVCY")?;
    s.js("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'k', ctrlKey: true, bubbles: true}))", vec![])?;
    s.type_into("#palette-input", &number)?;
    s.wait_text(".palette ul", "the palette entry", |t| t.contains("onerror"))?;
    std::thread::sleep(Duration::from_millis(500));
    let pwned = s.js("return [window.__pwned ?? null, document.querySelectorAll('main img, main script, main iframe').length]", vec![])?;
    if pwned != json!([Value::Null, 0]) {
        bail!("hostile markup ran or was inserted: {pwned}");
    }
    ctx.check_screen(s, "15b-hostile-text")?;
    println!("  hostile title shown literally in detail, list and palette; nothing ran");
    sync_with_server(ctx, s)
}

/// The agency server (the real `mandate-server` binary on loopback): connect from the Sync
/// screen with an enrolment code, sync with progress, and see what the server refused. The
/// account is an office lead on the server, so the actions this executive closed locally come
/// back refused ("only an executive closes"), and the window must say so.
fn sync_with_server(ctx: &mut Ctx, s: &Session) -> Result<()> {
    println!("scenario: connecting to the agency server and syncing");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let bin = root.join("target/debug/mandate-server");
    let data_dir = tempfile::Builder::new().prefix("mandate-e2e-server-").tempdir()?;
    let data = data_dir.path();
    let admin = |args: &[&str]| -> Result<String> {
        let o = Command::new(&bin).arg("--data").arg(data).arg("admin").args(args).output().context("running mandate-server")?;
        if !o.status.success() {
            bail!("mandate-server admin {args:?}: {}", String::from_utf8_lossy(&o.stderr));
        }
        Ok(String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    admin(&["add-office", "EXSEC", "Executive Secretariat"])?;
    admin(&["add-user", "avery", "--name", "Avery Executive", "--role", "office_lead", "--office", "EXSEC"])?;
    let code = admin(&["enrol", "avery"])?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let server = Command::new(&bin)
        .arg("--data")
        .arg(data)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("starting mandate-server")?;
    struct Stop(Child);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _server = Stop(server);
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if start.elapsed() > Duration::from_secs(20) {
            bail!("mandate-server did not listen");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // Close the command palette the previous scenario left open.
    s.js("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'k', ctrlKey: true, bubbles: true}))", vec![])?;
    s.go("#/sync")?;
    s.find("#sync-url")?;
    if s.js("return document.querySelector('#palette-input') !== null", vec![])? == json!(true) {
        bail!("the command palette is still open");
    }
    ctx.check_screen(s, "16a-sync-connect")?;
    s.type_into("#sync-url", &format!("http://127.0.0.1:{port}"))?;
    s.type_into("#sync-code", &code)?;
    s.click("form.narrow button[type=submit]")?;
    // The workspace was used offline as an executive; the account is an office lead's. Before
    // anything is sent, the window says what the server will refuse and waits for a decision.
    let review = s.wait_text("[data-testid=first-push-review]", "the first push's review", |t| t.contains("will refuse"))?;
    if !review.contains("only an executive closes an action") {
        bail!("the review does not give the server's reason: {review}");
    }
    if s.text("[data-testid=waiting]")? == "0" {
        bail!("changes were sent before the user decided");
    }
    println!("  before the first push: {}", review.chars().take(120).collect::<String>());
    ctx.check_screen(s, "16b-first-push-review")?;
    s.click("#review-go-on")?;
    let outcome = s.wait_text("[data-testid=sync-outcome]", "the sync's outcome", |t| t.starts_with("Sent"))?;
    println!("  {outcome}");
    s.wait_text("[data-testid=last-synced]", "today's sync time", |t| t.starts_with("today"))?;
    let reason = s.wait_text("[data-testid=refusal-reason]", "a refusal", |t| !t.is_empty())?;
    let page = s.text("main")?;
    if !page.contains("only an executive closes an action") {
        bail!("the refusal of the locally closed actions is not shown (first reason: {reason})");
    }
    // Each refusal names its action by the number people use (2026-0042), not by an id.
    if !(page.contains("Action 20") || page.contains(" on 20")) {
        bail!("the refusals do not name their actions by number");
    }
    let line = s.wait_text("[data-testid=sync-line]", "the refusals in the navigation's sync status", |t| t.contains("refused"))?;
    println!("  refusals shown with their reason; status line: {line}");
    ctx.check_screen(s, "16c-sync-status")?;
    // Dismissed all at once (the confirmation answered yes).
    s.js("window.confirm = () => true", vec![])?;
    s.click("#refusals-dismiss-all")?;
    s.wait_js(
        "return [...document.querySelectorAll('main h2')].map(h => h.textContent).find(t => t.startsWith('Changes the server refused')) ?? ''",
        "no refusals left after Dismiss all",
        |v| v.as_str().is_some_and(|t| t.contains("(0)")),
    )?;
    println!("  every refusal dismissed at once");
    Ok(())
}

/// Runs a scenario in its own app window; on failure keeps a screenshot and the page text.
fn run(ctx: &mut Ctx, name: &str, scenario: fn(&mut Ctx, &Session) -> Result<()>) -> Result<()> {
    // tauri-driver starts WebKitWebDriver on the first request and can ask it before it listens
    // ("tcp connect error"): try again a few times before calling the run failed.
    let mut tries = 0;
    let s = loop {
        match Session::start(DRIVER, &ctx.app) {
            Ok(s) => break s,
            Err(e) if tries < 3 => {
                tries += 1;
                eprintln!("  (WebDriver session not started: {e:#}; retrying)");
                std::thread::sleep(Duration::from_secs(3));
            }
            Err(e) => return Err(e),
        }
    };
    let result = scenario(ctx, &s);
    if let Err(e) = &result {
        let _ = s.screenshot(&ctx.shots.join(format!("FAILED-{name}.png")));
        let text = s.js("return document.body.innerText", vec![]).unwrap_or_default();
        eprintln!("{name} failed: {e:#}\npage text:\n{}", text.as_str().unwrap_or_default().chars().take(2000).collect::<String>());
    }
    s.end();
    result
}

fn main() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let app = std::env::var("MANDATE_E2E_APP").unwrap_or_else(|_| root.join("target/debug/mandate-desktop").display().to_string());
    let axe_path =
        std::env::var("MANDATE_E2E_AXE").unwrap_or_else(|_| root.join("ui/node_modules/axe-core/axe.min.js").display().to_string());
    let shots = std::env::var("MANDATE_E2E_SCREENSHOTS").map(PathBuf::from).unwrap_or_else(|_| root.join("target/e2e-screenshots"));
    std::fs::create_dir_all(&shots)?;
    let axe = std::fs::read_to_string(&axe_path).with_context(|| format!("reading {axe_path}"))?;
    let mut ctx = Ctx { app, axe, shots, checked: Vec::new(), recovery: None };
    let _driver = start_driver()?;
    // Every scenario runs, whatever happened to the one before; then every failure is listed.
    let mut failed = Vec::new();
    for (name, scenario) in [("workflow", workflow as fn(&mut Ctx, &Session) -> Result<()>), ("hostile", hostile)] {
        if let Err(e) = run(&mut ctx, name, scenario) {
            failed.push(format!("{name}: {e:#}"));
        }
    }
    println!("end-to-end: {} screens checked; screenshots in {}", ctx.checked.len(), ctx.shots.display());
    if !failed.is_empty() {
        bail!("{} scenario(s) failed (screenshots FAILED-*.png in {}):\n{}", failed.len(), ctx.shots.display(), failed.join("\n"));
    }
    Ok(())
}
