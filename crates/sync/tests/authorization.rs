//! Every role × office × operation, allowed and denied, against both backends; denied reads are
//! proven not to leak (not in the pull, not in the refusal's answer, not in later pulls).

mod common;
use common::*;
use mandate_domain::replication::{Change, Op, PushRequest, ServerRole};
use mandate_domain::{ActionKind, Hlc, Id, Role};
use mandate_store::ops::NewAction;
use mandate_sync::Client;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};

/// How the user's office relates to the action.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Rel {
    Issuer,
    Opr,
    Ocr,
    Info,
    Unrelated,
}

const RELS: [(Rel, &str); 5] =
    [(Rel::Issuer, "EXEC"), (Rel::Opr, "OPS"), (Rel::Ocr, "LEGAL"), (Rel::Info, "BUDGET"), (Rel::Unrelated, "COMMS")];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Operation {
    EditTitle,
    ReportStatus,
    Concur,
    AddRisk,
    Close,
}

/// The rules, written out independently of the implementation.
fn expected_to_see(role: ServerRole, rel: Rel) -> bool {
    matches!(role, ServerRole::Administrator | ServerRole::Executive | ServerRole::Auditor) || rel != Rel::Unrelated
}

fn expected_allowed(role: ServerRole, rel: Rel, op: Operation) -> bool {
    use ServerRole::*;
    if role == Auditor {
        return false; // auditors only read
    }
    let exec = matches!(role, Administrator | Executive);
    let has_say = exec || matches!(rel, Rel::Issuer | Rel::Opr | Rel::Ocr); // info addressees only read
    match op {
        Operation::EditTitle | Operation::AddRisk => has_say,
        Operation::ReportStatus => exec || rel == Rel::Opr, // only the OPR reports status
        Operation::Concur => rel == Rel::Ocr,               // only an OCR concurs
        Operation::Close => role == Executive,              // only an executive closes
    }
}

static TICK: AtomicU64 = AtomicU64::new(0);

fn stamp(device: &str) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    Hlc { wall_ms: now, counter: TICK.fetch_add(1, Ordering::Relaxed) as u32, device: device.into() }.to_string()
}

fn change(device: &str, entity: &str, id: &str, op: Op, fields: Value) -> Change {
    Change {
        change_id: format!("{}", uuid_v7()),
        entity: entity.into(),
        entity_id: id.into(),
        op,
        fields: fields.as_object().unwrap().clone(),
        hlc: stamp(device),
        base: Default::default(),
    }
}

fn uuid_v7() -> String {
    // A v7-shaped UUID from the Id type (the domain's ids are UUIDv7).
    Id::new().to_string()
}

fn operation(op: Operation, device: &str, action: &str, ocr_assignment: &str, user: &str) -> Change {
    let denied_marker = format!("by {user}");
    match op {
        Operation::EditTitle => change(device, "actions", action, Op::Update, json!({"title": format!("Title {denied_marker}")})),
        Operation::ReportStatus => {
            let id = Id::new().to_string();
            change(
                device,
                "updates",
                &id,
                Op::Create,
                json!({"id": id, "action_id": action, "percent_complete": 40, "text": format!("Progress {denied_marker}"),
                       "reported": {"by": user, "at": "2026-11-24T12:00:00Z"}}),
            )
        }
        Operation::Concur => change(
            device,
            "assignments",
            ocr_assignment,
            Op::Update,
            json!({"concurrence": {"answer": "concur", "comment": format!("Concur {denied_marker}"), "by": user, "at": "2026-11-24T12:00:00Z"}}),
        ),
        Operation::AddRisk => {
            let id = Id::new().to_string();
            change(
                device,
                "risks",
                &id,
                Op::Create,
                json!({"id": id, "action_id": action, "description": format!("Risk {denied_marker}"), "category": "legal",
                       "likelihood": 2, "impact": 3, "status": "open"}),
            )
        }
        Operation::Close => change(device, "actions", action, Op::Update, json!({"status": "closed"})),
    }
}

fn mentions_action(records: &[mandate_domain::replication::RecordState], action: &str) -> bool {
    records.iter().any(|r| r.entity_id == action || r.action_id.as_deref() == Some(action))
}

async fn matrix(backend: Backend) {
    let env = server(backend).await;
    mandate_server::accounts::add_office(&env.server.db, "EXEC", "Executive Secretariat", mandate_domain::OfficeKind::Office)
        .await
        .unwrap();
    // The action: issued by EXEC, OPR OPS, OCR LEGAL, info BUDGET — made on a real desktop.
    let issuer = desktop(&env, "secretariat", ServerRole::OfficeLead, Some("EXEC")).await;
    issuer.sync().await;
    let file = issuer
        .store
        .create_action(NewAction {
            kind: ActionKind::Directive,
            body: "Sensitive requirements text".into(),
            ..tasker("Implement the records retention directive", &[])
        })
        .await
        .unwrap();
    let a = file.action.id;
    issuer.store.assign(a, "OPS", Role::Opr, None, None).await.unwrap();
    issuer.store.assign(a, "LEGAL", Role::Ocr, None, None).await.unwrap();
    issuer.store.assign(a, "BUDGET", Role::Info, None, None).await.unwrap();
    let report = issuer.sync().await;
    assert!(report.refused.is_empty(), "the issuing office may issue and assign: {:?}", report.refused);
    let ocr_assignment =
        issuer.store.action_file(a).await.unwrap().assignments.iter().find(|x| x.role == Role::Ocr).unwrap().id.to_string();
    let action = a.to_string();

    let mut checked = 0;
    let mut denied_users: Vec<(String, Client)> = vec![];
    for role in ServerRole::ALL.iter().copied() {
        for (rel, office) in RELS {
            let user = format!("{}-{}", role.as_str(), office.to_lowercase());
            mandate_server::accounts::add_user(&env.server.db, &user, &user, role, Some(office)).await.unwrap();
            let code = mandate_server::accounts::enrolment_code(&env.server.db, &user, 1).await.unwrap();
            let device = format!("dev-{user}");
            let e = mandate_sync::enrol(&env.url, &code, &device, &user, None).await.unwrap();
            let client = Client::new(&env.url, &e.token, None).unwrap();
            // See.
            let pulled = client.pull(0, 5000).await.unwrap();
            let sees = mentions_action(&pulled.records, &action);
            assert_eq!(sees, expected_to_see(role, rel), "{user} seeing the action");
            if !sees {
                assert!(
                    !pulled.records.iter().any(|r| Value::Object(r.data.clone()).to_string().contains("Sensitive requirements")),
                    "nothing of it leaks"
                );
                denied_users.push((user.clone(), Client::new(&env.url, &e.token, None).unwrap()));
            }
            // Change.
            for op in [Operation::EditTitle, Operation::ReportStatus, Operation::Concur, Operation::AddRisk, Operation::Close] {
                let c = operation(op, &device, &action, &ocr_assignment, &user);
                let resp = client.push(&PushRequest { device_id: device.clone(), changes: vec![c.clone()] }).await.unwrap();
                let allowed = expected_allowed(role, rel, op);
                assert_eq!(resp.accepted.len() == 1, allowed, "{user} {op:?}: {:?}", resp.refused);
                if !allowed {
                    assert_eq!(resp.refused.len(), 1);
                    assert!(!resp.refused[0].reason.is_empty());
                    if !expected_to_see(role, rel) {
                        assert!(resp.restore.is_empty(), "a refusal must not hand back records the user may not see");
                    }
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 5 * 5 * 5);
    // Denied changes left no trace in the records.
    let exec = desktop(&env, "auditor-check", ServerRole::Auditor, None).await;
    let all = exec.client.pull(0, 5000).await.unwrap();
    for r in &all.records {
        let text = Value::Object(r.data.clone()).to_string();
        for (user, _) in &denied_users {
            assert!(!text.contains(&format!("by {user}")), "a refused change from {user} reached the records: {text}");
        }
        assert!(!text.contains("by auditor-"), "an auditor's change reached the records");
    }
    // Later pulls by users who may not see the action still bring nothing of it, although it
    // changed many times since.
    for (user, client) in &denied_users {
        let again = client.pull(0, 5000).await.unwrap();
        assert!(!mentions_action(&again.records, &action), "{user} later pull");
    }
    // Refusals are recorded on the server for inspectors.
    let refusals: i64 = sqlx::query_scalar("SELECT count(*) FROM refusals").fetch_one(&env.server.db.pool).await.unwrap();
    assert!(refusals > 30, "{refusals}");
}

both_backends! {
    authorization_matrix => matrix;
}

/// A change refused in the middle of a push does not make the device's next edit of the same
/// field look concurrent (that edit was based on what the device had seen before the refused one).
async fn refused_then_accepted(backend: Backend) {
    let env = server(backend).await;
    let exec = desktop(&env, "exec", ServerRole::Executive, Some("OPS")).await;
    let lead = desktop(&env, "lead", ServerRole::OfficeLead, Some("LEGAL")).await;
    exec.sync().await;
    let file = exec.store.create_action(tasker("Shared", &[])).await.unwrap();
    exec.store.assign(file.action.id, "LEGAL", Role::Opr, None, None).await.unwrap();
    exec.sync().await;
    lead.sync().await;
    let id = file.action.id.to_string();
    let seen = lead.client.pull(0, 5000).await.unwrap();
    let status_stamp = seen.records.iter().find(|r| r.entity_id == id).unwrap().clocks.of("status").to_string();
    let dev = lead.store.device_id().to_string();
    let mut close = change(&dev, "actions", &id, Op::Update, json!({"status": "closed"}));
    close.base = [("status".to_string(), status_stamp)].into();
    let mut start = change(&dev, "actions", &id, Op::Update, json!({"status": "in_progress"}));
    start.base = [("status".to_string(), close.hlc.clone())].into();
    let r = lead.client.push(&PushRequest { device_id: dev, changes: vec![close, start] }).await.unwrap();
    assert_eq!((r.refused.len(), r.accepted.len()), (1, 1), "{:?}", r.refused);
    assert_eq!(r.conflicts, 0, "the accepted edit came after what the device had seen");
}

both_backends! {
    a_refused_change_does_not_make_the_next_one_a_conflict => refused_then_accepted;
}

/// An office assigned to an action after its devices pulled past the action's records still
/// receives the whole action (the action, its citations, its history) on its next pull: the
/// server renumbers the action's records when the office gains sight of it.
async fn assigned_later_gets_the_whole_action(backend: Backend) {
    let env = server(backend).await;
    let exec = desktop(&env, "exec", ServerRole::Executive, Some("OPS")).await;
    let lead = desktop(&env, "lead", ServerRole::OfficeLead, Some("LEGAL")).await;
    let file = exec.store.create_action(tasker("Review the siting rule", &["42 U.S.C. 4321", "5 U.S.C. 553"])).await.unwrap();
    exec.sync().await;
    lead.sync().await;
    assert!(lead.store.action_file(file.action.id).await.is_err(), "LEGAL has no sight of it yet");
    exec.store.assign(file.action.id, "LEGAL", Role::Opr, None, None).await.unwrap();
    exec.sync().await;
    lead.sync().await;
    let (mine, theirs) = (exec.store.replicated_records().await.unwrap(), lead.store.replicated_records().await.unwrap());
    let id = file.action.id.to_string();
    let of_action = |all: &std::collections::BTreeMap<String, std::collections::BTreeMap<String, serde_json::Value>>| {
        let mut out = vec![];
        for (table, recs) in all {
            for (rid, data) in recs {
                if *rid == id || data.get("action_id").and_then(|v| v.as_str()) == Some(id.as_str()) {
                    out.push((table.clone(), rid.clone(), data.clone()));
                }
            }
        }
        out
    };
    let whole = of_action(&mine);
    assert!(whole.iter().filter(|(t, _, _)| t == "citations").count() == 2, "{whole:?}");
    assert_eq!(of_action(&theirs), whole, "LEGAL's desktop has every record of the action, as issued");
}

both_backends! {
    an_office_assigned_later_gets_the_whole_action => assigned_later_gets_the_whole_action;
}
