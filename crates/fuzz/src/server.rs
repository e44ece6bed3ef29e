//! The agency server's wire, fuzzed in process: one real server (SQLite in a temporary folder,
//! offices, a staff user and an enrolled device) made once, and each input sent through its
//! router as a request with that device's valid token. A 5xx answer is a crash: every input here
//! is the caller's doing and must be refused with 4xx, or taken.

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use mandate_domain::replication::{Change, Op, PushRequest, ServerRole};
use mandate_domain::{Hlc, OfficeKind};
use mandate_server::{accounts, http, Db, Server};
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

struct Harness {
    rt: tokio::runtime::Runtime,
    router: axum::Router,
    token: String,
    device: String,
    _dir: tempfile::TempDir,
}

const DEVICE: &str = "fuzzdevice01";

fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let dir = tempfile::tempdir().expect("a temporary folder");
        let (router, token) = rt.block_on(async {
            let db = Db::sqlite(dir.path()).await.expect("the server's database");
            for (code, name) in [("OPS", "Operations"), ("LEGAL", "General Counsel")] {
                accounts::add_office(&db, code, name, OfficeKind::Office).await.expect("an office");
            }
            accounts::add_user(&db, "fuzz", "Fuzz", ServerRole::OfficeLead, Some("OPS")).await.expect("a user");
            let code = accounts::enrolment_code(&db, "fuzz", 1).await.expect("a code");
            let token = accounts::enrol(&db, &code, DEVICE, "fuzzer").await.expect("enrolled").token;
            (http::router(Arc::new(Server::new(db))), token)
        });
        Harness { rt, router, token, device: DEVICE.into(), _dir: dir }
    })
}

fn send(h: &Harness, req: Request<Body>) -> Result<u16, String> {
    let mut req = req;
    // Each request from its own address: the per-address limits on failures would otherwise
    // answer most inputs with 429 before they reach the code under test.
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    req.extensions_mut().insert(ConnectInfo(SocketAddr::from((std::net::Ipv4Addr::from(0x0a00_0000 | (n & 0x00ff_ffff)), 40000))));
    let resp = h.rt.block_on(h.router.clone().oneshot(req)).map_err(|e| format!("the router failed: {e}"))?;
    let status = resp.status().as_u16();
    let body = h.rt.block_on(http_body_util::BodyExt::collect(resp.into_body())).map_err(|e| format!("the answer's body: {e}"))?.to_bytes();
    if status >= 500 {
        return Err(format!("the server answered {status}: {}", String::from_utf8_lossy(&body)));
    }
    if status != 200 && serde_json::from_slice::<mandate_domain::replication::ApiError>(&body).is_err() {
        return Err(format!("a {status} answer that is not JSON {{code, error}}: {}", String::from_utf8_lossy(&body)));
    }
    Ok(status)
}

pub fn run(target: &str, data: &[u8]) -> Result<(), String> {
    status(target, data).map(|_| ())
}

/// The status the server answers `data` with, as [`run`] sends it.
pub fn status(target: &str, data: &[u8]) -> Result<u16, String> {
    let h = harness();
    let bearer = format!("Bearer {}", h.token);
    let req = match target {
        "sync_push" => Request::post("/v1/push")
            .header("authorization", bearer)
            .header("content-type", "application/json")
            .body(Body::from(data.to_vec())),
        "sync_pull" => {
            // The input is the query string; bytes a URL cannot carry are percent-encoded.
            let q: String = data
                .iter()
                .map(|&b| if b.is_ascii_alphanumeric() || b"=&-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
                .collect();
            Request::get(format!("/v1/pull?{q}")).header("authorization", bearer).body(Body::empty())
        }
        "enrol" => Request::post("/v1/enrol").header("content-type", "application/json").body(Body::from(data.to_vec())),
        other => return Err(format!("not a server target: {other}")),
    }
    .map_err(|e| format!("the request could not be made: {e}"))?;
    send(h, req)
}

fn change(device: &str, n: u32, entity: &str, fields: serde_json::Value) -> Change {
    let id = uuid::Uuid::new_v4().to_string();
    let mut fields = fields.as_object().cloned().unwrap_or_default();
    fields.insert("id".into(), id.clone().into());
    Change {
        change_id: uuid::Uuid::now_v7().to_string(),
        entity: entity.into(),
        entity_id: id,
        op: Op::Create,
        fields,
        hlc: Hlc { wall_ms: 1_800_000_000_000, counter: n, device: device.into() }.to_string(),
        base: Default::default(),
    }
}

pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    let h = harness();
    match target {
        "sync_push" => {
            let person = change(&h.device, 1, "people", serde_json::json!({"name": "Ann Example", "title": "Deputy", "office_id": null}));
            let authority =
                change(&h.device, 2, "authorities", serde_json::json!({"kind": "statute", "citation": "42 U.S.C. 4321", "title": "NEPA"}));
            let bad = change(&h.device, 3, "offices", serde_json::json!({"code": 7}));
            vec![
                serde_json::to_vec(&PushRequest { device_id: h.device.clone(), changes: vec![person.clone()] }).expect("json"),
                serde_json::to_vec(&PushRequest { device_id: h.device.clone(), changes: vec![person, authority, bad] }).expect("json"),
                serde_json::to_vec(&PushRequest { device_id: h.device.clone(), changes: vec![] }).expect("json"),
            ]
        }
        "sync_pull" => vec![b"since=0&limit=10".to_vec(), b"since=3".to_vec(), b"limit=10000".to_vec()],
        "enrol" => vec![
            br#"{"code":"16C1-0V93-3YZ6-R98Y","device_id":"laptop-2","device_name":"Laptop"}"#.to_vec(),
            br#"{"code":"","device_id":"","device_name":""}"#.to_vec(),
        ],
        _ => vec![],
    }
}
