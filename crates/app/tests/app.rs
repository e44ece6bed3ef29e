//! The desktop's application layer on a real encrypted workspace: first run, a new action issued
//! and assigned in one go, My work, lifecycle steps with the rule named when one is refused.

use mandate_app::*;

#[tokio::test]
async fn first_run_and_a_workflow_through_the_app_layer() {
    std::env::set_var("MANDATE_DB_KEY", "a1".repeat(32));
    std::env::set_var("MANDATE_TODAY", "2026-11-24");
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(Some(dir.path().join("nested/w.db")));
    let st = app.status().await.unwrap();
    assert!(!st.exists && !st.open, "first run");

    let setup = FirstRun {
        name: "Ana Analyst".into(),
        role: "executive".into(),
        office_code: "ogc".into(),
        office_name: "Office of the General Counsel".into(),
        start: "sample".into(),
        sample_actions: Some(40),
        import_paths: vec![],
    };
    let created = app.create(setup.clone(), &|_, _, _| {}).await.unwrap();
    assert_eq!(created.recovery_code.split('-').count(), 11);
    assert!(created.status.open && created.status.office.as_deref() == Some("OGC"));
    assert!(app.create(setup, &|_, _, _| {}).await.unwrap_err().message.contains("already exists"), "never overwrites");
    let page = app.list_actions(Default::default()).await.unwrap();
    assert_eq!(page.total, 40);

    let form = NewActionForm {
        title: "Prepare hurricane season plan".into(),
        kind: "tasker".into(),
        body: "Plan.".into(),
        priority: "immediate".into(),
        marking: None,
        issuing_official: Some("Deputy Secretary".into()),
        suspense: Some("2026-12-15".into()),
        authorities: vec!["42 U.S.C. 5121".into()],
        issue: true,
        opr: Some("OGC".into()),
        ocrs: vec!["OCFO".into()],
    };
    let v = app.create_action(form).await.unwrap();
    let number = v.file.action.number.clone();
    assert_eq!(v.file.action.status, mandate_domain::Status::Assigned, "issued and assigned in one go");
    assert_eq!(v.file.assignments.len(), 2);
    assert_eq!(v.stoplight, "green");
    let close = v.steps.iter().find(|s| s.step == "close").unwrap();
    assert!(!close.allowed && close.rule.is_some(), "close is offered only when the rules allow it: {close:?}");

    let w = app.my_work().await.unwrap();
    assert!(w.to_acknowledge.iter().any(|i| i.number == number && i.office == "OGC"), "the new assignment needs OGC");
    app.step(&number, StepRequest::Acknowledge { office: "OGC".into() }).await.unwrap();
    let w = app.my_work().await.unwrap();
    assert!(!w.to_acknowledge.iter().any(|i| i.number == number));

    let err = app.step(&number, StepRequest::Close).await.unwrap_err();
    assert!(err.rule.is_some(), "a refused step names its rule: {err:?}");
    let err = app.step(&number, StepRequest::Assign { office: "NOPE".into(), role: "ocr".into(), suspense: None }).await.unwrap_err();
    assert!(err.message.contains("NOPE"), "{err:?}");
    let d = app.dashboard().await.unwrap();
    assert_eq!(d.trend.len(), 12);
    app.close().await;
}
