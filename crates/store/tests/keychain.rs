//! The real OS credential store (Linux: the kernel keyutils session keyring). Run by
//! `cargo xtask test` inside `keyctl session -`, which gives the test a fresh session keyring.
use mandate_store::{DbKey, KeySource, Keychain};

#[test]
fn key_round_trips_through_the_os_credential_store() {
    let dir = tempfile::tempdir().unwrap();
    let kc = Keychain::for_workspace(&dir.path().join("w.db"));
    assert!(matches!(kc.load(), Err(mandate_store::KeyError::Missing(_))), "nothing stored yet");
    let key = DbKey::generate();
    kc.save(&key).expect("the credential store accepts the key (run inside `keyctl session -` on Linux)");
    let back = kc.load().unwrap();
    assert_eq!(back.recovery_code().as_str(), key.recovery_code().as_str());
    // Another workspace has its own entry.
    let other = Keychain::for_workspace(&dir.path().join("other.db"));
    assert!(other.load().is_err());
}
