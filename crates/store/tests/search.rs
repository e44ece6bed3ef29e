//! A search inside a list filtered by office and status, and an office's list, are answered by
//! the full-text index's tags (migration 8). These tests hold the answers equal to the slow way
//! — every match of the words, filtered by each action's own file — after the statuses and
//! offices the tags copy have changed (transitions, reassignments, assignments deleted), on a
//! real encrypted workspace.

mod common;

use mandate_domain::*;
use mandate_store::query::{ActionFilter, Sort};

#[tokio::test]
async fn a_search_filtered_by_office_and_status_finds_exactly_what_the_records_say() {
    let ws = common::workspace().await;
    let store = &ws.store;
    let sample = mandate_sample::generate(&mandate_sample::Options { actions: 300, ..Default::default() });
    store.insert_records(&sample, &|_, _, _| {}).await.unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    // Change what the tags copy: move work between offices, change statuses, drop assignments.
    let mut changed = 0;
    for (i, a) in sample.actions.iter().enumerate().take(120) {
        let file = store.action_file(a.id).await.unwrap();
        let offices: std::collections::HashMap<Id, String> =
            store.all::<Office>().await.unwrap().into_iter().map(|o| (o.id, o.code)).collect();
        let ok = match (i % 3, file.assignments.first()) {
            (0, Some(x)) => store.reassign(a.id, &offices[&x.office_id], "OGC").await.is_ok(),
            (1, _) => store.transition(a.id, Status::Blocked, "waiting on funds").await.is_ok(),
            (2, Some(x)) => store.delete_record("assignments", x.id).await.is_ok(),
            _ => false,
        };
        changed += ok as usize;
    }
    assert!(changed > 30, "enough of the edits were allowed to matter ({changed})");
    let offices: Vec<Office> = store.all::<Office>().await.unwrap();
    let mut nonempty = 0;
    for word in ["budget", "report", "plan", "review"] {
        let everything = ActionFilter { text: Some(word.into()), sort: Some(Sort::Suspense), ..Default::default() };
        let matches = store.list_actions(&everything, today).await.unwrap();
        for office in offices.iter().take(6) {
            for statuses in [vec![Status::InProgress], vec![Status::Blocked, Status::Assigned], vec![]] {
                let mut expected = Vec::new();
                for m in &matches {
                    let file = store.action_file(m.id).await.unwrap();
                    let in_office = file.assignments.iter().any(|x| x.office_id == office.id);
                    if in_office && (statuses.is_empty() || statuses.contains(&file.action.status)) {
                        expected.push(m.id);
                    }
                }
                let f = ActionFilter {
                    text: Some(word.into()),
                    office: Some(office.code.to_lowercase()),
                    statuses: statuses.clone(),
                    ..Default::default()
                };
                let got: Vec<Id> = store.list_actions(&f, today).await.unwrap().into_iter().map(|i| i.id).collect();
                assert_eq!(got, expected, "`{word}` in {} with {statuses:?}", office.code);
                assert_eq!(store.count_actions(&f, today).await.unwrap(), expected.len() as u64);
                nonempty += !expected.is_empty() as usize;
            }
        }
    }
    assert!(nonempty > 10, "the searches found something to compare ({nonempty})");
    // Without words, an office's list is read from its tag: the same actions as its assignments.
    let all = store.list_actions(&ActionFilter::default(), today).await.unwrap();
    for office in offices.iter().take(6) {
        let mut expected = Vec::new();
        for m in &all {
            if store.action_file(m.id).await.unwrap().assignments.iter().any(|x| x.office_id == office.id) {
                expected.push(m.id);
            }
        }
        for sort in [None, Some(Sort::Relevance)] {
            let f = ActionFilter { office: Some(office.code.clone()), sort, ..Default::default() };
            let got: Vec<Id> = store.list_actions(&f, today).await.unwrap().into_iter().map(|i| i.id).collect();
            assert_eq!(got, expected, "{} (sort {sort:?})", office.code);
            assert_eq!(store.count_actions(&f, today).await.unwrap(), expected.len() as u64);
        }
        assert!(!expected.is_empty());
    }
    // Typed words never match the tags themselves.
    let f = ActionFilter { text: Some("xsblocked".into()), ..Default::default() };
    assert!(store.list_actions(&f, today).await.unwrap().is_empty());
}
