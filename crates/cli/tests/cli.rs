//! The `mandate` binary end to end, as a script would use it: real encrypted files, real
//! processes, and independent parsers for what it exports.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::*;

fn shared_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/federal-register")
}

#[test]
fn whole_workflow_with_rules_and_json() {
    let ws = Ws::new();
    ws.ok(&["office", "add", "--code", "OGC", "--name", "Office of the General Counsel"]);
    ws.ok(&["office", "add", "--code", "OCFO", "--name", "Office of the Chief Financial Officer"]);
    ws.ok(&["office", "add", "--code", "OHIO", "--name", "State of Ohio EMA", "--kind", "partner"]);
    let created = ws.json(&[
        "action",
        "create",
        "--title",
        "Prepare hurricane season plan",
        "--kind",
        "directive",
        "--official",
        "Secretary",
        "--suspense",
        "2026-12-15",
        "--authority",
        "42 U.S.C. 5121",
        "--priority",
        "immediate",
        "--issue",
    ]);
    assert_eq!(created["number"], "2026-0001");
    assert_eq!(created["status"], "issued");
    // A rule violation: exit code 3 and the rule named on stderr.
    let o = ws.run(&["action", "complete", "2026-0001"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("rule: lifecycle-order"));
    ws.ok(&["assign", "2026-0001", "--office", "OGC", "--role", "opr", "--suspense", "2026-12-10"]);
    ws.ok(&["assign", "2026-0001", "--office", "OCFO", "--role", "ocr"]);
    ws.ok(&["assign", "2026-0001", "--office", "OHIO", "--role", "info"]);
    let o = ws.run(&["assign", "2026-0001", "--office", "OCOS", "--role", "opr"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("rule: one-opr"));
    ws.ok(&[
        "risk",
        "2026-0001",
        "--description",
        "Shelter capacity short",
        "--category",
        "operational",
        "--likelihood",
        "4",
        "--impact",
        "5",
        "--mitigation",
        "Pre-negotiate with schools",
    ]);
    // The risk was entered with its mitigation, so it can be marked mitigated.
    ws.ok(&["risk-status", "2026-0001", "--risk", "1", "--status", "mitigated"]);
    assert_eq!(ws.json(&["action", "show", "2026-0001"])["risks"][0]["status"], "mitigated");
    let o = ws.run(&["risk-status", "2026-0001", "--risk", "9", "--status", "closed"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("no risk `9`"), "{}", String::from_utf8_lossy(&o.stderr));
    ws.ok(&["impact", "2026-0001", "--area", "cost", "--description", "Overtime for staff", "--cost", "250000"]);
    ws.ok(&["acknowledge", "2026-0001", "--office", "OGC"]);
    ws.ok(&["acknowledge", "2026-0001", "--office", "OCFO"]);
    ws.ok(&["concur", "2026-0001", "--office", "OCFO", "--comment", "Fund from contingency"]);
    ws.ok(&["update", "2026-0001", "--percent", "50", "--text", "Shelters surveyed"]);
    ws.ok(&["extension", "request", "2026-0001", "--office", "OGC", "--to", "2026-12-20", "--justification", "State data late"]);
    let o = ws.cmd(&["extension", "decide", "2026-0001", "--office", "OGC", "--approve"]).args(["--as-role", "staff"]).output().unwrap();
    assert_eq!(o.status.code(), Some(3), "staff cannot decide extensions");
    ws.ok(&["extension", "decide", "2026-0001", "--office", "OGC", "--approve", "--note", "once"]);
    ws.ok(&["delegate", "2026-0001", "--office", "OGC", "--to", "Deputy GC"]);
    ws.ok(&["issue", "raise", "2026-0001", "--title", "Generator contract lapsed"]);
    assert_eq!(ws.run(&["action", "complete", "2026-0001"]).status.code(), Some(3));
    ws.ok(&["issue", "resolve", "2026-0001", "--issue", "1", "--note", "Bridge contract signed"]);
    std::fs::write(ws.path("plan.txt"), "Shelter plan v1").unwrap();
    ws.ok(&["document", "add", "2026-0001", ws.path("plan.txt").to_str().unwrap()]);
    ws.ok(&["action", "create", "--title", "Sub-task: survey shelters", "--official", "Secretary", "--parent", "2026-0001", "--issue"]);
    ws.ok(&["relate", "2026-0002", "--kind", "blocks", "--to", "2026-0001"]);
    let o = ws.run(&["action", "complete", "2026-0001"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("rule: blockers-done"), "{}", String::from_utf8_lossy(&o.stderr));
    ws.ok(&["action", "cancel", "2026-0002", "--reason", "Merged into the parent"]);
    ws.ok(&["action", "complete", "2026-0001"]);
    ws.ok(&[
        "evaluate",
        "2026-0001",
        "--result",
        "met",
        "--on-time",
        "yes",
        "--within-scope",
        "yes",
        "--lessons",
        "Start shelter surveys in March",
    ]);
    ws.ok(&["action", "close", "2026-0001"]);
    assert_eq!(ws.run(&["update", "2026-0001", "--percent", "100", "--text", "late note"]).status.code(), Some(3));

    let show = ws.json(&["action", "show", "2026-0001"]);
    for k in ["id", "number", "title", "kind", "status", "suspense"] {
        assert!(show.get(k).is_some(), "show --json has {k}");
    }
    assert_eq!(show["status"], "closed");
    assert_eq!(show["suspense"], "2026-12-20", "approved OPR extension moved the action's suspense");
    assert_eq!(show["assignments"].as_array().unwrap().len(), 3);
    assert_eq!(show["assignments"][0]["office_code"], "OGC");
    assert_eq!(show["assignments"][0]["delegation"]["to"], "Deputy GC");
    assert_eq!(show["documents"][0]["size"], 15);
    assert_eq!(show["evaluation"]["lessons_learned"], "Start shelter surveys in March");
    assert_eq!(show["transitions"].as_array().unwrap().last().unwrap()["to"], "closed");
    // The document comes back byte for byte.
    ws.ok(&["document", "get", "2026-0001", "plan.txt", "--out", ws.path("back.txt").to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(ws.path("back.txt")).unwrap(), "Shelter plan v1");

    let m = ws.json(&["metrics"]);
    assert_eq!(m["overall"]["completed_on_time_within_scope"], 1);
    assert_eq!(m["overall"]["with_authority"], 1);
    assert_eq!(m["overall"]["spanning_several_offices"], 1);
    assert_eq!(m["per_office"]["OGC"]["actions"], 1);
    let m = ws.json(&["metrics", "--office", "OHIO", "--from", "2026-01-01", "--to", "2026-12-31"]);
    assert_eq!(m["overall"]["actions"], 1);

    let h = ws.json(&["audit", "show", "2026-0001"]);
    assert!(h.as_array().unwrap().len() > 20);
    assert!(ws.ok(&["audit", "verify"]).contains("verified"));
    // Reopen is a logged step with a reason.
    ws.ok(&["action", "reopen", "2026-0001", "--reason", "IG asked for more evidence"]);
    let show = ws.json(&["action", "show", "2026-0001"]);
    assert_eq!(show["status"], "in_progress");
    assert_eq!(show["transitions"].as_array().unwrap().last().unwrap()["reason"], "IG asked for more evidence");
}

#[test]
fn list_filters_and_json_shape() {
    let ws = Ws::new();
    ws.ok(&["sample", "--actions", "400"]);
    let all = ws.json(&["action", "list"]);
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 400, "every match unless --limit");
    for k in ["id", "number", "title", "kind", "status", "suspense"] {
        assert!(all[0].get(k).is_some(), "list items have {k}");
    }
    assert_eq!(ws.json(&["action", "list", "--limit", "7"]).as_array().unwrap().len(), 7);
    let overdue = ws.json(&["action", "list", "--overdue"]);
    assert!(!overdue.as_array().unwrap().is_empty());
    for a in overdue.as_array().unwrap() {
        assert!(a["suspense"].as_str().unwrap() < TODAY && a["overdue"] == true, "{a}");
    }
    let ogc = ws.json(&["action", "list", "--office", "ogc", "--status", "in_progress"]);
    for a in ogc.as_array().unwrap() {
        assert_eq!(a["status"], "in_progress");
        let show = ws.json(&["action", "show", a["number"].as_str().unwrap()]);
        assert!(show["assignments"].as_array().unwrap().iter().any(|x| x["office_code"] == "OGC"));
    }
    let risky = ws.json(&["action", "list", "--at-risk"]);
    for a in risky.as_array().unwrap() {
        assert!(a["percent_complete"].as_u64().unwrap() < 75);
    }
    let found = ws.json(&["action", "search", "hurricane"]);
    // The generator puts the subject in the title, so every hit names it there.
    assert!(!found.as_array().unwrap().is_empty());
    assert!(found.as_array().unwrap().iter().all(|a| a["title"].as_str().unwrap().to_lowercase().contains("hurricane")), "{found}");
    let kinds = ws.json(&["action", "list", "--kind", "policy", "--kind", "directive"]);
    assert!(kinds.as_array().unwrap().iter().all(|a| a["kind"] == "policy" || a["kind"] == "directive"));
    // Bad input: a clear message naming what was wrong.
    let o = ws.run(&["action", "list", "--status", "finished"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("finished"));
    let o = ws.run(&["action", "show", "2099-9999"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("2099-9999"));
}

#[test]
fn csv_export_reads_back_with_pythons_csv_module() {
    let ws = Ws::new();
    ws.ok(&["sample", "--actions", "60"]);
    ws.ok(&[
        "action",
        "create",
        "--title",
        "Quotes \"here\", commas, and\nnewlines — café",
        "--official",
        "Secretary",
        "--issue",
        "--body",
        "line1\nline2, \"quoted\"",
    ]);
    let out = ws.path("actions.csv");
    ws.ok(&["export", "csv", "--out", out.to_str().unwrap()]);
    let py = Command::new("python3")
        .args(["-c", "import csv,sys,json; print(json.dumps(list(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8')))))"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(py.status.success(), "{}", String::from_utf8_lossy(&py.stderr));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&py.stdout).unwrap();
    assert_eq!(rows.len(), 61);
    let tricky = rows.iter().find(|r| r["title"].as_str().unwrap().starts_with("Quotes")).unwrap();
    assert_eq!(tricky["title"], "Quotes \"here\", commas, and\nnewlines — café");
    assert_eq!(tricky["body"], "line1\nline2, \"quoted\"");
    let listed = ws.json(&["action", "list"]);
    for r in &rows {
        let l = listed.as_array().unwrap().iter().find(|l| l["id"] == r["id"]).expect("every row is an action");
        assert_eq!(l["status"], r["status"]);
        assert_eq!(l["suspense"].as_str().unwrap_or(""), r["suspense"].as_str().unwrap());
    }
    // And the CSV imports into a fresh workspace.
    let other = Ws::new();
    let s = other.json(&["import", out.to_str().unwrap()]);
    assert_eq!(s["actions_created"], 61, "{s}");
}

#[test]
fn ics_export_parses_with_an_independent_parser() {
    let ws = Ws::new();
    ws.ok(&["sample", "--actions", "120"]);
    let out = ws.path("suspense.ics");
    ws.ok(&["export", "ics", "--out", out.to_str().unwrap()]);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.lines().all(|l| l.len() <= 75), "folded lines");
    let reader = ical::IcalParser::new(std::io::BufReader::new(std::fs::File::open(&out).unwrap()));
    let cals: Vec<_> = reader.collect::<Result<Vec<_>, _>>().expect("valid iCalendar");
    assert_eq!(cals.len(), 1);
    let events = &cals[0].events;
    let open = ws.json(&["action", "list", "--status", "issued", "--status", "assigned", "--status", "in_progress", "--status", "blocked"]);
    let action_events: Vec<_> = events
        .iter()
        .filter(|e| e.properties.iter().any(|p| p.name == "SUMMARY" && p.value.as_deref().unwrap_or("").starts_with("Suspense: ")))
        .collect();
    assert_eq!(action_events.len(), open.as_array().unwrap().len());
    let first = &open.as_array().unwrap()[0];
    let ev = action_events
        .iter()
        .find(|e| {
            e.properties
                .iter()
                .any(|p| p.name == "UID" && p.value.as_deref() == Some(&format!("{}@mandate", first["id"].as_str().unwrap())))
        })
        .unwrap();
    let prop = |n: &str| ev.properties.iter().find(|p| p.name == n).and_then(|p| p.value.clone()).unwrap();
    assert_eq!(prop("DTSTART"), first["suspense"].as_str().unwrap().replace('-', ""));
    assert!(prop("SUMMARY").contains(first["number"].as_str().unwrap()));
    assert_eq!(ev.alarms.len(), 1);
}

#[test]
fn wrong_or_missing_key_fails_clearly() {
    let ws = Ws::new();
    let o = ws.cmd(&["action", "list"]).env("MANDATE_DB_KEY", "00".repeat(32)).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("key does not open"), "{err}");
    assert!(!err.contains(KEY) && !err.contains(&"00".repeat(32)), "the key never appears in errors");
    let o = ws.cmd(&["action", "list"]).env("MANDATE_DB_KEY", "nothex").output().unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("64 hexadecimal"));
    let o = ws.cmd(&["action", "list"]).arg("--db").arg(ws.path("missing.db")).output().unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("mandate init"));
}

#[test]
fn recovery_and_rekey_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let run = |args: &[&str], key: &str| {
        Command::new(env!("CARGO_BIN_EXE_mandate")).arg("--db").arg(&db).args(args).env("MANDATE_DB_KEY", key).output().unwrap()
    };
    let o = run(&["init", "--name", "A"], KEY);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    let code = out
        .lines()
        .find(|l| l.trim().len() == 65 && l.trim().matches('-').count() == 10)
        .expect("recovery code printed")
        .trim()
        .to_string();
    // The recovery code is accepted (with a nonsense env key it still opens, since the code is tried first).
    let o = run(&["key", "recover", "--code", &code], KEY);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(&["key", "recover", "--code", &code.replace('-', "").to_lowercase()], KEY);
    assert!(o.status.success(), "dashes and case do not matter");
    let mut bad = code.clone();
    bad.replace_range(0..1, if bad.starts_with('A') { "B" } else { "A" });
    let o = run(&["key", "recover", "--code", &bad], KEY);
    assert!(String::from_utf8_lossy(&o.stderr).contains("recovery code is not valid"));
    let o = run(&["key", "rekey"], KEY);
    assert!(o.status.success());
    let new_code = String::from_utf8_lossy(&o.stdout).lines().last().unwrap().trim().to_string();
    assert_ne!(new_code, code);
    assert_eq!(run(&["action", "list"], KEY).status.code(), Some(1), "old key refused after rekey");
    let o = run(&["key", "recover", "--code", &new_code], KEY);
    assert!(o.status.success(), "the new recovery code opens it");
}

/// Snapshot of what a workspace holds: counts of every table and the audit head.
fn state(ws: &Ws) -> String {
    let o = ws.run(&["audit", "verify", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    assert_eq!(v["ok"], true, "the audit chain verifies after the kill: {v}");
    let n = ws.json(&["action", "list"]).as_array().unwrap().len();
    format!("{} actions, {} audit entries", n, v["entries"])
}

#[test]
fn kill_9_during_a_large_import_leaves_before_or_after() {
    // A large bundle to import: 6,000 sample actions with everything attached.
    let src = Ws::new();
    src.ok(&["sample", "--actions", "6000"]);
    let bundle = src.path("big.json");
    src.ok(&["export", "json", "--out", bundle.to_str().unwrap()]);

    let ws = Ws::new();
    ws.ok(&["action", "create", "--title", "Existing work", "--official", "Secretary", "--issue"]);
    let before = state(&ws);
    let mut outcomes = std::collections::BTreeSet::new();
    for delay_ms in [50u64, 200, 400, 700, 1000, 1500] {
        let mut child = ws
            .cmd(&["import", "--keep-good-rows", bundle.to_str().unwrap(), shared_data().to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = Command::new("kill").arg("-9").arg(child.id().to_string()).status();
        let status = child.wait().unwrap();
        let now = state(&ws);
        // 5: finished, with the real records' two bad lines reported.
        if status.code() == Some(5) {
            outcomes.insert("finished");
            assert_ne!(now, before);
            break; // the import completed before the kill; nothing more to learn
        }
        assert_eq!(now, before, "killed after {delay_ms} ms: the workspace must be exactly as before");
        outcomes.insert("killed");
    }
    assert!(outcomes.contains("killed"), "at least one run was killed mid-import");
    // Finally let it finish: exactly the import's records, no leftovers from the killed runs.
    let o = ws.run(&["import", "--keep-good-rows", bundle.to_str().unwrap(), shared_data().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(5), "{}", String::from_utf8_lossy(&o.stderr));
    let after = ws.json(&["action", "list"]).as_array().unwrap().len();
    assert_eq!(after, 1 + 6000 + 6363);
}

#[test]
fn concurrent_writers_never_fork_the_audit_chain() {
    let ws = Ws::new();
    ws.ok(&["office", "add", "--code", "OGC", "--name", "General Counsel"]);
    for t in ["First", "Second"] {
        ws.ok(&["action", "create", "--title", t, "--official", "Secretary", "--issue"]);
    }
    for n in ["2026-0001", "2026-0002"] {
        ws.ok(&["assign", n, "--office", "OGC", "--role", "opr"]);
        ws.ok(&["acknowledge", n, "--office", "OGC"]);
    }
    // Two processes write at the same time, each to its own action.
    std::thread::scope(|s| {
        for n in ["2026-0001", "2026-0002"] {
            let ws = &ws;
            s.spawn(move || {
                for i in 1..=12 {
                    ws.ok(&["update", n, "--percent", &(i * 5).to_string(), "--text", &format!("step {i}")]);
                }
            });
        }
    });
    let v = ws.json(&["audit", "verify"]);
    assert_eq!(v["ok"], true, "{v}");
    for n in ["2026-0001", "2026-0002"] {
        let show = ws.json(&["action", "show", n]);
        assert_eq!(show["updates"].as_array().unwrap().len(), 12);
        assert_eq!(show["percent_complete"], 60);
    }
}
