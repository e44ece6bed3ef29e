//! Executive orders as public records describe them, before they become Mandate actions.
//!
//! Both public sources (the Federal Register and the NARA tables) are read into
//! [`PublicOrder`], and [`merge`] joins them by order number: the Federal Register is preferred
//! for title, president and links; NARA fills in what the Register lacks (orders before 1994)
//! and both contribute relations.

use chrono::NaiveDate;
use mandate_domain::RelationKind;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PublicOrder {
    /// `13489`, or `7677-A` for the lettered orders.
    pub number: String,
    pub title: String,
    pub signed: Option<NaiveDate>,
    pub published: Option<NaiveDate>,
    /// Where it was published, e.g. `74 FR 4669`.
    pub citation: Option<String>,
    pub president: Option<String>,
    pub agencies: Vec<String>,
    pub url: Option<String>,
    /// Disposition notes as printed (kept in the action's text so nothing is lost).
    pub notes: Vec<String>,
    pub relations: Vec<OrderRelation>,
}

/// `subject` <kind> `object`, e.g. EO 13489 revokes EO 13233.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct OrderRelation {
    pub subject: String,
    pub kind: RelationKind,
    pub object: String,
    /// `in part`, when the source says so.
    pub note: String,
}

/// Map a note key (`Revoked in part by`) to the relation it states, and whether the order the
/// note is about is the subject (`Revokes`) or the object (`Revoked by`).
fn relation_key(key: &str) -> Option<(RelationKind, bool, bool)> {
    let k = key.trim().to_ascii_lowercase();
    let k = k.split_whitespace().collect::<Vec<_>>().join(" ");
    let in_part = k.contains("in part");
    let k = k.replace(" in part", "");
    let (kind, active) = match k.as_str() {
        "amends" => (RelationKind::Amends, true),
        "amended by" => (RelationKind::Amends, false),
        "revokes" => (RelationKind::Revokes, true),
        "revoked by" => (RelationKind::Revokes, false),
        "supersedes" => (RelationKind::Supersedes, true),
        "superseded by" | "superseded or revoked by" => (RelationKind::Supersedes, false),
        "see" => (RelationKind::SeeAlso, true),
        _ => return None,
    };
    Some((kind, active, in_part))
}

/// Read relations out of disposition-note text such as
/// `Revokes: EO 13202, February 17, 2001; EO 13208, April 6, 2001` (several keys may follow one
/// another, separated by newlines or `;;`). Items that are not executive orders (public land
/// orders, proclamations, unnumbered orders) are not relations between actions and are skipped.
pub fn relations_from_notes(order: &str, key: &str, value: &str) -> Vec<OrderRelation> {
    let Some((kind, active, key_in_part)) = relation_key(key) else { return vec![] };
    let mut out = Vec::new();
    for item in value.split(';') {
        let in_part = key_in_part || item.to_ascii_lowercase().contains("in part");
        let mut rest = item;
        while let Some(pos) = find_eo(rest) {
            let (num, after) = pos;
            if num != order {
                let (subject, object) = if active { (order.to_string(), num.clone()) } else { (num.clone(), order.to_string()) };
                out.push(OrderRelation { subject, kind, object, note: if in_part { "in part".into() } else { String::new() } });
            }
            rest = after;
        }
    }
    out
}

/// Find the next `EO 1234` / `EO 1234-A` / `Executive Order 1234` / `Executive Order No. 1234`.
fn find_eo(s: &str) -> Option<(String, &str)> {
    let mut search = s;
    loop {
        let lower = search.to_ascii_lowercase();
        let (idx, len) = [("eo ", 3), ("e.o. ", 5), ("executive order no. ", 20), ("executive order ", 16)]
            .iter()
            .filter_map(|(p, l)| lower.find(p).map(|i| (i, *l)))
            .min_by_key(|(i, l)| (*i, std::cmp::Reverse(*l)))?;
        let after = &search[idx + len..];
        if idx > 0 && search.as_bytes()[idx - 1].is_ascii_alphanumeric() {
            search = after; // "video 5" is not "EO 5"
            continue;
        }
        let digits: String = after.chars().take_while(|c| c.is_ascii_digit()).collect();
        if digits.is_empty() {
            search = &search[idx + len..];
            continue;
        }
        let mut end = digits.len();
        let mut num = digits;
        let tail = &after[end..];
        if tail.len() >= 2
            && tail.as_bytes()[0] == b'-'
            && tail.as_bytes()[1].is_ascii_alphabetic()
            && tail.as_bytes().get(2).is_none_or(|c| !c.is_ascii_alphanumeric())
        {
            num.push('-');
            num.push(tail.as_bytes()[1].to_ascii_uppercase() as char);
            end += 2;
        }
        return Some((num, &after[end..]));
    }
}

/// Split a notes blob (newline or `;;` separated clauses, each `Key: items`) into (key, value).
pub fn note_clauses(notes: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for clause in notes.split(['\n']).flat_map(|l| l.split(";;")) {
        let c = clause.trim().trim_start_matches(';').trim();
        if c.is_empty() {
            continue;
        }
        match c.split_once(':') {
            Some((k, v)) if k.len() <= 60 && k.chars().all(|ch| ch.is_alphabetic() || ch == ' ') => {
                out.push((k.trim().to_string(), v.trim().to_string()))
            }
            _ => {
                if let Some(last) = out.last_mut() {
                    last.1.push_str("; ");
                    last.1.push_str(c);
                }
            }
        }
    }
    out
}

/// Presidents by first day in office, for orders whose source does not name one.
const PRESIDENTS: &[(&str, &str)] = &[
    ("1933-03-04", "Franklin D. Roosevelt"),
    ("1945-04-12", "Harry S. Truman"),
    ("1953-01-20", "Dwight D. Eisenhower"),
    ("1961-01-20", "John F. Kennedy"),
    ("1963-11-22", "Lyndon B. Johnson"),
    ("1969-01-20", "Richard Nixon"),
    ("1974-08-09", "Gerald R. Ford"),
    ("1977-01-20", "Jimmy Carter"),
    ("1981-01-20", "Ronald Reagan"),
    ("1989-01-20", "George H. W. Bush"),
    ("1993-01-20", "William J. Clinton"),
    ("2001-01-20", "George W. Bush"),
    ("2009-01-20", "Barack Obama"),
    ("2017-01-20", "Donald J. Trump"),
];

pub fn president_on(date: NaiveDate) -> Option<&'static str> {
    PRESIDENTS.iter().rev().find(|(start, _)| start.parse::<NaiveDate>().is_ok_and(|s| date >= s)).map(|(_, n)| *n)
}

/// Join orders from several sources by number. Earlier sources win for scalar fields (pass the
/// Federal Register first); notes and relations are unioned.
pub fn merge(sources: Vec<Vec<PublicOrder>>) -> Vec<PublicOrder> {
    let mut by_number: BTreeMap<(u64, String), PublicOrder> = BTreeMap::new();
    for source in sources {
        for o in source {
            let key = sort_key(&o.number);
            match by_number.get_mut(&key) {
                None => {
                    by_number.insert(key, o);
                }
                Some(m) => {
                    if m.title.is_empty() {
                        m.title = o.title;
                    }
                    m.signed = m.signed.or(o.signed);
                    m.published = m.published.or(o.published);
                    m.citation = m.citation.take().or(o.citation);
                    m.president = m.president.take().or(o.president);
                    m.url = m.url.take().or(o.url);
                    if m.agencies.is_empty() {
                        m.agencies = o.agencies;
                    }
                    for n in o.notes {
                        if !m.notes.contains(&n) {
                            m.notes.push(n);
                        }
                    }
                    m.relations.extend(o.relations);
                }
            }
        }
    }
    let mut out: Vec<PublicOrder> = by_number.into_values().collect();
    for o in &mut out {
        if o.president.is_none() {
            o.president = o.signed.and_then(president_on).map(str::to_string);
        }
        o.relations.sort();
        o.relations.dedup();
    }
    out
}

/// Orders sort numerically, lettered ones after their number.
pub fn sort_key(number: &str) -> (u64, String) {
    let digits: String = number.chars().take_while(|c| c.is_ascii_digit()).collect();
    (digits.parse().unwrap_or(0), number[digits.len()..].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_relations_both_ways_with_in_part() {
        let r = relations_from_notes("13489", "Revokes", "EO 13233, November 1, 2001");
        assert_eq!(
            r,
            vec![OrderRelation { subject: "13489".into(), kind: RelationKind::Revokes, object: "13233".into(), note: String::new() }]
        );
        let r = relations_from_notes("7532", "Amended by", "EO 8184, June 28, 1939");
        assert_eq!((r[0].subject.as_str(), r[0].object.as_str()), ("8184", "7532"));
        let r = relations_from_notes("7535", "Revokes", "EO 6119, May 2, 1933 (in part)");
        assert_eq!(r[0].note, "in part");
        let r = relations_from_notes("1", "Revoked in part by", "EO 9001-A, June 1, 1942; EO 9100, May 1, 1942");
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].subject, "9001-A");
        assert_eq!(r[0].note, "in part");
        assert!(relations_from_notes("1", "Revoked by", "Public Land Order 801, February 5, 1952 (17 FR 1357)").is_empty());
        assert!(relations_from_notes("1", "Continued by", "EO 5").is_empty());
    }

    #[test]
    fn splits_federal_register_note_blobs() {
        let c = note_clauses("Revokes: EO 13258, February 26, 2002; EO 13422, January 18, 2007;;\n ;  See: EO 12866, September 30, 1993");
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].0, "Revokes");
        assert!(c[0].1.contains("13422"));
        assert_eq!(c[1].0, "See");
    }

    #[test]
    fn merge_prefers_first_source_and_unions_relations() {
        let a = PublicOrder {
            number: "13489".into(),
            title: "Presidential Records".into(),
            president: Some("Barack Obama".into()),
            ..Default::default()
        };
        let mut b = PublicOrder {
            number: "13489".into(),
            title: "Presidential records (NARA)".into(),
            signed: "2009-01-21".parse().ok(),
            ..Default::default()
        };
        b.relations = relations_from_notes("13489", "Revokes", "EO 13233");
        let old = PublicOrder { number: "7532".into(), signed: "1937-01-08".parse().ok(), ..Default::default() };
        let m = merge(vec![vec![a], vec![b, old]]);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].number, "7532");
        assert_eq!(m[0].president.as_deref(), Some("Franklin D. Roosevelt"));
        assert_eq!(m[1].title, "Presidential Records");
        assert_eq!(m[1].signed, "2009-01-21".parse().ok());
        assert_eq!(m[1].relations.len(), 1);
    }
}
