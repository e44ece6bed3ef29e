//! TLS: a server with a `--dev-tls` style self-signed certificate is reached only by desktops told
//! to trust it; plain HTTP is refused off loopback.

mod common;
use common::*;
use mandate_domain::replication::ServerRole;
use mandate_server::{accounts, http, tls, Server};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_tls_is_trusted_only_when_the_certificate_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(Backend::Sqlite, dir.path()).await;
    accounts::add_office(&db, "OPS", "Operations", mandate_domain::OfficeKind::Office).await.unwrap();
    accounts::add_user(&db, "exec", "Exec", ServerRole::Executive, Some("OPS")).await.unwrap();
    let cert = dir.path().join("dev-tls-cert.pem");
    let cfg = tls::dev(&cert, &[]).await.unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let server = Arc::new(Server::new(db.clone()));
    let task = tokio::spawn(http::serve(server, addr, Some(cfg)));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(std::time::Instant::now() < deadline, "the server did not listen on {addr} within two minutes");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let url = format!("https://localhost:{port}");
    // Without the certificate: refused by the desktop, with a message that says it is TLS.
    let code = accounts::enrolment_code(&db, "exec", 1).await.unwrap();
    match mandate_sync::enrol(&url, &code, "dev-a", "a", None).await {
        Err(e @ mandate_sync::SyncError::Unreachable { .. }) => {
            let text = format!("{e}");
            assert!(text.to_lowercase().contains("certificate") || text.contains("error sending request"), "{text}");
        }
        other => panic!("an untrusted certificate was accepted: {other:?}"),
    }
    // With it: enrols and syncs.
    let e = mandate_sync::enrol(&url, &code, "dev-a", "a", Some(&cert)).await.expect("enrol over TLS");
    let client = mandate_sync::Client::new(&url, &e.token, Some(&cert)).unwrap();
    let pulled = client.pull(0, 100).await.unwrap();
    assert!(pulled.records.iter().any(|r| r.entity == "offices"));
    // Plain http to another machine is refused by the desktop before anything is sent.
    assert!(matches!(mandate_sync::Client::new("http://192.0.2.10:8443", "t", None), Err(mandate_sync::SyncError::Setup(_))));
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_is_refused_off_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(Backend::Sqlite, dir.path()).await;
    let server = Arc::new(Server::new(db));
    let err = http::serve(server, "0.0.0.0:0".parse().unwrap(), None).await.unwrap_err();
    assert!(err.to_string().contains("refusing plain HTTP"), "{err}");
}

/// Several stateless server instances on one PostgreSQL database (behind a load balancer): two
/// desktops, each talking to a different instance, converge.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_server_instances_share_one_postgres_database() {
    let url = fresh_postgres().await;
    let db1 = mandate_server::Db::postgres(&url).await.unwrap();
    let db2 = mandate_server::Db::postgres(&url).await.unwrap();
    accounts::add_office(&db1, "OPS", "Operations", mandate_domain::OfficeKind::Office).await.unwrap();
    accounts::add_user(&db1, "a", "A", ServerRole::Executive, Some("OPS")).await.unwrap();
    accounts::add_user(&db1, "b", "B", ServerRole::Executive, Some("OPS")).await.unwrap();
    let (addr1, h1) = http::spawn(Arc::new(Server::new(db1.clone()))).await.unwrap();
    let (addr2, h2) = http::spawn(Arc::new(Server::new(db2.clone()))).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut desks = vec![];
    for (user, addr) in [("a", addr1), ("b", addr2)] {
        let store =
            mandate_store::Store::create(&dir.path().join(format!("{user}.db")), &mandate_store::DbKey::generate(), Default::default())
                .await
                .unwrap();
        let code = accounts::enrolment_code(&db1, user, 1).await.unwrap();
        let e = mandate_sync::enrol(&format!("http://{addr}"), &code, store.device_id(), user, None).await.unwrap();
        desks.push((store, mandate_sync::Client::new(&format!("http://{addr}"), &e.token, None).unwrap()));
    }
    let sample = mandate_sample::generate(&mandate_sample::Options { actions: 60, ..Default::default() });
    desks[0].0.insert_records(&sample, &|_, _, _| {}).await.unwrap();
    let more = mandate_sample::generate(&mandate_sample::Options { actions: 40, seed: 7, ..Default::default() });
    desks[1].0.insert_records(&more, &|_, _, _| {}).await.unwrap();
    // Both push at the same time through different instances, then both pull.
    let (r1, r2) =
        tokio::join!(mandate_sync::sync(&desks[0].0, &desks[0].1, &|_| {}), mandate_sync::sync(&desks[1].0, &desks[1].1, &|_| {}));
    r1.unwrap();
    r2.unwrap();
    for (s, c) in &desks {
        mandate_sync::sync(s, c, &|_| {}).await.unwrap();
    }
    let (a, b) = (desks[0].0.replicated_records().await.unwrap(), desks[1].0.replicated_records().await.unwrap());
    assert_eq!(a, b);
    assert!(a["actions"].len() >= 60, "{}", a["actions"].len());
    assert!(matches!(mandate_server::replicate::verify_audit(&db2).await.unwrap(), Ok(_)), "one audit chain across instances");
    h1.abort();
    h2.abort();
}
