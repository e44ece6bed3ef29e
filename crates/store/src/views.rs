//! Saved views, briefing-book templates, and resolving a book's selection to action files.
//!
//! Views and templates are records like any other (audited, change-logged), named by the user;
//! saving under an existing name (any case) replaces that record rather than adding a second.

use crate::write::Put;
use crate::{Record, Result, Store, StoreError};
use chrono::NaiveDate;
use mandate_domain::*;

/// A record that carries a user-given name.
trait Named: Record {
    fn name(&self) -> &str;
}
impl Named for SavedView {
    fn name(&self) -> &str {
        &self.name
    }
}
impl Named for BookTemplate {
    fn name(&self) -> &str {
        &self.name
    }
}

fn check_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(StoreError::Invalid("a name must have 1 to 120 characters".into()));
    }
    Ok(name.to_string())
}

impl Store {
    async fn named<R: Named>(&self, what: &str, name: &str) -> Result<R> {
        let all = self.all::<R>().await?;
        if let Some(r) = all.iter().find(|r| r.name().eq_ignore_ascii_case(name.trim())) {
            return Ok(r.clone());
        }
        let mut names: Vec<&str> = all.iter().map(|r| r.name()).collect();
        names.sort_unstable();
        let known = if names.is_empty() { "there are none yet".to_string() } else { format!("known: {}", names.join(", ")) };
        Err(StoreError::NotFound(format!("no {what} named `{}` ({known})", name.trim())))
    }

    async fn save_named<R: Named>(&self, record: impl FnOnce(Id, Stamp) -> R, name: &str) -> Result<R> {
        rules::check_can_write(self.actor())?;
        let mut tx = self.begin().await?;
        let before = self.all::<R>().await?.into_iter().find(|r| r.name().eq_ignore_ascii_case(name));
        let stamp = self.actor().stamp(tx.now());
        let after = record(before.as_ref().map(|b| b.id()).unwrap_or_else(Id::new), stamp);
        tx.put(vec![Put::new(before.as_ref(), &after)]).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Saves (or replaces) a named view of the actions list.
    pub async fn save_view(&self, name: &str, filter: &ActionFilter) -> Result<SavedView> {
        let name = check_name(name)?;
        let mut filter = filter.clone();
        filter.limit = None;
        filter.offset = 0;
        self.save_named(|id, saved| SavedView { id, name: name.clone(), filter, saved }, &name).await
    }

    pub async fn views(&self) -> Result<Vec<SavedView>> {
        let mut v = self.all::<SavedView>().await?;
        v.sort_by_key(|x| x.name.to_lowercase());
        Ok(v)
    }

    pub async fn view(&self, name: &str) -> Result<SavedView> {
        self.named("saved view", name).await
    }

    /// Saves (or replaces) a named briefing-book template.
    pub async fn save_book_template(&self, name: &str, selection: &BookSelection, options: serde_json::Value) -> Result<BookTemplate> {
        let name = check_name(name)?;
        if let Some(v) = &selection.view {
            self.view(v).await?;
        }
        let selection = selection.clone();
        self.save_named(|id, saved| BookTemplate { id, name: name.clone(), selection, options, saved }, &name).await
    }

    pub async fn book_templates(&self) -> Result<Vec<BookTemplate>> {
        let mut v = self.all::<BookTemplate>().await?;
        v.sort_by_key(|x| x.name.to_lowercase());
        Ok(v)
    }

    pub async fn book_template(&self, name: &str) -> Result<BookTemplate> {
        self.named("briefing-book template", name).await
    }

    /// The actions a book selection names, in order: the view's or filter's matches (in the
    /// filter's order, soonest suspense first unless it says otherwise; its limit and offset
    /// honoured), then hand-picked ones not already included. An unknown hand-picked
    /// number is an error naming it; an empty result is not (the caller decides).
    pub async fn select_actions(&self, selection: &BookSelection, today: NaiveDate) -> Result<Vec<Id>> {
        let mut ids = Vec::new();
        let filter = match &selection.view {
            Some(v) => Some(self.view(v).await?.filter),
            None => selection.filter.clone(),
        };
        if let Some(f) = filter {
            // The filter's order, limit and offset are the book's, as they are the list's.
            ids.extend(self.list_actions(&f, today).await?.into_iter().map(|i| i.id));
        }
        for key in &selection.actions {
            let id = self.resolve_action(key).await?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// Loads the files of the given actions, reporting progress as `("Loading actions", done, total)`.
    pub async fn action_files(&self, ids: &[Id], progress: &(dyn Fn(&str, u64, u64) + Sync)) -> Result<Vec<ActionFile>> {
        let mut out = Vec::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            out.push(self.action_file(*id).await?);
            if i % 50 == 49 || i + 1 == ids.len() {
                progress("Loading actions", i as u64 + 1, ids.len() as u64);
            }
        }
        Ok(out)
    }
}
