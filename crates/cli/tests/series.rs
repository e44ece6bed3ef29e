//! Recurring taskers end to end with the `mandate` binary on a real encrypted workspace:
//! create, issue as days pass (`--today`), skip, change from now on, end; the ICS export read
//! by an independent parser (`ical`) and its RRULE expanded by the `rrule` crate; every change
//! to the series in the audit export.

mod common;
use chrono::{Days, NaiveDate, Utc};
use common::*;

/// `mandate --today DAY …` (the tests' workspace otherwise lives on a fixed day).
fn at(ws: &Ws, day: NaiveDate, args: &[&str]) -> String {
    let mut a = vec!["--today".to_string(), day.to_string()];
    a.extend(args.iter().map(|s| s.to_string()));
    ws.ok(&a.iter().map(String::as_str).collect::<Vec<_>>())
}

fn json_at(ws: &Ws, day: NaiveDate, args: &[&str]) -> serde_json::Value {
    let mut a = vec!["--json"];
    a.extend_from_slice(args);
    serde_json::from_str(&at(ws, day, &a)).unwrap()
}

#[test]
fn a_weekly_series_issues_skips_changes_and_ends() {
    let ws = Ws::new();
    ws.ok(&["office", "add", "--code", "OGC", "--name", "Office of the General Counsel"]);
    ws.ok(&["office", "add", "--code", "OMB", "--name", "Office of Management and Budget"]);
    // Dates relative to the real day: a new series issues no backlog before it was created.
    let today = Utc::now().date_naive();
    let day = |n: u64| today + Days::new(n);
    let starts = day(3).to_string();
    let created = json_at(
        &ws,
        today,
        &[
            "series",
            "create",
            "--title",
            "Weekly cabinet report",
            "--official",
            "Chief of Staff",
            "--rule",
            "FREQ=WEEKLY;COUNT=5",
            "--starts",
            &starts,
            "--lead-days",
            "7",
            "--opr",
            "OGC",
            "--ocr",
            "OMB",
        ],
    );
    let id = created["id"].as_str().unwrap().to_string();
    let list = json_at(&ws, today, &["series", "list"]);
    assert_eq!(list[0]["issued"], 1, "the first occurrence is within the lead time: {list}");
    assert_eq!(list[0]["next"].as_array().unwrap().len(), 3);
    let first = ws.json(&["action", "list", "-q", "cabinet"]);
    assert_eq!(first.as_array().unwrap().len(), 1);
    let number = first[0]["number"].as_str().unwrap().to_string();
    let show = ws.json(&["action", "show", &number]);
    assert_eq!(show["suspense"], starts);
    assert_eq!(show["status"], "assigned", "issued and assigned to its OPR");
    assert_eq!(show["assignments"].as_array().unwrap().len(), 2);
    assert!(show["external_ref"].as_str().unwrap().starts_with(&format!("series:{id}:")));

    // A week later the next occurrence is due.
    let out = at(&ws, day(7), &["series", "issue"]);
    assert!(out.is_empty() || !out.contains("Nothing"), "{out}");
    assert_eq!(ws.json(&["action", "list", "-q", "cabinet"]).as_array().unwrap().len(), 2);
    assert!(at(&ws, day(7), &["series", "issue"]).contains("Nothing due"), "issuing twice issues nothing");

    // Skip the third; a date that is no occurrence, or one already issued, is refused.
    ws.ok(&["series", "skip", "Weekly cabinet report", "--date", &day(17).to_string()]);
    let o = ws.run(&["series", "skip", "weekly cabinet report", "--date", &day(18).to_string()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("no occurrence on") && err.contains(&day(24).to_string()), "{err}");
    let o = ws.run(&["series", "skip", &id, "--date", &day(10).to_string()]);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("already issued"));
    at(&ws, day(14), &["series", "issue"]);
    assert_eq!(ws.json(&["action", "list", "-q", "cabinet"]).as_array().unwrap().len(), 2, "the skipped one is not issued");

    // From now on: a new title for the occurrences still to come.
    ws.ok(&["series", "change", &id, "--title", "Weekly cabinet readout"]);
    at(&ws, day(17), &["series", "issue"]);
    let titles: Vec<String> = ws
        .json(&["action", "list", "-q", "cabinet"])
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(titles.iter().filter(|t| *t == "Weekly cabinet report").count(), 2, "issued ones keep their title: {titles:?}");
    assert_eq!(titles.iter().filter(|t| *t == "Weekly cabinet readout").count(), 1, "{titles:?}");

    // The calendar: issued occurrences are their own events; the rest is one recurring event.
    let ics = ws.path("s.ics");
    ws.ok(&["export", "ics", "--out", ics.to_str().unwrap()]);
    let reader = ical::IcalParser::new(std::io::BufReader::new(std::fs::File::open(&ics).unwrap()));
    let cals: Vec<_> = reader.collect::<Result<Vec<_>, _>>().expect("valid iCalendar");
    let ev = cals[0]
        .events
        .iter()
        .find(|e| e.properties.iter().any(|p| p.name == "UID" && p.value.as_deref() == Some(&format!("series-{id}@mandate"))))
        .expect("the series' future as a recurring event");
    let prop = |n: &str| ev.properties.iter().find(|p| p.name == n).and_then(|p| p.value.clone());
    let (dtstart, rule) = (prop("DTSTART").unwrap(), prop("RRULE").unwrap());
    assert_eq!(dtstart, day(31).format("%Y%m%d").to_string(), "the first occurrence not yet issued");
    let set: rrule::RRuleSet = format!("DTSTART;VALUE=DATE:{dtstart}\nRRULE:{rule}").parse().expect("an RRULE the rrule crate reads");
    let dates: Vec<NaiveDate> = set.all(50).dates.iter().map(|d| d.date_naive()).collect();
    assert_eq!(dates, [day(31)], "COUNT=5 leaves one occurrence after the four before it: {rule}");

    // End it: nothing more is issued.
    ws.ok(&["series", "end", &id, "--after", &day(20).to_string()]);
    assert!(at(&ws, day(40), &["series", "issue"]).contains("Nothing due"));
    let list = ws.json(&["series", "list"]);
    assert_eq!(list[0]["series"]["ended"], day(20).to_string());

    // Every change to the series is in the audit trail.
    let audit = ws.path("audit.jsonl");
    ws.ok(&["audit", "export", "--out", audit.to_str().unwrap()]);
    let ops: Vec<String> = std::fs::read_to_string(&audit)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| e["entity"] == "series")
        .map(|e| e["op"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ops, ["create", "update", "update", "update"], "create, skip, change, end");

    // Bad input: a rule that is not RFC 5545, a missing official, an unknown office.
    for (args, says) in [
        (vec!["--rule", "FREQ=FORTNIGHTLY", "--official", "X", "--starts", "2027-01-01"], "not a valid RRULE"),
        (vec!["--rule", "every week", "--official", "X", "--starts", "2027-01-01"], "needs a FREQ"),
        (vec!["--rule", "FREQ=WEEKLY", "--official", "X", "--starts", "2027-01-01", "--opr", "NOPE"], "NOPE"),
    ] {
        let mut a = vec!["series", "create", "--title", "Bad"];
        a.extend(args);
        let o = ws.run(&a);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains(says), "{err}");
    }
    let o = ws.run(&["--as-role", "staff", "series", "end", &id]);
    assert_eq!(o.status.code(), Some(3), "a rule refused it: {}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("series-by-leadership"));
    assert_eq!(ws.json(&["series", "list"]).as_array().unwrap().len(), 1, "refused series are not kept");
}
