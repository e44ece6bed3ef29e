//! Operations: every change a user can make, as one transaction each.
//!
//! An operation loads the action's file inside the write transaction (so the rules judge the
//! state that will be changed, not a stale copy), asks `mandate_domain::rules`, and writes what
//! the rules return. There is no logic here beyond looking things up.

use crate::query::{load_file, office_by_code, resolve_action};
use crate::write::{Put, Tx};
use crate::{Result, Store, StoreError};
use chrono::NaiveDate;
use mandate_domain::rules::{self, Ctx};
use mandate_domain::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What a new action starts with.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NewAction {
    pub title: String,
    pub kind: ActionKind,
    #[serde(default)]
    pub body: String,
    #[serde(default = "default_priority")]
    pub priority: Priority,
    #[serde(default)]
    pub marking: Option<Marking>,
    #[serde(default)]
    pub issuing_official: Option<String>,
    #[serde(default)]
    pub suspense: Option<NaiveDate>,
    /// Number or id of the parent action (this one is a sub-tasker).
    #[serde(default)]
    pub parent: Option<String>,
    /// Citations to record as legal authority (found in the library or added to it).
    #[serde(default)]
    pub authorities: Vec<String>,
    /// Issue at once instead of leaving a draft.
    #[serde(default)]
    pub issue: bool,
}

fn default_priority() -> Priority {
    Priority::Routine
}

/// A risk as entered (the id and action are filled in).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NewRisk {
    pub description: String,
    pub category: RiskCategory,
    pub likelihood: u8,
    pub impact: u8,
    #[serde(default)]
    pub mitigation: String,
    #[serde(default)]
    pub owner: String,
}

impl Store {
    fn ctx(&self, tx: &Tx) -> Ctx {
        Ctx { actor: self.actor().clone(), now: tx.now() }
    }

    /// One lifecycle step on one action: load, ask the rules, write, commit.
    async fn step<T>(&self, action: Id, f: impl FnOnce(&ActionFile, &Ctx) -> Result<(Vec<Put>, T)>) -> Result<T> {
        let mut tx = self.begin().await?;
        let file = load_file(tx.conn(), action).await?;
        let ctx = self.ctx(&tx);
        let (puts, out) = f(&file, &ctx)?;
        tx.put(puts).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn assignment_of(&self, file_action: Id, office_code: &str) -> Result<(Office, Id)> {
        let mut conn = self.pool().acquire().await?;
        let office = office_by_code(&mut conn, office_code).await?;
        let id: Option<String> = sqlx::query_scalar("SELECT id FROM assignments WHERE action_id = ? AND office_id = ?")
            .bind(file_action.to_string())
            .bind(office.id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
        let id = id
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| StoreError::NotFound(format!("office {} is not assigned to this action", office.code)))?;
        Ok((office, id))
    }

    /// A step on one office's assignment: find it, ask `rule` for the updated assignment, write it.
    async fn assignment_step(
        &self,
        id: Id,
        office: &str,
        rule: impl FnOnce(&ActionFile, Id, &Ctx) -> rules::RuleResult<Assignment>,
    ) -> Result<Assignment> {
        let (_, xid) = self.assignment_of(id, office).await?;
        self.step(id, |file, ctx| {
            let x = rule(file, xid, ctx)?;
            Ok((vec![Put::new(file.assignments.iter().find(|a| a.id == xid), &x)], x))
        })
        .await
    }

    pub async fn add_office(&self, code: &str, name: &str, kind: OfficeKind, parent: Option<&str>) -> Result<Office> {
        rules::check_can_write(self.actor())?;
        let code = code.trim().to_uppercase();
        if code.is_empty() || !code.chars().all(|c| c.is_ascii_alphanumeric() || "-_/".contains(c)) {
            return Err(StoreError::Invalid(format!("`{code}` is not an office code: use letters, digits, - _ or /")));
        }
        if self.office(&code).await.is_ok() {
            return Err(StoreError::Invalid(format!("an office with code {code} already exists")));
        }
        let parent_id = match parent {
            Some(p) => Some(self.office(p).await?.id),
            None => None,
        };
        // Derived from the code, so the same office made on two desktops (or by the server's
        // administrator) is one record when they replicate.
        let office = Office { id: Id::derived(&format!("office:{code}")), code, name: name.trim().to_string(), kind, parent_id };
        let mut tx = self.begin().await?;
        tx.put(vec![Put::create(&office)]).await?;
        tx.commit().await?;
        Ok(office)
    }

    pub async fn add_person(&self, name: &str, title: &str, email: Option<&str>, office: Option<&str>) -> Result<Person> {
        rules::check_can_write(self.actor())?;
        if name.trim().is_empty() {
            return Err(StoreError::Invalid("a person needs a name".into()));
        }
        let office_id = match office {
            Some(o) => Some(self.office(o).await?.id),
            None => None,
        };
        let p = Person { id: Id::new(), name: name.trim().into(), title: title.trim().into(), email: email.map(str::to_string), office_id };
        let mut tx = self.begin().await?;
        tx.put(vec![Put::create(&p)]).await?;
        tx.commit().await?;
        Ok(p)
    }

    /// Find an authority by citation, or add it to the library.
    pub(crate) async fn authority_for(tx: &mut Tx, citation: &str, puts: &mut Vec<Put>) -> Result<Authority> {
        let existing: Option<String> = sqlx::query_scalar("SELECT data FROM authorities WHERE citation = ? COLLATE NOCASE")
            .bind(citation.trim())
            .fetch_optional(tx.conn())
            .await?;
        if let Some(d) = existing {
            return crate::query::decode(&d);
        }
        let a = Authority {
            // Derived from the citation: the same authority added on two desktops is one record.
            id: Id::derived(&format!("authority:{}", citation.trim())),
            kind: Authority::infer_kind(citation),
            citation: citation.trim().to_string(),
            title: String::new(),
            url: None,
        };
        rules::validate_authority(&a)?;
        puts.push(Put::create(&a));
        Ok(a)
    }

    /// Add an authority to the library (or return the one with that citation).
    pub async fn add_authority(&self, kind: Option<AuthorityKind>, citation: &str, title: &str, url: Option<&str>) -> Result<Authority> {
        rules::check_can_write(self.actor())?;
        let mut tx = self.begin().await?;
        let mut puts = vec![];
        let mut a = Self::authority_for(&mut tx, citation, &mut puts).await?;
        let before = if puts.is_empty() { Some(a.clone()) } else { None };
        if let Some(k) = kind {
            a.kind = k;
        }
        if !title.trim().is_empty() {
            a.title = title.trim().to_string();
        }
        if let Some(u) = url {
            a.url = Some(u.to_string());
        }
        tx.put(vec![Put::new(before.as_ref(), &a)]).await?;
        tx.commit().await?;
        Ok(a)
    }

    /// Create an action (a draft, or issued at once when `new.issue`).
    pub async fn create_action(&self, new: NewAction) -> Result<ActionFile> {
        rules::check_can_write(self.actor())?;
        let mut tx = self.begin().await?;
        let ctx = self.ctx(&tx);
        let mut a = Action::draft(&new.title, new.kind);
        a.created_at = ctx.now;
        a.body = new.body.trim().to_string();
        a.priority = new.priority;
        a.marking = new.marking.unwrap_or_else(Marking::unclassified);
        a.issuing_official = new.issuing_official.filter(|s| !s.trim().is_empty());
        a.suspense = new.suspense;
        if let Some(p) = &new.parent {
            let pid = resolve_action(tx.conn(), p).await?;
            let parent = load_file(tx.conn(), pid).await?;
            rules::check_editable(&parent)?;
            a.parent_id = Some(pid);
        }
        rules::validate_action(&a)?;
        a.number = tx.next_number().await?;
        let mut puts = vec![];
        let mut cites = vec![];
        for c in new.authorities.iter().filter(|c| !c.trim().is_empty()) {
            let auth = Self::authority_for(&mut tx, c, &mut puts).await?;
            if !cites.iter().any(|x: &Citation| x.authority_id == auth.id) {
                cites.push(Citation { id: Id::new(), action_id: a.id, authority_id: auth.id, note: String::new() });
            }
        }
        puts.push(Put::create(&a));
        let mut file = ActionFile::new(a.clone());
        if new.issue {
            let (issued, t) = rules::transition(&file, Status::Issued, "", &ctx)?;
            puts.pop();
            puts.push(Put::create(&issued));
            puts.push(Put::create(&t));
            file.action = issued;
        }
        puts.extend(cites.iter().map(Put::create));
        tx.put(puts).await?;
        tx.commit().await?;
        self.action_file(file.action.id).await
    }

    /// Edit an action's own fields through `change`.
    pub async fn edit_action(&self, id: Id, change: impl FnOnce(&mut Action) -> Result<()>) -> Result<Action> {
        self.step(id, |file, ctx| {
            let mut edited = file.action.clone();
            change(&mut edited)?;
            let a = rules::edit(file, edited, ctx)?;
            Ok((vec![Put::new(Some(&file.action), &a)], a))
        })
        .await
    }

    /// Take a lifecycle step (issue, assign, start, block, complete, close, reopen, cancel…).
    pub async fn transition(&self, id: Id, to: Status, reason: &str) -> Result<Action> {
        self.step(id, |file, ctx| {
            let (a, t) = rules::transition(file, to, reason, ctx)?;
            Ok((vec![Put::new(Some(&file.action), &a), Put::create(&t)], a))
        })
        .await
    }

    pub async fn assign(
        &self,
        id: Id,
        office: &str,
        role: Role,
        suspense: Option<NaiveDate>,
        assignee: Option<String>,
    ) -> Result<Assignment> {
        let office = self.office(office).await?;
        self.step(id, |file, ctx| {
            let x = rules::assign(file, office.id, role, suspense, assignee, ctx)?;
            let mut puts = vec![Put::create(&x)];
            // Naming the OPR of an issued action assigns it: one step for the user.
            if role == Role::Opr && file.action.status == Status::Issued {
                let mut f2 = file.clone();
                f2.assignments.push(x.clone());
                let (a, t) = rules::transition(&f2, Status::Assigned, "OPR named", ctx)?;
                puts.push(Put::new(Some(&file.action), &a));
                puts.push(Put::create(&t));
            }
            Ok((puts, x))
        })
        .await
    }

    pub async fn acknowledge(&self, id: Id, office: &str) -> Result<Assignment> {
        self.assignment_step(id, office, |file, xid, ctx| rules::acknowledge(file, xid, ctx)).await
    }

    pub async fn concur(&self, id: Id, office: &str, answer: ConcurrenceAnswer, comment: &str) -> Result<Assignment> {
        self.assignment_step(id, office, |file, xid, ctx| rules::concur(file, xid, answer, comment, ctx)).await
    }

    pub async fn resolve_non_concurrence(&self, id: Id, office: &str, note: &str) -> Result<Assignment> {
        self.assignment_step(id, office, |file, xid, ctx| rules::resolve_non_concurrence(file, xid, note, ctx)).await
    }

    pub async fn request_extension(&self, id: Id, office: &str, to: NaiveDate, justification: &str) -> Result<ExtensionRequest> {
        let (_, xid) = self.assignment_of(id, office).await?;
        self.step(id, |file, ctx| {
            let r = rules::request_extension(file, xid, to, justification, ctx)?;
            Ok((vec![Put::create(&r)], r))
        })
        .await
    }

    /// Decide the pending extension request of `office`'s assignment.
    pub async fn decide_extension(&self, id: Id, office: &str, approve: bool, note: &str) -> Result<ExtensionRequest> {
        let (o, xid) = self.assignment_of(id, office).await?;
        self.step(id, |file, ctx| {
            let pending = file
                .extensions
                .iter()
                .find(|e| e.assignment_id == xid && e.decision.is_none())
                .ok_or_else(|| StoreError::NotFound(format!("office {} has no extension request waiting for a decision", o.code)))?;
            let out = rules::decide_extension(file, pending.id, approve, note, ctx)?;
            let mut puts = vec![Put::new(Some(pending), &out.request)];
            if let Some(x) = &out.assignment {
                puts.push(Put::new(file.assignments.iter().find(|a| a.id == x.id), x));
            }
            if let Some(a) = &out.action {
                puts.push(Put::new(Some(&file.action), a));
            }
            Ok((puts, out.request))
        })
        .await
    }

    /// Move `from`'s assignment (whatever its role) to the office `to`.
    pub async fn reassign(&self, id: Id, from: &str, to: &str) -> Result<Assignment> {
        let to = self.office(to).await?;
        self.assignment_step(id, from, |file, xid, ctx| rules::reassign(file, xid, to.id, ctx)).await
    }

    pub async fn delegate(&self, id: Id, office: &str, to: &str, note: &str) -> Result<Assignment> {
        self.assignment_step(id, office, |file, xid, ctx| rules::delegate(file, xid, to, note, ctx)).await
    }

    /// Record that the action cites `citation` (adding it to the library if new).
    pub async fn cite(&self, id: Id, citation: &str, note: &str) -> Result<Authority> {
        let mut tx = self.begin().await?;
        let ctx = self.ctx(&tx);
        let file = load_file(tx.conn(), id).await?;
        let mut puts = vec![];
        let auth = Self::authority_for(&mut tx, citation, &mut puts).await?;
        let c = rules::add_citation(&file, &auth, note, &ctx)?;
        puts.push(Put::create(&c));
        tx.put(puts).await?;
        tx.commit().await?;
        Ok(auth)
    }

    pub async fn add_risk(&self, id: Id, new: NewRisk) -> Result<Risk> {
        self.step(id, |file, ctx| {
            let r = Risk {
                id: Id::new(),
                action_id: file.action.id,
                description: new.description.trim().into(),
                category: new.category,
                likelihood: new.likelihood,
                impact: new.impact,
                mitigation: new.mitigation.trim().into(),
                owner: new.owner.trim().into(),
                status: RiskStatus::Open,
            };
            let r = rules::add_risk(file, r, ctx)?;
            Ok((vec![Put::create(&r)], r))
        })
        .await
    }

    /// Change a risk's status, named by its position in the action's list (1 = first) or id.
    pub async fn update_risk(&self, id: Id, risk: &str, status: RiskStatus, mitigation: Option<&str>) -> Result<Risk> {
        self.step(id, |file, ctx| {
            let target = by_position_or_id(&file.risks, |r| r.id, risk, "risk", &file.action.number)?;
            let r = rules::update_risk(file, target, status, mitigation, ctx)?;
            Ok((vec![Put::new(file.risks.iter().find(|x| x.id == target), &r)], r))
        })
        .await
    }

    pub async fn add_impact(&self, id: Id, area: ImpactArea, description: &str, estimated_cost: Option<f64>) -> Result<ImpactAssessment> {
        self.step(id, |file, ctx| {
            let i = ImpactAssessment {
                id: Id::new(),
                action_id: file.action.id,
                area,
                description: description.trim().into(),
                estimated_cost,
                assessed: ctx.stamp(),
            };
            let i = rules::add_impact(file, i, ctx)?;
            Ok((vec![Put::create(&i)], i))
        })
        .await
    }

    pub async fn add_update(&self, id: Id, percent: u8, text: &str) -> Result<StatusUpdate> {
        self.step(id, |file, ctx| {
            let (u, a, t) = rules::add_update(file, percent, text, ctx)?;
            let mut puts = vec![Put::new(Some(&file.action), &a), Put::create(&u)];
            puts.extend(t.as_ref().map(Put::create));
            Ok((puts, u))
        })
        .await
    }

    pub async fn raise_issue(&self, id: Id, title: &str, description: &str, owner: &str) -> Result<Issue> {
        self.step(id, |file, ctx| {
            let i = rules::raise_issue(file, title, description, owner, ctx)?;
            Ok((vec![Put::create(&i)], i))
        })
        .await
    }

    /// Resolve an issue, named by its id or its position in the action's list (1 = first).
    pub async fn resolve_issue(&self, id: Id, issue: &str, note: &str) -> Result<Issue> {
        self.step(id, |file, ctx| {
            let target = by_position_or_id(&file.issues, |i| i.id, issue, "issue", &file.action.number)?;
            let i = rules::resolve_issue(file, target, note, ctx)?;
            Ok((vec![Put::new(file.issues.iter().find(|x| x.id == target), &i)], i))
        })
        .await
    }

    pub async fn relate(&self, id: Id, kind: RelationKind, target: &str, note: &str) -> Result<Relation> {
        let target_id = self.resolve_action(target).await?;
        let target = self.get::<Action>(target_id).await?.ok_or_else(|| StoreError::NotFound(format!("no action `{target}`")))?;
        let tb = ActionBrief::from(&target);
        self.step(id, |file, ctx| {
            let r = rules::relate(file, kind, &tb, note, ctx)?;
            Ok((vec![Put::create(&r)], r))
        })
        .await
    }

    pub async fn evaluate(
        &self,
        id: Id,
        result: OutcomeResult,
        on_time: bool,
        within_scope: bool,
        evidence: &str,
        lessons: &str,
    ) -> Result<Evaluation> {
        self.step(id, |file, ctx| {
            let e = Evaluation {
                id: Id::new(),
                action_id: file.action.id,
                result,
                on_time,
                within_scope,
                evidence: evidence.trim().into(),
                lessons_learned: lessons.trim().into(),
                evaluated: ctx.stamp(),
            };
            let (e, a, t) = rules::evaluate(file, e, ctx)?;
            Ok((vec![Put::create(&e), Put::new(Some(&file.action), &a), Put::create(&t)], e))
        })
        .await
    }

    /// Attach a supporting document; its bytes go inside the encrypted database.
    pub async fn attach(&self, id: Id, name: &str, media_type: &str, bytes: &[u8]) -> Result<Document> {
        let sha = hex::encode(Sha256::digest(bytes));
        let mut tx = self.begin().await?;
        let ctx = self.ctx(&tx);
        let file = load_file(tx.conn(), id).await?;
        let d = Document {
            id: Id::new(),
            action_id: id,
            name: name.trim().into(),
            media_type: media_type.into(),
            size: bytes.len() as u64,
            sha256: sha.clone(),
            added: ctx.stamp(),
        };
        let d = rules::add_document(&file, d, &ctx)?;
        tx.put_blob(&sha, bytes).await?;
        tx.put(vec![Put::create(&d)]).await?;
        tx.commit().await?;
        Ok(d)
    }
}

/// A record named the way people name it: its position in the action's list (1 = first) or its id.
fn by_position_or_id<T>(items: &[T], id_of: impl Fn(&T) -> Id, key: &str, what: &str, number: &str) -> Result<Id> {
    match key.parse::<usize>() {
        Ok(n) if n >= 1 && n <= items.len() => Ok(id_of(&items[n - 1])),
        _ => key
            .parse::<Id>()
            .map_err(|_| StoreError::NotFound(format!("no {what} `{key}` on action {number} (give its number in the list or its id)"))),
    }
}

/// Guess a media type from a file name (enough for the common office formats).
pub fn media_type_for(name: &str) -> &'static str {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "txt" => "text/plain",
        "csv" => "text/csv",
        "json" => "application/json",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "eml" => "message/rfc822",
        _ => "application/octet-stream",
    }
}
