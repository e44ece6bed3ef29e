//! `mandate-server`: the agency server desktops replicate to.
//!
//! Bird's-eye view: desktops push their change logs ([`replicate::push`]) and pull the merged
//! records they may see ([`replicate::pull`]) over a small versioned HTTP API ([`http`]). The
//! server keeps each record's merged state with a clock stamp per field, decides every change
//! against the rules in `mandate_domain::replication` (the same crate the desktops use), records
//! conflicts as records of their own, and keeps a hash-chained audit log of who changed what
//! from which device. Accounts and devices ([`accounts`]) are made by an administrator on the
//! command line; a device enrols once with a one-time code and then sends a bearer token, which
//! the server keeps only as a hash.
//!
//! Storage ([`db`]) is SQLite by default and PostgreSQL for larger agencies; several stateless
//! server instances may share one PostgreSQL database (pushes serialise on one counter row).

pub mod accounts;
pub mod backup;
pub mod blobs;
pub mod db;
pub mod http;
pub mod openapi;
pub mod replicate;
pub mod tls;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use db::{Db, Kind};

/// A refusal to answer: HTTP status, a stable code word and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl Failure {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Failure {
        Failure { status, code, message: message.into() }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.status, self.code, self.message)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        tracing::error!(error = %format!("{e:#}"), "internal error");
        Failure::new(500, "internal", "the server could not complete the request; the server log has the details")
    }
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Failure {
        Failure::from(anyhow::Error::from(e))
    }
}

/// Counters served at `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    pub pushes: AtomicU64,
    pub pulls: AtomicU64,
    pub changes_accepted: AtomicU64,
    pub changes_duplicate: AtomicU64,
    pub changes_refused: AtomicU64,
    pub conflicts: AtomicU64,
    pub records_pulled: AtomicU64,
    pub auth_failures: AtomicU64,
    pub rate_limited: AtomicU64,
    pub bad_requests: AtomicU64,
    /// Requests that failed inside the server (answered 5xx: the database refused, a disk
    /// filled…). Everything else refused is the caller's doing and counted above; these are
    /// what an operator is paged for, and each one is in the log.
    pub server_errors: AtomicU64,
    /// Microseconds pushes spent waiting for their turn to write (another push had it).
    pub push_wait_us: AtomicU64,
    /// Microseconds pushes held the turn (merging and writing, up to the commit). Pushes take
    /// turns (see db.rs), so this bounds how fast one server takes changes; with the wait it
    /// shows whether pushes queue behind each other.
    pub push_turn_us: AtomicU64,
}

impl Metrics {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
    /// A counter of microseconds, in seconds.
    pub fn seconds(us: &AtomicU64) -> f64 {
        us.load(Ordering::Relaxed) as f64 / 1e6
    }
    /// Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (name, help, v) in [
            ("mandate_pushes_total", "Push requests answered.", &self.pushes),
            ("mandate_pulls_total", "Pull requests answered.", &self.pulls),
            ("mandate_changes_accepted_total", "Changes merged.", &self.changes_accepted),
            ("mandate_changes_duplicate_total", "Replayed changes recognised and skipped.", &self.changes_duplicate),
            ("mandate_changes_refused_total", "Changes refused by the rules.", &self.changes_refused),
            ("mandate_conflicts_total", "Conflicts recorded.", &self.conflicts),
            ("mandate_records_pulled_total", "Records sent on pulls.", &self.records_pulled),
            ("mandate_auth_failures_total", "Requests with an unknown, expired or revoked token or enrolment code.", &self.auth_failures),
            ("mandate_rate_limited_total", "Requests refused for too many attempts.", &self.rate_limited),
            ("mandate_bad_requests_total", "Malformed, oversized or forged requests.", &self.bad_requests),
            ("mandate_server_errors_total", "Requests that failed inside the server (5xx); the log has each one.", &self.server_errors),
        ] {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} counter\n{name} {}\n", v.load(Ordering::Relaxed)));
        }
        for (name, help, us) in [
            ("mandate_push_wait_seconds_total", "Time pushes waited for their turn to write.", &self.push_wait_us),
            ("mandate_push_turn_seconds_total", "Time pushes held the turn to write (merge, writes, commit).", &self.push_turn_us),
        ] {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} counter\n{name} {:.6}\n", Metrics::seconds(us)));
        }
        out
    }
}

/// Fixed-window attempt counter per client address (enrolment codes and failed logins).
#[derive(Debug)]
pub struct RateLimiter {
    window: Duration,
    max: u32,
    seen: Mutex<HashMap<(IpAddr, &'static str), (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(max: u32, window: Duration) -> RateLimiter {
        RateLimiter { window, max, seen: Mutex::new(HashMap::new()) }
    }
    /// Count one attempt; false once `max` attempts were made within the window.
    pub fn attempt(&self, ip: IpAddr, bucket: &'static str) -> bool {
        let mut seen = self.seen.lock().expect("rate limiter lock");
        let now = Instant::now();
        if seen.len() > 100_000 {
            seen.retain(|_, (t, _)| now.duration_since(*t) < self.window);
        }
        let e = seen.entry((ip, bucket)).or_insert((now, 0));
        if now.duration_since(e.0) >= self.window {
            *e = (now, 0);
        }
        e.1 += 1;
        e.1 <= self.max
    }
    /// Whether the address is over the limit, without counting an attempt.
    pub fn blocked(&self, ip: IpAddr, bucket: &'static str) -> bool {
        let seen = self.seen.lock().expect("rate limiter lock");
        seen.get(&(ip, bucket)).is_some_and(|(t, n)| Instant::now().duration_since(*t) < self.window && *n >= self.max)
    }
}

/// Everything a running server shares between requests.
#[derive(Debug)]
pub struct Server {
    pub db: Db,
    pub metrics: Metrics,
    /// Enrolment attempts per address.
    pub enrol_limit: RateLimiter,
    /// Requests with a bad token per address.
    pub auth_limit: RateLimiter,
}

impl Server {
    pub fn new(db: Db) -> Server {
        Server {
            db,
            metrics: Metrics::default(),
            enrol_limit: RateLimiter::new(10, Duration::from_secs(60)),
            auth_limit: RateLimiter::new(30, Duration::from_secs(60)),
        }
    }
}

/// Now, as the server writes times (UTC, seconds).
pub fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// SHA-256, hex: how tokens and enrolment codes are stored.
pub fn sha256_hex(s: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(s.as_bytes()))
}
