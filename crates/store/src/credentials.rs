//! Secrets in the OS credential store: the workspace key (`key::Keychain`) and the sync
//! device token (`mandate-sync`) are kept through these three functions, so both live in the
//! same place and move the same way.
//!
//! Windows Credential Manager and the macOS Keychain keep entries across reboots. On Linux the
//! kernel keyring (keyutils) does not: it forgets everything at logout, so a Linux user would
//! type the recovery code after every reboot. A Linux desktop session has a Secret Service
//! (GNOME Keyring, KWallet, KeePassXC) that keeps entries on disk, encrypted and unlocked at
//! login: Mandate uses it whenever the session offers one, and keyutils only where there is
//! none (a headless machine, or a session without a keyring daemon). An entry an earlier
//! version left in keyutils is moved into the Secret Service the first time it is read.

use zeroize::Zeroizing;

/// Where entries are kept on this machine, in words for messages.
pub fn store_name() -> &'static str {
    #[cfg(target_os = "linux")]
    {
        if linux::secret_service_available() {
            return "the desktop keyring (Secret Service)";
        }
        "the kernel keyring (keyutils; forgotten at logout)"
    }
    #[cfg(target_os = "macos")]
    {
        "the macOS Keychain"
    }
    #[cfg(windows)]
    {
        "Windows Credential Manager"
    }
    #[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
    {
        "the OS credential store"
    }
}

/// The secret kept for (`service`, `account`), or `None` when there is none.
pub fn load(service: &str, account: &str) -> Result<Option<Zeroizing<String>>, keyring::Error> {
    #[cfg(target_os = "linux")]
    if linux::secret_service_available() {
        match linux::secret_service(service, account)?.get_password() {
            Ok(s) => return Ok(Some(Zeroizing::new(s))),
            Err(keyring::Error::NoEntry) => {}
            Err(e) => return Err(e),
        }
        // Kept by an earlier version in the kernel keyring (it is there until logout): move it
        // where it survives a reboot.
        let old = linux::keyutils(service, account)?;
        return match old.get_password() {
            Ok(s) => {
                let s = Zeroizing::new(s);
                linux::secret_service(service, account)?.set_password(&s)?;
                let _ = old.delete_credential();
                Ok(Some(s))
            }
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e),
        };
    }
    match entry(service, account)?.get_password() {
        Ok(s) => Ok(Some(Zeroizing::new(s))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Keep `secret` for (`service`, `account`), replacing what was there.
pub fn save(service: &str, account: &str, secret: &str) -> Result<(), keyring::Error> {
    entry(service, account)?.set_password(secret)
}

/// Forget the secret for (`service`, `account`); nothing there is not an error.
pub fn delete(service: &str, account: &str) -> Result<(), keyring::Error> {
    match entry(service, account)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => {}
        Err(e) => return Err(e),
    }
    #[cfg(target_os = "linux")]
    if linux::secret_service_available() {
        let _ = linux::keyutils(service, account)?.delete_credential();
    }
    Ok(())
}

fn entry(service: &str, account: &str) -> Result<keyring::Entry, keyring::Error> {
    #[cfg(target_os = "linux")]
    {
        if linux::secret_service_available() {
            return linux::secret_service(service, account);
        }
        linux::keyutils(service, account)
    }
    #[cfg(not(target_os = "linux"))]
    {
        keyring::Entry::new(service, account)
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use keyring::{keyutils::KeyutilsCredential, secret_service::SsCredential, Entry};
    use std::sync::OnceLock;

    pub fn secret_service(service: &str, account: &str) -> Result<Entry, keyring::Error> {
        Ok(Entry::new_with_credential(Box::new(SsCredential::new_with_target(None, service, account)?)))
    }

    pub fn keyutils(service: &str, account: &str) -> Result<Entry, keyring::Error> {
        Ok(Entry::new_with_credential(Box::new(KeyutilsCredential::new_with_target(None, service, account)?)))
    }

    /// Whether this session has a Secret Service that answers: a lookup of an entry nobody
    /// made either finds nothing (it is there) or fails (it is not: no D-Bus session, or no
    /// keyring daemon on it). Asked once per process.
    pub fn secret_service_available() -> bool {
        static AVAILABLE: OnceLock<bool> = OnceLock::new();
        *AVAILABLE.get_or_init(|| {
            if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
                return false;
            }
            match secret_service("mandate-probe", "is-there-a-secret-service").and_then(|e| e.get_password()) {
                Ok(_) | Err(keyring::Error::NoEntry) | Err(keyring::Error::Ambiguous(_)) => true,
                Err(_) => false,
            }
        })
    }
}
