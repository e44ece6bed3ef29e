//! iCalendar (RFC 5545): suspense dates as all-day events that Outlook and Apple Calendar
//! accept. Lines end in CRLF and are folded at 75 octets; text is escaped.

use chrono::{DateTime, NaiveDate, Utc};

#[derive(Clone, Debug)]
pub struct SuspenseEvent {
    /// Globally unique and stable, so re-importing the calendar updates events instead of
    /// duplicating them.
    pub uid: String,
    pub date: NaiveDate,
    pub summary: String,
    pub description: String,
    pub categories: Vec<String>,
    /// Minutes before the start to remind (a VALARM), if any.
    pub reminder_minutes: Option<u32>,
    /// A recurring event (a series' occurrences still to come): the RRULE value, and dates
    /// the rule gives that are not occurrences (skipped, or already issued as their own event).
    pub rrule: Option<String>,
    pub exdates: Vec<NaiveDate>,
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace(';', "\\;").replace(',', "\\,").replace("\r\n", "\\n").replace('\n', "\\n").replace('\r', "")
}

/// Fold a content line at 75 octets without splitting a UTF-8 character.
fn fold(line: &str, out: &mut String) {
    let mut count = 0;
    for ch in line.chars() {
        let n = ch.len_utf8();
        if count + n > 75 {
            out.push_str("\r\n ");
            count = 1;
        }
        out.push(ch);
        count += n;
    }
    out.push_str("\r\n");
}

pub fn write(events: &[SuspenseEvent], stamp: DateTime<Utc>, calendar_name: &str) -> String {
    let mut out = String::new();
    let dtstamp = stamp.format("%Y%m%dT%H%M%SZ").to_string();
    for l in ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Mandate//Suspense calendar//EN", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"] {
        fold(l, &mut out);
    }
    fold(&format!("X-WR-CALNAME:{}", escape(calendar_name)), &mut out);
    for e in events {
        fold("BEGIN:VEVENT", &mut out);
        fold(&format!("UID:{}", e.uid), &mut out);
        fold(&format!("DTSTAMP:{dtstamp}"), &mut out);
        fold(&format!("DTSTART;VALUE=DATE:{}", e.date.format("%Y%m%d")), &mut out);
        fold(&format!("DTEND;VALUE=DATE:{}", e.date.succ_opt().unwrap_or(e.date).format("%Y%m%d")), &mut out);
        if let Some(rule) = &e.rrule {
            fold(&format!("RRULE:{rule}"), &mut out);
            if !e.exdates.is_empty() {
                let dates: Vec<String> = e.exdates.iter().map(|d| d.format("%Y%m%d").to_string()).collect();
                fold(&format!("EXDATE;VALUE=DATE:{}", dates.join(",")), &mut out);
            }
        }
        fold(&format!("SUMMARY:{}", escape(&e.summary)), &mut out);
        if !e.description.is_empty() {
            fold(&format!("DESCRIPTION:{}", escape(&e.description)), &mut out);
        }
        if !e.categories.is_empty() {
            fold(&format!("CATEGORIES:{}", e.categories.iter().map(|c| escape(c)).collect::<Vec<_>>().join(",")), &mut out);
        }
        fold("TRANSP:TRANSPARENT", &mut out);
        if let Some(m) = e.reminder_minutes {
            fold("BEGIN:VALARM", &mut out);
            fold("ACTION:DISPLAY", &mut out);
            fold(&format!("DESCRIPTION:{}", escape(&e.summary)), &mut out);
            fold(&format!("TRIGGER:-PT{m}M"), &mut out);
            fold("END:VALARM", &mut out);
        }
        fold("END:VEVENT", &mut out);
    }
    fold("END:VCALENDAR", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_and_escapes() {
        let e = SuspenseEvent {
            uid: "x@mandate".into(),
            date: "2026-12-01".parse().unwrap(),
            summary: "Suspense: 2026-0001 Review; draft, final — ü".into(),
            description: "é".repeat(100),
            categories: vec!["OGC".into()],
            reminder_minutes: Some(1440),
            rrule: None,
            exdates: vec![],
        };
        let s = write(&[e], "2026-11-24T00:00:00Z".parse().unwrap(), "Mandate");
        assert!(s.lines().all(|l| l.len() <= 76), "every line folded (75 octets + CR)");
        assert!(s.contains("Review\\; draft\\, final"));
        assert!(s.contains("DTEND;VALUE=DATE:20261202"));
        assert!(s.ends_with("END:VCALENDAR\r\n"));
    }
}
