//! The key survives a reboot on a Linux desktop: it is kept by the session's Secret Service
//! (here the real GNOME Keyring daemon, in a D-Bus session of its own, with its keyring file in
//! a temporary home), not only in the kernel keyring that logout clears. A "reboot" is a new
//! kernel session keyring, a new D-Bus session and a new keyring daemon reading the same file.
//! `secret-tool` (libsecret, not Mandate) checks where the key went.
use std::path::Path;
use std::process::{Command, Output};

/// Runs `script` with `sh` as at a fresh desktop login: a new kernel session keyring, a new
/// D-Bus session, GNOME Keyring unlocked with the login password (when `keyring_daemon`).
fn login(home: &Path, keyring_daemon: bool, script: &str) -> Output {
    let start =
        if keyring_daemon { "printf login-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null && " } else { "" };
    let (prog, args): (&str, Vec<String>) = if keyring_daemon {
        (
            "keyctl",
            vec![
                "session".into(),
                "-".into(),
                "dbus-run-session".into(),
                "--".into(),
                "sh".into(),
                "-c".into(),
                format!("{start}{script}"),
            ],
        )
    } else {
        ("keyctl", vec!["session".into(), "-".into(), "sh".into(), "-c".into(), script.to_string()])
    };
    let o = Command::new(prog)
        .args(&args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_RUNTIME_DIR", home.join("run"))
        .env("MANDATE", env!("CARGO_BIN_EXE_mandate"))
        .env("DB", home.join("w.db"))
        .env_remove("MANDATE_DB_KEY")
        .env_remove("MANDATE_DB")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .output()
        .expect("keyctl, dbus-run-session and gnome-keyring-daemon run (`cargo xtask test` installs them)");
    o
}

fn ok(o: &Output, what: &str) -> String {
    assert!(o.status.success(), "{what}: {}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("run")).unwrap();
    std::fs::set_permissions(home.path().join("run"), std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    home
}

#[test]
fn the_key_is_kept_by_the_desktop_keyring_and_survives_a_reboot() {
    let home = home();
    let said = ok(
        &login(
            home.path(),
            true,
            r#""$MANDATE" --db "$DB" init --name "Linux User" --office OCOS && "$MANDATE" --db "$DB" action create --title "Kept across reboots" && secret-tool search --all service mandate 2>&1"#,
        ),
        "init at the first login",
    );
    assert!(said.contains("Secret Service"), "init says where the key is: {said}");
    let db = home.path().join("w.db").display().to_string();
    assert!(said.contains("attribute.service = mandate") && said.contains(&db), "secret-tool finds the key's entry: {said}");

    // Reboot: everything in memory is gone; the keyring file is not.
    let listed = ok(&login(home.path(), true, r#""$MANDATE" --db "$DB" --json action list"#), "opening after a reboot");
    assert!(listed.contains("Kept across reboots"), "{listed}");

    // Without a Secret Service (a headless login), the kernel keyring has nothing: the key is
    // where the desktop keeps it, and the error says how to open the workspace anyway.
    let o = login(home.path(), false, r#""$MANDATE" --db "$DB" action list"#);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("MANDATE_DB_KEY") || err.contains("key recover"), "{err}");
}

#[test]
fn a_key_an_earlier_version_left_in_the_kernel_keyring_moves_to_the_desktop_keyring() {
    let home = home();
    // Made headless (keyutils), then opened in the same kernel session once a desktop keyring
    // runs: the key moves, and the next login (a new kernel session) still opens the workspace.
    let o = Command::new("keyctl")
        .args(["session", "-", "sh", "-c"])
        .arg(
            r#""$MANDATE" --db "$DB" init --name "Linux User" >/dev/null && dbus-run-session -- sh -c 'printf login-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null && "$MANDATE" --db "$DB" action list >/dev/null && secret-tool search --all service mandate 2>&1'"#,
        )
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join(".local/share"))
        .env("XDG_RUNTIME_DIR", home.path().join("run"))
        .env("MANDATE", env!("CARGO_BIN_EXE_mandate"))
        .env("DB", home.path().join("w.db"))
        .env_remove("MANDATE_DB_KEY")
        .env_remove("MANDATE_DB")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .output()
        .unwrap();
    let said = ok(&o, "moving the key");
    assert!(said.contains("attribute.service = mandate"), "{said}");
    ok(&login(home.path(), true, r#""$MANDATE" --db "$DB" action list"#), "opening at the next login");
}
