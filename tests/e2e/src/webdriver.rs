//! Just enough of the W3C WebDriver protocol to drive the real Mandate window through
//! tauri-driver (which forwards to WebKitWebDriver on Linux).

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub struct Session {
    base: String,
    id: String,
    agent: ureq::Agent,
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Session {
    pub fn start(driver: &str, application: &str) -> Result<Session> {
        let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(120)).build();
        let caps = json!({ "capabilities": { "alwaysMatch": { "tauri:options": { "application": application } } } });
        let v: Value = agent.post(&format!("{driver}/session")).send_json(caps).context("starting a WebDriver session")?.into_json()?;
        let id = v["value"]["sessionId"].as_str().ok_or_else(|| anyhow!("no session id in {v}"))?.to_string();
        Ok(Session { base: format!("{driver}/session/{id}"), id, agent })
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        let url = format!("{}{path}", self.base);
        let req = self.agent.request(method, &url);
        let resp = match body {
            Some(b) => req.send_json(b),
            None => req.call(),
        };
        match resp {
            Ok(r) => Ok(r.into_json::<Value>()?["value"].take()),
            Err(ureq::Error::Status(code, r)) => {
                let text = r.into_string().unwrap_or_default();
                bail!("WebDriver {method} {path} → {code}: {}", text.chars().take(400).collect::<String>())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Runs JavaScript in the window and returns its result.
    pub fn js(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.call("POST", "/execute/sync", Some(json!({ "script": script, "args": args })))
    }

    /// Runs async JavaScript: the script calls `arguments[arguments.length - 1](result)`.
    pub fn js_async(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.call("POST", "/execute/async", Some(json!({ "script": script, "args": args })))
    }

    /// Waits until `css` matches an element, then returns its id.
    pub fn find(&self, css: &str) -> Result<String> {
        let start = Instant::now();
        loop {
            let last = match self.call("POST", "/element", Some(json!({ "using": "css selector", "value": css }))) {
                Ok(v) => match v[ELEMENT].as_str() {
                    Some(id) => return Ok(id.to_string()),
                    None => v.to_string(),
                },
                Err(e) => e.to_string(),
            };
            if start.elapsed() > Duration::from_secs(30) {
                bail!("no element matches `{css}` after 30 s ({last})");
            }
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    pub fn click(&self, css: &str) -> Result<()> {
        let id = self.find(css)?;
        // Scroll into view first; WebKit refuses clicks on elements outside the viewport.
        self.js("arguments[0].scrollIntoView({block:'center'})", vec![json!({ ELEMENT: id })])?;
        if let Err(e) = self.call("POST", &format!("/element/{id}/click"), Some(json!({}))) {
            // USWDS hides real radio buttons and checkboxes behind their labels: click the input
            // the way its label does.
            if !e.to_string().contains("not interactable") {
                return Err(e);
            }
            self.js("arguments[0].click()", vec![json!({ ELEMENT: id })])?;
        }
        Ok(())
    }

    /// Replaces the text of an input.
    pub fn type_into(&self, css: &str, text: &str) -> Result<()> {
        let id = self.find(css)?;
        self.call("POST", &format!("/element/{id}/clear"), Some(json!({})))?;
        self.call("POST", &format!("/element/{id}/value"), Some(json!({ "text": text })))?;
        Ok(())
    }

    /// Chooses an option of a <select> (or sets any input) the way a user's choice does.
    pub fn choose(&self, css: &str, value: &str) -> Result<()> {
        self.find(css)?;
        self.js(
            "const e = document.querySelector(arguments[0]); e.value = arguments[1]; e.dispatchEvent(new Event('input', {bubbles:true})); e.dispatchEvent(new Event('change', {bubbles:true})); return e.value;",
            vec![json!(css), json!(value)],
        )?;
        Ok(())
    }

    /// The element's text content (what a screen reader reads, whatever the layout clips).
    pub fn text(&self, css: &str) -> Result<String> {
        let id = self.find(css)?;
        let v = self.js("return arguments[0].textContent", vec![json!({ ELEMENT: id })])?;
        Ok(v.as_str().unwrap_or_default().split_whitespace().collect::<Vec<_>>().join(" "))
    }

    /// Waits until `css`'s text satisfies `ok`.
    pub fn wait_text(&self, css: &str, what: &str, ok: impl Fn(&str) -> bool) -> Result<String> {
        let start = Instant::now();
        loop {
            let t = self.text(css).unwrap_or_default();
            if ok(&t) {
                return Ok(t);
            }
            if start.elapsed() > Duration::from_secs(30) {
                bail!("`{css}` never showed {what}; it shows `{t}`");
            }
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// Waits until `script`'s result satisfies `ok`.
    pub fn wait_js(&self, script: &str, what: &str, ok: impl Fn(&Value) -> bool) -> Result<Value> {
        let start = Instant::now();
        loop {
            let v = self.js(script, vec![]).unwrap_or(Value::Null);
            if ok(&v) {
                return Ok(v);
            }
            if start.elapsed() > Duration::from_secs(30) {
                bail!("never saw {what}; last saw `{v}`");
            }
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    pub fn go(&self, hash: &str) -> Result<()> {
        self.js("location.hash = arguments[0]", vec![json!(hash)])?;
        Ok(())
    }

    pub fn screenshot(&self, path: &std::path::Path) -> Result<()> {
        use base64::Engine;
        let v = self.call("GET", "/screenshot", None)?;
        let png = base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap_or_default())?;
        std::fs::write(path, png)?;
        Ok(())
    }

    pub fn end(self) {
        let _ = self.agent.delete(&format!("{}", self.base)).call();
        let _ = self.id;
    }
}
