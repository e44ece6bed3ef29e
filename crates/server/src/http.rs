//! The HTTP API (`/v1/...`), health and metrics. Handlers only unpack requests and call
//! [`crate::accounts`] and [`crate::replicate`].
//!
//! Requests may be gzip-compressed (`Content-Encoding: gzip`); answers are compressed when the
//! client accepts it. Bodies are limited to `MAX_BODY_BYTES` after decompression, so a small
//! compressed bomb cannot exhaust memory. Every error answer is JSON `{code, error}`.

use crate::accounts::{self, Identity};
use crate::{blobs, replicate, Failure, Metrics, Server};
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use mandate_domain::replication::{
    Account, ApiError, BlobStatus, EnrolRequest, EnrolResponse, PullResponse, PushRequest, PushResponse, EPOCH_HEADER, MAX_BATCH,
    MAX_BODY_BYTES, SERVER_RESTORED,
};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(ApiError { code: self.code.to_string(), error: self.message })).into_response()
    }
}

type Shared = Arc<Server>;

/// Every described route, registered through `routes!` so that each carries its description
/// ([`crate::openapi`]).
pub fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::with_openapi(crate::openapi::Api::openapi())
        .routes(routes!(health))
        .routes(routes!(metrics))
        .routes(routes!(openapi_json))
        .routes(routes!(enrol))
        .routes(routes!(me))
        .routes(routes!(push))
        .routes(routes!(pull))
        .routes(routes!(blob_status))
        .routes(routes!(blob_get, blob_put))
}

pub fn router(server: Shared) -> Router {
    let (routes, _) = routes().split_for_parts();
    routes
        .fallback(|| async { Failure::new(404, "not_found", "no such endpoint; the API is described at /v1/openapi.json") })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestDecompressionLayer::new())
        // Fastest gzip: pulls of thousands of records are CPU-bound on both ends, and the fast
        // level already shrinks record JSON several times over.
        .layer(CompressionLayer::new().quality(tower_http::CompressionLevel::Fastest))
        .layer(axum::middleware::map_response_with_state(server.clone(), count_server_errors))
        .with_state(server)
}

/// Counts answers that are the server's failure, not the caller's (`/metrics`).
async fn count_server_errors(State(s): State<Shared>, r: Response) -> Response {
    if r.status().is_server_error() {
        Metrics::add(&s.metrics.server_errors, 1);
    }
    r
}

/// Liveness and database reachability.
#[utoipa::path(get, path = "/health", responses(
    (status = 200, description = "serving, and the database answers", body = Health),
    (status = 503, description = "the database is not reachable", body = ApiError),
))]
async fn health(State(s): State<Shared>) -> Response {
    match sqlx::query("SELECT 1").execute(&s.db.pool).await {
        Ok(_) => Json(Health { status: "ok".into(), database: s.db.kind.as_str().into() }).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            Failure::new(503, "unavailable", "the database is not reachable").into_response()
        }
    }
}

#[derive(Serialize, ToSchema)]
struct Health {
    /// Always `ok` in a 200 answer.
    status: String,
    /// `sqlite` or `postgres`.
    database: String,
}

/// Prometheus counters (text exposition format).
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")))]
async fn metrics(State(s): State<Shared>) -> String {
    s.metrics.render()
}

/// This description.
#[utoipa::path(get, path = "/v1/openapi.json", responses((status = 200, description = "the OpenAPI description", body = Object)))]
async fn openapi_json() -> Json<serde_json::Value> {
    Json(crate::openapi::document())
}

/// The server epoch the desktop last saw ([`EPOCH_HEADER`]), if it sent one.
fn epoch(headers: &HeaderMap) -> Option<&str> {
    headers.get(EPOCH_HEADER)?.to_str().ok().map(str::trim).filter(|e| !e.is_empty())
}

/// The token of an `Authorization: Bearer …` header; the scheme's case does not matter (HTTP
/// auth schemes are case-insensitive, RFC 9110 §11.1).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let (scheme, token) = headers.get("authorization")?.to_str().ok()?.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The caller, from its bearer token. Failures are limited, not successes: an address that keeps
/// sending bad tokens gets 429 for them for a minute, while a valid token from the same address
/// (a colleague behind the agency's NAT) is still served, and a request with no token at all is
/// answered 401 (it guesses nothing), as is one that cannot be a token at all.
async fn identify(s: &Server, headers: &HeaderMap, addr: SocketAddr) -> Result<Identity, Failure> {
    let blocked = s.auth_limit.blocked(addr.ip(), "auth");
    let fail = |f: Failure| {
        if blocked {
            Metrics::add(&s.metrics.rate_limited, 1);
            return Failure::new(429, "rate_limited", "too many requests with a bad token from this address; wait a minute");
        }
        if f.status == 401 {
            Metrics::add(&s.metrics.auth_failures, 1);
            s.auth_limit.attempt(addr.ip(), "auth");
        }
        f
    };
    // A request with no token, or with one that cannot be a device token, guesses nothing: it
    // is told what is wrong (without a database lookup) and never limited.
    let Some(token) = bearer(headers) else {
        return Err(Failure::new(401, "unauthorized", "this request needs a device token (Authorization: Bearer ...)"));
    };
    if !accounts::is_token_shaped(token) {
        return Err(Failure::new(401, "unauthorized", "that is not a device token (mdt_ and 64 hexadecimal digits); enrol this device"));
    }
    accounts::authenticate(&s.db, token).await.map_err(fail)
}

fn parse<T: serde::de::DeserializeOwned>(s: &Server, body: Result<Bytes, axum::extract::rejection::BytesRejection>) -> Result<T, Failure> {
    let body = body.map_err(|e| {
        Metrics::add(&s.metrics.bad_requests, 1);
        let status = e.status().as_u16();
        if status == 413 {
            Failure::new(
                413,
                "too_large",
                format!("the request body is larger than {} MB (after decompression)", MAX_BODY_BYTES / (1024 * 1024)),
            )
        } else {
            Failure::new(400, "bad_request", format!("the request body could not be read: {e}"))
        }
    })?;
    serde_json::from_slice(&body).map_err(|e| {
        Metrics::add(&s.metrics.bad_requests, 1);
        Failure::new(400, "bad_batch", format!("the request body is not valid: {e}"))
    })
}

/// A path's parameters, or a JSON 400 saying which could not be read.
fn path<T>(p: Result<Path<T>, PathRejection>) -> Result<T, Failure> {
    p.map(|Path(t)| t).map_err(|e| Failure::new(400, "bad_request", format!("bad path: {}", e.body_text())))
}

/// Trade a one-time enrolment code for a device token (shown once).
#[utoipa::path(post, path = "/v1/enrol", request_body = EnrolRequest, responses(
    (status = 200, description = "the device's token and account", body = EnrolResponse),
    (status = 400, description = "a malformed body or device id", body = ApiError),
    (status = 401, description = "unknown, used or expired enrolment code", body = ApiError),
    (status = 409, description = "the device id is enrolled to another user", body = ApiError),
    (status = 413, description = "the body is too large", body = ApiError),
    (status = 429, description = "too many failed attempts from this address; wait a minute", body = ApiError),
))]
async fn enrol(
    State(s): State<Shared>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, Failure> {
    // Failed attempts count; once an address has made too many, it waits out the window.
    if s.enrol_limit.blocked(addr.ip(), "enrol") {
        Metrics::add(&s.metrics.rate_limited, 1);
        return Err(Failure::new(429, "rate_limited", "too many enrolment attempts from this address; wait a minute"));
    }
    let req: EnrolRequest = parse(&s, body)?;
    match accounts::enrol(&s.db, &req.code, &req.device_id, &req.device_name).await {
        Ok(r) => Ok(Json(r).into_response()),
        Err(f) => {
            if f.status == 401 {
                Metrics::add(&s.metrics.auth_failures, 1);
                s.enrol_limit.attempt(addr.ip(), "enrol");
            }
            Err(f)
        }
    }
}

#[derive(Serialize, ToSchema)]
struct Me {
    account: Account,
    device_id: String,
}

/// The account and device of this token.
#[utoipa::path(get, path = "/v1/me", security(("device" = [])), responses(
    (status = 200, description = "the token's account and device", body = Me),
    (status = 401, description = "no, unknown, expired or revoked token", body = ApiError),
    (status = 429, description = "too many requests with a bad token from this address", body = ApiError),
))]
async fn me(State(s): State<Shared>, ConnectInfo(addr): ConnectInfo<SocketAddr>, headers: HeaderMap) -> Result<Response, Failure> {
    let who = identify(&s, &headers, addr).await?;
    let account = accounts::account_of(&s.db, &who.username).await?;
    Ok(Json(Me { account, device_id: who.device_id }).into_response())
}

/// Push a batch of changes (idempotent by change id).
#[utoipa::path(post, path = "/v1/push", security(("device" = [])), params(Epoch), request_body = PushRequest, responses(
    (status = 200, description = "each change accepted, recognised as a duplicate, or refused with its reason", body = PushResponse),
    (status = 400, description = "a malformed batch or change (says which and why)", body = ApiError),
    (status = 401, description = "no, unknown, expired or revoked token", body = ApiError),
    (status = 403, description = "the batch or a change claims another device", body = ApiError),
    (status = 409, description = "server_restored: the server was restored from a backup since the epoch sent; send and read everything again without the header", body = ApiError),
    (status = 413, description = "too many changes or too large a body", body = ApiError),
    (status = 429, description = "too many requests with a bad token from this address", body = ApiError),
))]
async fn push(
    State(s): State<Shared>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, Failure> {
    let who = identify(&s, &headers, addr).await?;
    let _burst = mandate_alloc::Burst::begin();
    let req: PushRequest = parse(&s, body)?;
    let r = replicate::push(&s.db, &who, req, epoch(&headers), &s.metrics).await;
    if let Err(f) = &r {
        if f.status < 500 && f.code != SERVER_RESTORED {
            Metrics::add(&s.metrics.bad_requests, 1);
            tracing::warn!(user = %who.username, device = %who.device_id, code = f.code, error = %f.message, "push refused");
        }
    }
    Ok(Json(r?).into_response())
}

/// The [`EPOCH_HEADER`] parameter of pushes and pulls.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // read by `epoch`; here to describe it
struct Epoch {
    /// The server epoch from the last answer this desktop had; absent on a first sync.
    #[param(rename = "x-mandate-epoch")]
    epoch: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PullQuery {
    /// The cursor of the last answer (0 or absent: from the start). A cursor past the server's
    /// counter is refused (409 `cursor_ahead`).
    #[serde(default)]
    #[param(minimum = 0)]
    since: i64,
    /// At most this many records (default 2000).
    #[serde(default)]
    #[param(minimum = 1, maximum = 10000)]
    limit: Option<usize>,
}

/// Records changed since a cursor that this user may see, oldest first.
#[utoipa::path(get, path = "/v1/pull", security(("device" = [])), params(PullQuery, Epoch), responses(
    (status = 200, description = "records, the next cursor, whether more wait, and the server's epoch to send back", body = PullResponse),
    (status = 400, description = "bad parameters", body = ApiError),
    (status = 401, description = "no, unknown, expired or revoked token", body = ApiError),
    (status = 409, description = "server_restored: the server was restored from a backup since the epoch sent (send and read everything again); \
        cursor_ahead: the cursor is past the server's counter, one it never gave (read everything again from 0)", body = ApiError),
    (status = 429, description = "too many requests with a bad token from this address", body = ApiError),
))]
async fn pull(
    State(s): State<Shared>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    q: Result<Query<PullQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Failure> {
    let who = identify(&s, &headers, addr).await?;
    let Query(q) = q.map_err(|e| Failure::new(400, "bad_request", format!("bad pull parameters: {e}")))?;
    let limit = q.limit.unwrap_or(2000);
    if !(1..=MAX_BATCH).contains(&limit) {
        return Err(Failure::new(400, "bad_request", format!("limit must be 1 to {MAX_BATCH}, not {limit}")));
    }
    let _burst = mandate_alloc::Burst::begin();
    let r = replicate::pull(&s.db, &who, q.since, limit, epoch(&headers), &s.metrics).await?;
    Ok(Json(r).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // taken as a tuple by the handlers; here to describe it
struct Sha {
    /// The attachment's SHA-256, 64 lowercase hexadecimal characters.
    #[param(pattern = r"^[0-9a-f]{64}$")]
    sha: String,
}

/// Which chunks of an attachment the server holds.
#[utoipa::path(get, path = "/v1/blobs/{sha}", security(("device" = [])), params(Sha), responses(
    (status = 200, description = "the attachment's size and the chunks held", body = BlobStatus),
    (status = 400, description = "not a content hash", body = ApiError),
    (status = 401, description = "no, unknown, expired or revoked token", body = ApiError),
    (status = 404, description = "no attachment this user may see has this hash", body = ApiError),
    (status = 429, description = "too many requests with a bad token from this address", body = ApiError),
))]
async fn blob_status(
    State(s): State<Shared>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    sha: Result<Path<String>, PathRejection>,
) -> Result<Response, Failure> {
    let who = identify(&s, &headers, addr).await?;
    let sha = path(sha)?;
    Ok(Json(blobs::status(&s.db, &who, &sha).await?).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ChunkQuery {
    /// The attachment's whole size in bytes.
    #[param(minimum = 1)]
    size: u64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // taken as a tuple by the handlers; here to describe it
struct Chunk {
    /// The attachment's SHA-256, 64 lowercase hexadecimal characters.
    #[param(pattern = r"^[0-9a-f]{64}$")]
    sha: String,
    /// The chunk's number, from 0 (chunks are 1 MiB; the last may be shorter).
    idx: u32,
}

/// Upload one chunk of an attachment whose document record was pushed first.
#[utoipa::path(put, path = "/v1/blobs/{sha}/{idx}", security(("device" = [])), params(Chunk, ChunkQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"), responses(
    (status = 200, description = "the chunks now held", body = BlobStatus),
    (status = 400, description = "not a content hash, or a chunk of the wrong number or length", body = ApiError),
    (status = 401, description = "no, unknown, expired or revoked token", body = ApiError),
    (status = 403, description = "no document this user may change names this content", body = ApiError),
    (status = 413, description = "too large an attachment or chunk", body = ApiError),
    (status = 422, description = "the whole does not hash to the name; it was discarded", body = ApiError),
    (status = 429, description = "too many requests with a bad token from this address", body = ApiError),
))]
async fn blob_put(
    State(s): State<Shared>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    chunk: Result<Path<(String, u32)>, PathRejection>,
    q: Result<Query<ChunkQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, Failure> {
    let who = identify(&s, &headers, addr).await?;
    let (sha, idx) = path(chunk)?;
    let Query(q) = q.map_err(|e| Failure::new(400, "bad_request", format!("give the attachment's total size (?size=N): {e}")))?;
    let body = body.map_err(|e| Failure::new(e.status().as_u16(), "bad_request", format!("the chunk could not be read: {e}")))?;
    Ok(Json(blobs::put_chunk(&s.db, &who, &sha, idx, q.size, &body, &s.metrics).await?).into_response())
}

/// Download one chunk of a complete attachment.
#[utoipa::path(get, path = "/v1/blobs/{sha}/{idx}", security(("device" = [])), params(Chunk), responses(
    (status = 200, description = "the chunk's bytes", body = Vec<u8>, content_type = "application/octet-stream"),
    (status = 400, description = "not a content hash", body = ApiError),
    (status = 401, description = "no, unknown, expired or revoked token", body = ApiError),
    (status = 404, description = "no such attachment this user may see, or no such chunk", body = ApiError),
    (status = 409, description = "the attachment is still being uploaded", body = ApiError),
    (status = 429, description = "too many requests with a bad token from this address", body = ApiError),
))]
async fn blob_get(
    State(s): State<Shared>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    chunk: Result<Path<(String, u32)>, PathRejection>,
) -> Result<Response, Failure> {
    let who = identify(&s, &headers, addr).await?;
    let (sha, idx) = path(chunk)?;
    let bytes = blobs::get_chunk(&s.db, &who, &sha, idx).await?;
    Ok(([("content-type", "application/octet-stream")], bytes).into_response())
}

/// Serve on `listen` until the process stops. Plain HTTP (`tls` = `None`) only on loopback.
pub async fn serve(server: Shared, listen: SocketAddr, tls: Option<axum_server::tls_rustls::RustlsConfig>) -> anyhow::Result<()> {
    let app = router(server).into_make_service_with_connect_info::<SocketAddr>();
    match tls {
        Some(cfg) => {
            tracing::info!(%listen, "serving over TLS");
            axum_server::bind_rustls(listen, cfg).serve(app).await?;
        }
        None => {
            anyhow::ensure!(
                listen.ip().is_loopback(),
                "refusing plain HTTP on {listen}: give --tls-cert and --tls-key (or --dev-tls), or listen on a loopback address"
            );
            let listener = tokio::net::TcpListener::bind(listen).await?;
            tracing::info!(listen = %listener.local_addr()?, "serving plain HTTP on loopback");
            axum::serve(listener, app).await?;
        }
    }
    Ok(())
}

/// Start a server on a free loopback port in this process (tests and benchmarks).
pub async fn spawn(server: Shared) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = router(server).into_make_service_with_connect_info::<SocketAddr>();
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((addr, handle))
}
