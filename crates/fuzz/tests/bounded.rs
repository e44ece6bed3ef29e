//! The bounded fuzz run of the test command: every target, its seeds from the real records and
//! a fixed number of mutations of them (a deterministic seed, so a failure here repeats). Goal:
//! 0 crashes. `cargo xtask fuzz` runs the same targets far longer (and coverage-guided under
//! libFuzzer when a nightly toolchain is present); BENCHMARKS.md has its figures.

use mandate_fuzz::{campaign, shared_data, TARGETS};

/// Inputs per target (a minute or so for all of them on the CI machine).
fn inputs(target: &str) -> usize {
    match target {
        // A printed book costs milliseconds; a push writes to the server's database.
        "briefing_layout" => 1200,
        "sync_push" | "sync_pull" | "enrol" => 8000,
        _ => 20000,
    }
}

#[test]
fn every_boundary_survives_its_bounded_fuzz_run() {
    let crashes_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fuzz-crashes");
    let mut failed = Vec::new();
    for target in TARGETS {
        let r = campaign(target, inputs(target), 20261206, &shared_data(), &crashes_dir).unwrap_or_else(|e| panic!("{target}: {e}"));
        eprintln!("{target}: {} inputs, {} crashes, {:.1} s", r.inputs, r.crashes.len(), r.seconds);
        assert_eq!(r.inputs, inputs(target));
        for (file, why) in r.crashes.iter().take(5) {
            failed.push(format!("{target}: {why}\n    reproduce: cargo xtask fuzz --replay {target} {}", file.display()));
        }
    }
    assert!(failed.is_empty(), "{} crash(es):\n{}", failed.len(), failed.join("\n"));
}

/// The server targets reach the code under test: their seeds are taken (200), not refused at the
/// door, so mutations of them explore past authentication and decoding.
#[test]
fn the_server_seeds_are_accepted() {
    for target in ["sync_push", "sync_pull"] {
        for seed in mandate_fuzz::seeds(target, &shared_data()).unwrap() {
            assert_eq!(mandate_fuzz::server_status(target, &seed), Ok(200), "{target}: {}", String::from_utf8_lossy(&seed));
        }
    }
    let bad_code = mandate_fuzz::seeds("enrol", &shared_data()).unwrap().remove(0);
    assert_eq!(mandate_fuzz::server_status("enrol", &bad_code), Ok(401), "an unknown code reaches the code check");
}
