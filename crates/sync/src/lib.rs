//! The desktop's sync client: enrol with the agency server, then push the change log and pull
//! what others changed, in batches, compressed.
//!
//! The local half (outbox, cursors, merging pulled records, conflicts, refusals) is
//! `mandate_store::sync`; this crate only moves batches over HTTPS and keeps the device token.
//! A sync is push-then-pull, and each batch is committed locally before the next is fetched, so
//! stopping at any point — network gone, laptop closed, process killed — loses nothing: the next
//! sync resumes from the cursors.
//!
//! The device token lives in the OS credential store, like the database key; headless use puts
//! it in `MANDATE_SYNC_TOKEN`. It is never logged, printed or written to a file.

use mandate_domain::replication::{
    ApiError, Change, EnrolRequest, EnrolResponse, Op, PullResponse, PushRequest, PushResponse, CURSOR_AHEAD, EPOCH_HEADER, SERVER_RESTORED,
};
pub use mandate_domain::replication::{BlobStatus, CHUNK_BYTES};
use mandate_store::sync::{Applied, Outgoing, ACCOUNT, ACCOUNT_OFFICE, ACCOUNT_ROLE, FIRST_PUSH_REVIEWED, LAST_SYNCED, SERVER};
use mandate_store::{credentials, Store, StoreError};
use serde::Serialize;
use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::time::Duration;
use zeroize::Zeroizing;

/// Headless override of the keychain for the device token.
pub const TOKEN_ENV: &str = "MANDATE_SYNC_TOKEN";
const KEYCHAIN_SERVICE: &str = "mandate-sync";
/// Changes per push: the server merges a push in one transaction, and bigger ones were slower.
pub const PUSH_BATCH: usize = 2000;
/// Records per pull (the server's maximum): each pulled batch is one transaction on the desktop,
/// which re-indexes the actions it touches, so fewer, larger batches make a first sync faster.
pub const PULL_BATCH: usize = mandate_domain::replication::MAX_BATCH;
/// Records in the first pull of a sync (see `sync_in_batches`).
const FIRST_PULL: usize = 1000;
/// Where a CA certificate to trust (a server with a private or self-signed certificate) is kept.
pub const CA_FILE: &str = "sync.ca_file";

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("this workspace is not connected to an agency server; connect with `mandate sync connect URL --code CODE`")]
    NotConnected,
    #[error("the agency server at {url} could not be reached: {detail}")]
    Unreachable { url: String, detail: String },
    /// An answer with an error status: the caller's fault (4xx) or the server's (5xx).
    #[error("{}", refused_text(*status, code, message))]
    Refused { status: u16, code: String, message: String },
    #[error("the agency server sent an answer that could not be read: {0}")]
    BadAnswer(String),
    #[error("the device token could not be kept in the OS credential store ({0}); on a machine without one, set {TOKEN_ENV}")]
    Keychain(String),
    #[error("{0}")]
    Setup(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A 5xx is not a refusal of what was sent: the server (or a proxy before it) failed, and the
/// sync is built so that such a failure keeps everything for the next try (a push is one
/// transaction, the pull cursor moves with what is applied). Users are told so.
fn refused_text(status: u16, code: &str, message: &str) -> String {
    if status >= 500 {
        format!(
            "the agency server failed ({status} {code}): {message}. Nothing is lost: your changes stay waiting and the next sync sends them"
        )
    } else {
        format!("the agency server refused the request ({status} {code}): {message}")
    }
}

impl SyncError {
    /// The server is not there (as opposed to refusing): background sync just tries later. A
    /// gateway's 502/503/504 counts: the load balancer in front of the agency's servers (see the
    /// README) answers so when none of them is reachable.
    pub fn is_offline(&self) -> bool {
        matches!(self, SyncError::Unreachable { .. } | SyncError::Refused { status: 502..=504, .. })
    }
}

pub type Result<T, E = SyncError> = std::result::Result<T, E>;

fn token_account(store: &Store) -> String {
    format!("device:{}", store.device_id())
}

fn load_token(store: &Store) -> Result<Zeroizing<String>> {
    if let Ok(t) = std::env::var(TOKEN_ENV) {
        return Ok(Zeroizing::new(t));
    }
    match credentials::load(KEYCHAIN_SERVICE, &token_account(store)) {
        Ok(Some(t)) => Ok(t),
        Ok(None) => Err(SyncError::NotConnected),
        Err(e) => Err(SyncError::Keychain(e.to_string())),
    }
}

/// An HTTP client for one server, with the device's token.
#[derive(Clone)]
pub struct Client {
    base: String,
    token: Zeroizing<String>,
    http: reqwest::Client,
    /// The server epoch this desktop last saw, sent on pushes and pulls ([`EPOCH_HEADER`]).
    epoch: Option<String>,
}

fn http_client(ca: Option<&Path>) -> Result<reqwest::Client> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut b = reqwest::Client::builder()
        .use_rustls_tls()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(300))
        .gzip(true)
        .user_agent(concat!("mandate/", env!("CARGO_PKG_VERSION")));
    if let Some(ca) = ca {
        let pem = std::fs::read(ca).map_err(|e| SyncError::Setup(format!("cannot read the CA certificate {}: {e}", ca.display())))?;
        let cert = reqwest::Certificate::from_pem(&pem)
            .map_err(|e| SyncError::Setup(format!("{} is not a PEM certificate: {e}", ca.display())))?;
        b = b.add_root_certificate(cert);
    }
    b.build().map_err(|e| SyncError::Setup(format!("cannot set up HTTPS: {e}")))
}

fn check_url(url: &str) -> Result<String> {
    let url = url.trim().trim_end_matches('/').to_string();
    let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"].iter().any(|p| url.starts_with(p));
    if !(url.starts_with("https://") || loopback) {
        return Err(SyncError::Setup(format!("`{url}` must start with https:// (plain http is only allowed to this machine)")));
    }
    Ok(url)
}

async fn answer<T: serde::de::DeserializeOwned>(url: &str, r: std::result::Result<reqwest::Response, reqwest::Error>) -> Result<T> {
    let r = r.map_err(|e| SyncError::Unreachable { url: url.to_string(), detail: e.without_url().to_string() })?;
    let status = r.status();
    let bytes = r.bytes().await.map_err(|e| SyncError::Unreachable { url: url.to_string(), detail: e.without_url().to_string() })?;
    if !status.is_success() {
        return Err(match serde_json::from_slice::<ApiError>(&bytes) {
            Ok(e) => SyncError::Refused { status: status.as_u16(), code: e.code, message: e.error },
            Err(_) => SyncError::Refused {
                status: status.as_u16(),
                code: "http".into(),
                message: String::from_utf8_lossy(&bytes).chars().take(300).collect(),
            },
        });
    }
    serde_json::from_slice(&bytes).map_err(|e| SyncError::BadAnswer(e.to_string()))
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 4), flate2::Compression::fast());
    enc.write_all(body).expect("writing to memory");
    enc.finish().expect("writing to memory")
}

impl Client {
    pub fn new(url: &str, token: &str, ca: Option<&Path>) -> Result<Client> {
        Ok(Client { base: check_url(url)?, token: Zeroizing::new(token.to_string()), http: http_client(ca)?, epoch: None })
    }

    /// The client for the server this workspace is connected to.
    pub async fn for_store(store: &Store) -> Result<Client> {
        let url = store.sync_setting(SERVER).await?.ok_or(SyncError::NotConnected)?;
        let ca = store.sync_setting(CA_FILE).await?;
        let token = load_token(store)?;
        Client::new(&url, &token, ca.as_deref().map(Path::new))
    }

    pub async fn push(&self, req: &PushRequest) -> Result<PushResponse> {
        self.push_changes(&req.device_id, &req.changes).await
    }

    /// [`Client::push`] without building a request that owns the changes (a first sync would
    /// copy every change it sends).
    pub async fn push_changes(&self, device_id: &str, changes: &[Change]) -> Result<PushResponse> {
        self.send_push(self.push_body(device_id, changes)).await
    }

    /// The compressed JSON of a [`PushRequest`], made from borrowed changes.
    pub fn push_body(&self, device_id: &str, changes: &[Change]) -> Vec<u8> {
        #[derive(Serialize)]
        struct Body<'a> {
            device_id: &'a str,
            changes: &'a [Change],
        }
        gzip(&serde_json::to_vec(&Body { device_id, changes }).expect("requests serialise"))
    }

    /// This client, sending `epoch` as the server epoch last seen (none: send none, as on a
    /// first sync). A server that has another one answers [`SERVER_RESTORED`].
    pub fn at_epoch(mut self, epoch: Option<String>) -> Client {
        self.epoch = epoch;
        self
    }

    fn with_epoch(&self, r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.epoch {
            Some(e) => r.header(EPOCH_HEADER, e.as_str()),
            None => r,
        }
    }

    /// Send a body made by [`Client::push_body`].
    pub async fn send_push(&self, body: Vec<u8>) -> Result<PushResponse> {
        let url = format!("{}/v1/push", self.base);
        let r = self
            .with_epoch(self.http.post(&url))
            .bearer_auth(self.token.as_str())
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .body(body)
            .send()
            .await;
        answer(&self.base, r).await
    }

    pub async fn pull(&self, since: i64, limit: usize) -> Result<PullResponse> {
        let url = format!("{}/v1/pull?since={since}&limit={limit}", self.base);
        answer(&self.base, self.with_epoch(self.http.get(&url)).bearer_auth(self.token.as_str()).send().await).await
    }

    pub async fn blob_status(&self, sha: &str) -> Result<BlobStatus> {
        let url = format!("{}/v1/blobs/{sha}", self.base);
        answer(&self.base, self.http.get(&url).bearer_auth(self.token.as_str()).send().await).await
    }

    pub async fn put_chunk(&self, sha: &str, idx: u32, size: u64, bytes: Vec<u8>) -> Result<BlobStatus> {
        let url = format!("{}/v1/blobs/{sha}/{idx}?size={size}", self.base);
        let r = self
            .http
            .put(&url)
            .bearer_auth(self.token.as_str())
            .header("content-type", "application/octet-stream")
            .body(bytes)
            .send()
            .await;
        answer(&self.base, r).await
    }

    pub async fn get_chunk(&self, sha: &str, idx: u32) -> Result<Vec<u8>> {
        let url = format!("{}/v1/blobs/{sha}/{idx}", self.base);
        let r = self.http.get(&url).bearer_auth(self.token.as_str()).send().await;
        let r = r.map_err(|e| SyncError::Unreachable { url: self.base.clone(), detail: e.without_url().to_string() })?;
        let status = r.status();
        let bytes = r.bytes().await.map_err(|e| SyncError::Unreachable { url: self.base.clone(), detail: e.without_url().to_string() })?;
        if !status.is_success() {
            let e: ApiError =
                serde_json::from_slice(&bytes).unwrap_or(ApiError { code: "http".into(), error: String::from_utf8_lossy(&bytes).into() });
            return Err(SyncError::Refused { status: status.as_u16(), code: e.code, message: e.error });
        }
        Ok(bytes.to_vec())
    }

    /// Send raw bytes as a push body (hostile-input tests).
    pub async fn push_raw(&self, body: Vec<u8>, gzipped: bool) -> Result<PushResponse> {
        let url = format!("{}/v1/push", self.base);
        let mut req = self.http.post(&url).bearer_auth(self.token.as_str()).header("content-type", "application/json");
        if gzipped {
            req = req.header("content-encoding", "gzip");
        }
        answer(&self.base, req.body(body).send().await).await
    }
}

/// Enrol this workspace's device with a server using a one-time code; keep the token in the OS
/// credential store and remember the server. `ca`: a certificate to trust for this server.
pub async fn connect(store: &Store, url: &str, code: &str, device_name: &str, ca: Option<&Path>) -> Result<EnrolResponse> {
    let resp = enrol(url, code, store.device_id(), device_name, ca).await?;
    if std::env::var_os(TOKEN_ENV).is_none() {
        credentials::save(KEYCHAIN_SERVICE, &token_account(store), &resp.token).map_err(|e| SyncError::Keychain(e.to_string()))?;
    }
    store.set_sync_setting(SERVER, Some(&check_url(url)?)).await?;
    store.set_sync_setting(ACCOUNT, Some(&resp.account.username)).await?;
    store.set_sync_setting(ACCOUNT_ROLE, Some(resp.account.role.as_str())).await?;
    store.set_sync_setting(ACCOUNT_OFFICE, resp.account.office_code.as_deref()).await?;
    store.set_sync_setting(FIRST_PUSH_REVIEWED, None).await?;
    let ca = match ca {
        Some(p) => Some(std::path::absolute(p).map_err(|e| SyncError::Setup(e.to_string()))?.to_string_lossy().into_owned()),
        None => None,
    };
    store.set_sync_setting(CA_FILE, ca.as_deref()).await?;
    Ok(resp)
}

/// The enrolment request alone (returns the token; `connect` keeps it).
pub async fn enrol(url: &str, code: &str, device_id: &str, device_name: &str, ca: Option<&Path>) -> Result<EnrolResponse> {
    let base = check_url(url)?;
    let http = http_client(ca)?;
    let req = EnrolRequest { code: code.to_string(), device_id: device_id.to_string(), device_name: device_name.to_string() };
    answer(&base, http.post(format!("{base}/v1/enrol")).json(&req).send().await).await
}

/// Forget the server: the token leaves the keychain, the cursors and settings go. Records stay.
pub async fn disconnect(store: &Store) -> Result<()> {
    let _ = credentials::delete(KEYCHAIN_SERVICE, &token_account(store));
    store.set_sync_setting(CA_FILE, None).await?;
    store.forget_server().await?;
    Ok(())
}

/// Where a sync is, for progress bars.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Progress {
    /// `push` or `pull`.
    pub phase: &'static str,
    pub done: u64,
    /// Best estimate of the total (for a pull, the server's count of what is left).
    pub total: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SyncReport {
    pub pushed: usize,
    pub duplicate: usize,
    pub refused: Vec<mandate_domain::replication::Refusal>,
    pub conflicts: u64,
    pub pulled: usize,
    pub applied: Applied,
    /// Attachments sent and received.
    pub uploaded: usize,
    pub downloaded: usize,
    /// The server had been restored from a backup since the last sync: this sync sent the
    /// whole change log and read everything again.
    pub server_restored: bool,
}

/// An attachment the server will not take or give (its document was refused, or is not
/// visible): skipped, not a failed sync.
fn skippable(e: &SyncError) -> bool {
    matches!(e, SyncError::Refused { status: 403 | 404 | 409, .. })
}

/// Send document contents the server lacks, chunk by chunk, resuming after the chunks it has.
async fn upload_blobs(store: &Store, client: &Client, progress: &(dyn Fn(Progress) + Send + Sync)) -> Result<usize> {
    let todo = store.blobs_to_upload().await?;
    let total: u64 = todo.iter().map(|(_, n)| *n).sum();
    let (mut done, mut sent) = (0u64, 0usize);
    for (sha, size) in todo {
        let st = match client.blob_status(&sha).await {
            Ok(st) => st,
            Err(e) if skippable(&e) => continue,
            Err(e) => return Err(e),
        };
        if !st.complete {
            let Some(bytes) = store.blob_bytes(&sha).await? else { continue };
            let chunks = bytes.len().div_ceil(CHUNK_BYTES);
            for idx in 0..chunks {
                if st.have.contains(&(idx as u32)) {
                    continue;
                }
                let part = bytes[idx * CHUNK_BYTES..((idx + 1) * CHUNK_BYTES).min(bytes.len())].to_vec();
                match client.put_chunk(&sha, idx as u32, size, part).await {
                    Ok(_) => {}
                    Err(e) if skippable(&e) => break,
                    Err(e) => return Err(e),
                }
                done += CHUNK_BYTES.min(bytes.len() - idx * CHUNK_BYTES) as u64;
                progress(Progress { phase: "upload", done, total });
            }
            sent += 1;
        }
        if client.blob_status(&sha).await.is_ok_and(|s| s.complete) {
            store.mark_blob_synced(&sha).await?;
        }
    }
    Ok(sent)
}

/// Fetch the contents of documents this workspace lacks (those still uploading wait for the next sync).
async fn download_blobs(store: &Store, client: &Client, progress: &(dyn Fn(Progress) + Send + Sync)) -> Result<usize> {
    let mut got = 0;
    for sha in store.blobs_to_download().await? {
        let st = match client.blob_status(&sha).await {
            Ok(st) if st.complete => st,
            Ok(_) => continue,
            Err(e) if skippable(&e) => continue,
            Err(e) => return Err(e),
        };
        let mut bytes = Vec::with_capacity(st.size as usize);
        for idx in 0..st.chunks {
            bytes.extend(client.get_chunk(&sha, idx).await?);
            progress(Progress { phase: "download", done: bytes.len() as u64, total: st.size });
        }
        store.store_downloaded_blob(&sha, &bytes).await?;
        got += 1;
    }
    Ok(got)
}

/// Pushes a desktop keeps in flight: the server checks one while it merges another.
const IN_FLIGHT: usize = 2;

/// A push sent and not yet answered.
struct InFlight {
    out: Outgoing,
    /// The records it changes.
    ids: HashSet<String>,
    task: Request<PushResponse>,
}

/// A request running beside the sync (a push in flight, the next pull), stopped if the sync
/// ends first: when recording an answer or applying a batch fails, the sync returns its error
/// and nothing keeps talking to the server on its behalf. (Stopping one loses nothing: a push
/// the server took is recognised when sent again, and a pull only reads.)
struct Request<T>(tokio::task::JoinHandle<Result<T>>);

impl<T: Send + 'static> Request<T> {
    fn spawn(f: impl std::future::Future<Output = Result<T>> + Send + 'static) -> Request<T> {
        Request(tokio::spawn(f))
    }

    async fn answer(mut self, what: &str) -> Result<T> {
        (&mut self.0).await.map_err(|e| SyncError::Setup(format!("the {what} stopped: {e}")))?
    }
}

impl<T> Drop for Request<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What the batch read ahead may assume about the pushes unanswered when it was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ahead {
    /// Nothing: it touches none of their records, so it can go beside them.
    Free,
    /// That the one push before it (the only one unanswered) is taken whole.
    AfterPrevious,
    /// Too much: read it again once they are answered.
    Reread,
}

fn touched(changes: &[Change]) -> HashSet<String> {
    changes.iter().map(|c| c.entity_id.clone()).collect()
}

/// `changes` only create records, none of them in `ids`, and none refers to a record in `ids`
/// (as its action or in any other field): the server may merge them before or after the batch
/// that holds `ids` with the same result. (An edit or a delete names its record's action only
/// when that field changes, so those always wait their turn.)
fn independent(changes: &[Change], ids: &HashSet<String>) -> bool {
    changes.iter().all(|c| {
        c.op == Op::Create && !ids.contains(&c.entity_id) && !c.fields.values().any(|v| v.as_str().is_some_and(|s| ids.contains(s)))
    })
}

/// Push everything waiting, then pull everything new.
pub async fn sync(store: &Store, client: &Client, progress: &(dyn Fn(Progress) + Send + Sync)) -> Result<SyncReport> {
    sync_in_batches(store, client, PUSH_BATCH, PULL_BATCH, progress).await
}

/// [`sync`] with other batch sizes: tests use tiny ones so that a few records cross several
/// pipelined batches.
pub async fn sync_in_batches(
    store: &Store,
    client: &Client,
    push_batch: usize,
    pull_batch: usize,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<SyncReport> {
    match sync_once(store, client, push_batch, pull_batch, progress).await {
        Err(SyncError::Refused { status: 409, code, .. }) if code == SERVER_RESTORED => {
            // The server went back in time: what it had from this desktop after its backup is
            // gone, and the cursors point past its counter. Start over; the server drops what
            // it still has by change id, and applying what this desktop has is a no-op.
            store.restart_sync().await?;
            let mut report = sync_once(store, client, push_batch, pull_batch, progress).await?;
            report.server_restored = true;
            Ok(report)
        }
        Err(SyncError::Refused { status: 409, code, .. }) if code == CURSOR_AHEAD => {
            // This desktop's cursor is one the server never gave (its workspace was copied from
            // another server's, or the server went back in time and has not noticed yet): read
            // everything again and re-send its own changes; nothing changes for anyone else.
            store.restart_sync().await?;
            sync_once(store, client, push_batch, pull_batch, progress).await
        }
        other => other,
    }
}

async fn sync_once(
    store: &Store,
    client: &Client,
    push_batch: usize,
    pull_batch: usize,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<SyncReport> {
    let _burst = mandate_alloc::Burst::begin();
    let epoch = store.sync_setting(mandate_store::sync::SERVER_EPOCH).await?;
    let client = &client.clone().at_epoch(epoch.clone());
    let mut report = SyncReport::default();
    let waiting = store.sync_status().await?.waiting.max(0) as u64;
    let mut done = 0u64;
    // Pipelined, up to `IN_FLIGHT` pushes at a time: while the server merges one batch, the
    // next is read, sent and checked, and answers are recorded as they come. A batch read while
    // others were unanswered is sent beside them only when it does not touch or refer to their
    // records (`Ahead`): then neither its bases nor the server's order of merging depend on how
    // they are answered. Otherwise it waits for them; after any refusal everything read ahead is
    // thrown away and read again once the refusals are recorded.
    let mut inflight: std::collections::VecDeque<InFlight> = Default::default();
    let mut out = store.outgoing(push_batch).await?;
    let mut ahead = Ahead::Free;
    let mut reread = false;
    loop {
        let can_send = !out.changes.is_empty()
            && !reread
            && inflight.len() < IN_FLIGHT
            && (ahead == Ahead::Free || (ahead == Ahead::AfterPrevious && inflight.is_empty()));
        if can_send {
            let body = client.push_body(store.device_id(), &out.changes);
            let c = client.clone();
            let task = Request::spawn(async move { c.send_push(body).await });
            let ids = touched(&out.changes);
            let next = store.outgoing_after(&out, push_batch).await?;
            ahead = if independent(&next.changes, &ids) && inflight.iter().all(|f| independent(&next.changes, &f.ids)) {
                Ahead::Free
            } else if inflight.is_empty() {
                Ahead::AfterPrevious
            } else {
                Ahead::Reread
            };
            inflight.push_back(InFlight { ids, task, out: std::mem::replace(&mut out, next) });
            continue;
        }
        let Some(f) = inflight.pop_front() else {
            if reread || ahead == Ahead::Reread {
                out = store.outgoing(push_batch).await?;
                (reread, ahead) = (false, Ahead::Free);
                continue;
            }
            if out.changes.is_empty()
                && out.last_seq > store.sync_setting(mandate_store::sync::PUSH_CURSOR).await?.and_then(|v| v.parse().ok()).unwrap_or(0)
            {
                // Only personal records (saved views…) were waiting: move past them.
                store.acknowledge_push(&out, &PushResponse::default()).await?;
                out = store.outgoing(push_batch).await?;
                continue;
            }
            break;
        };
        let resp = f.task.answer("push").await?;
        store.acknowledge_push(&f.out, &resp).await?;
        if !(resp.refused.is_empty() && resp.restore.is_empty()) {
            reread = true;
        }
        report.pushed += resp.accepted.len();
        report.duplicate += resp.duplicate.len();
        report.conflicts += resp.conflicts;
        report.refused.extend(resp.refused);
        done += f.out.changes.len() as u64;
        progress(Progress { phase: "push", done, total: waiting.max(done) });
    }
    // Pipelined too: the next batch is fetched while this one is applied. The first batch is
    // small, so that applying starts while the first full one is on its way.
    let mut r = client.pull(store.pull_cursor().await?, pull_batch.min(FIRST_PULL)).await?;
    loop {
        let (a, next) = if r.more {
            // Spawned, so that decoding the next batch runs beside this one's application.
            let c = client.clone();
            let cursor = r.cursor;
            let next = Request::spawn(async move { c.pull(cursor, pull_batch).await });
            let a = store.apply_pulled(&r.records, r.cursor).await?;
            (a, Some(next.answer("pull").await?))
        } else {
            (store.apply_pulled(&r.records, r.cursor).await?, None)
        };
        report.pulled += r.records.len();
        report.applied.created += a.created;
        report.applied.updated += a.updated;
        report.applied.deleted += a.deleted;
        report.applied.unchanged += a.unchanged;
        report.applied.parked = a.parked;
        let left = if r.more { (r.remaining.max(0) as u64).max(1) } else { 0 };
        progress(Progress { phase: "pull", done: report.pulled as u64, total: report.pulled as u64 + left });
        match next {
            Some(n) => r = n,
            None => break,
        }
    }
    if !r.epoch.is_empty() && epoch.as_deref() != Some(r.epoch.as_str()) {
        store.set_sync_setting(mandate_store::sync::SERVER_EPOCH, Some(&r.epoch)).await?;
    }
    report.uploaded = upload_blobs(store, client, progress).await?;
    report.downloaded = download_blobs(store, client, progress).await?;
    store.set_sync_setting(LAST_SYNCED, Some(&chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true))).await?;
    // A workspace that has synced once needs no review before its pushes.
    store.set_sync_setting(FIRST_PUSH_REVIEWED, Some("1")).await?;
    Ok(report)
}

/// What the server will refuse of a workspace's first push, predicted before anything is sent
/// (see [`first_push_review`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FirstPushReview {
    /// The account's role on the server.
    pub role: String,
    pub office: Option<String>,
    /// Changes waiting to be sent.
    pub waiting: usize,
    /// Those the server would refuse, each with the reason it would give.
    pub refused: Vec<mandate_domain::replication::Refusal>,
}

/// Before a workspace used offline pushes for the first time: the changes the server would
/// refuse the enrolled account (its role and office, from enrolment), by the server's own rule
/// ([`mandate_domain::replication::predict_refusals`]). `None` when there is nothing to review:
/// not connected, already synced or reviewed, or nothing would be refused (the review is then
/// marked done). A refused change is undone on this desktop, so the user should see these and
/// choose: go on ([`go_on`]) or stop (disconnect, and keep working as before).
pub async fn first_push_review(store: &Store) -> Result<Option<FirstPushReview>> {
    if store.sync_setting(SERVER).await?.is_none() || store.sync_setting(FIRST_PUSH_REVIEWED).await?.is_some() {
        return Ok(None);
    }
    let Some(role) = store.sync_setting(ACCOUNT_ROLE).await? else { return Ok(None) };
    let Ok(server_role) = role.parse::<mandate_domain::replication::ServerRole>() else { return Ok(None) };
    let office = store.sync_setting(ACCOUNT_OFFICE).await?;
    let caller = mandate_domain::replication::Caller {
        role: server_role,
        office_id: office.as_ref().map(|c| mandate_domain::Id::derived(&format!("office:{c}")).to_string()),
    };
    let changes = store.all_outgoing().await?;
    let refused = mandate_domain::replication::predict_refusals(&caller, &changes, &Default::default());
    if refused.is_empty() {
        go_on(store).await?;
        return Ok(None);
    }
    Ok(Some(FirstPushReview { role, office, waiting: changes.len(), refused }))
}

/// The user has seen the [`first_push_review`] and wants to send anyway.
pub async fn go_on(store: &Store) -> Result<()> {
    Ok(store.set_sync_setting(FIRST_PUSH_REVIEWED, Some("1")).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn offline_is_no_server_reachable_not_a_failing_one() {
        let answer = |status| SyncError::Refused { status, code: "x".into(), message: "y".into() };
        assert!(SyncError::Unreachable { url: "https://s".into(), detail: "refused".into() }.is_offline());
        assert!(answer(502).is_offline() && answer(503).is_offline() && answer(504).is_offline());
        assert!(!answer(500).is_offline() && !answer(401).is_offline());
        assert!(answer(500).to_string().starts_with("the agency server failed"));
        assert!(answer(403).to_string().starts_with("the agency server refused the request"));
    }

    /// A request the sync no longer waits for (it failed first) is stopped, not left running.
    #[tokio::test]
    async fn a_request_left_behind_is_stopped() {
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = done.clone();
        let request = Request::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        });
        drop(request);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!done.load(std::sync::atomic::Ordering::SeqCst), "the request ran on after the sync let go of it");
        // One that is waited for runs to its answer.
        let answered = Request::spawn(async { Ok(42) }).answer("pull").await.unwrap();
        assert_eq!(answered, 42);
    }

    fn change(op: Op, id: &str, fields: serde_json::Value) -> Change {
        Change {
            change_id: format!("c-{id}"),
            entity: "assignments".into(),
            entity_id: id.into(),
            op,
            fields: fields.as_object().cloned().unwrap_or_default(),
            hlc: String::new(),
            base: Default::default(),
        }
    }

    #[test]
    fn only_creates_that_neither_touch_nor_name_a_record_in_flight_go_beside_it() {
        let in_flight: HashSet<String> = ["act-1".to_string(), "asg-1".to_string()].into();
        let free = [change(Op::Create, "asg-2", json!({"action_id": "act-2", "office_id": "off-1"}))];
        assert!(independent(&free, &in_flight));
        let child = [change(Op::Create, "asg-3", json!({"action_id": "act-1"}))];
        assert!(!independent(&child, &in_flight), "a child of an action in flight waits for it");
        let same = [change(Op::Create, "asg-1", json!({}))];
        assert!(!independent(&same, &in_flight), "the same record waits");
        let edit = [change(Op::Update, "asg-9", json!({"status": "done"}))];
        assert!(!independent(&edit, &in_flight), "edits wait: they need not name their action");
        let delete = [change(Op::Delete, "asg-9", json!({}))];
        assert!(!independent(&delete, &in_flight));
        let mixed = [free[0].clone(), child[0].clone()];
        assert!(!independent(&mixed, &in_flight), "one dependent change holds the batch");
    }
}
