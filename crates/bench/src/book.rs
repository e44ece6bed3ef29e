//! Briefing-book benchmark: a 1,000-action book printed by `mandate brief`, side by side with
//! headless Chromium printing the same book's HTML export (what web and Electron tools do).
//! Peak memory is the summed resident size of the process and all its children, sampled.

use anyhow::{bail, Context, Result};
use mandate_store::Store;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs `cmd`, returning wall time and peak summed RSS (bytes) of its process tree.
pub fn measure(cmd: &mut Command) -> Result<(Duration, u64)> {
    let t = Instant::now();
    let mut child = cmd.spawn().with_context(|| format!("starting {cmd:?}"))?;
    let root = child.id();
    let mut peak = 0;
    loop {
        peak = peak.max(tree_rss(root));
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                bail!("{cmd:?} failed: {status}");
            }
            return Ok((t.elapsed(), peak));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn tree_rss(root: u32) -> u64 {
    let mut parent: HashMap<u32, u32> = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else { return 0 };
    for e in dir.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // The command name may contain spaces; fields after the closing parenthesis do not.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { continue };
        if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
            parent.insert(pid, ppid);
        }
    }
    let mut tree: HashSet<u32> = HashSet::from([root]);
    let mut grew = true;
    while grew {
        grew = false;
        for (pid, ppid) in &parent {
            if tree.contains(ppid) && tree.insert(*pid) {
                grew = true;
            }
        }
    }
    tree.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")).ok())
        .filter_map(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok()))
        .sum::<u64>()
        * 1024
}

fn pages(pdf: &Path) -> Result<usize> {
    let o = Command::new("pdfinfo").arg(pdf).output().context("pdfinfo (poppler-utils)")?;
    let info = String::from_utf8_lossy(&o.stdout);
    info.lines().find_map(|l| l.strip_prefix("Pages:")).and_then(|n| n.trim().parse().ok()).context("pdfinfo gave no page count")
}

fn mb(b: u64) -> String {
    format!("{:.0} MB", b as f64 / 1e6)
}

/// Returns BENCHMARKS.md lines.
pub async fn run(dir: &Path, store: Store, db: &Path, key_hex: &str, actions: usize) -> Result<Vec<String>> {
    let mut lines = vec![format!("## Briefing book: {actions} actions (`mandate brief` vs headless Chromium on the same book)\n")];
    // In-process: layout and PDF only, records already in memory.
    let ids = store
        .select_actions(&mandate_domain::BookSelection { filter: Some(Default::default()), ..Default::default() }, crate::today())
        .await?;
    let t = Instant::now();
    let data = mandate_briefing::BookData {
        actions: store.action_files(&ids, &|_, _, _| {}).await?,
        offices: store.all().await?,
        ..Default::default()
    };
    let load = t.elapsed();
    store.close().await;
    let options = mandate_briefing::BookOptions {
        title: "Benchmark book".into(),
        as_of: crate::today().and_hms_opt(8, 0, 0).expect("time").and_utc(),
        ..Default::default()
    };
    let t = Instant::now();
    let book = mandate_briefing::pdf_book(&data, &options, &mut |_, _| {})?;
    let laid = t.elapsed();
    let bytes = book.pdf(None)?;
    let in_process = t.elapsed();
    drop(data);

    let mandate = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/mandate");
    let pdf = dir.join("book.pdf");
    let html = dir.join("book.html");
    let brief = |out: &Path, format: &str| {
        let mut c = Command::new(&mandate);
        c.args(["--db"])
            .arg(db)
            .args(["brief", "--all", "--title", "Benchmark book", "--as-of", "2026-11-24T08:00:00Z", "--format", format, "--out"])
            .arg(out);
        c.env("MANDATE_DB_KEY", key_hex).stderr(std::process::Stdio::null());
        c
    };
    let (ours_t, ours_m) = measure(&mut brief(&pdf, "pdf"))?;
    let our_pages = pages(&pdf)?;
    let (html_t, _) = measure(&mut brief(&html, "html"))?;

    let chrome_pdf = dir.join("chromium.pdf");
    let mut chromium = Command::new("chromium");
    chromium
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", "--disable-dev-shm-usage"])
        .arg(format!("--print-to-pdf={}", chrome_pdf.display()))
        .arg(format!("file://{}", html.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let chromium_result = measure(&mut chromium);

    lines.push("| what | pages | time | peak memory | vs Chromium (time / memory) |".into());
    lines.push("|---|---:|---:|---:|---:|".into());
    let ratio = |ours: f64, theirs: f64| format!("{:.1}×", theirs / ours);
    match &chromium_result {
        Ok((ct, cm)) => {
            let cp = pages(&chrome_pdf)?;
            lines.push(format!(
                "| anchor: Chromium `--headless --print-to-pdf` of the HTML export | {cp} | {:.2} s | {} | 1.0× |",
                ct.as_secs_f64(),
                mb(*cm)
            ));
            lines.push(format!(
                "| **`mandate brief` (load from the encrypted store, lay out, write PDF)** | **{our_pages}** | **{:.2} s** | **{}** | **{} / {}** |",
                ours_t.as_secs_f64(),
                mb(ours_m),
                ratio(ours_t.as_secs_f64(), ct.as_secs_f64()),
                ratio(ours_m as f64, *cm as f64)
            ));
        }
        Err(e) => {
            lines.push(format!("| anchor: Chromium — could not run ({e}); shared figure ~31 s, ~3.1 GB for 3,000 pages | | | | |"));
            lines.push(format!("| **`mandate brief`** | **{our_pages}** | **{:.2} s** | **{}** | |", ours_t.as_secs_f64(), mb(ours_m)));
        }
    }
    lines.push(format!("| `mandate brief --format html` (the anchor's input) | | {:.2} s | | |", html_t.as_secs_f64()));
    lines.push(String::new());
    lines.push(format!(
        "Inside that run, in one process: loading the {actions} action files {:.2} s; composing and laying out {} pages {:.2} s; writing the {:.1} MB PDF {:.2} s. Target: ≤ 3 s and ≤ 300 MB (10× faster and leaner than Chromium's ~31 s / ~3.1 GB for 3,000 pages).\n",
        load.as_secs_f64(),
        book.page_count(),
        laid.as_secs_f64(),
        bytes.len() as f64 / 1e6,
        (in_process - laid).as_secs_f64()
    ));
    for l in &lines {
        println!("{l}");
    }
    Ok(lines)
}
