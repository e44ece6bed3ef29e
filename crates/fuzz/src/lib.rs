//! Every input boundary of Mandate, fuzzed. One place names the targets ([`TARGETS`]), gives
//! each a seed corpus made from the real records in `../shared/data/` ([`seeds`]), and runs one
//! input through it ([`run`]). Two drivers use them:
//!
//! - [`campaign`]: a mutational fuzzer on stable Rust (bit flips, interesting bytes, splices of
//!   seeds, long words, control characters), deterministic for a given seed. A bounded run is
//!   part of the test command (`tests/bounded.rs`); `cargo xtask fuzz` runs it longer.
//! - `fuzz/` (cargo-fuzz, libFuzzer, coverage-guided; needs a nightly toolchain): each target
//!   there is one line calling [`run`]. `cargo xtask fuzz` runs them when nightly is present.
//!
//! A crash is a panic anywhere below a boundary, or an answer that breaks the boundary's
//! promise: the agency server answering 5xx to a request it should refuse, a book that is not a
//! PDF. A bad input refused with an error is the expected outcome, not a crash.

mod server;
pub use server::status as server_status;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};

/// The targets, by name.
pub const TARGETS: &[&str] =
    &["federal_register_json", "nara_text", "csv", "bundle", "mail", "sync_push", "sync_pull", "enrol", "briefing_layout"];

/// What each target feeds its input to.
pub fn describe(target: &str) -> &'static str {
    match target {
        "federal_register_json" => "mandate_interchange::federal_register::parse (Federal Register API JSON) and format detection",
        "nara_text" => "mandate_interchange::nara::parse (NARA disposition tables)",
        "csv" => "mandate_interchange::csv_format::parse (the CSV import)",
        "bundle" => "mandate_interchange::bundle::parse (Mandate's JSON export)",
        "mail" => "mandate_interchange::mail::read (.eml through mail-parser, .msg through msg_parser) and what a draft takes from it",
        "sync_push" => "POST /v1/push on a real agency server (SQLite), with a valid device token",
        "sync_pull" => "GET /v1/pull?<input> on the same server, with a valid device token",
        "enrol" => "POST /v1/enrol on the same server",
        "briefing_layout" => "mandate_briefing::pdf_book: an action whose title, body and official are the input, laid out and printed",
        _ => "unknown target",
    }
}

/// The real records (`../shared/data/federal-register`), beside the repository.
pub fn shared_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/federal-register")
}

/// Run one input through `target`. `Err` is a broken promise (see the crate docs); a panic
/// propagates, for the driver to catch (or libFuzzer to report).
pub fn run(target: &str, data: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(data);
    match target {
        "federal_register_json" => {
            let _ = mandate_interchange::detect(&text);
            let (orders, problems) = mandate_interchange::federal_register::parse("fuzz.json", &text);
            // A file read whole or refused: never records and no report of why they are missing.
            if orders.is_empty()
                && problems.is_empty()
                && !text.trim().is_empty()
                && serde_json::from_str::<serde_json::Value>(&text).is_err()
            {
                return Err("a file that is not JSON gave neither orders nor problems".into());
            }
            Ok(())
        }
        "nara_text" => {
            let _ = mandate_interchange::detect(&text);
            let _ = mandate_interchange::nara::parse("fuzz.txt", &text);
            Ok(())
        }
        "csv" => {
            let (rows, problems) = mandate_interchange::csv_format::parse("fuzz.csv", &text);
            for p in &problems {
                if p.message.is_empty() {
                    return Err("a CSV problem without a message".into());
                }
            }
            // What was read writes back out and reads again the same.
            let read: Vec<_> = rows.into_iter().map(|(_, r)| r).collect();
            let mut out = Vec::new();
            mandate_interchange::csv_format::write(&mut out, &read).map_err(|e| format!("a parsed row did not write back: {e}"))?;
            let (again, problems) = mandate_interchange::csv_format::parse("again.csv", &String::from_utf8_lossy(&out));
            if !problems.is_empty() || again.len() != read.len() {
                return Err(format!("rows read did not read again the same after writing: {problems:?}"));
            }
            Ok(())
        }
        "bundle" => {
            let _ = mandate_interchange::bundle::parse("fuzz.json", &text);
            let _ = mandate_interchange::bundle::table_lines(&text);
            Ok(())
        }
        "mail" => {
            let _ = mandate_interchange::mail::is_mail(data);
            if let Ok(m) = mandate_interchange::mail::read(data) {
                if mandate_interchange::mail::title_from_subject(&m.subject).trim().is_empty() {
                    return Err("a mail gave a draft with an empty title".into());
                }
                let _ = mandate_interchange::mail::body_text(&m);
                if mandate_interchange::mail::identity(&m, data).is_empty() {
                    return Err("a mail without an identity (re-import would duplicate it)".into());
                }
            }
            Ok(())
        }
        "sync_push" | "sync_pull" | "enrol" => server::run(target, data),
        "briefing_layout" => briefing(&text),
        other => Err(format!("no fuzz target `{other}` (targets: {})", TARGETS.join(", "))),
    }
}

fn briefing(text: &str) -> Result<(), String> {
    use mandate_domain::*;
    let mut parts = text.splitn(4, '\u{1f}');
    let title = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or(title);
    let official = parts.next().unwrap_or("Chief of Staff");
    let book_title = parts.next().unwrap_or(title);
    let mut a = Action::draft(title, ActionKind::Tasker);
    a.number = "2026-0001".into();
    a.body = body.to_string();
    a.issuing_official = Some(official.to_string());
    a.suspense = chrono::NaiveDate::from_ymd_opt(2026, 12, 31);
    let data = mandate_briefing::BookData { actions: vec![ActionFile::new(a)], ..Default::default() };
    let options = mandate_briefing::BookOptions {
        title: book_title.to_string(),
        as_of: chrono::DateTime::from_timestamp(1_796_000_000, 0).expect("a time"),
        distribution: vec![official.to_string()],
        ..Default::default()
    };
    let Ok(book) = mandate_briefing::pdf_book(&data, &options, &mut |_, _| {}) else { return Ok(()) };
    let pdf = book.pdf(Some((1, official))).map_err(|e| format!("a laid-out book did not print: {e}"))?;
    if !pdf.starts_with(b"%PDF-") {
        return Err("the book printed is not a PDF".into());
    }
    Ok(())
}

/// Seed inputs for `target`, made from the real records in `shared` (small pieces of them: a
/// mutation of a 1 MB file mostly tests the copying).
pub fn seeds(target: &str, shared: &Path) -> Result<Vec<Vec<u8>>, String> {
    let read = |p: PathBuf| std::fs::read_to_string(&p).map_err(|e| format!("cannot read the seed {}: {e}", p.display()));
    let mut out: Vec<Vec<u8>> = Vec::new();
    match target {
        "federal_register_json" => {
            for name in ["barack-obama.json", "william-j-clinton.json"] {
                let doc: serde_json::Value = serde_json::from_str(&read(shared.join("fr").join(name))?).map_err(|e| e.to_string())?;
                let results = doc["results"].as_array().cloned().unwrap_or_default();
                for chunk in results.chunks(3).take(4) {
                    let small = serde_json::json!({"count": chunk.len(), "results": chunk});
                    out.push(serde_json::to_vec(&small).map_err(|e| e.to_string())?);
                }
            }
        }
        "nara_text" => {
            for year in ["1940", "1950", "1975", "2000"] {
                let text = read(shared.join("nara-disposition-tables").join(format!("{year}.txt")))?;
                let lines: Vec<&str> = text.lines().collect();
                for chunk in lines.chunks(40).take(3) {
                    out.push(chunk.join("\n").into_bytes());
                }
            }
        }
        "csv" => {
            // The orders of one NARA table, as the CSV export writes actions.
            let text = read(shared.join("nara-disposition-tables/1975.txt"))?;
            let (orders, _) = mandate_interchange::nara::parse("1975.txt", &text);
            let rows: Vec<_> = orders.iter().take(12).map(csv_row).collect();
            for chunk in rows.chunks(4) {
                let mut buf = Vec::new();
                mandate_interchange::csv_format::write(&mut buf, chunk).map_err(|e| e.to_string())?;
                out.push(buf);
            }
        }
        "bundle" => {
            let text = read(shared.join("nara-disposition-tables/1975.txt"))?;
            let (orders, _) = mandate_interchange::nara::parse("1975.txt", &text);
            for chunk in orders.chunks(3).take(4) {
                let actions: Vec<String> = chunk
                    .iter()
                    .map(|o| {
                        let mut a = mandate_domain::Action::draft(&o.title, mandate_domain::ActionKind::ExecutiveOrder);
                        a.number = o.number.clone();
                        serde_json::to_string(&a).expect("an action serialises")
                    })
                    .collect();
                let mut buf = Vec::new();
                mandate_interchange::bundle::write(&mut buf, "2026-12-06T00:00:00Z", &[("actions", actions)]).map_err(|e| e.to_string())?;
                out.push(buf);
            }
        }
        "mail" => {
            // Orders of a NARA table as mails: an encoded-word subject, quoted-printable and
            // HTML bodies, a base64 attachment, a forwarded message/rfc822 part; and a
            // Compound File header (an Outlook .msg) with nothing readable after it.
            let text = read(shared.join("nara-disposition-tables/1950.txt"))?;
            let (orders, _) = mandate_interchange::nara::parse("1950.txt", &text);
            for (i, o) in orders.iter().take(4).enumerate() {
                let subject = format!("RE: =?utf-8?Q?Executive_Order_{}_=E2=80=94_?= {}", o.number, o.title);
                let notes = o.notes.join("; ");
                let mail = match i {
                    0 => format!("From: Zoë <z@agency.gov>\r\nSubject: {subject}\r\nMessage-ID: <eo-{}@agency.gov>\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{notes}=\r\n=C3=BC\r\n", o.number),
                    1 => format!("From: ops@agency.gov\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=iso-8859-1\r\n\r\n<p><b>{}</b> {notes}</p>\r\n", o.title),
                    2 => format!("From: a@b.gov\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"x\"\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\n{notes}\r\n--x\r\nContent-Type: application/pdf; name=\"eo.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--x--\r\n"),
                    _ => format!("From: a@b.gov\r\nSubject: Fwd: {}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"y\"\r\n\r\n--y\r\nContent-Type: message/rfc822\r\n\r\nFrom: c@d.gov\r\nSubject: {}\r\n\r\n{notes}\r\n--y--\r\n", o.title, o.number),
                };
                out.push(mail.into_bytes());
            }
            let mut cfb = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
            cfb.extend_from_slice(&[0u8; 504]);
            out.push(cfb);
        }
        "sync_push" | "sync_pull" | "enrol" => out = server::seeds(target),
        "briefing_layout" => {
            let text = read(shared.join("nara-disposition-tables/1940.txt"))?;
            let (orders, _) = mandate_interchange::nara::parse("1940.txt", &text);
            for o in orders.iter().take(6) {
                out.push(format!("{}\u{1f}{}\u{1f}The President\u{1f}Executive orders of 1940", o.title, o.notes.join("; ")).into_bytes());
            }
            out.push("مرسوم تنفيذي\u{1f}行政命令 第一号 — 대통령령\u{1f}שר החוץ\u{1f}Scripts".as_bytes().to_vec());
        }
        other => return Err(format!("no fuzz target `{other}`")),
    }
    if out.is_empty() {
        return Err(format!("no seeds for {target} in {}", shared.display()));
    }
    Ok(out)
}

fn csv_row(o: &mandate_interchange::orders::PublicOrder) -> mandate_interchange::csv_format::CsvAction {
    use mandate_domain::*;
    mandate_interchange::csv_format::CsvAction {
        id: None,
        number: o.number.clone(),
        title: o.title.clone(),
        kind: ActionKind::ExecutiveOrder,
        status: Status::Issued,
        priority: Priority::Routine,
        marking: Marking::unclassified(),
        issuing_official: Some("The President".into()),
        issued_on: o.signed,
        suspense: None,
        percent_complete: 0,
        opr: Some("OGC".into()),
        ocr: vec!["OPP".into()],
        info: vec![],
        authorities: vec!["3 U.S.C. 301".into()],
        overdue: false,
        body: o.notes.join("\n"),
    }
}

/// Byte strings that often matter to parsers: delimiters, escapes, control characters, huge
/// numbers, long words, right-to-left and combining text.
const DICTIONARY: &[&str] = &[
    "\"",
    "\\",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\n",
    "\r\n",
    "\t",
    "\0",
    "\u{7f}",
    "\u{202e}",
    "\u{200d}",
    "e\u{301}",
    "null",
    "true",
    "-1",
    "0",
    "1e999",
    "18446744073709551616",
    "9223372036854775807",
    "-9223372036854775808",
    "\"\"",
    "=cmd",
    "@SUM(1)",
    "+1",
    ";",
    "Executive Order",
    "Signed: ",
    "February 30, 1940",
    "EO 99999",
    "\u{fffd}",
    "😀",
    "مرسوم",
    "行政",
];

/// One mutation of `input` (or of a splice with another seed).
pub fn mutate(rng: &mut SmallRng, input: &[u8], seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut v = input.to_vec();
    let rounds = 1 + rng.gen_range(0..4);
    for _ in 0..rounds {
        let len = v.len();
        match rng.gen_range(0..10) {
            0 if len > 0 => {
                let i = rng.gen_range(0..len);
                v[i] ^= 1 << rng.gen_range(0..8);
            }
            1 if len > 0 => {
                let i = rng.gen_range(0..len);
                v[i] = [0u8, 0x7f, 0x80, 0xff, b'"', b'\n', b',', b'-'][rng.gen_range(0..8)];
            }
            2 => {
                let word = DICTIONARY[rng.gen_range(0..DICTIONARY.len())].as_bytes();
                let i = rng.gen_range(0..=len);
                v.splice(i..i, word.iter().copied());
            }
            3 if len > 1 => {
                let a = rng.gen_range(0..len);
                let b = (a + rng.gen_range(1..=64.min(len - a))).min(len);
                v.drain(a..b);
            }
            4 if len > 1 => {
                let a = rng.gen_range(0..len);
                let b = (a + rng.gen_range(1..=256.min(len - a))).min(len);
                let piece = v[a..b].to_vec();
                let at = rng.gen_range(0..=len);
                v.splice(at..at, piece);
            }
            5 if !seeds.is_empty() => {
                let other = &seeds[rng.gen_range(0..seeds.len())];
                let cut = rng.gen_range(0..=len);
                let from = rng.gen_range(0..=other.len());
                v.truncate(cut);
                v.extend_from_slice(&other[from..]);
            }
            6 if len > 0 => v.truncate(rng.gen_range(0..len)),
            7 => {
                // A very long word (no break opportunity) somewhere.
                let i = rng.gen_range(0..=len);
                let word = vec![b"Wm\xc3\xa9"[rng.gen_range(0..3)]; rng.gen_range(100..3000)];
                v.splice(i..i, word);
            }
            8 => {
                let i = rng.gen_range(0..=len);
                let n = rng.gen_range(1..16);
                let junk: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
                v.splice(i..i, junk);
            }
            _ => {
                // A number somewhere replaced by an extreme one.
                if let Some(i) = v.iter().position(|b| b.is_ascii_digit()) {
                    let extreme = ["0", "99999999999999999999999", "-1", "4294967296"][rng.gen_range(0..4)];
                    v.splice(i..i + 1, extreme.bytes());
                }
            }
        }
    }
    v
}

/// What a campaign found.
#[derive(Debug, Default)]
pub struct Report {
    pub target: String,
    pub inputs: usize,
    /// Each failing input and what went wrong; saved under `crashes_dir`.
    pub crashes: Vec<(PathBuf, String)>,
    pub seconds: f64,
}

/// Run `inputs` inputs through `target`: the seeds first, then mutations of them (deterministic
/// for `seed`). Failing inputs are written to `crashes_dir/<target>/crash-<n>` for
/// `cargo xtask fuzz --replay FILE`.
pub fn campaign(target: &str, inputs: usize, seed: u64, shared: &Path, crashes_dir: &Path) -> Result<Report, String> {
    let corpus = seeds(target, shared)?;
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut report = Report { target: target.into(), ..Default::default() };
    let started = std::time::Instant::now();
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for n in 0..inputs {
        let input = if n < corpus.len() {
            corpus[n].clone()
        } else {
            let pick = rng.gen_range(0..corpus.len());
            mutate(&mut rng, &corpus[pick], &corpus)
        };
        let outcome = std::panic::catch_unwind(|| run(target, &input));
        let failure = match outcome {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e),
            Err(panic) => Some(format!(
                "panic: {}",
                panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
            )),
        };
        report.inputs += 1;
        if let Some(why) = failure {
            let dir = crashes_dir.join(target);
            let _ = std::fs::create_dir_all(&dir);
            let file = dir.join(format!("crash-{n}"));
            let _ = std::fs::write(&file, &input);
            report.crashes.push((file, why));
        }
    }
    std::panic::set_hook(quiet);
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}
