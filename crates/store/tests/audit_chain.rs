//! Every mutation writes an audit entry and a change-log entry; the chain detects tampering.
mod common;
use mandate_domain::*;
use mandate_store::ops::{NewAction, NewRisk};

async fn busy_workspace() -> common::Workspace {
    let ws = common::workspace().await;
    let s = &ws.store;
    s.add_office("OGC", "General Counsel", OfficeKind::Office, None).await.unwrap();
    s.add_office("OCFO", "Chief Financial Officer", OfficeKind::Office, None).await.unwrap();
    let f = s
        .create_action(NewAction {
            title: "Stand up the permitting task force".into(),
            kind: ActionKind::Tasker,
            body: "Charter, members, first meeting".into(),
            priority: Priority::Immediate,
            marking: None,
            issuing_official: Some("Secretary".into()),
            suspense: Some("2026-12-31".parse().unwrap()),
            parent: None,
            authorities: vec!["5 U.S.C. 301".into()],
            issue: true,
        })
        .await
        .unwrap();
    let id = f.action.id;
    s.assign(id, "OGC", Role::Opr, None, None).await.unwrap();
    s.assign(id, "OCFO", Role::Ocr, None, None).await.unwrap();
    s.acknowledge(id, "OGC").await.unwrap();
    s.add_update(id, 25, "Charter drafted").await.unwrap();
    s.add_risk(
        id,
        NewRisk {
            description: "Members unavailable".into(),
            category: RiskCategory::Operational,
            likelihood: 2,
            impact: 3,
            mitigation: String::new(),
            owner: String::new(),
        },
    )
    .await
    .unwrap();
    ws
}

async fn raw(ws: &common::Workspace) -> sqlx::SqliteConnection {
    let mut c = mandate_store::raw_connection(&ws.path, &ws.key).await.unwrap();
    // What an attacker with the key would do first: remove the append-only triggers and the
    // change log's references to audit entries.
    sqlx::query("PRAGMA foreign_keys = OFF").execute(&mut c).await.unwrap();
    sqlx::query("DROP TRIGGER audit_no_update").execute(&mut c).await.unwrap();
    sqlx::query("DROP TRIGGER audit_no_delete").execute(&mut c).await.unwrap();
    c
}

#[tokio::test]
async fn every_mutation_has_audit_and_change_entries() {
    let ws = busy_workspace().await;
    let counts = ws.store.counts().await.unwrap();
    let records: u64 = mandate_store::record::TABLES.iter().map(|t| counts[*t]).sum();
    // Creates and updates each leave one audit entry and one change entry.
    assert!(counts["audit"] >= records, "{counts:?}");
    assert_eq!(counts["audit"], counts["changes"]);
    let mut c = mandate_store::raw_connection(&ws.path, &ws.key).await.unwrap();
    // Every record has at least one audit entry naming it.
    for t in mandate_store::record::TABLES {
        let missing: i64 =
            sqlx::query_scalar(&format!("SELECT count(*) FROM {t} WHERE id NOT IN (SELECT entity_id FROM audit WHERE entity = '{t}')"))
                .fetch_one(&mut c)
                .await
                .unwrap();
        assert_eq!(missing, 0, "{t} has records without audit entries");
    }
    // The change log carries only changed fields, with a monotonic HLC.
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT entity, fields, hlc FROM change_log ORDER BY seq").fetch_all(&mut c).await.unwrap();
    let hlcs: Vec<&String> = rows.iter().map(|r| &r.2).collect();
    assert!(hlcs.windows(2).all(|w| w[0] < w[1]), "HLC stamps strictly increase");
    let ack = rows
        .iter()
        .find(|(e, f, _)| e == "assignments" && f.contains("acknowledged") && !f.contains("\"role\""))
        .expect("acknowledgement change");
    let fields: serde_json::Value = serde_json::from_str(&ack.1).unwrap();
    assert_eq!(fields.as_object().unwrap().keys().collect::<Vec<_>>(), vec!["acknowledged"], "only the changed field: {fields}");
}

#[tokio::test]
async fn a_refused_step_writes_nothing() {
    let ws = busy_workspace().await;
    let before = ws.store.counts().await.unwrap();
    let id = ws.store.resolve_action("2026-0001").await.unwrap();
    let err = ws.store.transition(id, Status::Closed, "").await.unwrap_err();
    assert!(err.to_string().contains("rule: lifecycle-order"), "{err}");
    assert_eq!(ws.store.counts().await.unwrap(), before);
}

#[tokio::test]
async fn the_audit_log_is_append_only_inside_the_database() {
    let ws = busy_workspace().await;
    let mut c = mandate_store::raw_connection(&ws.path, &ws.key).await.unwrap();
    let err = sqlx::query("UPDATE audit SET actor = 'someone else' WHERE seq = 2").execute(&mut c).await.unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    assert!(sqlx::query("DELETE FROM audit WHERE seq = 2").execute(&mut c).await.is_err());
}

#[tokio::test]
async fn verify_names_the_first_edited_entry() {
    let ws = busy_workspace().await;
    let v = ws.store.verify_audit().await.unwrap();
    assert!(v.ok && v.entries > 10, "{v:?}");
    let mut c = raw(&ws).await;
    sqlx::query("UPDATE audit SET after = replace(after, 'Charter drafted', 'Charter finished') WHERE entity = 'updates'")
        .execute(&mut c)
        .await
        .unwrap();
    let seq: i64 = sqlx::query_scalar("SELECT seq FROM audit WHERE entity = 'updates'").fetch_one(&mut c).await.unwrap();
    let v = ws.store.verify_audit().await.unwrap();
    assert!(!v.ok);
    let bad = v.first_bad.unwrap();
    assert_eq!(bad.seq, seq);
    assert!(bad.reason.contains("edited"), "{}", bad.reason);
}

#[tokio::test]
async fn verify_names_a_deleted_entry_in_the_middle() {
    let ws = busy_workspace().await;
    let mut c = raw(&ws).await;
    sqlx::query("DELETE FROM audit WHERE seq = 5").execute(&mut c).await.unwrap();
    let v = ws.store.verify_audit().await.unwrap();
    assert_eq!(v.first_bad.unwrap().seq, 5);
}

#[tokio::test]
async fn verify_notices_entries_removed_from_the_end() {
    let ws = busy_workspace().await;
    let mut c = raw(&ws).await;
    let last: i64 = sqlx::query_scalar("SELECT max(seq) FROM audit").fetch_one(&mut c).await.unwrap();
    sqlx::query("DELETE FROM audit WHERE seq = ?").bind(last).execute(&mut c).await.unwrap();
    let v = ws.store.verify_audit().await.unwrap();
    assert!(!v.ok);
    assert_eq!(v.first_bad.unwrap().seq, last);
}

#[tokio::test]
async fn verify_notices_a_rewritten_chain_tail() {
    // Editing an entry and recomputing its hash still breaks the next entry's link.
    let ws = busy_workspace().await;
    let mut c = raw(&ws).await;
    sqlx::query("UPDATE audit SET actor = 'Mallory', hash = '00' || substr(hash, 3) WHERE seq = 3").execute(&mut c).await.unwrap();
    let v = ws.store.verify_audit().await.unwrap();
    assert_eq!(v.first_bad.unwrap().seq, 3);
}

#[tokio::test]
async fn exported_log_verifies_outside_the_app() {
    let ws = busy_workspace().await;
    let out = ws.dir.path().join("audit.jsonl");
    let mut f = std::fs::File::create(&out).unwrap();
    let n = ws.store.export_audit(&mut f).await.unwrap();
    drop(f);
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/verify-audit.py");
    let ok = std::process::Command::new("python3").arg(&script).arg(&out).output().unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stdout));
    assert!(String::from_utf8_lossy(&ok.stdout).contains(&format!("{n} entries")));
    // Tamper with the export: the independent verifier names the line.
    let text = std::fs::read_to_string(&out).unwrap().replacen("Charter drafted", "Charter finished", 1);
    std::fs::write(&out, text).unwrap();
    let bad = std::process::Command::new("python3").arg(&script).arg(&out).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stdout).contains("entry"), "{}", String::from_utf8_lossy(&bad.stdout));
}
