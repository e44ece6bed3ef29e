//! Desktop launch benchmark: the release app started on a 100k-action workspace under Xvfb,
//! timed from process start to its first screen drawn with data (the window reports it), with
//! the Rust process's peak memory. Five launches; the median is reported.

use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Xvfb(std::process::Child);
impl Drop for Xvfb {
    fn drop(&mut self) {
        // SIGTERM, so Xvfb removes its lock file and socket (SIGKILL would leave them behind
        // and the next run's server could not start).
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let _ = self.0.wait();
    }
}

/// `empty` is a workspace with no actions: the same app launched on it, in the same run, is the
/// anchor (what the machine, WebKit and the app's own start cost before any data).
pub fn run(db: &Path, empty: &Path, key_hex: &str, actions: usize) -> Result<Vec<String>> {
    let app = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/mandate-desktop");
    if !app.exists() {
        bail!("{} is missing: `cargo xtask bench` builds it", app.display());
    }
    let display = ":97";
    // A lock left by a killed server would stop this one from starting.
    if !Command::new("pgrep").args(["-f", "Xvfb :97"]).output().map(|o| o.status.success()).unwrap_or(false) {
        let _ = std::fs::remove_file("/tmp/.X97-lock");
        let _ = std::fs::remove_file("/tmp/.X11-unix/X97");
    }
    let _x = Xvfb(Command::new("Xvfb").args([display, "-screen", "0", "1280x1024x24"]).stderr(Stdio::null()).spawn().context("Xvfb")?);
    std::thread::sleep(Duration::from_millis(800));
    let mut runs = launches(&app, display, db, key_hex)?;
    let mut anchor = launches(&app, display, empty, key_hex)?;
    anchor.remove(0);
    anchor.sort_by_key(|r| r.0);
    let anchor_wall = anchor[anchor.len() / 2].0;
    let first = runs.remove(0);
    runs.sort_by_key(|r| r.0);
    // The Rust side alone, doing what the screens ask for, without a window.
    let probe = Command::new(&app).arg("--memory-probe").env("MANDATE_DB", db).env("MANDATE_DB_KEY", key_hex).output()?;
    let probe: serde_json::Value = serde_json::from_slice(&probe.stdout).context("the memory probe's report")?;
    let rust_peak = probe["Ok"]["peak_rss_kb"].as_u64().context("the memory probe failed")?;
    let (wall, report) = &runs[runs.len() / 2];
    let peak = runs.iter().filter_map(|r| r.1["peak_rss_kb"].as_u64()).max().unwrap_or(0);
    let lines = vec![
        format!("## Desktop app on {actions} actions (release build, Xvfb)\n"),
        "| what | ours | same-run anchor: the same app on an empty workspace | ratio | target |".into(),
        "|---|---:|---:|---:|---|".into(),
        format!(
            "| launch to first screen (My work, with its data), median of 5, wall clock | **{} ms** | {} ms | {:.2}× | ≤ 1,000 ms |",
            wall.as_millis(),
            anchor_wall.as_millis(),
            wall.as_secs_f64() / anchor_wall.as_secs_f64()
        ),
        format!("| … as the app measures it (from its start to the first screen's data drawn) | {} ms | {} ms | | |", report["first_screen_ms"], anchor[anchor.len() / 2].1["first_screen_ms"]),
        format!("| the very first launch after the workspace was written (not in the median) | {} ms | | | |", first.0.as_millis()),
        format!(
            "| Rust-side memory: peak resident size of the app's Rust code alone (no window) after My work, Actions, one action and the Dashboard | **{:.0} MB** | | | ≤ 150 MB |",
            rust_peak as f64 / 1024.0
        ),
        format!("| the whole app process at its first screen (Rust + GTK + WebKit's UI side; pages render in WebKit's own processes) | {:.0} MB | | | |", peak as f64 / 1024.0),
        String::new(),
    ];
    for l in &lines {
        println!("{l}");
    }
    Ok(lines)
}

/// Six launches of the app on `db` (the first folds in the WAL a fresh workspace leaves): wall
/// clock to the first screen, and the app's own report.
fn launches(app: &Path, display: &str, db: &Path, key_hex: &str) -> Result<Vec<(Duration, serde_json::Value)>> {
    let mut runs = Vec::new();
    // One launch first (the workspace was just written: its first open folds in the WAL), then five.
    for _ in 0..6 {
        let t = Instant::now();
        let mut child = Command::new(app)
            .env("DISPLAY", display)
            .env("MANDATE_DB", db)
            .env("MANDATE_DB_KEY", key_hex)
            .env("MANDATE_STARTUP_REPORT", "exit")
            .env("NO_AT_BRIDGE", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let out = child.stdout.take().expect("piped");
        let mut line = String::new();
        let mut reader = BufReader::new(out);
        let report = loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                bail!("the desktop app exited without reporting its first screen");
            }
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(line.trim()) {
                break v;
            }
        };
        let wall = t.elapsed();
        let _ = child.kill();
        let _ = child.wait();
        runs.push((wall, report));
    }
    Ok(runs)
}
