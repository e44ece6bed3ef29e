//! The outbox read ahead of the server's answer (`outgoing_after`, used to pipeline pushes) must
//! be exactly the batch that reading the outbox after recording that answer would give: same
//! changes, same bases. Otherwise a pipelined push would send stale bases and the server would
//! judge later edits against the wrong stamps.

mod common;

use mandate_domain::replication::PushResponse;
use mandate_domain::{ActionKind, Priority};
use mandate_store::ops::NewAction;

fn tasker(title: &str) -> NewAction {
    NewAction {
        title: title.into(),
        kind: ActionKind::Tasker,
        body: String::new(),
        priority: Priority::Routine,
        marking: None,
        issuing_official: Some("Chief of Staff".into()),
        suspense: None,
        parent: None,
        authorities: vec![],
        issue: false,
    }
}

#[tokio::test]
async fn reading_ahead_gives_the_batch_reading_after_the_answer_gives() {
    let ws = common::workspace().await;
    let s = &ws.store;
    // Several edits of the same fields, so batches after the first carry bases that depend on
    // the batch before them.
    let mut ids = vec![];
    for i in 0..3 {
        ids.push(s.create_action(tasker(&format!("Tasker {i}"))).await.unwrap().action.id);
    }
    for round in 0..4 {
        for (i, id) in ids.iter().enumerate() {
            s.edit_action(*id, |a| {
                a.title = format!("Tasker {i}, edit {round}");
                Ok(())
            })
            .await
            .unwrap();
        }
    }
    let (mut batches, mut with_bases) = (0, 0);
    let mut current = s.outgoing(4).await.unwrap();
    while !current.changes.is_empty() {
        let ahead = s.outgoing_after(&current, 4).await.unwrap();
        s.acknowledge_push(&current, &PushResponse::default()).await.unwrap();
        let after = s.outgoing(4).await.unwrap();
        assert_eq!(ahead.changes, after.changes, "batch {batches}: read ahead differs from read after the answer");
        assert_eq!(ahead.last_seq, after.last_seq);
        if after.changes.iter().any(|c| !c.base.is_empty()) {
            with_bases += 1;
        }
        current = after;
        batches += 1;
    }
    assert!(batches >= 4, "the outbox spanned {batches} batches");
    assert!(with_bases >= 2, "only {with_bases} batches carried bases (else this proves nothing)");
}
