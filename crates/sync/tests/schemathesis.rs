//! The agency server held to its own description by a tool we did not write: schemathesis
//! (PyPI) reads `/v1/openapi.json` and sends generated requests — valid ones, and ones that break
//! the description on purpose — to every route, once without a token and once with a valid device
//! token, running every check it has (server errors, status codes and content types the
//! description does not list, answers that break their schema, invalid data accepted, valid data
//! refused, authentication ignored, unsupported methods…). Goal: 0 failures both ways, the
//! server still healthy after, and no request counted as a server error.
//!
//! `cargo xtask test` installs schemathesis and names it in `MANDATE_SCHEMATHESIS`; otherwise
//! `st` must be on the PATH.

mod common;
use common::*;
use mandate_domain::replication::ServerRole;
use std::process::Command;

fn schemathesis() -> String {
    std::env::var("MANDATE_SCHEMATHESIS").unwrap_or_else(|_| "st".into())
}

/// Runs schemathesis (in a blocking thread: the server answers on this test's runtime).
async fn run(url: String, token: Option<String>) -> (bool, String) {
    tokio::task::spawn_blocking(move || {
        let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../server/schemathesis.toml");
        let mut c = Command::new(schemathesis());
        // Its cache of found failures goes to a folder of its own, not the source tree.
        let cache = tempfile::tempdir().expect("a temporary folder");
        c.current_dir(cache.path());
        c.args(["--no-color", "--config-file", config, "run", &format!("{url}/v1/openapi.json")]).args([
            "--checks",
            "all",
            "--max-examples",
            "60",
            "--workers",
            "1",
            "--request-timeout",
            "120",
        ]);
        if let Some(t) = &token {
            c.args(["-H", &format!("Authorization: Bearer {t}")]);
        }
        let out = c.output().unwrap_or_else(|e| {
            panic!("cannot run schemathesis ({}): {e}; `cargo xtask test` installs it, or `pip install schemathesis`", schemathesis())
        });
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.success(), text)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_keeps_to_its_description_with_and_without_a_token() {
    let env = server(Backend::Sqlite).await;
    let d = desktop(&env, "ann", ServerRole::OfficeLead, Some("OPS")).await;
    // Records to pull, so that pulls answer with records of every shape the description names.
    for n in 0..3 {
        d.store.create_action(tasker(&format!("Tasker {n}"), &["42 U.S.C. 4321"])).await.unwrap();
    }
    mandate_sync::sync(&d.store, &d.client, &|_| {}).await.unwrap();

    // The description is made from the routes: every one is in it, blobs included.
    let doc = raw_get(&format!("{}/v1/openapi.json", env.url)).await;
    for route in ["/v1/enrol", "/v1/me", "/v1/push", "/v1/pull", "/v1/blobs/{sha}", "/v1/blobs/{sha}/{idx}", "/health", "/metrics"] {
        assert!(doc.contains(&format!("\"{route}\"")), "the description lists {route}");
    }
    assert!(
        doc.contains(&format!("\"maxItems\":{}", mandate_domain::replication::MAX_BATCH)),
        "the push's limit in the description is the server's"
    );
    for token in [None, Some(d.token.clone())] {
        let with = if token.is_some() { "with a valid token" } else { "without a token" };
        let (ok, report) = run(env.url.clone(), token).await;
        assert!(ok, "schemathesis found failures {with}:\n{report}");
        assert!(report.contains("generated"), "schemathesis ran test cases {with}:\n{report}");
    }
    let health = raw_get(&format!("{}/health", env.url)).await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let metrics = raw_get(&format!("{}/metrics", env.url)).await;
    assert!(metrics.contains("\nmandate_server_errors_total 0\n"), "no request failed inside the server:\n{metrics}");
    // The desktop still syncs as before.
    mandate_sync::sync(&d.store, &d.client, &|_| {}).await.unwrap();
}
