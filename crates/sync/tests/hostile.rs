//! Hostile input: malformed, oversized and replayed batches, forged devices, expired, revoked
//! and unknown tokens, guessed enrolment codes — each refused with a clear error while the
//! server keeps serving.

mod common;
use common::*;
use mandate_domain::replication::{Change, Op, PushRequest, ServerRole, MAX_BATCH};
use mandate_domain::{Hlc, Id};
use mandate_sync::{Client, SyncError};
use serde_json::json;

fn refused(r: Result<impl std::fmt::Debug, SyncError>) -> (u16, String, String) {
    match r {
        Err(SyncError::Refused { status, code, message }) => (status, code, message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn healthy(env: &Env) {
    let body = raw_get(&format!("{}/health", env.url)).await;
    assert!(body.contains("\"ok\""), "server still serving: {body}");
}

fn stamp(device: &str, n: u32) -> String {
    Hlc { wall_ms: 1_800_000_000_000, counter: n, device: device.into() }.to_string()
}

fn office_change(device: &str, n: u32) -> Change {
    let code = format!("H{n}");
    let id = Id::derived(&format!("office:{code}")).to_string();
    Change {
        change_id: Id::new().to_string(),
        entity: "offices".into(),
        entity_id: id.clone(),
        op: Op::Create,
        fields: json!({"id": id, "code": code, "name": "Hostile test", "kind": "office"}).as_object().unwrap().clone(),
        hlc: stamp(device, n),
        base: Default::default(),
    }
}

async fn hostile(backend: Backend) {
    let env = server(backend).await;
    let d = desktop(&env, "exec", ServerRole::Executive, Some("OPS")).await;
    let dev = d.store.device_id().to_string();
    // A colleague behind the same address (an agency's NAT), with a good token.
    let colleague = desktop(&env, "colleague", ServerRole::Executive, Some("OPS")).await;

    // Malformed JSON.
    let (s, code, msg) = refused(d.client.push_raw(b"{\"device_id\": ".to_vec(), false).await);
    assert_eq!((s, code.as_str()), (400, "bad_batch"), "{msg}");
    assert!(msg.contains("line 1"), "says where: {msg}");
    // Well-formed JSON of the wrong shape.
    let (s, _, msg) = refused(d.client.push_raw(br#"{"device_id": 7, "changes": "no"}"#.to_vec(), false).await);
    assert_eq!(s, 400, "{msg}");
    // Not gzip although it says so.
    let (s, _, _) = refused(d.client.push_raw(b"plainly not gzip".to_vec(), true).await);
    assert!(s == 400 || s == 413, "{s}");
    healthy(&env).await;

    // Oversized: a compressed body that inflates past the limit (a "zip bomb").
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut enc, b"{\"device_id\":\"").unwrap();
    let zeros = vec![b'0'; 1024 * 1024];
    for _ in 0..70 {
        std::io::Write::write_all(&mut enc, &zeros).unwrap();
    }
    let bomb = enc.finish().unwrap();
    assert!(bomb.len() < 1024 * 1024, "small on the wire: {}", bomb.len());
    let (s, code, msg) = refused(d.client.push_raw(bomb, true).await);
    assert_eq!((s, code.as_str()), (413, "too_large"), "{msg}");
    // Too many changes in one batch.
    let many: Vec<Change> = (0..(MAX_BATCH as u32 + 1)).map(|n| office_change(&dev, n)).collect();
    let (s, code, _) = refused(d.client.push(&PushRequest { device_id: dev.clone(), changes: many }).await);
    assert_eq!((s, code.as_str()), (413, "too_large"));
    healthy(&env).await;

    // Forged device: the batch claims another device, or a change is stamped by one.
    let (s, code, _) =
        refused(d.client.push(&PushRequest { device_id: "someone-else".into(), changes: vec![office_change(&dev, 1)] }).await);
    assert_eq!((s, code.as_str()), (403, "forged_device"));
    let (s, code, msg) =
        refused(d.client.push(&PushRequest { device_id: dev.clone(), changes: vec![office_change("someone-else", 1)] }).await);
    assert_eq!((s, code.as_str()), (403, "forged_device"), "{msg}");
    // A change that is not a valid record, and one for a table the server does not keep.
    let mut bad = office_change(&dev, 2);
    bad.fields.insert("kind".into(), json!(12));
    let mut audit = office_change(&dev, 3);
    audit.entity = "audit".into();
    let r = d.client.push(&PushRequest { device_id: dev.clone(), changes: vec![bad, audit, office_change(&dev, 4)] }).await.unwrap();
    assert_eq!(r.accepted.len(), 1, "the good change in the batch is kept");
    assert_eq!(r.refused.len(), 2);
    assert!(r.refused[0].reason.contains("not a valid offices record"), "{}", r.refused[0].reason);
    assert!(r.refused[1].reason.contains("not a kind of record"), "{}", r.refused[1].reason);
    // Replayed batch.
    let once = vec![office_change(&dev, 5)];
    let first = d.client.push(&PushRequest { device_id: dev.clone(), changes: once.clone() }).await.unwrap();
    let again = d.client.push(&PushRequest { device_id: dev.clone(), changes: once }).await.unwrap();
    assert_eq!((first.accepted.len(), again.accepted.len(), again.duplicate.len()), (1, 0, 1));
    healthy(&env).await;

    // Unknown token.
    let stranger = Client::new(&env.url, &format!("mdt_{}", "0".repeat(64)), None).unwrap();
    let (s, code, _) = refused(stranger.pull(0, 10).await);
    assert_eq!((s, code.as_str()), (401, "unauthorized"));
    // Expired token.
    mandate_server::accounts::set_token_expiry(&env.server.db, &dev, "2020-01-01T00:00:00Z").await.unwrap();
    let (s, code, _) = refused(d.client.pull(0, 10).await);
    assert_eq!((s, code.as_str()), (401, "expired"));
    mandate_server::accounts::set_token_expiry(&env.server.db, &dev, "2099-01-01T00:00:00Z").await.unwrap();
    assert!(d.client.pull(0, 10).await.is_ok());
    // Revoked: stopped at once, on the very next request.
    mandate_server::accounts::revoke_device(&env.server.db, &dev).await.unwrap();
    let (s, code, msg) = refused(d.client.pull(0, 10).await);
    assert_eq!((s, code.as_str()), (401, "revoked"), "{msg}");
    let (s, code, _) = refused(d.client.push(&PushRequest { device_id: dev.clone(), changes: vec![office_change(&dev, 6)] }).await);
    assert_eq!((s, code.as_str()), (401, "revoked"));
    healthy(&env).await;

    // Guessing enrolment codes is slowed to a stop.
    let mut statuses = vec![];
    for i in 0..12 {
        match mandate_sync::enrol(&env.url, &format!("GUESS-{i:04}"), "guesser", "guesser", None).await {
            Err(SyncError::Refused { status, .. }) => statuses.push(status),
            other => panic!("a guessed code was accepted: {other:?}"),
        }
    }
    assert_eq!(&statuses[..10], &[401; 10]);
    assert_eq!(statuses[10..], [429, 429]);
    // Hammering with bad tokens likewise.
    let mut last = 0;
    for _ in 0..35 {
        last = refused(stranger.pull(0, 1).await).0;
    }
    assert_eq!(last, 429);
    // Only failures are limited: a valid token from the same address is still served, and the
    // bad one stays refused.
    assert!(colleague.client.pull(0, 1).await.is_ok(), "a valid token was locked out with the bad ones");
    assert_eq!(refused(stranger.pull(0, 1).await).0, 429);
    // A request with no token, or with something that cannot be a token, guesses nothing: it is
    // told so (401), never limited, even from the limited address.
    let garbled = Client::new(&env.url, "SCHEMATHESIS-INVALID-VALUE", None).unwrap();
    for _ in 0..35 {
        let (s, code, msg) = refused(garbled.pull(0, 1).await);
        assert_eq!((s, code.as_str()), (401, "unauthorized"), "{msg}");
    }
    let bare = raw_get(&format!("{}/v1/me", env.url)).await;
    assert!(bare.starts_with("HTTP/1.1 401"), "{}", bare.lines().next().unwrap_or(""));
    // The authentication scheme is matched case-insensitively (RFC 9110, 11.1).
    let host = env.url.strip_prefix("http://").unwrap().to_string();
    for scheme in ["bearer", "BEARER", "Bearer"] {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(&host).await.unwrap();
        let req = format!(
            "GET /v1/pull?since=0&limit=1 HTTP/1.1\r\nHost: {host}\r\nAuthorization: {scheme} {}\r\nConnection: close\r\n\r\n",
            colleague.token
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        assert!(out.starts_with("HTTP/1.1 200"), "`{scheme}`: {}", out.lines().next().unwrap_or(""));
    }
    healthy(&env).await;
    let metrics = raw_get(&format!("{}/metrics", env.url)).await;
    assert!(metrics.contains("mandate_rate_limited_total"), "{metrics}");
    // The pushes above held the turn to write for some time, and it is counted.
    let seconds = |name: &str| -> f64 {
        let line = metrics.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap_or_else(|| panic!("no {name} in {metrics}"));
        line[name.len() + 1..].parse().unwrap()
    };
    assert!(seconds("mandate_push_turn_seconds_total") > 0.0, "{metrics}");
    // The wait may be zero here (one push at a time): only that it is served as a number.
    seconds("mandate_push_wait_seconds_total");
    // No secret in the audit or refusal tables, and only hashes of tokens.
    let hashes: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM devices").fetch_all(&env.server.db.pool).await.unwrap();
    assert!(hashes.iter().all(|h| h.len() == 64 && !h.starts_with("mdt_")));
    assert!(!hashes.contains(&d.token));
}

/// A fault inside the server (here its audit table gone missing) fails the push with a 500
/// that says where to look, is counted for the operator, and costs nothing: the push is rolled
/// back whole, the desktop keeps its changes waiting, and once mended one sync sends them all,
/// once.
async fn server_fault(backend: Backend) {
    let env = server(backend).await;
    let a = desktop(&env, "alice", ServerRole::Executive, Some("OPS")).await;
    let b = desktop(&env, "bob", ServerRole::Executive, Some("LEGAL")).await;
    for title in ["Stand up the permitting task force", "Brief the cabinet on permitting"] {
        a.store.create_action(tasker(title, &["42 U.S.C. 4321"])).await.unwrap();
    }
    let waiting = a.store.sync_status().await.unwrap().waiting;
    assert!(waiting > 2, "{waiting}");
    let db = &env.server.db;
    let records = || async { sqlx::query_scalar::<_, i64>("SELECT count(*) FROM records").fetch_one(&db.pool).await.unwrap() };
    let before = records().await;
    let audited = mandate_server::replicate::verify_audit(db).await.unwrap().unwrap();
    sqlx::query("ALTER TABLE audit RENAME TO audit_away").execute(&db.pool).await.unwrap();

    match mandate_sync::sync_in_batches(&a.store, &a.client, 3, 4, &|_| {}).await {
        Err(e @ SyncError::Refused { status: 500, .. }) => {
            let SyncError::Refused { code, message, .. } = &e else { unreachable!() };
            assert_eq!(code, "internal");
            assert!(message.contains("server log"), "{message}");
            // What the desktop shows: the server failed, not "refused" what the user did.
            let shown = e.to_string();
            assert!(shown.starts_with("the agency server failed (500 internal)") && shown.contains("Nothing is lost"), "{shown}");
        }
        other => panic!("expected the server's failure, got {other:?}"),
    }
    assert_eq!(a.store.sync_status().await.unwrap().waiting, waiting, "the desktop still has every change waiting");
    assert_eq!(records().await, before, "nothing of the failed push was kept");
    healthy(&env).await;
    let metrics = raw_get(&format!("{}/metrics", env.url)).await;
    let errors = metrics.lines().find_map(|l| l.strip_prefix("mandate_server_errors_total ")).expect("the counter is served");
    assert!(errors.parse::<u64>().unwrap() >= 1, "{metrics}");

    sqlx::query("ALTER TABLE audit_away RENAME TO audit").execute(&db.pool).await.unwrap();
    let report = a.sync().await;
    assert_eq!((report.pushed as i64, report.duplicate), (waiting, 0), "each change sent once: {report:?}");
    assert_eq!(a.store.sync_status().await.unwrap().waiting, 0);
    b.sync().await;
    assert_eq!(a.store.replicated_records().await.unwrap(), b.store.replicated_records().await.unwrap());
    assert_eq!(
        mandate_server::replicate::verify_audit(db).await.unwrap(),
        Ok(audited + waiting as u64),
        "the chain holds, an entry per change"
    );
}

/// One device sends a pull cursor the server never gave (`since` far past its counter): it is
/// refused (409 `cursor_ahead`) and nothing changes for anyone else. On the old rule the server
/// took a new epoch from it, and every desktop re-sent its whole log and re-read everything.
async fn cursor_ahead(backend: Backend) {
    let env = server(backend).await;
    let a = desktop(&env, "alice", ServerRole::Executive, Some("OPS")).await;
    let b = desktop(&env, "bob", ServerRole::Executive, Some("LEGAL")).await;
    a.store.create_action(tasker("Before the stray cursor", &["42 U.S.C. 4321"])).await.unwrap();
    mandate_sync::sync(&a.store, &a.client, &|_| {}).await.unwrap();
    mandate_sync::sync(&b.store, &b.client, &|_| {}).await.unwrap();
    let epoch_before: String = sqlx::query_scalar("SELECT epoch FROM counter WHERE id = 1").fetch_one(&env.server.db.pool).await.unwrap();

    for since in [i64::MAX, 1_000_000_000] {
        let (s, code, msg) = refused(a.client.pull(since, 10).await);
        assert_eq!((s, code.as_str()), (409, "cursor_ahead"), "{msg}");
        assert!(msg.contains(&since.to_string()) && msg.contains("counter"), "says which cursor and why: {msg}");
    }
    let (s, _, msg) = refused(a.client.pull(-5, 10).await);
    assert_eq!(s, 400, "{msg}");
    let epoch_after: String = sqlx::query_scalar("SELECT epoch FROM counter WHERE id = 1").fetch_one(&env.server.db.pool).await.unwrap();
    assert_eq!(epoch_before, epoch_after, "one device's cursor changes nothing for the others");

    // Bob's next sync is an ordinary one: nothing re-sent, nothing re-read.
    b.store.create_action(tasker("After the stray cursor", &["42 U.S.C. 4321"])).await.unwrap();
    let waiting = b.store.sync_status().await.unwrap().waiting as usize;
    let rb = mandate_sync::sync(&b.store, &b.client, &|_| {}).await.unwrap();
    assert!(!rb.server_restored, "{rb:?}");
    assert_eq!((rb.pushed, rb.pulled), (waiting, 0), "only Bob's new action's changes, nothing re-read: {rb:?}");
    // A desktop whose own cursor is ahead (its workspace came from elsewhere) reads everything
    // again by itself.
    a.store.set_sync_setting(mandate_store::sync::PULL_CURSOR, Some("999999999")).await.unwrap();
    let ra = mandate_sync::sync(&a.store, &a.client, &|_| {}).await.unwrap();
    assert!(ra.pulled > 0, "read everything again: {ra:?}");
    assert_eq!(a.store.replicated_records().await.unwrap(), b.store.replicated_records().await.unwrap());
    healthy(&env).await;
}

both_backends! {
    a_pull_cursor_the_server_never_gave_is_refused_and_changes_nothing_for_others => cursor_ahead;
    hostile_input_is_refused_and_the_server_keeps_serving => hostile;
    a_server_fault_loses_nothing_and_is_counted => server_fault;
}
