//! Project automation: `cargo xtask run | test | bench`.
//!
//! A plain Rust binary so the commands work the same on every machine; `test` installs what the
//! suite needs (Debian packages) before running it, because CI and every new machine start bare.

mod postgres;

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect::<Vec<_>>().split_off(1);
    let root = root();
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("test") => test(&args[1..]),
        Some("soak") => soak(&args[1..]),
        Some("bench") => bench(&args[1..]),
        Some("fuzz") => fuzz(&args[1..]),
        _ => {
            eprintln!("usage: cargo xtask run [--actions N] | test [--under-load] | soak [--runs N] | fuzz | bench [--quick]");
            eprintln!("  run    build Mandate and open the window on a demo workspace full of sample data (headless: make it and print its success measures)");
            eprintln!("  test   install what the tests need, check architecture invariants, run every test");
            eprintln!("         --under-load: with a CPU hog on every core beside it, as on a shared machine");
            eprintln!("  soak   a fresh clone of HEAD (../shared beside it), then `test --under-load` N times in it (default 3)");
            eprintln!(
                "  fuzz   every input boundary fuzzed at length [--inputs N] [--seconds S per libFuzzer target]; --replay TARGET FILE"
            );
            eprintln!("  bench  release-build benchmarks, side by side with their anchors; writes BENCHMARKS.md");
            std::process::exit(2);
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

fn sh(cmd: &mut Command) -> Result<()> {
    // Program and arguments only: `Command`'s Debug would also print environment variables.
    let shown: Vec<String> = std::iter::once(cmd.get_program()).chain(cmd.get_args()).map(|a| a.to_string_lossy().into_owned()).collect();
    eprintln!("$ {}", shown.join(" "));
    let status = cmd.status().with_context(|| format!("running {cmd:?}"))?;
    if !status.success() {
        bail!("`{}` failed with {status}", shown.join(" "));
    }
    Ok(())
}

fn have(bin: &str) -> bool {
    Command::new("sh").arg("-c").arg(format!("command -v {bin}")).output().map(|o| o.status.success()).unwrap_or(false)
}

/// Debian packages the test suite uses, each checked with dpkg before installing so reruns are fast.
const TEST_PACKAGES: &[&str] = &[
    "keyutils",
    "python3",
    "python3-venv",
    "poppler-utils",
    "qpdf",
    // An independent reader of the CSV export (formulas must stay text).
    "libreoffice-calc-nogui",
    // The desktop app (Tauri 2 on WebKitGTK) and its end-to-end tests under Xvfb.
    "libwebkit2gtk-4.1-dev",
    "libxdo-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "webkit2gtk-driver",
    "xvfb",
    "xauth",
    "dbus",
    // The desktop's Secret Service (where Linux desktops keep the key across reboots), its
    // independent client for the tests, and the D-Bus headers the keyring crate links.
    "gnome-keyring",
    "libsecret-tools",
    "libdbus-1-dev",
    // A real PostgreSQL server for the agency server's tests (started by `xtask test`).
    "postgresql",
];

/// The desktop build serves its UI from the binary; tests build the workspace with this feature
/// once so `cargo build` and `cargo test` share one compilation of Tauri.
const DESKTOP_FEATURE: &str = "mandate-desktop/custom-protocol";

fn npm(args: &[&str]) -> Result<()> {
    sh(Command::new("npm").args(args).current_dir(root().join("ui")).env("npm_config_fund", "false").env("npm_config_audit", "false"))
}

/// Installs the UI's packages (exactly the lockfile), type-checks, unit-tests and builds it.
fn build_ui() -> Result<()> {
    if !have("npm") {
        bail!("Node.js 20.19+ and npm are needed to build the UI (https://nodejs.org)");
    }
    npm(&["ci"])?;
    npm(&["exec", "--", "svelte-check", "--tsconfig", "./tsconfig.json", "--threshold", "error"])?;
    npm(&["exec", "--", "vitest", "run"])?;
    npm(&["exec", "--", "vite", "build"])
}

fn ensure_packages(pkgs: &[&str]) -> Result<()> {
    if !have("dpkg") {
        eprintln!("(not a Debian system: make sure these are installed: {})", pkgs.join(" "));
        return Ok(());
    }
    let missing: Vec<&str> = pkgs
        .iter()
        .copied()
        .filter(|p| !Command::new("dpkg").args(["-s", p]).output().map(|o| o.status.success()).unwrap_or(false))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let root = Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false);
    let sudo: &[&str] = if root { &[] } else { &["sudo"] };
    let mut update = Command::new(sudo.first().copied().unwrap_or("apt-get"));
    if !root {
        update.arg("apt-get");
    }
    update.arg("update");
    sh(&mut update)?;
    let mut install = Command::new(sudo.first().copied().unwrap_or("apt-get"));
    if !root {
        install.arg("apt-get");
    }
    install.args(["install", "-y", "--no-install-recommends"]).args(&missing).env("DEBIAN_FRONTEND", "noninteractive");
    sh(&mut install)
}

/// The fuzz targets (crates/fuzz's `TARGETS`, and one fuzz/fuzz_targets file each).
const FUZZ_TARGETS: &[&str] =
    &["federal_register_json", "nara_text", "csv", "bundle", "sync_push", "sync_pull", "enrol", "briefing_layout"];

/// `cargo xtask fuzz [--inputs N] [--seconds S]`: every boundary at length. First the mutational
/// fuzzer (release build, N inputs a target; the book target a tenth), then, where a nightly
/// toolchain is installed, coverage-guided libFuzzer through cargo-fuzz for S seconds a target,
/// starting from the same seeds. A table of inputs and crashes per target at the end (the
/// figures BENCHMARKS.md keeps). `--replay TARGET FILE` runs one saved input again.
fn fuzz(args: &[String]) -> Result<()> {
    let fuzzer = |a: &[&str]| -> Command {
        let mut c = Command::new("cargo");
        c.args(["run", "--quiet", "--release", "-p", "mandate-fuzz", "--"]).args(a);
        c
    };
    if let [flag, target, file] = args {
        if flag == "--replay" {
            return sh(&mut fuzzer(&["replay", target, file]));
        }
    }
    let value = |name: &str, default: u64| -> Result<u64> {
        match args.iter().position(|a| a == name) {
            Some(i) => args.get(i + 1).and_then(|v| v.parse().ok()).with_context(|| format!("{name} takes a number")),
            None => Ok(default),
        }
    };
    let inputs = value("--inputs", 200_000)?;
    let seconds = value("--seconds", 60)?;
    let mut rows = Vec::new();
    let mut crashed = Vec::new();
    for t in FUZZ_TARGETS {
        let n = if *t == "briefing_layout" { inputs / 10 } else { inputs };
        let out = fuzzer(&["campaign", t, &n.to_string(), "20261206"]).output()?;
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
        let line: serde_json::Value = serde_json::from_slice(&out.stdout).with_context(|| format!("{t}: the fuzzer's report"))?;
        if !out.status.success() {
            crashed.push(format!("{t} (mutational)"));
        }
        rows.push(format!(
            "| {t} | mutational (stable) | {} | {} | {:.0} s | `cargo xtask fuzz --inputs {inputs}` |",
            line["inputs"],
            line["crashes"],
            line["seconds"].as_f64().unwrap_or(0.0)
        ));
    }
    let nightly = Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("nightly"))
        .unwrap_or(false);
    if nightly {
        if !have("cargo-fuzz") {
            sh(Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]))?;
        }
        for t in FUZZ_TARGETS {
            let corpus = root().join("target/fuzz-corpus").join(t);
            sh(&mut fuzzer(&["seeds", t, &corpus.to_string_lossy()]))?;
            let out = Command::new("cargo")
                .args(["+nightly", "fuzz", "run", "--fuzz-dir", "fuzz", t])
                .arg(&corpus)
                .args(["--", &format!("-max_total_time={seconds}"), "-print_final_stats=1", "-rss_limit_mb=4096"])
                .output()?;
            let err = String::from_utf8_lossy(&out.stderr);
            let execs =
                err.lines().find_map(|l| l.strip_prefix("stat::number_of_executed_units:")).map(str::trim).unwrap_or("?").to_string();
            let crash = !out.status.success();
            if crash {
                eprintln!("{}", err.lines().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n"));
                crashed.push(format!("{t} (libFuzzer)"));
            }
            rows.push(format!(
                "| {t} | libFuzzer, coverage-guided (nightly) | {execs} | {} | {seconds} s | `cargo xtask fuzz --seconds {seconds}` |",
                if crash { "1 (see above)" } else { "0" }
            ));
        }
    } else {
        eprintln!("(no nightly toolchain: coverage-guided fuzzing with cargo-fuzz skipped; `rustup toolchain install nightly` adds it)");
    }
    println!("| target | fuzzer | inputs | crashes | time | command |\n|---|---|---|---|---|---|\n{}", rows.join("\n"));
    if !crashed.is_empty() {
        bail!("crashes in: {}", crashed.join(", "));
    }
    Ok(())
}

/// The schemathesis version the API test runs (crates/sync/tests/schemathesis.rs): pinned, so a
/// new release's new checks arrive by a commit, not by surprise.
const SCHEMATHESIS: &str = "4.32.5";

/// schemathesis in its own Python environment under target/tools (installed once, from PyPI);
/// the path of its `st`.
fn install_schemathesis() -> Result<std::path::PathBuf> {
    let venv = root().join("target/tools/schemathesis");
    let st = venv.join("bin/st");
    let have = Command::new(&st).arg("--version").output().map(|o| String::from_utf8_lossy(&o.stdout).contains(SCHEMATHESIS));
    if have.unwrap_or(false) {
        return Ok(st);
    }
    let _ = std::fs::remove_dir_all(&venv);
    sh(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    sh(Command::new(venv.join("bin/pip")).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        &format!("schemathesis=={SCHEMATHESIS}"),
    ]))?;
    Ok(st)
}

/// A screen to open a window on: Windows and macOS always have one; elsewhere an X11 or Wayland
/// display must be named.
fn has_display() -> bool {
    let set = |v: &str| std::env::var_os(v).is_some_and(|d| !d.is_empty());
    cfg!(any(windows, target_os = "macos")) || set("DISPLAY") || set("WAYLAND_DISPLAY")
}

/// Debian packages the desktop window is built with (WebKitGTK and friends) and keeps its
/// secrets with (the Secret Service headers).
const DESKTOP_PACKAGES: &[&str] =
    &["libwebkit2gtk-4.1-dev", "libxdo-dev", "libayatana-appindicator3-dev", "librsvg2-dev", "libdbus-1-dev", "pkg-config"];

/// `cargo xtask run`: Mandate as a user meets it. With a display: the UI and the desktop app
/// are built and the window opens on the demo workspace (made on first run, reused after).
/// Headless: the demo workspace is made and its success measures printed, with how to open the
/// window where there is a display.
fn run(args: &[String]) -> Result<()> {
    let demo = root().join("demo/mandate-demo.db");
    if !has_display() {
        sh(Command::new("cargo").args(["build", "--release", "-p", "mandate-cli"]))?;
        let mut make = Command::new(root().join("target/release/mandate"));
        make.arg("--db").arg(&demo).arg("demo").args(args);
        sh(&mut make)?;
        eprintln!();
        eprintln!("No display here, so the window was not opened. On a machine with one (or under Xvfb: `xvfb-run -a cargo xtask run`),");
        eprintln!("`cargo xtask run` builds the desktop app and opens it on this demo workspace.");
        return Ok(());
    }
    if cfg!(target_os = "linux") {
        ensure_packages(DESKTOP_PACKAGES)?;
    }
    if !have("npm") {
        bail!("Node.js 20.19+ and npm are needed to build the UI (https://nodejs.org)");
    }
    npm(&["ci"])?;
    npm(&["exec", "--", "vite", "build"])?;
    // The same build the tests use, so a run after `cargo xtask test` compiles nothing new.
    sh(Command::new("cargo").args(["build", "-p", "mandate-cli", "-p", "mandate-desktop", "--features", DESKTOP_FEATURE]))?;
    if demo.exists() && !args.is_empty() {
        bail!("the demo workspace {} already exists: remove it to make one with {}", demo.display(), args.join(" "));
    }
    if !demo.exists() {
        let mut make = Command::new(root().join("target/debug/mandate"));
        make.arg("--db").arg(&demo).arg("demo").args(args);
        sh(&mut make)?;
    } else {
        eprintln!("Opening the demo workspace made earlier ({}); remove it for a fresh one.", demo.display());
    }
    let exe = root().join(format!("target/debug/mandate-desktop{}", std::env::consts::EXE_SUFFIX));
    sh(Command::new(exe).env("MANDATE_DB", &demo))
}

/// Architecture invariants that a dependency listing can check (see ARCHITECTURE.md).
fn check_invariants() -> Result<()> {
    let tree = |pkg: &str| -> Result<String> {
        let o = Command::new("cargo").args(["tree", "-p", pkg, "-e", "normal", "--prefix", "none"]).output()?;
        if !o.status.success() {
            bail!("cargo tree -p {pkg} failed: {}", String::from_utf8_lossy(&o.stderr));
        }
        Ok(String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let crate_names = |t: &str| -> Vec<String> { t.lines().filter_map(|l| l.split_whitespace().next().map(str::to_string)).collect() };
    for (pkg, forbidden) in [
        ("mandate-domain", &["sqlx", "tokio", "tauri", "axum", "keyring", "libsqlite3-sys", "mandate-store"][..]),
        ("mandate-interchange", &["sqlx", "tokio", "tauri", "axum", "keyring", "libsqlite3-sys", "mandate-store"][..]),
        ("mandate-sample", &["sqlx", "tokio", "tauri", "axum", "keyring", "libsqlite3-sys", "mandate-store"][..]),
        ("mandate-briefing", &["sqlx", "tokio", "tauri", "axum", "keyring", "libsqlite3-sys", "mandate-store"][..]),
        ("mandate-store", &["tauri", "axum"][..]),
        // The server shares only the domain with desktops: no desktop store, keychain or window.
        ("mandate-server", &["tauri", "keyring", "mandate-store", "mandate-sync"][..]),
        ("mandate-sync", &["tauri", "axum", "mandate-server"][..]),
    ] {
        let names = crate_names(&tree(pkg)?);
        for f in forbidden {
            if names.iter().any(|n| n == f) {
                bail!("architecture invariant broken: {pkg} depends on {f} (see ARCHITECTURE.md)");
            }
        }
    }
    // Only the store (the desktop's database) and the server (its own) know SQL.
    for dir in
        ["crates/domain", "crates/interchange", "crates/sample", "crates/briefing", "crates/cli/src", "crates/sync/src", "crates/app/src"]
    {
        let o = Command::new("grep").args(["-rl", "sqlx::", dir]).output()?;
        let hits = String::from_utf8_lossy(&o.stdout);
        if !hits.trim().is_empty() {
            bail!("architecture invariant broken: only mandate-store and mandate-server use sqlx, but {} does", hits.trim());
        }
    }
    eprintln!("architecture invariants hold");
    Ok(())
}

/// Busy threads on every core until dropped: the suite must pass on a machine something else
/// is using (`cargo xtask test --under-load`).
struct CpuHog {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl CpuHog {
    fn start() -> CpuHog {
        use std::sync::atomic::{AtomicBool, Ordering};
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let n = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        let threads = (0..n)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let mut x = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                    }
                })
            })
            .collect();
        eprintln!("(a CPU hog runs beside the suite on all {n} cores)");
        CpuHog { stop, threads }
    }
}

impl Drop for CpuHog {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Runs every stage of the suite even when one fails, then lists every failure.
struct Stages {
    failed: Vec<String>,
}

impl Stages {
    fn run(&mut self, name: &str, stage: impl FnOnce() -> Result<()>) {
        if let Err(e) = stage() {
            eprintln!("✗ {name}: {e:#}");
            self.failed.push(format!("{name}: {e:#}"));
        }
    }
}

fn test(args: &[String]) -> Result<()> {
    let _hog = match args.first().map(String::as_str) {
        None => None,
        Some("--under-load") => Some(CpuHog::start()),
        Some(other) => bail!("cargo xtask test: unknown option `{other}` (known: --under-load)"),
    };
    ensure_packages(TEST_PACKAGES)?;
    let shared = root().join("../shared/data/federal-register");
    if !shared.exists() {
        bail!("the real records are expected at {} (../shared beside the repository)", shared.display());
    }
    let mut stages = Stages { failed: Vec::new() };
    stages.run("architecture invariants", check_invariants);
    stages.run("formatting", || sh(Command::new("cargo").args(["fmt", "--all", "--check"])));
    // What follows needs the UI and the build: if either fails, nothing after can run.
    build_ui()?;
    sh(Command::new("cargo").args(["build", "--workspace", "--all-targets", "--locked", "--features", DESKTOP_FEATURE]))?;
    // The keychain test needs a session keyring of its own (kernel keyutils); `keyctl session -`
    // gives the whole run a fresh one.
    let mut cargo_test = if have("keyctl") {
        let mut c = Command::new("keyctl");
        c.args(["session", "-", "cargo"]);
        c
    } else {
        Command::new("cargo")
    };
    let schemathesis = install_schemathesis()?;
    let pg = postgres::Postgres::start()?;
    // --no-fail-fast: every test binary runs, and every failure is listed at the end.
    cargo_test
        .args(["test", "--workspace", "--locked", "--no-fail-fast", "--features", DESKTOP_FEATURE])
        .env("MANDATE_TEST_DATABASE_URL", &pg.url)
        .env("MANDATE_SCHEMATHESIS", &schemathesis)
        .env_remove("MANDATE_SYNC_TOKEN")
        .env_remove("MANDATE_SERVER_DATABASE_URL")
        .env_remove("MANDATE_DB_KEY")
        .env_remove("MANDATE_DB")
        .env_remove("MANDATE_TODAY");
    stages.run("cargo test", || sh(&mut cargo_test));
    drop(pg);
    // `cargo test` rewrote the UI's TypeScript types from the Rust ones: they must match what is
    // committed.
    stages.run("TypeScript bindings", || {
        let o = Command::new("git").args(["status", "--porcelain", "--", "ui/src/lib/bindings"]).current_dir(root()).output()?;
        let changed = String::from_utf8_lossy(&o.stdout);
        if !changed.trim().is_empty() {
            bail!("the TypeScript bindings in ui/src/lib/bindings are out of date (commit what `cargo test -p mandate-app` wrote):\n{changed}");
        }
        Ok(())
    });
    // The README's run command, headless: the demo must work on a fresh machine.
    let dir = std::env::temp_dir().join(format!("mandate-xtask-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    stages.run("demo", || {
        sh(Command::new(root().join("target/debug/mandate"))
            .args(["--db"])
            .arg(dir.join("demo.db"))
            .args(["demo", "--actions", "300"])
            .env("MANDATE_DB_KEY", "0f".repeat(32)))
    });
    stages.run("end-to-end (the real window)", || end_to_end(&dir));
    // Packaging: a .deb from the debug build just made (release bundles: see the README).
    stages.run("packaging", || {
        sh(Command::new(root().join("ui/node_modules/.bin/tauri")).args(["build", "--debug", "--bundles", "deb"]).current_dir(root()))?;
        let deb = root().join("target/debug/bundle/deb/Mandate_0.1.0_amd64.deb");
        sh(Command::new("dpkg-deb").arg("--info").arg(&deb))
    });
    let _ = std::fs::remove_dir_all(&dir);
    if !stages.failed.is_empty() {
        bail!("{} stage(s) failed:\n  {}", stages.failed.len(), stages.failed.join("\n  "));
    }
    eprintln!("all tests passed");
    Ok(())
}

/// `cargo xtask soak [--runs N]`: what a new machine sees, repeated. A fresh clone of HEAD in
/// `target/soak/` (with `../shared` linked beside it, as CI has it), then the README's test
/// command under load N times in a row in that clone; a line per run, and a failure if any run
/// failed.
fn soak(args: &[String]) -> Result<()> {
    let runs: usize = match args {
        [] => 3,
        [flag, n] if flag == "--runs" => n.parse().context("--runs takes a number")?,
        _ => bail!("usage: cargo xtask soak [--runs N]"),
    };
    let base = root().join("target/soak");
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base)?;
    let shared = root().join("../shared").canonicalize().context("../shared beside the repository")?;
    std::os::unix::fs::symlink(&shared, base.join("shared"))?;
    let clone = base.join("main");
    sh(Command::new("git").arg("clone").arg("--quiet").arg(root()).arg(&clone))?;
    let head = Command::new("git").args(["rev-parse", "--short", "HEAD"]).current_dir(&clone).output()?;
    let head = String::from_utf8_lossy(&head.stdout).trim().to_string();
    let mut lines = Vec::new();
    for i in 1..=runs {
        let start = std::time::Instant::now();
        let status = Command::new("cargo")
            .args(["xtask", "test", "--under-load"])
            .current_dir(&clone)
            .env("CARGO_INCREMENTAL", "0")
            .env_remove("CARGO_TARGET_DIR")
            .status()?;
        let line = format!(
            "run {i} of {runs} on a fresh clone of {head}, under load: {} in {} s",
            if status.success() { "green" } else { "FAILED" },
            start.elapsed().as_secs()
        );
        eprintln!("{line}");
        lines.push((status.success(), line));
    }
    eprintln!("soak:\n  {}", lines.iter().map(|(_, l)| l.as_str()).collect::<Vec<_>>().join("\n  "));
    if lines.iter().any(|(ok, _)| !ok) {
        bail!("{} of {runs} runs failed", lines.iter().filter(|(ok, _)| !ok).count());
    }
    Ok(())
}

/// The desktop window driven over WebDriver: tauri-driver + WebKitWebDriver under Xvfb.
fn end_to_end(dir: &Path) -> Result<()> {
    if !have("tauri-driver") {
        sh(Command::new("cargo").args(["install", "tauri-driver", "--version", "^2", "--locked"]))?;
    }
    let shots = root().join("target/e2e-screenshots");
    let _ = std::fs::remove_dir_all(&shots);
    let workspace = dir.join("e2e");
    std::fs::create_dir_all(&workspace)?;
    // As at a desktop login: a kernel session keyring of its own, a D-Bus session, and GNOME
    // Keyring unlocked (its keyring file in a home of the test's own): the window keeps its
    // sync token in the desktop keyring.
    let home = dir.join("home");
    std::fs::create_dir_all(home.join("run"))?;
    std::fs::set_permissions(home.join("run"), std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    sh(Command::new("keyctl")
        .args(["session", "-", "xvfb-run", "-a", "-s", "-screen 0 1280x1024x24", "dbus-run-session", "--", "sh", "-c"])
        .arg("printf e2e-login | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec \"$0\"")
        .arg(root().join("target/debug/mandate-e2e"))
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_RUNTIME_DIR", home.join("run"))
        .env("MANDATE_DB", workspace.join("workspace.db"))
        .env("MANDATE_DB_KEY", "e2".repeat(32))
        .env("MANDATE_TODAY", "2026-11-24")
        .env("MANDATE_E2E_SCREENSHOTS", &shots)
        .env("NO_AT_BRIDGE", "1"))?;
    eprintln!("screenshots of every screen: {}", shots.display());
    Ok(())
}

fn bench(args: &[String]) -> Result<()> {
    // The book benchmark prints with headless Chromium (the anchor) and counts pages with pdfinfo.
    // The desktop launch benchmark runs the release app under Xvfb.
    ensure_packages(&["poppler-utils", "qpdf", "chromium"])?;
    ensure_packages(TEST_PACKAGES)?;
    build_ui()?;
    sh(Command::new("cargo").args([
        "build",
        "--release",
        "-p",
        "mandate-bench",
        "-p",
        "mandate-cli",
        "-p",
        "mandate-desktop",
        "--features",
        DESKTOP_FEATURE,
    ]))?;
    let pg = postgres::Postgres::start()?;
    sh(Command::new(root().join("target/release/mandate-bench")).args(args).env("MANDATE_BENCH_DATABASE_URL", &pg.url))
}
