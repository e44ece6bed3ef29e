//! The success measures kept as sums after an upgrade. Whether the sums equal the pure
//! definition over random workspaces, edits and syncs is a property test with two desktops and
//! a server: `crates/sync/tests/measures.rs`.

mod common;
use common::*;

/// A workspace made before the sums existed has every action marked by the migration; the first
/// read brings them up to date, and it says how many it looked at.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workspace_from_before_the_sums_is_brought_up_to_date_once() {
    let w = workspace().await;
    let sample = mandate_sample::generate(&mandate_sample::Options { actions: 60, ..Default::default() });
    w.store.insert_records(&sample, &|_, _, _| {}).await.unwrap();
    let today = mandate_sample::Options::default().today;
    let expected = w.store.measures(today, None, None, None).await.unwrap();
    // Undo the sums to what migration 7 finds in a database of the earlier version.
    let mut c = mandate_store::raw_connection(&w.path, &w.key).await.unwrap();
    for sql in [
        "DELETE FROM measure_actions",
        "DELETE FROM measure_counts",
        "DELETE FROM measure_open",
        "DELETE FROM measure_concurrences",
        "INSERT INTO measure_dirty(action_id) SELECT id FROM actions",
    ] {
        sqlx::query(sql).execute(&mut c).await.unwrap();
    }
    drop(c);
    let seen = std::sync::Mutex::new(Vec::new());
    assert_eq!(
        w.store.refresh_measures(&|stage, done, total| seen.lock().unwrap().push((stage.to_string(), done, total))).await.unwrap(),
        60
    );
    assert_eq!(seen.lock().unwrap().last().unwrap(), &("measures".to_string(), 60, 60), "progress reaches the end");
    assert_eq!(w.store.refresh_measures(&|_, _, _| {}).await.unwrap(), 0, "once");
    assert_eq!(w.store.measures(today, None, None, None).await.unwrap(), expected);
    assert!(expected.overall.actions > 0 && !expected.per_office.is_empty(), "the sample measures something");
}
