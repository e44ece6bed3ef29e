//! Importing the real public records in ../shared/data/federal-register. The expected counts
//! are stated in the README; the relations checked here were read by hand in the source files.
mod common;
use mandate_domain::*;
use mandate_store::import::BadRows;
use mandate_store::Store;

async fn imported() -> (common::Workspace, mandate_store::import::ImportSummary) {
    let ws = common::workspace().await;
    // The real records have two bad lines (below): keep the good rows of their files.
    let s = ws.store.import_paths(&[common::shared_data()], BadRows::KeepGoodRows, &|_, _, _| {}).await.unwrap();
    (ws, s)
}

async fn relation(store: &Store, subject: &str, kind: RelationKind, object: &str) -> Option<Relation> {
    let id = store.resolve_action(subject).await.unwrap();
    let f = store.action_file(id).await.unwrap();
    let target = store.resolve_action(object).await.ok()?;
    f.relations.into_iter().find(|r| r.kind == kind && r.target_id == target)
}

#[tokio::test]
async fn real_records_import_with_expected_counts() {
    let (ws, s) = imported().await;
    assert_eq!(s.files, 85, "4 Federal Register files + 81 NARA tables, 1937–2017 (README and licence skipped)");
    assert_eq!(s.actions_created, 6363);
    assert_eq!(s.relations_linked, 7569);
    assert_eq!(s.relations_unresolved, 818);
    // Two NARA entries have a Federal Register page where the signing date belongs.
    assert_eq!(s.problems.len(), 2, "{:?}", s.problems);
    assert!(s.problems.iter().all(|p| p.line.is_some() && p.file.ends_with(".txt")));
    assert!(s.problems[0].to_string().contains("1940.txt:1039"), "{}", s.problems[0]);
    assert!(s.rejected_files.is_empty(), "good rows kept: {:?}", s.rejected_files);
    let c = ws.store.counts().await.unwrap();
    assert_eq!(c["actions"], 6363);
    assert_eq!(c["authorities"], 6363);
    assert_eq!(c["citations"], 6363);
    assert_eq!(c["relations"], 7569);
    assert_eq!(c["audit"], c["changes"]);
    assert!(ws.store.verify_audit().await.unwrap().ok);
}

#[tokio::test]
async fn hand_checked_orders() {
    let (ws, _) = imported().await;
    let st = &ws.store;
    // fr/barack-obama.json: EO 13489 "Presidential Records", signed 2009-01-21, 74 FR 4669,
    // notes "Revokes: EO 13233, November 1, 2001".
    let id = st.resolve_action("EO 13489").await.unwrap();
    let f = st.action_file(id).await.unwrap();
    assert_eq!(f.action.title, "Presidential Records");
    assert_eq!(f.action.kind, ActionKind::ExecutiveOrder);
    assert_eq!(f.action.issued_on, "2009-01-21".parse().ok());
    assert_eq!(f.action.issuing_official.as_deref(), Some("Barack Obama"));
    assert_eq!(f.authorities[0].citation, "EO 13489");
    assert!(f.authorities[0].title.contains("74 FR 4669"));
    assert!(relation(st, "EO 13489", RelationKind::Revokes, "EO 13233").await.is_some());
    // The inverse reads from EO 13233's side.
    let f13233 = st.action_file(st.resolve_action("eo13233").await.unwrap()).await.unwrap();
    assert!(f13233.inverse_relations.iter().any(|r| r.kind == RelationKind::Revokes && r.action_id == id));
    // nara 2009.txt: EO 13484 amends EO 13241.
    assert!(relation(st, "EO 13484", RelationKind::Amends, "EO 13241").await.is_some());
    // nara 1990.txt: EO 12706 supersedes EO 12670 (its FR line uses a semicolon: 55 FR 9313; March 13, 1990).
    assert!(relation(st, "EO 12706", RelationKind::Supersedes, "EO 12670").await.is_some());
    let f12706 = st.action_file(st.resolve_action("EO 12706").await.unwrap()).await.unwrap();
    assert!(f12706.authorities[0].title.contains("55 FR 9313"), "{}", f12706.authorities[0].title);
    assert_eq!(f12706.action.issuing_official.as_deref(), Some("George H. W. Bush"), "president derived from the signing date");
    // nara 1959.txt / 1956.txt: EO 10827 revokes EO 10685 in part; EO 10900 supersedes it.
    let r = relation(st, "EO 10827", RelationKind::Revokes, "EO 10685").await.unwrap();
    assert_eq!(r.note, "in part");
    assert!(relation(st, "EO 10900", RelationKind::Supersedes, "EO 10685").await.is_some());
    // Lettered and oddly formatted entries: 1938.txt has EO 7962 whose title starts "Executive Order 4601".
    let f7962 = st.action_file(st.resolve_action("EO 7962").await.unwrap()).await.unwrap();
    assert!(f7962.action.title.starts_with("Executive Order 4601 Amended"), "{}", f7962.action.title);
    // Full-text search finds orders by words, citation and number.
    let today = "2026-11-24".parse().unwrap();
    let hits = st
        .list_actions(&mandate_store::query::ActionFilter { text: Some("presidential records".into()), ..Default::default() }, today)
        .await
        .unwrap();
    assert!(hits.iter().any(|h| h.number == "EO 13489"));
    let hits = st
        .list_actions(&mandate_store::query::ActionFilter { text: Some("74 FR 4669".into()), ..Default::default() }, today)
        .await
        .unwrap();
    assert_eq!(hits[0].number, "EO 13489");
}

#[tokio::test]
async fn reimport_creates_no_duplicates_and_writes_nothing() {
    let (ws, _) = imported().await;
    let before = ws.store.counts().await.unwrap();
    let s = ws.store.import_paths(&[common::shared_data()], BadRows::KeepGoodRows, &|_, _, _| {}).await.unwrap();
    assert_eq!((s.actions_created, s.actions_updated, s.actions_unchanged), (0, 0, 6363));
    assert_eq!(s.records_created + s.records_updated, 0);
    assert_eq!(ws.store.counts().await.unwrap(), before, "no new records, audit or change entries");
}

#[tokio::test]
async fn local_edits_survive_reimport() {
    let (ws, _) = imported().await;
    let id = ws.store.resolve_action("EO 13489").await.unwrap();
    ws.store
        .edit_action(id, |a| {
            a.priority = Priority::Immediate;
            Ok(())
        })
        .await
        .unwrap();
    let s = ws.store.import_paths(&[common::shared_data()], BadRows::KeepGoodRows, &|_, _, _| {}).await.unwrap();
    assert_eq!(s.actions_updated, 0);
    assert_eq!(ws.store.get::<Action>(id).await.unwrap().unwrap().priority, Priority::Immediate);
}

#[tokio::test]
async fn json_export_round_trips_losslessly() {
    let ws = common::workspace().await;
    let r = mandate_sample::generate(&mandate_sample::Options { actions: 300, ..Default::default() });
    ws.store.insert_records(&r, &|_, _, _| {}).await.unwrap();
    ws.store.import_paths(&[common::shared_data().join("fr/donald-trump.json")], BadRows::RejectFile, &|_, _, _| {}).await.unwrap();
    let a = ws.dir.path().join("a.json");
    ws.store.export_json(&mut std::fs::File::create(&a).unwrap()).await.unwrap();

    let other = common::workspace().await;
    let s = other.store.import_paths(&[a.clone()], BadRows::RejectFile, &|_, _, _| {}).await.unwrap();
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    assert_eq!(s.actions_created, 396);
    let b = other.dir.path().join("b.json");
    other.store.export_json(&mut std::fs::File::create(&b).unwrap()).await.unwrap();
    let ja: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&a).unwrap()).unwrap();
    let jb: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&b).unwrap()).unwrap();
    assert_eq!(ja["records"], jb["records"], "every record identical after the round trip");
    // Search works on the imported copy (the index is rebuilt from the records).
    let today = "2026-11-24".parse().unwrap();
    let n = other
        .store
        .count_actions(&mandate_store::query::ActionFilter { text: Some("cybersecurity".into()), ..Default::default() }, today)
        .await
        .unwrap();
    assert!(n > 0);
    // Importing it again changes nothing.
    let again = other.store.import_paths(&[a], BadRows::RejectFile, &|_, _, _| {}).await.unwrap();
    assert_eq!(again.records_created + again.records_updated, 0);
}

#[tokio::test]
async fn by_default_a_file_with_a_bad_line_is_left_out_whole() {
    let ws = common::workspace().await;
    let s = ws.store.import_paths(&[common::shared_data()], BadRows::RejectFile, &|_, _, _| {}).await.unwrap();
    let rejected: Vec<&str> = s.rejected_files.iter().map(|f| f.rsplit('/').next().unwrap()).collect();
    assert_eq!(rejected, vec!["1940.txt", "1941.txt"], "{:?}", s.problems);
    assert_eq!(s.problems.len(), 2);
    // Nothing of those two years' orders (EO 8317–8980) came in; the other 83 files did.
    assert!(ws.store.resolve_action("EO 8400").await.is_err(), "an order only in 1940.txt was imported");
    assert!(ws.store.resolve_action("EO 13489").await.is_ok());
    let c = ws.store.counts().await.unwrap();
    assert!(c["actions"] < 6363 && c["actions"] > 5000, "{}", c["actions"]);
    assert!(ws.store.verify_audit().await.unwrap().ok);
}

/// A problem found only while merging (a record of a Mandate JSON file that names nothing)
/// rolls the whole file back, records already merged from it included.
#[tokio::test]
async fn a_bundle_with_a_bad_record_leaves_nothing_behind() {
    let src = common::workspace().await;
    let r = mandate_sample::generate(&mandate_sample::Options { actions: 5, ..Default::default() });
    src.store.insert_records(&r, &|_, _, _| {}).await.unwrap();
    let path = src.dir.path().join("bundle.json");
    src.store.export_json(&mut std::fs::File::create(&path).unwrap()).await.unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut bad = v["records"]["risks"][0].clone();
    bad["id"] = serde_json::json!(Id::new().to_string());
    bad["action_id"] = serde_json::json!(Id::new().to_string()); // names no action
    v["records"]["risks"].as_array_mut().unwrap().push(bad);
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let good = src.dir.path().join("good.csv");
    std::fs::write(&good, "title,kind\nA row from another file,tasker\n").unwrap();

    let ws = common::workspace().await;
    let s = ws.store.import_paths(&[path.clone(), good.clone()], BadRows::RejectFile, &|_, _, _| {}).await.unwrap();
    assert_eq!(s.rejected_files, vec![path.display().to_string()]);
    assert_eq!(s.problems.len(), 1, "{:?}", s.problems);
    assert!(s.problems[0].message.contains("names no record"), "{}", s.problems[0]);
    assert_eq!(s.actions_created, 1, "only the other file's row");
    assert_eq!(ws.store.counts().await.unwrap()["actions"], 1);
    assert_eq!(ws.store.counts().await.unwrap()["risks"], 0);
    assert!(ws.store.verify_audit().await.unwrap().ok);

    let s = ws.store.import_paths(&[path], BadRows::KeepGoodRows, &|_, _, _| {}).await.unwrap();
    assert!(s.rejected_files.is_empty());
    assert_eq!(s.actions_created, 5);
    assert_eq!(s.problems.len(), 1);
}

#[tokio::test]
async fn bad_lines_are_reported_and_the_rest_imported() {
    let ws = common::workspace().await;
    let dir = ws.dir.path();
    std::fs::write(
        dir.join("orders.txt"),
        "Executive Order 90001\nA good order\n    Signed: March 3, 2020\nstray text\nExecutive Order 90002\nAnother\n    Signed: Someday\n",
    )
    .unwrap();
    std::fs::write(dir.join("rows.csv"), "title,kind,suspense,opr\nFix the roof,tasker,2026-12-01,FAC\nBad,tasker,tomorrow,\n,tasker,,\n")
        .unwrap();
    std::fs::write(dir.join("notes.md"), "# not data\n").unwrap();
    std::fs::write(dir.join("broken.json"), "{\"mandate_export\": 1, \"records\": {\n\"actions\": [\n{\"id\": 5}\n]}}").unwrap();
    let s = ws
        .store
        .import_paths(
            &[dir.join("orders.txt"), dir.join("rows.csv"), dir.join("notes.md"), dir.join("broken.json")],
            BadRows::KeepGoodRows,
            &|_, _, _| {},
        )
        .await
        .unwrap();
    assert_eq!(s.actions_created, 3, "two orders and one CSV row");
    let where_: Vec<String> = s
        .problems
        .iter()
        .map(|p| format!("{}:{}", p.file.rsplit('/').next().unwrap(), p.line.map(|l| l.to_string()).unwrap_or_default()))
        .collect();
    assert_eq!(where_, vec!["orders.txt:4", "orders.txt:7", "rows.csv:3", "rows.csv:4", "notes.md:", "broken.json:3"], "{:?}", s.problems);
    let columns: Vec<Option<&str>> = s.problems.iter().filter(|p| p.file.ends_with(".csv")).map(|p| p.column.as_deref()).collect();
    assert_eq!(columns, vec![Some("suspense"), Some("title")]);
    let f = ws.store.action_file(ws.store.resolve_action("2026-0001").await.unwrap_or_else(|_| panic!("csv row imported"))).await;
    assert!(f.is_ok());
    assert_eq!(ws.store.office("FAC").await.unwrap().code, "FAC", "offices named in CSV are created");
}
