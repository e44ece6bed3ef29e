//! E-mail becomes a tasker: mails written by an independent writer (Python's `email` package)
//! and a real Outlook `.msg` from the test corpus shipped in the `msg_parser` package, imported
//! with the `mandate` binary into a real encrypted workspace.

mod common;
use common::*;
use std::path::PathBuf;
use std::process::Command;

/// The folder of test `.msg` files the `msg_parser` crate ships in its package (found through
/// `cargo metadata`, so the file is the published one, not a copy).
fn msg_corpus() -> PathBuf {
    let o =
        Command::new(env!("CARGO")).args(["metadata", "--format-version", "1"]).current_dir(env!("CARGO_MANIFEST_DIR")).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let pkg = meta["packages"].as_array().unwrap().iter().find(|p| p["name"] == "msg_parser").expect("msg_parser is a dependency");
    PathBuf::from(pkg["manifest_path"].as_str().unwrap()).parent().unwrap().join("data")
}

#[test]
fn mails_become_draft_actions_once_with_their_attachments() {
    let ws = Ws::new();
    let dir = ws.path("mail");
    std::fs::create_dir_all(&dir).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mail/make_mails.py");
    let o = Command::new("python3").args([script, dir.to_str().unwrap()]).output().expect("python3 (cargo xtask test installs it)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let o = ws.run(&[
        "import",
        dir.join("budget.eml").to_str().unwrap(),
        dir.join("hurricane.eml").to_str().unwrap(),
        dir.join("forward.eml").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let drafts = ws.json(&["action", "list", "--status", "draft"]);
    let titles: Vec<&str> = drafts.as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap()).collect();
    assert!(titles.contains(&"Überprüfung des Haushalts — 予算 review"), "encoded-word subject, RE: removed: {titles:?}");
    assert!(titles.contains(&"Hurricane préparation"), "FW: removed, ISO-8859-1 decoded: {titles:?}");
    assert!(titles.contains(&"Grant oversight"), "{titles:?}");

    let number =
        |title: &str| drafts.as_array().unwrap().iter().find(|a| a["title"] == title).unwrap()["number"].as_str().unwrap().to_string();
    let budget = ws.json(&["action", "show", &number("Überprüfung des Haushalts — 予算 review")]);
    let body = budget["body"].as_str().unwrap();
    assert!(body.contains("From: Zoë Ortiz <zoe.ortiz@agency.gov>"), "{body}");
    assert!(body.contains("王小明 <wang@agency.gov>") && body.contains("Cc: ogc@agency.gov"), "{body}");
    assert!(body.contains("Date: 2026-12-04 14:30 UTC"), "{body}");
    assert!(body.contains("Kosten: 12 000 € — überprüfen."), "quoted-printable decoded: {body}");
    assert_eq!(budget["external_ref"], "message-id:budget-review-1@agency.gov");
    let docs = budget["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 2, "the original and its attachment: {docs:?}");
    // The attachment's bytes come back exactly.
    let out = ws.path("back.pdf");
    ws.ok(&[
        "document",
        "get",
        &number("Überprüfung des Haushalts — 予算 review"),
        "Haushalt 2027 — Entwurf.pdf",
        "--out",
        out.to_str().unwrap(),
    ]);
    let expected: Vec<u8> = (0..=255u8).collect::<Vec<_>>().repeat(40);
    assert_eq!(std::fs::read(&out).unwrap(), expected);
    // So does the original mail.
    let orig = ws.path("orig.eml");
    ws.ok(&["document", "get", &number("Überprüfung des Haushalts — 予算 review"), "budget.eml", "--out", orig.to_str().unwrap()]);
    assert_eq!(std::fs::read(&orig).unwrap(), std::fs::read(dir.join("budget.eml")).unwrap());

    let hurricane = ws.json(&["action", "show", &number("Hurricane préparation")]);
    let body = hurricane["body"].as_str().unwrap();
    assert!(body.contains("Stage generators at the shelters") || body.contains("Stage  generators"), "HTML converted to text: {body}");
    assert!(!body.contains("<b>"), "{body}");
    assert!(hurricane["external_ref"].as_str().unwrap().starts_with("sha256:"), "no Message-ID: identified by content");
    let forward = ws.json(&["action", "show", &number("Grant oversight")]);
    assert!(
        forward["documents"].as_array().unwrap().iter().any(|d| d["media_type"] == "message/rfc822"),
        "the forwarded mail is attached: {}",
        forward["documents"]
    );

    // Importing the same mails again makes no second action.
    ws.ok(&["import", dir.to_str().unwrap()]);
    assert_eq!(ws.json(&["action", "list", "--status", "draft"]).as_array().unwrap().len(), 3);

    // A real Outlook message.
    let corpus = msg_corpus();
    let msg = corpus.join("attachment.msg");
    let o = ws.run(&["import", msg.to_str().unwrap()]);
    assert!(o.status.success(), "{}: {}", msg.display(), String::from_utf8_lossy(&o.stderr));
    let drafts = ws.json(&["action", "list", "--status", "draft"]);
    assert_eq!(drafts.as_array().unwrap().len(), 4);
    let newest = drafts.as_array().unwrap().iter().find(|a| !titles.contains(&a["title"].as_str().unwrap())).unwrap();
    let shown = ws.json(&["action", "show", newest["number"].as_str().unwrap()]);
    let docs = shown["documents"].as_array().unwrap();
    assert!(docs.iter().any(|d| d["media_type"] == "application/vnd.ms-outlook"), "the .msg is kept: {docs:?}");
    assert!(docs.len() >= 2, "with its attachments: {docs:?}");

    // A mail that cannot be read: named, with the reason, and nothing written.
    let bad = ws.path("broken.msg");
    let mut bytes = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    bytes.extend(std::iter::repeat_n(0x41, 600));
    std::fs::write(&bad, bytes).unwrap();
    let o = ws.run(&["import", bad.to_str().unwrap(), dir.join("budget.eml").to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(5), "{err}");
    assert!(err.contains("broken.msg") && err.contains("not a readable e-mail"), "{err}");
    assert_eq!(ws.json(&["action", "list", "--status", "draft"]).as_array().unwrap().len(), 4);
}
