//! The workspace file is really encrypted, and keys behave as promised.
mod common;
use mandate_domain::*;
use mandate_store::ops::NewAction;
use mandate_store::{DbKey, Profile, Store, StoreError};
use sha2::{Digest, Sha256};
use sqlx::ConnectOptions;

const CANARY: &str = "ZEBRA-CANARY-PLAINTEXT-7741";

fn digest_files(path: &std::path::Path) -> Vec<(String, Option<String>)> {
    ["", "-wal", "-shm", "-journal"]
        .iter()
        .map(|ext| {
            let p = format!("{}{ext}", path.display());
            (ext.to_string(), std::fs::read(&p).ok().map(|b| hex::encode(Sha256::digest(&b))))
        })
        .collect()
}

async fn with_canary() -> common::Workspace {
    let ws = common::workspace().await;
    let s = &ws.store;
    s.add_office("OGC", "Office of the General Counsel", OfficeKind::Office, None).await.unwrap();
    let f = s
        .create_action(NewAction {
            title: format!("{CANARY} title"),
            kind: ActionKind::Directive,
            body: format!("{CANARY} requirements"),
            priority: Priority::Priority,
            marking: Some("CUI".parse().unwrap()),
            issuing_official: Some("Secretary".into()),
            suspense: None,
            parent: None,
            authorities: vec![format!("{CANARY} authority")],
            issue: true,
        })
        .await
        .unwrap();
    s.attach(f.action.id, "memo.txt", "text/plain", format!("{CANARY} document bytes").as_bytes()).await.unwrap();
    ws
}

#[tokio::test]
async fn file_is_encrypted_and_holds_no_plaintext() {
    let ws = with_canary().await;
    let common::Workspace { store, path, dir, .. } = ws;
    store.close().await;
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 4096);
    assert_ne!(&bytes[..16], b"SQLite format 3\0", "an encrypted file has no SQLite header");
    for f in std::fs::read_dir(dir.path()).unwrap() {
        let b = std::fs::read(f.unwrap().path()).unwrap();
        assert!(!b.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()), "plaintext found on disk");
        assert!(!b.windows(12).any(|w| w == b"UNCLASSIFIED"), "plaintext found on disk");
    }
}

#[tokio::test]
async fn reopen_with_right_key_wrong_key_leaves_file_untouched() {
    let ws = with_canary().await;
    let common::Workspace { store, path, key, dir: _dir } = ws;
    store.close().await;
    let reopened = Store::open(&path, &key).await.unwrap();
    assert_eq!(reopened.profile().name, "Test Executive");
    assert_eq!(reopened.all::<Action>().await.unwrap().len(), 1);
    reopened.close().await;

    // A copy no connection of this process has ever opened, so nothing but the wrong-key attempt
    // can touch it (sqlx finishes closing pooled connections on its own threads).
    let copy = path.with_file_name("copy.db");
    std::fs::copy(&path, &copy).unwrap();
    let before = digest_files(&copy);
    assert!(before[1].1.is_none(), "the copied workspace has no WAL");
    let err = Store::open(&copy, &DbKey::generate()).await.unwrap_err();
    assert!(matches!(err, StoreError::WrongKey(_)), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("key") && msg.contains(&copy.display().to_string()), "{msg}");
    assert!(msg.contains("not changed"), "{msg}");
    assert_eq!(digest_files(&copy), before, "a wrong key must leave every file byte-for-byte unchanged");
    // And the copy still opens with the right key.
    Store::open(&copy, &key).await.unwrap().close().await;
}

#[tokio::test]
async fn recovery_code_reopens_and_rekey_replaces_the_key() {
    let ws = with_canary().await;
    let common::Workspace { store, path, key, dir: _dir } = ws;
    let code = key.recovery_code();
    store.close().await;
    let from_code = DbKey::from_recovery_code(&code).unwrap();
    let s = Store::open(&path, &from_code).await.unwrap();
    let new = DbKey::generate();
    s.rekey(&from_code, &new).await.unwrap();
    assert!(matches!(Store::open(&path, &key).await.unwrap_err(), StoreError::WrongKey(_)), "old key no longer opens");
    let s = Store::open(&path, &new).await.unwrap();
    assert_eq!(s.all::<Action>().await.unwrap()[0].title, format!("{CANARY} title"));
    assert!(s.verify_audit().await.unwrap().ok);
    // Documents survive re-keying.
    let d = &s.all::<Document>().await.unwrap()[0];
    assert_eq!(s.document_bytes(&d.sha256).await.unwrap(), format!("{CANARY} document bytes").as_bytes());
}

#[tokio::test]
async fn plain_sqlite_and_missing_files_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.db");
    // A connection outside the store: the allocator is set first, as the store does, or this
    // connection's SQLite initialisation races the store's setting it in the tests beside.
    mandate_alloc::use_mimalloc();
    let mut c = sqlx::sqlite::SqliteConnectOptions::new().filename(&plain).create_if_missing(true).connect().await.unwrap();
    sqlx::query("CREATE TABLE t(x)").execute(&mut c).await.unwrap();
    drop(c);
    let err = Store::open(&plain, &DbKey::generate()).await.unwrap_err();
    assert!(matches!(err, StoreError::NotEncrypted(_)), "{err:?}");
    let missing = dir.path().join("nope.db");
    let err = Store::open(&missing, &DbKey::generate()).await.unwrap_err();
    assert!(matches!(err, StoreError::NoWorkspace(_)));
    assert!(!missing.exists(), "opening must not create a file");
    let err = Store::create(&plain, &DbKey::generate(), Profile::default()).await.unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists(_)));
}

#[tokio::test]
async fn sqlcipher_is_linked() {
    let ws = common::workspace().await;
    let v = ws.store.cipher_version().await.unwrap();
    assert!(v.starts_with('4'), "SQLCipher 4.x expected, got {v}");
}
