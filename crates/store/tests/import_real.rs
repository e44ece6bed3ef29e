//! Importing the real public records in ../shared/data/federal-register.
mod common;
use mandate_domain::*;

#[tokio::test]
async fn real_data_scratch() {
    let ws = common::workspace().await;
    let t = std::time::Instant::now();
    let s = ws.store.import_paths(&[common::shared_data()], &|_, _, _| {}).await.unwrap();
    eprintln!("took {:?}", t.elapsed());
    eprintln!("{:#?}", ImportSummaryShort(&s));
    for p in s.problems.iter().take(40) { eprintln!("{p}"); }
    let c = ws.store.counts().await.unwrap();
    eprintln!("{c:?}");
    let _ = Status::Draft;
}
struct ImportSummaryShort<'a>(&'a mandate_store::import::ImportSummary);
impl std::fmt::Debug for ImportSummaryShort<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.0;
        write!(f, "files {} created {} updated {} unchanged {} rec {} rel {} unres {} problems {}", s.files, s.actions_created, s.actions_updated, s.actions_unchanged, s.records_created, s.relations_linked, s.relations_unresolved, s.problems.len())
    }
}
