//! Identifiers.
//!
//! Every record carries a UUIDv7: globally unique without coordination (records are created
//! offline on many laptops and replicated), and time-ordered so that new rows land at the end of
//! B-tree indexes instead of scattering across them.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
pub struct Id(uuid::Uuid);

impl Id {
    /// A fresh, time-ordered identifier.
    pub fn new() -> Self {
        Id(uuid::Uuid::now_v7())
    }

    /// A deterministic identifier derived from a stable natural key (for example
    /// `"eo:13526"`). Imports use it so that two devices importing the same public record
    /// create the same id and replication sees one record, not two.
    pub fn derived(natural_key: &str) -> Self {
        const NS: uuid::Uuid = uuid::Uuid::from_u128(0x6d61_6e64_6174_6500_8000_0000_0000_0001);
        Id(uuid::Uuid::new_v5(&NS, natural_key.as_bytes()))
    }

    pub fn from_u128(v: u128) -> Self {
        Id(uuid::Uuid::from_u128(v))
    }
}

impl Default for Id {
    fn default() -> Self {
        Id::new()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0.hyphenated())
    }
}

impl FromStr for Id {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::parse_str(s.trim()).map(Id).map_err(|_| format!("`{s}` is not a record id (expected a UUID)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_unique_and_ordered() {
        let a = Id::new();
        let b = Id::new();
        assert_ne!(a, b);
        assert!(a < b, "v7 ids sort by creation time");
    }

    #[test]
    fn derived_ids_are_stable() {
        assert_eq!(Id::derived("eo:13526"), Id::derived("eo:13526"));
        assert_ne!(Id::derived("eo:13526"), Id::derived("eo:13527"));
    }

    #[test]
    fn parse_roundtrip_and_error() {
        let a = Id::new();
        assert_eq!(a.to_string().parse::<Id>().unwrap(), a);
        assert!("nope".parse::<Id>().unwrap_err().contains("nope"));
    }
}
