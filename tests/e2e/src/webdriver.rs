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
/// How long any wait lasts before the test fails saying what it waited for. Generous: the
/// machines are shared and slow down without warning; a wait ends as soon as its condition holds.
const WAIT: Duration = Duration::from_secs(90);
const POLL: Duration = Duration::from_millis(150);

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
            if start.elapsed() > WAIT {
                bail!("waited {} s for an element matching `{css}`; none appeared ({last})", WAIT.as_secs());
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits until `css` matches an element that is shown (laid out, not hidden, inside an open
    /// section) and enabled, scrolled into view: the state a person needs to type or click. A
    /// section that has just been opened, or a form still loading, is waited for, not raced; a
    /// section that is closed (or was closed again by a re-render after the test opened it) is
    /// opened by its summary, as a person would.
    pub fn find_interactable(&self, css: &str) -> Result<String> {
        let start = Instant::now();
        loop {
            let id = self.find(css)?;
            let state = self
                .js(
                    "const e = arguments[0];
                     if (!e.isConnected) return 'detached';
                     if (e.disabled) return 'disabled';
                     const closed = e.matches('summary') ? null : e.closest('details:not([open])');
                     if (closed) { closed.querySelector('summary')?.click(); return 'inside a closed section'; }
                     const r = e.getBoundingClientRect(); const st = getComputedStyle(e);
                     if (st.visibility === 'hidden' || st.display === 'none') return 'hidden';
                     if (r.width === 0 && r.height === 0 && e.type !== 'radio' && e.type !== 'checkbox') return 'not laid out';
                     e.scrollIntoView({block: 'center'});
                     return 'ok';",
                    vec![json!({ ELEMENT: id })],
                )
                .map(|v| v.as_str().unwrap_or("unknown").to_string())
                .unwrap_or_else(|e| e.to_string());
            if state == "ok" {
                return Ok(id);
            }
            if start.elapsed() > WAIT {
                bail!("waited {} s for `{css}` to be shown and enabled; it stayed {state}", WAIT.as_secs());
            }
            std::thread::sleep(POLL);
        }
    }

    /// Repeats `step` on the element `css` until WebDriver takes it: an element re-rendered
    /// between finding and acting ("stale") or not yet ready ("not interactable") is found
    /// again, within the same bounded wait.
    fn act(&self, css: &str, what: &str, step: impl Fn(&str) -> Result<()>) -> Result<()> {
        let start = Instant::now();
        loop {
            let id = self.find_interactable(css)?;
            match step(&id) {
                Ok(()) => return Ok(()),
                Err(e) => {
                    let text = e.to_string();
                    let transient = text.contains("not interactable") || text.contains("stale") || text.contains("no such element");
                    if !transient || start.elapsed() > WAIT {
                        return Err(e.context(format!("{what} `{css}` (waited {} s for it to take)", start.elapsed().as_secs())));
                    }
                }
            }
            std::thread::sleep(POLL);
        }
    }

    pub fn click(&self, css: &str) -> Result<()> {
        self.act(css, "clicking", |id| {
            if let Err(e) = self.call("POST", &format!("/element/{id}/click"), Some(json!({}))) {
                // USWDS hides real radio buttons and checkboxes behind their labels: click the
                // input the way its label does.
                if !e.to_string().contains("not interactable") {
                    return Err(e);
                }
                let hidden_input =
                    self.js("const e = arguments[0]; return e.type === 'radio' || e.type === 'checkbox'", vec![json!({ ELEMENT: id })])?;
                if hidden_input != json!(true) {
                    return Err(e);
                }
                self.js("arguments[0].click()", vec![json!({ ELEMENT: id })])?;
            }
            Ok(())
        })
    }

    /// Replaces the text of an input.
    pub fn type_into(&self, css: &str, text: &str) -> Result<()> {
        self.act(css, "typing into", |id| {
            self.call("POST", &format!("/element/{id}/clear"), Some(json!({})))?;
            self.call("POST", &format!("/element/{id}/value"), Some(json!({ "text": text })))?;
            Ok(())
        })
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
            if start.elapsed() > WAIT {
                bail!("waited {} s for `{css}` to show {what}; it shows `{t}`", WAIT.as_secs());
            }
            std::thread::sleep(POLL);
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
            if start.elapsed() > WAIT {
                bail!("waited {} s for {what}; last saw `{v}`", WAIT.as_secs());
            }
            std::thread::sleep(POLL);
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
