//! The actions table sorts by every column it shows, both ways, on a real encrypted workspace.

mod common;

use mandate_domain::*;
use mandate_store::query::{ActionFilter, ListItem, Sort};

fn lifecycle(s: Status) -> usize {
    Status::ALL.iter().position(|x| *x == s).unwrap()
}

/// Asserts `items` are in order by `key` (ascending, or descending when asked).
fn assert_sorted<K: PartialOrd + std::fmt::Debug>(items: &[ListItem], descending: bool, what: &str, key: impl Fn(&ListItem) -> K) {
    assert!(items.len() > 100, "{what}: a real page ({} rows)", items.len());
    for w in items.windows(2) {
        let (a, b) = (key(&w[0]), key(&w[1]));
        let ok = if descending { a >= b } else { a <= b };
        assert!(ok, "{what} (descending: {descending}): {} {a:?} comes before {} {b:?}", w[0].number, w[1].number);
    }
}

#[tokio::test]
async fn every_column_sorts_both_ways() {
    let ws = common::workspace().await;
    let sample = mandate_sample::generate(&mandate_sample::Options { actions: 400, ..Default::default() });
    ws.store.insert_records(&sample, &|_, _, _| {}).await.unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    for descending in [false, true] {
        let page = |sort: Sort| {
            let f = ActionFilter { sort: Some(sort), descending, limit: Some(300), ..Default::default() };
            let store = &ws.store;
            async move { store.list_actions(&f, today).await.unwrap() }
        };
        assert_sorted(&page(Sort::Number).await, descending, "number", |i| i.number.clone());
        assert_sorted(&page(Sort::Title).await, descending, "title", |i| i.title.clone());
        assert_sorted(&page(Sort::Status).await, descending, "status", |i| {
            (lifecycle(i.status), i.suspense.unwrap_or(chrono::NaiveDate::MAX))
        });
        assert_sorted(&page(Sort::Kind).await, descending, "kind", |i| (i.kind.as_str(), i.suspense.unwrap_or(chrono::NaiveDate::MAX)));
        assert_sorted(&page(Sort::Priority).await, descending, "priority", |i| {
            (i.priority.as_str(), i.suspense.unwrap_or(chrono::NaiveDate::MAX))
        });
        assert_sorted(&page(Sort::Suspense).await, descending, "suspense", |i| i.suspense.unwrap_or(chrono::NaiveDate::MAX));
        // Several statuses present, so the status order was really exercised.
        let statuses: std::collections::BTreeSet<_> = page(Sort::Status).await.iter().map(|i| i.status).collect();
        assert!(statuses.len() >= 3, "{statuses:?}");
    }
    // Ascending priority is most urgent first.
    let urgent =
        ws.store.list_actions(&ActionFilter { sort: Some(Sort::Priority), limit: Some(1), ..Default::default() }, today).await.unwrap();
    assert_eq!(urgent[0].priority, Priority::Flash);
    // Sorting composes with filters and paging: the second page continues the first.
    let f = |offset| ActionFilter {
        sort: Some(Sort::Title),
        statuses: vec![Status::InProgress],
        limit: Some(20),
        offset,
        ..Default::default()
    };
    let (p1, p2) = (ws.store.list_actions(&f(0), today).await.unwrap(), ws.store.list_actions(&f(20), today).await.unwrap());
    assert!(p1.iter().chain(&p2).all(|i| i.status == Status::InProgress));
    assert!(p1.last().unwrap().title <= p2[0].title);
    // Open actions, most urgent first (their own partial index): every open action, in order.
    let open = vec![Status::Issued, Status::Assigned, Status::InProgress, Status::Blocked];
    for descending in [false, true] {
        let f = ActionFilter { statuses: open.clone(), sort: Some(Sort::Priority), descending, ..Default::default() };
        let page = ws.store.list_actions(&f, today).await.unwrap();
        assert_sorted(&page, descending, "open by priority", |i| (i.priority.as_str(), i.suspense.unwrap_or(chrono::NaiveDate::MAX)));
        let expected = sample.actions.iter().filter(|a| open.contains(&a.status)).count();
        assert_eq!(page.len(), expected, "every open action, and only those");
        assert!(page.iter().all(|i| open.contains(&i.status)));
    }
    ws.store.close().await;
}
