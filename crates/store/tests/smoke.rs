mod common;
use mandate_domain::*;
use mandate_store::ops::NewAction;

#[tokio::test]
async fn create_issue_assign() {
    let ws = common::workspace().await;
    let s = &ws.store;
    assert!(!s.cipher_version().await.unwrap().is_empty());
    s.add_office("OGC", "Office of General Counsel", OfficeKind::Office, None).await.unwrap();
    let f = s
        .create_action(NewAction {
            title: "Review the permitting rule".into(),
            kind: ActionKind::Tasker,
            body: "Do it".into(),
            priority: Priority::Priority,
            marking: None,
            issuing_official: Some("Chief of Staff".into()),
            suspense: Some("2026-12-31".parse().unwrap()),
            parent: None,
            authorities: vec!["5 U.S.C. 301".into()],
            issue: true,
        })
        .await
        .unwrap();
    assert_eq!(f.action.status, Status::Issued);
    assert_eq!(f.authorities.len(), 1);
    s.assign(f.action.id, "ogc", Role::Opr, None, None).await.unwrap();
    let f = s.action_file(f.action.id).await.unwrap();
    assert_eq!(f.action.status, Status::Assigned);
    let today = "2026-11-24".parse().unwrap();
    let l = s.list_actions(&Default::default(), today).await.unwrap();
    assert_eq!(l.len(), 1);
    let l = s.list_actions(&mandate_store::query::ActionFilter { text: Some("permit".into()), ..Default::default() }, today).await.unwrap();
    assert_eq!(l.len(), 1);
    let l = s.list_actions(&mandate_store::query::ActionFilter { text: Some("U.S.C".into()), ..Default::default() }, today).await.unwrap();
    assert_eq!(l.len(), 1);
    let v = s.verify_audit().await.unwrap();
    assert!(v.ok, "{v:?}");
}
