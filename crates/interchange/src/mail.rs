//! E-mail in: an Internet message (`.eml`, RFC 5322 with MIME) or an Outlook message (`.msg`)
//! read into one plain [`Mail`] that becomes a draft action.
//!
//! Parsers: `mail-parser` (Stalwart Labs) for Internet mail — character sets, encoded-word
//! subjects, quoted-printable and base64 bodies, nested `message/rfc822` parts, and an HTML body
//! turned into text when a message has no text part — because it is maintained, fuzzed by its
//! authors, and written to the RFCs rather than to the cases someone met; `msg_parser` for
//! Outlook's Compound File messages (MS-OXMSG), the one maintained Rust reader of them. Neither is
//! reimplemented here: this module only maps what they read onto Mandate's words.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// One attachment, bytes as sent.
#[derive(Clone, Debug, PartialEq)]
pub struct Attachment {
    pub name: String,
    pub media_type: String,
    pub bytes: Vec<u8>,
}

/// A mail as a tasker needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct Mail {
    /// The Message-ID, without angle brackets, when the mail has one.
    pub message_id: Option<String>,
    pub subject: String,
    pub from: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub date: Option<DateTime<Utc>>,
    /// The text body (from the HTML body when there is no text part).
    pub body: String,
    pub attachments: Vec<Attachment>,
    /// `message/rfc822` or `application/vnd.ms-outlook`: how the original is kept.
    pub media_type: &'static str,
}

/// The magic number of a Compound File (what an Outlook `.msg` is).
const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Does this look like a mail, by content? An Outlook message by its Compound File magic; an
/// Internet message by a header block that names a sender or subject before the first blank line.
pub fn is_mail(bytes: &[u8]) -> bool {
    if bytes.starts_with(&CFB_MAGIC) {
        return true;
    }
    let head = &bytes[..bytes.len().min(16 * 1024)];
    let text = String::from_utf8_lossy(head);
    let mut fields = 0;
    let mut names_mail = false;
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            continue; // a folded header line
        }
        let Some((name, _)) = line.split_once(':') else { return false };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return false;
        }
        fields += 1;
        names_mail |= ["from", "subject", "message-id", "mime-version"].contains(&name.to_ascii_lowercase().as_str());
    }
    fields >= 2 && names_mail
}

/// Reads a mail (`.eml` or `.msg`, told apart by content). The error says what was wrong.
///
/// A reader that panics on a malformed message (the fuzz target found `mail-parser` asserting on
/// a `message/rfc822` part with no body) makes that one file unreadable, not the import or the
/// app.
pub fn read(bytes: &[u8]) -> Result<Mail, String> {
    let read = || if bytes.starts_with(&CFB_MAGIC) { read_msg(bytes) } else { read_eml(bytes) };
    std::panic::catch_unwind(read).unwrap_or_else(|_| Err("the mail reader could not make sense of this message's structure".into()))
}

fn read_eml(bytes: &[u8]) -> Result<Mail, String> {
    let msg = mail_parser::MessageParser::default()
        .parse(bytes)
        .ok_or("not an Internet mail message (RFC 5322): no header block could be read")?;
    if msg.subject().is_none() && msg.from().is_none() {
        return Err("the message has neither a subject nor a sender".into());
    }
    let addr = |a: &mail_parser::Addr| match (a.name(), a.address()) {
        (Some(n), Some(e)) if !n.trim().is_empty() => format!("{n} <{e}>"),
        (_, Some(e)) => e.to_string(),
        (Some(n), None) => n.to_string(),
        (None, None) => String::new(),
    };
    let list = |a: Option<&mail_parser::Address>| -> Vec<String> {
        a.map(|a| a.iter().map(addr).filter(|s| !s.is_empty()).collect()).unwrap_or_default()
    };
    let attachments = msg
        .attachments()
        .map(|p| {
            use mail_parser::MimeHeaders;
            let media_type = p
                .content_type()
                .map(|c| match c.subtype() {
                    Some(sub) => format!("{}/{}", c.ctype(), sub),
                    None => c.ctype().to_string(),
                })
                .unwrap_or_else(|| "application/octet-stream".into());
            let name = p
                .attachment_name()
                .map(str::to_string)
                .or_else(|| p.message().and_then(|m| m.subject()).map(|s| format!("{s}.eml")))
                .unwrap_or_else(|| "attachment".into());
            Attachment { name, media_type, bytes: p.contents().to_vec() }
        })
        .collect();
    Ok(Mail {
        message_id: msg.message_id().map(|m| m.trim_matches(['<', '>']).to_string()).filter(|m| !m.is_empty()),
        subject: msg.subject().unwrap_or_default().trim().to_string(),
        from: msg.from().and_then(|a| a.first()).map(addr).unwrap_or_default(),
        to: list(msg.to()),
        cc: list(msg.cc()),
        date: msg.date().and_then(|d| DateTime::from_timestamp(d.to_timestamp(), 0)),
        body: msg.body_text(0).map(|b| b.trim().to_string()).unwrap_or_default(),
        attachments,
        media_type: "message/rfc822",
    })
}

fn read_msg(bytes: &[u8]) -> Result<Mail, String> {
    let o = msg_parser::Outlook::from_slice(bytes).map_err(|e| format!("not a readable Outlook message (.msg): {e}"))?;
    let person = |p: &msg_parser::Person| match (p.name.trim(), p.email.trim()) {
        ("", e) => e.to_string(),
        (n, "") => n.to_string(),
        (n, e) if n == e => e.to_string(),
        (n, e) => format!("{n} <{e}>"),
    };
    let date = [&o.client_submit_time, &o.message_delivery_time, &o.headers.date]
        .iter()
        .find_map(|t| DateTime::parse_from_rfc3339(t).or_else(|_| DateTime::parse_from_rfc2822(t)).ok())
        .map(|d| d.with_timezone(&Utc));
    let body = if o.body.trim().is_empty() { html_to_text(&o.html) } else { o.body.trim().to_string() };
    let attachments = o
        .attachments
        .iter()
        .filter(|a| !a.payload_bytes.is_empty())
        .map(|a| {
            let name = [&a.long_file_name, &a.file_name, &a.display_name]
                .into_iter()
                .find(|n| !n.trim().is_empty())
                .cloned()
                .unwrap_or_else(|| "attachment".into());
            let media_type =
                if a.mime_tag.trim().is_empty() { "application/octet-stream".to_string() } else { a.mime_tag.trim().to_string() };
            Attachment { name, media_type, bytes: a.payload_bytes.clone() }
        })
        .collect();
    Ok(Mail {
        message_id: Some(o.headers.message_id.trim().trim_matches(['<', '>']).to_string()).filter(|m| !m.is_empty()),
        subject: o.subject.trim().to_string(),
        from: person(&o.sender),
        to: o.to.iter().map(person).filter(|p| !p.is_empty()).collect(),
        cc: o.cc.iter().map(person).filter(|p| !p.is_empty()).collect(),
        date,
        body,
        attachments,
        media_type: "application/vnd.ms-outlook",
    })
}

/// An Outlook message with only an HTML body: the same conversion `mail-parser` applies to
/// Internet mail.
fn html_to_text(html: &str) -> String {
    mail_parser::decoders::html::html_to_text(html).trim().to_string()
}

/// The action title a subject gives: without the `RE:` / `FW:` / `Fwd:` a reply or forward adds
/// (any number of them, any case, also `AW:` and `WG:` from German Outlook).
pub fn title_from_subject(subject: &str) -> String {
    let mut s = subject.trim();
    loop {
        let lower = s.to_ascii_lowercase();
        let Some(rest) = ["re:", "fw:", "fwd:", "aw:", "wg:"].iter().find_map(|p| lower.starts_with(p).then(|| &s[p.len()..])) else {
            break;
        };
        s = rest.trim_start();
    }
    if s.is_empty() {
        "(no subject)".into()
    } else {
        s.to_string()
    }
}

/// What identifies a mail across imports: its Message-ID, else a hash of its bytes.
pub fn identity(mail: &Mail, bytes: &[u8]) -> String {
    match &mail.message_id {
        Some(id) => format!("message-id:{id}"),
        None => format!("sha256:{}", hex::encode(Sha256::digest(bytes))),
    }
}

/// The draft's requirements text: who sent it to whom and when, then the body.
pub fn body_text(mail: &Mail) -> String {
    let mut b = String::new();
    b.push_str(&format!("From: {}\n", mail.from));
    if !mail.to.is_empty() {
        b.push_str(&format!("To: {}\n", mail.to.join(", ")));
    }
    if !mail.cc.is_empty() {
        b.push_str(&format!("Cc: {}\n", mail.cc.join(", ")));
    }
    if let Some(d) = mail.date {
        b.push_str(&format!("Date: {}\n", d.format("%Y-%m-%d %H:%M UTC")));
    }
    b.push('\n');
    b.push_str(&mail.body);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_lose_reply_and_forward_prefixes() {
        assert_eq!(title_from_subject("RE: Fwd: re:  Budget call"), "Budget call");
        assert_eq!(title_from_subject("AW: WG: Haushalt"), "Haushalt");
        assert_eq!(title_from_subject("Re:"), "(no subject)");
        assert_eq!(title_from_subject("Reorganisation plan"), "Reorganisation plan");
    }

    #[test]
    fn a_forward_with_an_empty_message_part_is_read_or_refused_never_a_crash() {
        // Found by the `mail` fuzz target: mail-parser asserted on this structure.
        let m = b"From: a@b.gov\r\nSubject: Fwd: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"y\"\r\n\r\n\
--y\r\nContent-Type: message/rfc822\r\n\r\n--y\r\nContent-Type: message/rfc822\r\n\r\nFrom: c@d.gov\r\nSubject: 1\r\n\r\nbody\r\n--y--\r\n";
        if let Ok(mail) = read(m) {
            assert_eq!(title_from_subject(&mail.subject), "x");
        }
    }

    #[test]
    fn mails_are_told_from_other_files_by_content() {
        assert!(is_mail(b"From: a@b.gov\r\nSubject: Hi\r\n\r\nBody"));
        assert!(is_mail(&CFB_MAGIC));
        assert!(!is_mail(b"{\"mandate_export\": 1}"));
        assert!(!is_mail(b"number,title,kind,status\n"));
        assert!(!is_mail(b"Executive Order 13489\nPresidential Records\n"));
        assert!(read(b"\x00\x01garbage").is_err());
    }
}
