//! The HTTP API (`/v1/...`), health and metrics. Handlers only unpack requests and call
//! [`crate::accounts`] and [`crate::replicate`].
//!
//! Requests may be gzip-compressed (`Content-Encoding: gzip`); answers are compressed when the
//! client accepts it. Bodies are limited to `MAX_BODY_BYTES` after decompression, so a small
//! compressed bomb cannot exhaust memory. Every error answer is JSON `{code, error}`.

use crate::accounts::{self, Identity};
use crate::{blobs, replicate, Failure, Metrics, Server};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use mandate_domain::replication::{ApiError, EnrolRequest, PushRequest, EPOCH_HEADER, MAX_BATCH, MAX_BODY_BYTES, SERVER_RESTORED};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(ApiError { code: self.code.to_string(), error: self.message })).into_response()
    }
}

type Shared = Arc<Server>;

pub fn router(server: Shared) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/v1/openapi.json", get(|| async { Json(crate::openapi::document()) }))
        .route("/v1/enrol", post(enrol))
        .route("/v1/me", get(me))
        .route("/v1/push", post(push))
        .route("/v1/pull", get(pull))
        .route("/v1/blobs/{sha}", get(blob_status))
        .route("/v1/blobs/{sha}/{idx}", get(blob_get).put(blob_put))
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

async fn health(State(s): State<Shared>) -> Response {
    match sqlx::query("SELECT 1").execute(&s.db.pool).await {
        Ok(_) => Json(serde_json::json!({"status": "ok", "database": s.db.kind.as_str()})).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            Failure::new(503, "unavailable", "the database is not reachable").into_response()
        }
    }
}

async fn metrics(State(s): State<Shared>) -> String {
    s.metrics.render()
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
/// (a colleague behind the agency's NAT) is still served.
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
    let Some(token) = bearer(headers) else {
        return Err(fail(Failure::new(401, "unauthorized", "this request needs a device token (Authorization: Bearer ...)")));
    };
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

async fn me(State(s): State<Shared>, ConnectInfo(addr): ConnectInfo<SocketAddr>, headers: HeaderMap) -> Result<Response, Failure> {
    let who = identify(&s, &headers, addr).await?;
    let account = accounts::account_of(&s.db, &who.username).await?;
    Ok(Json(serde_json::json!({"account": account, "device_id": who.device_id})).into_response())
}

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

#[derive(Deserialize)]
struct PullQuery {
    #[serde(default)]
    since: i64,
    #[serde(default)]
    limit: Option<usize>,
}

async fn pull(
    State(s): State<Shared>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    q: Result<Query<PullQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Failure> {
    let who = identify(&s, &headers, addr).await?;
    let Query(q) = q.map_err(|e| Failure::new(400, "bad_request", format!("bad pull parameters: {e}")))?;
    let _burst = mandate_alloc::Burst::begin();
    let r = replicate::pull(&s.db, &who, q.since, q.limit.unwrap_or(2000).min(MAX_BATCH), epoch(&headers), &s.metrics).await?;
    Ok(Json(r).into_response())
}

async fn blob_status(
    State(s): State<Shared>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(sha): Path<String>,
) -> Result<Response, Failure> {
    let who = identify(&s, &headers, addr).await?;
    Ok(Json(blobs::status(&s.db, &who, &sha).await?).into_response())
}

#[derive(Deserialize)]
struct ChunkQuery {
    size: u64,
}

async fn blob_put(
    State(s): State<Shared>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path((sha, idx)): Path<(String, u32)>,
    q: Result<Query<ChunkQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, Failure> {
    let who = identify(&s, &headers, addr).await?;
    let Query(q) = q.map_err(|e| Failure::new(400, "bad_request", format!("give the attachment's total size (?size=N): {e}")))?;
    let body = body.map_err(|e| Failure::new(e.status().as_u16(), "bad_request", format!("the chunk could not be read: {e}")))?;
    Ok(Json(blobs::put_chunk(&s.db, &who, &sha, idx, q.size, &body, &s.metrics).await?).into_response())
}

async fn blob_get(
    State(s): State<Shared>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path((sha, idx)): Path<(String, u32)>,
) -> Result<Response, Failure> {
    let who = identify(&s, &headers, addr).await?;
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
