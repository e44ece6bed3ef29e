//! Helpers shared by the store tests: real encrypted files in a temp dir, opened through the
//! same constructor and migrations as production.
#![allow(dead_code)]

use mandate_domain::UserRole;
use mandate_store::{DbKey, Profile, Store};
use std::path::PathBuf;

pub struct Workspace {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
    pub key: DbKey,
    pub store: Store,
}

pub async fn workspace() -> Workspace {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mandate.db");
    let key = DbKey::generate();
    let store = Store::create(
        &path,
        &key,
        Profile { name: "Test Executive".into(), role: UserRole::Executive, office: None, ..Default::default() },
    )
    .await
    .unwrap();
    Workspace { dir, path, key, store }
}

pub fn shared_data() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/federal-register");
    assert!(p.exists(), "the real records are expected at {} (../shared beside the repository)", p.display());
    p
}
