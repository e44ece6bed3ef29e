//! Users, enrolment codes and devices.
//!
//! Only hashes of tokens and codes are stored: a copy of the database does not let anyone sync
//! as someone else. Revoking a device takes effect on its next request, because every request
//! looks its token up.

use crate::{db::Db, now_text, replicate, sha256_hex, Failure};
use anyhow::{bail, Context};
use mandate_domain::replication::{Account, Change, EnrolResponse, Op, ServerRole};
use mandate_domain::{Id, Office, OfficeKind};
use rand::RngCore;
use serde::Serialize;
use sqlx::Row;

/// An authenticated request's user and device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub username: String,
    pub role: ServerRole,
    pub office_id: Option<String>,
    pub office_code: Option<String>,
    pub device_id: String,
}

/// The server's own identity for administrator commands (offices it creates replicate like any
/// record, stamped by device `server`).
pub fn admin_identity() -> Identity {
    Identity {
        username: "(server administrator)".into(),
        role: ServerRole::Administrator,
        office_id: None,
        office_code: None,
        device_id: "server".into(),
    }
}

/// How long a device token lasts before the device must enrol again.
pub const TOKEN_DAYS: i64 = 180;

/// Add an office (a replicated office record, with the id every desktop derives from its code).
pub async fn add_office(db: &Db, code: &str, name: &str, kind: OfficeKind) -> anyhow::Result<Office> {
    let code = code.trim().to_uppercase();
    if code.is_empty() || !code.chars().all(|c| c.is_ascii_alphanumeric() || "-_/".contains(c)) {
        bail!("`{code}` is not an office code: use letters, digits, - _ or /");
    }
    let office = Office { id: Id::derived(&format!("office:{code}")), code, name: name.trim().to_string(), kind, parent_id: None };
    let hlc = mandate_domain::Hlc::zero("server").tick(chrono::Utc::now().timestamp_millis() as u64);
    let change = Change {
        change_id: uuid::Uuid::now_v7().to_string(),
        entity: "offices".into(),
        entity_id: office.id.to_string(),
        op: Op::Create,
        fields: serde_json::to_value(&office)?.as_object().cloned().unwrap_or_default(),
        hlc: hlc.to_string(),
        base: Default::default(),
    };
    let resp = replicate::push_changes(db, &admin_identity(), vec![change], None).await.map_err(|f| anyhow::anyhow!("{}", f.message))?;
    if let Some(r) = resp.refused.first() {
        bail!("{}", r.reason);
    }
    Ok(office)
}

async fn office_id(db: &Db, code: &str) -> anyhow::Result<String> {
    let id = Id::derived(&format!("office:{}", code.trim().to_uppercase())).to_string();
    let found: Option<String> = sqlx::query_scalar("SELECT entity_id FROM records WHERE entity_id = $1 AND entity = 'offices'")
        .bind(&id)
        .fetch_optional(&db.pool)
        .await?;
    found.with_context(|| format!("there is no office {code} on this server; add it first with `mandate-server admin add-office`"))
}

pub async fn add_user(db: &Db, username: &str, name: &str, role: ServerRole, office: Option<&str>) -> anyhow::Result<()> {
    let username = username.trim();
    if username.is_empty() || username.len() > 64 || !username.chars().all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c)) {
        bail!("`{username}` is not a user name: up to 64 letters, digits and . _ - @");
    }
    let (office_id, office_code) = match office {
        Some(code) => (Some(office_id(db, code).await?), Some(code.trim().to_uppercase())),
        None => (None, None),
    };
    if office_id.is_none() && !role.sees_all() {
        bail!("a {role} needs an office (--office CODE)");
    }
    let done = sqlx::query(
        "INSERT INTO users(username, name, role, office_id, office_code, created_at) VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT(username) DO NOTHING",
    )
    .bind(username)
    .bind(name.trim())
    .bind(role.as_str())
    .bind(office_id)
    .bind(office_code)
    .bind(now_text())
    .execute(&db.pool)
    .await?;
    if done.rows_affected() == 0 {
        bail!("a user named {username} already exists");
    }
    Ok(())
}

/// Readable one-time code: 16 characters of Crockford base32 in groups of four.
fn new_code() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let chars: String = bytes.iter().map(|b| ALPHABET[(*b as usize) % 32] as char).collect();
    chars.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).expect("ascii")).collect::<Vec<_>>().join("-")
}

fn normalise_code(code: &str) -> String {
    code.trim().to_uppercase().replace([' ', '-'], "")
}

/// Make a one-time enrolment code for a user, valid for `hours`. Only its hash is stored.
pub async fn enrolment_code(db: &Db, username: &str, hours: i64) -> anyhow::Result<String> {
    let exists: Option<String> =
        sqlx::query_scalar("SELECT username FROM users WHERE username = $1").bind(username).fetch_optional(&db.pool).await?;
    exists.with_context(|| format!("there is no user {username}"))?;
    let code = new_code();
    let expires = (chrono::Utc::now() + chrono::Duration::hours(hours)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    sqlx::query("INSERT INTO enrolments(code_hash, username, expires_at) VALUES ($1,$2,$3)")
        .bind(sha256_hex(&normalise_code(&code)))
        .bind(username)
        .bind(expires)
        .execute(&db.pool)
        .await?;
    Ok(code)
}

fn valid_device_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id != "server" && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Trade a one-time code for a device token.
pub async fn enrol(db: &Db, code: &str, device_id: &str, device_name: &str) -> Result<EnrolResponse, Failure> {
    if !valid_device_id(device_id) {
        return Err(Failure::new(400, "bad_request", "the device id must be 1–64 letters, digits, - or _"));
    }
    let mut tx = db.pool.begin().await?;
    let row = sqlx::query("SELECT username, expires_at, used_at FROM enrolments WHERE code_hash = $1")
        .bind(sha256_hex(&normalise_code(code)))
        .fetch_optional(&mut *tx)
        .await?;
    let bad = || Failure::new(401, "bad_code", "the enrolment code is not valid: it is wrong, already used or expired");
    let Some(row) = row else { return Err(bad()) };
    let username: String = row.try_get("username")?;
    let expires: String = row.try_get("expires_at")?;
    let used: Option<String> = row.try_get("used_at")?;
    if used.is_some() || expires < now_text() {
        return Err(bad());
    }
    let holder: Option<String> =
        sqlx::query_scalar("SELECT username FROM devices WHERE device_id = $1").bind(device_id).fetch_optional(&mut *tx).await?;
    if holder.as_deref().is_some_and(|h| h != username) {
        return Err(Failure::new(
            409,
            "device_taken",
            "this device is enrolled to another user; that user's enrolment must be revoked first",
        ));
    }
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let token = format!("mdt_{}", hex::encode(raw));
    let now = now_text();
    let expires = (chrono::Utc::now() + chrono::Duration::days(TOKEN_DAYS)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    sqlx::query(
        "INSERT INTO devices(device_id, username, name, token_hash, created_at, expires_at) VALUES ($1,$2,$3,$4,$5,$6) \
         ON CONFLICT(device_id) DO UPDATE SET token_hash = excluded.token_hash, name = excluded.name, \
         created_at = excluded.created_at, expires_at = excluded.expires_at, revoked_at = NULL",
    )
    .bind(device_id)
    .bind(&username)
    .bind(device_name.chars().take(200).collect::<String>())
    .bind(sha256_hex(&token))
    .bind(&now)
    .bind(expires)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE enrolments SET used_at = $1 WHERE code_hash = $2")
        .bind(&now)
        .bind(sha256_hex(&normalise_code(code)))
        .execute(&mut *tx)
        .await?;
    let account = account(&mut tx, &username).await?;
    tx.commit().await?;
    tracing::info!(user = %username, device = %device_id, "device enrolled");
    Ok(EnrolResponse { device_id: device_id.to_string(), token, account })
}

async fn account(conn: &mut sqlx::AnyConnection, username: &str) -> Result<Account, Failure> {
    let r =
        sqlx::query("SELECT username, name, role, office_code FROM users WHERE username = $1").bind(username).fetch_one(&mut *conn).await?;
    let role: String = r.try_get("role")?;
    Ok(Account {
        username: r.try_get("username")?,
        name: r.try_get("name")?,
        role: role.parse().map_err(|e: String| anyhow::anyhow!(e))?,
        office_code: r.try_get("office_code")?,
    })
}

/// Who a bearer token belongs to; refused when unknown, expired or revoked.
/// Whether `token` has the shape of a device token (`mdt_` and 64 lowercase hexadecimal digits,
/// as [`enrol`] makes them). Only such tokens are looked up, and only their failures count
/// towards an address's limit: anything else cannot succeed, so it guesses nothing.
pub fn is_token_shaped(token: &str) -> bool {
    token.strip_prefix("mdt_").is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

pub async fn authenticate(db: &Db, token: &str) -> Result<Identity, Failure> {
    let row = sqlx::query(
        "SELECT d.device_id, d.username, d.expires_at, d.revoked_at, u.role, u.office_id, u.office_code \
         FROM devices d JOIN users u ON u.username = d.username WHERE d.token_hash = $1",
    )
    .bind(sha256_hex(token))
    .fetch_optional(&db.pool)
    .await?;
    let Some(r) = row else {
        return Err(Failure::new(401, "unauthorized", "the device token is not known to this server; enrol this device again"));
    };
    if let Some(at) = r.try_get::<Option<String>, _>("revoked_at")? {
        return Err(Failure::new(
            401,
            "revoked",
            format!("this device was revoked at {at}; ask an administrator for a new enrolment code"),
        ));
    }
    let expires: String = r.try_get("expires_at")?;
    if expires < now_text() {
        return Err(Failure::new(401, "expired", format!("this device's token expired at {expires}; enrol the device again")));
    }
    let role: String = r.try_get("role")?;
    Ok(Identity {
        username: r.try_get("username")?,
        role: role.parse().map_err(|e: String| anyhow::anyhow!(e))?,
        office_id: r.try_get("office_id")?,
        office_code: r.try_get("office_code")?,
        device_id: r.try_get("device_id")?,
    })
}

pub async fn account_of(db: &Db, username: &str) -> Result<Account, Failure> {
    let mut conn = db.pool.acquire().await?;
    account(&mut conn, username).await
}

pub async fn revoke_device(db: &Db, device_id: &str) -> anyhow::Result<()> {
    let n = sqlx::query("UPDATE devices SET revoked_at = $1 WHERE device_id = $2 AND revoked_at IS NULL")
        .bind(now_text())
        .bind(device_id)
        .execute(&db.pool)
        .await?
        .rows_affected();
    if n == 0 {
        bail!("no enrolled, unrevoked device {device_id}");
    }
    Ok(())
}

/// Set a device token's expiry (administrators shortening a token's life; tests).
pub async fn set_token_expiry(db: &Db, device_id: &str, expires_at: &str) -> anyhow::Result<()> {
    sqlx::query("UPDATE devices SET expires_at = $1 WHERE device_id = $2").bind(expires_at).bind(device_id).execute(&db.pool).await?;
    Ok(())
}

#[derive(Debug, Serialize)]
pub struct DeviceRow {
    pub device_id: String,
    pub username: String,
    pub name: String,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
    pub last_seen: Option<String>,
}

pub async fn devices(db: &Db) -> anyhow::Result<Vec<DeviceRow>> {
    let rows =
        sqlx::query("SELECT device_id, username, name, created_at, expires_at, revoked_at, last_seen FROM devices ORDER BY created_at")
            .fetch_all(&db.pool)
            .await?;
    rows.iter()
        .map(|r| {
            Ok(DeviceRow {
                device_id: r.try_get(0)?,
                username: r.try_get(1)?,
                name: r.try_get(2)?,
                created_at: r.try_get(3)?,
                expires_at: r.try_get(4)?,
                revoked_at: r.try_get(5)?,
                last_seen: r.try_get(6)?,
            })
        })
        .collect()
}

#[derive(Debug, Serialize)]
pub struct UserRow {
    pub username: String,
    pub name: String,
    pub role: String,
    pub office_code: Option<String>,
}

pub async fn users(db: &Db) -> anyhow::Result<Vec<UserRow>> {
    let rows = sqlx::query("SELECT username, name, role, office_code FROM users ORDER BY username").fetch_all(&db.pool).await?;
    rows.iter()
        .map(|r| Ok(UserRow { username: r.try_get(0)?, name: r.try_get(1)?, role: r.try_get(2)?, office_code: r.try_get(3)? }))
        .collect()
}
