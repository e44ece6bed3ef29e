//! `mandate-fuzz`: the drivers `cargo xtask fuzz` calls.
//!
//! - `mandate-fuzz campaign TARGET INPUTS [SEED]`: the mutational fuzzer; prints one JSON line
//!   (target, inputs, crashes, seconds) and exits 1 when it found a crash.
//! - `mandate-fuzz seeds TARGET DIR`: write the target's seed corpus to DIR (for libFuzzer).
//! - `mandate-fuzz replay TARGET FILE`: run one saved input again (a crash's reproduction).

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let crashes = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fuzz-crashes");
    let r = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["campaign", target, inputs, rest @ ..] => (|| {
            let inputs: usize = inputs.parse().map_err(|_| format!("`{inputs}` is not a number of inputs"))?;
            let seed: u64 = rest.first().map(|s| s.parse().map_err(|_| format!("`{s}` is not a seed"))).transpose()?.unwrap_or(1);
            let r = mandate_fuzz::campaign(target, inputs, seed, &mandate_fuzz::shared_data(), &crashes)?;
            println!("{}", serde_json::json!({"target": r.target, "inputs": r.inputs, "crashes": r.crashes.len(), "seconds": r.seconds}));
            for (file, why) in &r.crashes {
                eprintln!("crash: {why}\n  reproduce: cargo xtask fuzz --replay {target} {}", file.display());
            }
            if r.crashes.is_empty() {
                Ok(())
            } else {
                Err(format!("{} crash(es) in {target}", r.crashes.len()))
            }
        })(),
        ["seeds", target, dir] => (|| {
            std::fs::create_dir_all(dir).map_err(|e| format!("{dir}: {e}"))?;
            for (i, s) in mandate_fuzz::seeds(target, &mandate_fuzz::shared_data())?.iter().enumerate() {
                std::fs::write(Path::new(dir).join(format!("seed-{i}")), s).map_err(|e| format!("{dir}: {e}"))?;
            }
            Ok(())
        })(),
        ["replay", target, file] => std::fs::read(file)
            .map_err(|e| format!("{file}: {e}"))
            .and_then(|data| mandate_fuzz::run(target, &data))
            .map(|()| eprintln!("{target}: {file} runs without a crash")),
        _ => Err("usage: mandate-fuzz campaign TARGET INPUTS [SEED] | seeds TARGET DIR | replay TARGET FILE".into()),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
