//! Property: random edits, adds and deletes on three desktops, with random partitions (who
//! syncs when) and sync orders, always converge to identical workspaces once everyone has
//! synced. Runs on real encrypted workspaces against a real server.

mod common;
use common::*;
use mandate_domain::replication::{Change, Op, PushRequest, ServerRole};
use mandate_domain::{Hlc, Id, RiskCategory, RiskStatus};
use mandate_store::ops::NewRisk;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Step {
    Title(usize, u8),
    Body(usize, u8),
    AddRisk(usize),
    EditRisk(usize, usize, u8),
    DeleteRisk(usize, usize),
    Sync(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..3usize, any::<u8>()).prop_map(|(d, v)| Step::Title(d, v)),
        2 => (0..3usize, any::<u8>()).prop_map(|(d, v)| Step::Body(d, v)),
        2 => (0..3usize).prop_map(Step::AddRisk),
        2 => (0..3usize, 0..4usize, any::<u8>()).prop_map(|(d, r, v)| Step::EditRisk(d, r, v)),
        1 => (0..3usize, 0..4usize).prop_map(|(d, r)| Step::DeleteRisk(d, r)),
        4 => (0..3usize).prop_map(Step::Sync),
    ]
}

async fn run(steps: Vec<Step>, final_order: Vec<usize>) {
    let env = server(Backend::Sqlite).await;
    let mut ds = vec![];
    for (i, office) in ["OPS", "LEGAL", "BUDGET"].iter().enumerate() {
        ds.push(desktop(&env, &format!("user{i}"), ServerRole::Executive, Some(office)).await);
    }
    let file = ds[0].store.create_action(tasker("Shared", &[])).await.unwrap();
    let id = file.action.id;
    for d in &ds {
        d.sync().await;
    }
    for s in steps {
        // A step the local rules refuse (say, editing a risk this desktop has not seen yet) is
        // simply not taken, as in real use.
        match s {
            Step::Title(d, v) => drop(ds[d].store.edit_action(id, |a| Ok(a.title = format!("Title {v} from {d}"))).await),
            Step::Body(d, v) => drop(ds[d].store.edit_action(id, |a| Ok(a.body = format!("Body {v} from {d}"))).await),
            Step::AddRisk(d) => {
                let r = NewRisk {
                    description: format!("Risk from {d}"),
                    category: RiskCategory::Operational,
                    likelihood: 2,
                    impact: 2,
                    mitigation: String::new(),
                    owner: String::new(),
                };
                drop(ds[d].store.add_risk(id, r).await)
            }
            Step::EditRisk(d, r, v) => {
                let risks = ds[d].store.action_file(id).await.unwrap().risks;
                if let Some(risk) = risks.get(r % risks.len().max(1)) {
                    drop(
                        ds[d]
                            .store
                            .update_risk(id, &risk.id.to_string(), RiskStatus::Open, Some(&format!("Mitigation {v} from {d}")))
                            .await,
                    )
                }
            }
            Step::DeleteRisk(d, r) => {
                let risks = ds[d].store.action_file(id).await.unwrap().risks;
                if let Some(risk) = risks.get(r % risks.len().max(1)) {
                    ds[d].store.delete_record("risks", risk.id).await.unwrap();
                }
            }
            Step::Sync(d) => drop(ds[d].sync().await),
        }
    }
    // Everyone reconnects, in a random order, twice round.
    for _ in 0..2 {
        for &d in &final_order {
            ds[d].sync().await;
        }
    }
    let first = ds[0].store.replicated_records().await.unwrap();
    for d in &ds[1..] {
        assert_eq!(d.store.replicated_records().await.unwrap(), first, "replicas differ");
    }
    let conflicts: Vec<_> = ds[0].store.conflicts(false).await.unwrap().into_iter().map(|c| c.id).collect();
    for d in &ds[1..] {
        let mine: Vec<_> = d.store.conflicts(false).await.unwrap().into_iter().map(|c| c.id).collect();
        assert_eq!(mine, conflicts, "every desktop shows the same conflicts");
    }
    for d in ds {
        assert_eq!(d.store.sync_status().await.unwrap().waiting, 0);
        d.store.close().await;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn three_desktops_always_converge(
        steps in proptest::collection::vec(step(), 5..40),
        final_order in Just(vec![0usize, 1, 2]).prop_shuffle(),
    ) {
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap().block_on(run(steps, final_order));
    }
}

/// A laptop whose clock runs three hours fast edits a field; a laptop with the right time pulls
/// that edit and then changes the same field. The later edit must win everywhere, although its
/// wall-clock time is hours earlier: causally related edits keep their order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hours_of_clock_skew_do_not_reorder_causally_related_edits() {
    let env = server(Backend::Sqlite).await;
    let slow = desktop(&env, "slow", ServerRole::Executive, Some("OPS")).await;
    let fast_user = desktop(&env, "fast", ServerRole::Executive, Some("LEGAL")).await;
    let file = slow.store.create_action(tasker("Original", &[])).await.unwrap();
    slow.sync().await;
    fast_user.sync().await;
    // The fast laptop's edit, stamped three hours ahead of real time.
    let fast_dev = fast_user.store.device_id().to_string();
    let ahead = chrono::Utc::now().timestamp_millis() as u64 + 3 * 3600 * 1000;
    let seen = fast_user.client.pull(0, 5000).await.unwrap();
    let title_stamp = seen.records.iter().find(|r| r.entity_id == file.action.id.to_string()).unwrap().clocks.of("title").to_string();
    let c = Change {
        change_id: Id::new().to_string(),
        entity: "actions".into(),
        entity_id: file.action.id.to_string(),
        op: Op::Update,
        fields: serde_json::json!({"title": "From the fast clock"}).as_object().unwrap().clone(),
        hlc: Hlc { wall_ms: ahead, counter: 0, device: fast_dev.clone() }.to_string(),
        base: [("title".to_string(), title_stamp)].into(),
    };
    let r = fast_user.client.push(&PushRequest { device_id: fast_dev, changes: vec![c] }).await.unwrap();
    assert_eq!(r.accepted.len(), 1);
    // The slow laptop sees it, then edits the same field: causally after.
    slow.sync().await;
    assert_eq!(slow.store.action_file(file.action.id).await.unwrap().action.title, "From the fast clock");
    slow.store.edit_action(file.action.id, |a| Ok(a.title = "Corrected afterwards".into())).await.unwrap();
    slow.sync().await;
    fast_user.sync().await;
    for d in [&slow, &fast_user] {
        assert_eq!(d.store.action_file(file.action.id).await.unwrap().action.title, "Corrected afterwards");
        assert!(d.store.conflicts(true).await.unwrap().is_empty(), "a later edit is not a conflict");
    }
}
