//! Chain of custody end to end (removed assignments, which only arrive by sync, are covered by
//! the domain's tests and the sync property test): steps taken with the `mandate` binary on a real encrypted
//! workspace, the custody read back from the audit trail (`mandate custody`), the per-office
//! figures (`mandate metrics`), and the section in a printed book checked with pdftotext.

mod common;
use common::*;

#[test]
fn custody_follows_reassignment_and_completion() {
    let ws = Ws::new();
    for (code, name) in [
        ("OGC", "Office of the General Counsel"),
        ("OCFO", "Office of the Chief Financial Officer"),
        ("OMB", "Office of Management and Budget"),
        ("OLA", "Office of Legislative Affairs"),
    ] {
        ws.ok(&["office", "add", "--code", code, "--name", name]);
    }
    ws.ok(&[
        "action",
        "create",
        "--title",
        "Prepare the hurricane season plan",
        "--official",
        "Secretary",
        "--suspense",
        "2026-12-15",
        "--issue",
    ]);
    let none = ws.json(&["custody", "2026-0001"]);
    assert_eq!(none["holds"].as_array().unwrap().len(), 0, "nobody holds an unassigned action");
    ws.ok(&["assign", "2026-0001", "--office", "OGC", "--role", "opr"]);
    ws.ok(&["assign", "2026-0001", "--office", "OMB", "--role", "ocr"]);
    ws.ok(&["assign", "2026-0001", "--office", "OLA", "--role", "info"]);
    ws.ok(&["acknowledge", "2026-0001", "--office", "OGC"]);
    ws.ok(&["reassign", "2026-0001", "--from", "OGC", "--to", "OCFO"]);
    ws.ok(&["acknowledge", "2026-0001", "--office", "OCFO"]);
    ws.ok(&["acknowledge", "2026-0001", "--office", "OMB"]);
    ws.ok(&["concur", "2026-0001", "--office", "OMB"]);
    ws.ok(&["extension", "request", "2026-0001", "--office", "OCFO", "--to", "2026-12-20", "--justification", "State data late"]);
    ws.ok(&["extension", "decide", "2026-0001", "--office", "OCFO", "--approve"]);
    let c = ws.json(&["custody", "2026-0001"]);
    let holds = c["holds"].as_array().unwrap();
    let by = |code: &str| holds.iter().find(|h| h["office"] == code).unwrap_or_else(|| panic!("no hold for {code}: {c}"))["hold"].clone();
    assert_eq!(holds.len(), 4, "OGC (until reassigned), OCFO, OMB, OLA: {c}");
    let ogc = by("OGC");
    assert_eq!(ogc["ended"], "reassigned");
    assert!(ogc["acknowledged"].is_string(), "OGC's acknowledgement stays with OGC's hold although the record forgot it");
    assert_eq!(by("OCFO")["until"], serde_json::Value::Null, "OCFO still holds it");
    assert_eq!(by("OCFO")["from"], ogc["until"], "one office's hold ends as the next one's begins");
    assert!(by("OCFO")["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["what"].as_str().unwrap().contains("extension to 2026-12-20 approved")));
    assert_eq!(by("OMB")["answer"], "concur");
    assert_eq!(by("OLA")["acknowledged"], serde_json::Value::Null);
    let text = ws.ok(&["custody", "2026-0001"]);
    assert!(text.contains("OGC (OPR)") && text.contains("(reassigned)") && text.contains("not acknowledged"), "{text}");

    // The Dashboard's figures: every office that acknowledged is counted, OGC included.
    let m = ws.json(&["metrics"]);
    let offices: Vec<&str> = m["custody"].as_array().unwrap().iter().map(|o| o["office"].as_str().unwrap()).collect();
    assert_eq!(offices, ["OCFO", "OGC", "OMB"], "{m}");
    let omb = m["custody"].as_array().unwrap().iter().find(|o| o["office"] == "OMB").unwrap();
    assert_eq!((omb["acknowledged"].as_u64(), omb["answered"].as_u64()), (Some(1), Some(1)));
    assert_eq!(ws.json(&["metrics", "--office", "omb"])["custody"].as_array().unwrap().len(), 1);

    // Completion ends every hold; the book prints the chain on the action's pages.
    ws.ok(&["update", "2026-0001", "--percent", "100", "--text", "Plan delivered"]);
    ws.ok(&["action", "complete", "2026-0001"]);
    let c = ws.json(&["custody", "2026-0001"]);
    assert!(c["holds"].as_array().unwrap().iter().all(|h| !h["hold"]["until"].is_null()), "{c}");
    let pdf = ws.path("book.pdf");
    ws.ok(&["brief", "--out", pdf.to_str().unwrap(), "--action", "2026-0001"]);
    let o = std::process::Command::new("pdftotext")
        .args(["-layout", pdf.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (cargo xtask test installs poppler-utils)");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("Chain of custody"), "{text}");
    assert!(text.contains("(reassigned)") && text.contains("(completed)"), "{text}");
    ws.ok(&["brief", "--out", pdf.to_str().unwrap(), "--action", "2026-0001", "--omit", "custody"]);
    let o = std::process::Command::new("pdftotext").args([pdf.to_str().unwrap(), "-"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&o.stdout).contains("Chain of custody"), "--omit custody leaves it out");

    let o = ws.run(&["custody", "2099-0001"]);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("2099-0001"));
}
