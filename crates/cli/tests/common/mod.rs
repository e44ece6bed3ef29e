//! The workspace every CLI test drives: a real encrypted file in a temporary folder, the real
//! `mandate` binary, a fixed key and a fixed "today".
#![allow(dead_code)] // each test file uses its own part of this

use std::path::PathBuf;
use std::process::{Command, Output};

pub const KEY: &str = "3f1c9a7e5b2d4c6a8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2d";
pub const TODAY: &str = "2026-11-24";

pub struct Ws {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
}

impl Ws {
    /// A workspace created with `mandate init` and the given extra arguments.
    pub fn init(args: &[&str]) -> Ws {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("w.db");
        let ws = Ws { dir, db };
        let mut a = vec!["init"];
        a.extend_from_slice(args);
        ws.ok(&a);
        ws
    }
    pub fn new() -> Ws {
        Ws::init(&["--name", "Test Chief", "--office", "OCOS"])
    }
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_mandate"));
        c.arg("--db").arg(&self.db).args(args).env("MANDATE_DB_KEY", KEY).env("MANDATE_TODAY", TODAY).env_remove("MANDATE_DB");
        c
    }
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }
    pub fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "mandate {args:?} failed: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    }
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        serde_json::from_str(&self.ok(&a)).unwrap()
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}
