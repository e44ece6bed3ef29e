//! Key custody: the 256-bit database key, where it is kept, and the printable recovery code.
//!
//! The key lives in exactly one place at rest: the OS credential store (Windows Credential
//! Manager, macOS Keychain, on Linux the desktop's Secret Service, or keyutils where there is
//! none) through `keyring` (see [`crate::credentials`]). Headless use and tests pass it in
//! `MANDATE_DB_KEY` instead. It is never written to a file, a log or an error message: [`DbKey`]
//! zeroes its memory on drop and its `Debug` prints nothing of it.
//!
//! The recovery code is the key itself, spelled for paper (Crockford base32 in groups of five,
//! with a two-byte checksum so a mistyped code is caught before it is tried). Like a BitLocker
//! recovery password it is shown once at init and after a re-key, and never stored by Mandate.

use rand::RngCore;
use sha2::{Digest, Sha256};
use std::fmt;
use zeroize::{Zeroize, Zeroizing};

/// Name of the environment variable that overrides the keychain (64 hex characters).
pub const KEY_ENV: &str = "MANDATE_DB_KEY";
const KEYCHAIN_SERVICE: &str = "mandate";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{KEY_ENV} must be 64 hexadecimal characters (a 256-bit key) or a recovery code; the value given is neither")]
    BadHex,
    #[error("the recovery code is not valid: {0}")]
    BadRecoveryCode(&'static str),
    #[error("no database key was found in the OS credential store for this workspace ({0}); restore it with `mandate key recover`, or set {KEY_ENV}")]
    Missing(String),
    #[error("the OS credential store could not be used ({0}); on a machine without one, set {KEY_ENV} to a key or recovery code")]
    Keychain(String),
}

/// A 256-bit SQLCipher key.
#[derive(Clone)]
pub struct DbKey(Zeroizing<[u8; 32]>);

impl DbKey {
    pub fn generate() -> DbKey {
        let mut k = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(k.as_mut());
        DbKey(k)
    }

    pub fn from_hex(s: &str) -> Result<DbKey, KeyError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(s.trim(), bytes.as_mut()).map_err(|_| KeyError::BadHex)?;
        Ok(DbKey(bytes))
    }

    /// The value for `PRAGMA key`: a raw key (no passphrase derivation, so opening is instant).
    pub(crate) fn pragma_value(&self) -> Zeroizing<String> {
        let mut hex = Zeroizing::new(hex::encode(self.0.as_ref()));
        let v = Zeroizing::new(format!("\"x'{}'\"", hex.as_str()));
        hex.zeroize();
        v
    }

    fn hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.0.as_ref()))
    }

    /// The printable recovery code for this key.
    pub fn recovery_code(&self) -> Zeroizing<String> {
        let mut payload = Zeroizing::new(Vec::with_capacity(34));
        payload.extend_from_slice(self.0.as_ref());
        let sum = Sha256::digest(self.0.as_ref());
        payload.extend_from_slice(&sum[..2]);
        let raw = Zeroizing::new(crockford_encode(&payload));
        let grouped: String = raw.as_bytes().chunks(5).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect::<Vec<_>>().join("-");
        Zeroizing::new(grouped)
    }

    /// Parse a recovery code as printed (dashes, spaces and case do not matter; O/I/L are read
    /// as 0/1/1 as Crockford intends).
    pub fn from_recovery_code(code: &str) -> Result<DbKey, KeyError> {
        let cleaned: Zeroizing<String> = Zeroizing::new(code.chars().filter(|c| !c.is_whitespace() && *c != '-').collect());
        let bytes = Zeroizing::new(
            crockford_decode(&cleaned).ok_or(KeyError::BadRecoveryCode("it contains characters that are not in a recovery code"))?,
        );
        if bytes.len() != 34 {
            return Err(KeyError::BadRecoveryCode("it has the wrong length (a code is 11 groups of five characters)"));
        }
        let sum = Sha256::digest(&bytes[..32]);
        if sum[..2] != bytes[32..34] {
            return Err(KeyError::BadRecoveryCode("its checksum does not match; check for a mistyped character"));
        }
        let mut k = Zeroizing::new([0u8; 32]);
        k.copy_from_slice(&bytes[..32]);
        Ok(DbKey(k))
    }
}

impl fmt::Debug for DbKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DbKey(<redacted>)")
    }
}

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn crockford_encode(data: &[u8]) -> String {
    let mut out = String::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in data {
        buf = (buf << 8) | b as u32;
        bits += 8;
        while bits >= 5 {
            out.push(CROCKFORD[((buf >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(CROCKFORD[((buf << (5 - bits)) & 31) as usize] as char);
    }
    buf.zeroize();
    out
}

fn crockford_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for c in s.chars() {
        let c = match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        let v = CROCKFORD.iter().position(|&x| x as char == c)? as u32;
        buf = (buf << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push((buf >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    buf.zeroize();
    Some(out)
}

/// Where a workspace's key is kept. A trait so the store is tested with keys in memory and the
/// real credential store is exercised in its own test.
pub trait KeySource: Send + Sync {
    fn load(&self) -> Result<DbKey, KeyError>;
    fn save(&self, key: &DbKey) -> Result<(), KeyError>;
    /// For messages: where the key is (never the key).
    fn describe(&self) -> String;
}

/// The key from `MANDATE_DB_KEY`.
pub struct EnvKey;

impl KeySource for EnvKey {
    fn load(&self) -> Result<DbKey, KeyError> {
        let v = Zeroizing::new(std::env::var(KEY_ENV).map_err(|_| KeyError::Missing("environment".into()))?);
        // Either the raw key in hex or the printed recovery code (handy on headless machines).
        DbKey::from_hex(&v).or_else(|hex_err| if v.contains('-') { DbKey::from_recovery_code(&v) } else { Err(hex_err) })
    }
    fn save(&self, _key: &DbKey) -> Result<(), KeyError> {
        // The caller owns the environment; nothing to store. (After a re-key the new recovery
        // code is printed, and the caller must update its variable.)
        Ok(())
    }
    fn describe(&self) -> String {
        format!("the {KEY_ENV} environment variable")
    }
}

/// The OS credential store, one entry per workspace file.
pub struct Keychain {
    account: String,
}

impl Keychain {
    pub fn for_workspace(db_path: &std::path::Path) -> Keychain {
        let abs = std::path::absolute(db_path).unwrap_or_else(|_| db_path.to_path_buf());
        Keychain { account: abs.to_string_lossy().into_owned() }
    }
}

impl KeySource for Keychain {
    fn load(&self) -> Result<DbKey, KeyError> {
        match crate::credentials::load(KEYCHAIN_SERVICE, &self.account) {
            Ok(Some(hex)) => DbKey::from_hex(&hex),
            Ok(None) => Err(KeyError::Missing(self.account.clone())),
            Err(e) => Err(KeyError::Keychain(e.to_string())),
        }
    }
    fn save(&self, key: &DbKey) -> Result<(), KeyError> {
        crate::credentials::save(KEYCHAIN_SERVICE, &self.account, &key.hex()).map_err(|e| KeyError::Keychain(e.to_string()))
    }
    fn describe(&self) -> String {
        format!("{} (service `{KEYCHAIN_SERVICE}`, account `{}`)", crate::credentials::store_name(), self.account)
    }
}

/// The key source Mandate uses for a workspace: the environment variable when it is set
/// (headless, tests), otherwise the OS credential store.
pub fn key_source_for(db_path: &std::path::Path) -> Box<dyn KeySource> {
    if std::env::var_os(KEY_ENV).is_some() {
        Box::new(EnvKey)
    } else {
        Box::new(Keychain::for_workspace(db_path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_code_roundtrips_and_catches_typos() {
        let k = DbKey::generate();
        let code = k.recovery_code();
        assert_eq!(code.split('-').count(), 11);
        let back = DbKey::from_recovery_code(&code.to_lowercase()).unwrap();
        assert_eq!(back.hex().as_str(), k.hex().as_str());
        // Flip one character.
        let mut bad: Vec<char> = code.chars().collect();
        bad[3] = if bad[3] == 'A' { 'B' } else { 'A' };
        let bad: String = bad.into_iter().collect();
        assert!(matches!(DbKey::from_recovery_code(&bad), Err(KeyError::BadRecoveryCode(_))));
        assert!(DbKey::from_recovery_code("ABC").is_err());
    }

    #[test]
    fn debug_never_shows_the_key() {
        let k = DbKey::from_hex(&"ab".repeat(32)).unwrap();
        assert_eq!(format!("{k:?}"), "DbKey(<redacted>)");
        assert!(DbKey::from_hex("xyz").is_err());
    }
}
