//! The desktop shell. Every command is a one-line wrapper over `mandate_app::App`: a command
//! that holds logic is a bug (see ARCHITECTURE.md).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use mandate_app::*;
use mandate_domain::{ActionFilter, Office, Person, SavedView};
use tauri::{Emitter, Manager, State};

type R<T> = std::result::Result<T, AppError>;

/// Progress of long work (imports, sample data, books), as `progress` events for the window.
fn progress(window: tauri::Window) -> impl Fn(&str, u64, u64) + Sync {
    move |stage: &str, done: u64, total: u64| {
        let _ = window.emit("progress", serde_json::json!({ "stage": stage, "done": done, "total": total }));
    }
}

#[tauri::command]
async fn series_screen(app: State<'_, App>) -> R<series::SeriesScreen> {
    app.series().await
}
#[tauri::command]
async fn create_series(app: State<'_, App>, new: series::NewSeries) -> R<series::Series> {
    app.create_series(new).await
}
#[tauri::command]
async fn series_step(app: State<'_, App>, key: String, step: series::SeriesStep) -> R<series::Series> {
    app.series_step(&key, step).await
}
#[tauri::command]
async fn occurrences(app: State<'_, App>, from: series::NaiveDate, to: series::NaiveDate) -> R<Vec<series::Occurrence>> {
    app.occurrences(from, to).await
}
#[tauri::command]
async fn workspace_status(app: State<'_, App>) -> R<WorkspaceStatus> {
    app.status().await
}
#[tauri::command]
async fn open_workspace(app: State<'_, App>) -> R<WorkspaceStatus> {
    app.open().await
}
#[tauri::command]
async fn create_workspace(app: State<'_, App>, window: tauri::Window, setup: FirstRun) -> R<Created> {
    app.create(setup, &progress(window)).await
}
#[tauri::command]
async fn recover_workspace(app: State<'_, App>, code: String) -> R<WorkspaceStatus> {
    app.recover(&code).await
}
#[tauri::command]
async fn rekey_workspace(app: State<'_, App>) -> R<String> {
    app.rekey().await
}
#[tauri::command]
async fn update_settings(app: State<'_, App>, default_marking: String, reminder_days: u32) -> R<WorkspaceStatus> {
    app.update_settings(default_marking, reminder_days).await
}
#[tauri::command]
async fn list_actions(app: State<'_, App>, filter: ActionFilter) -> R<ActionPage> {
    app.list_actions(filter).await
}
#[tauri::command]
async fn action_view(app: State<'_, App>, key: String) -> R<ActionView> {
    app.action(&key).await
}
#[tauri::command]
async fn run_step(app: State<'_, App>, key: String, step: StepRequest) -> R<ActionView> {
    app.step(&key, step).await
}
#[tauri::command]
async fn create_action(app: State<'_, App>, form: NewActionForm) -> R<ActionView> {
    app.create_action(form).await
}
#[tauri::command]
async fn offices(app: State<'_, App>) -> R<Vec<Office>> {
    app.offices().await
}
#[tauri::command]
async fn add_office(app: State<'_, App>, code: String, name: String, kind: String) -> R<Office> {
    app.add_office(code, name, kind).await
}
#[tauri::command]
async fn add_person(app: State<'_, App>, name: String, title: String, email: Option<String>, office: Option<String>) -> R<Person> {
    app.add_person(name, title, email, office).await
}
#[tauri::command]
async fn people(app: State<'_, App>) -> R<Vec<Person>> {
    app.people().await
}
#[tauri::command]
async fn authorities(app: State<'_, App>) -> R<Vec<AuthorityEntry>> {
    app.authorities().await
}
#[tauri::command]
async fn dashboard(app: State<'_, App>) -> R<Dashboard> {
    app.dashboard().await
}
#[tauri::command]
async fn my_work(app: State<'_, App>) -> R<MyWork> {
    app.my_work().await
}
#[tauri::command]
async fn views(app: State<'_, App>) -> R<Vec<SavedView>> {
    app.views().await
}
#[tauri::command]
async fn save_view(app: State<'_, App>, name: String, filter: ActionFilter) -> R<SavedView> {
    app.save_view(name, filter).await
}
#[tauri::command]
async fn brief(app: State<'_, App>, window: tauri::Window, request: BriefRequest) -> R<BriefResult> {
    app.brief(request, &progress(window)).await
}
#[tauri::command]
async fn book_templates(app: State<'_, App>) -> R<Vec<TemplateEntry>> {
    app.book_templates().await
}
#[tauri::command]
async fn notify_work(app: State<'_, App>, handle: tauri::AppHandle, only_new: bool) -> R<()> {
    use tauri_plugin_notification::NotificationExt;
    if let Some(body) = app.work_summary(only_new).await? {
        let _ = handle.notification().builder().title("Mandate — My work").body(body).show();
    }
    Ok(())
}
#[tauri::command]
async fn import_files(app: State<'_, App>, window: tauri::Window, paths: Vec<String>, keep_good_rows: bool) -> R<ImportResult> {
    app.import(paths, keep_good_rows, &progress(window)).await
}
#[tauri::command]
async fn export_file(app: State<'_, App>, format: String, out: String) -> R<String> {
    app.export(format, out).await
}
#[tauri::command]
async fn sync_view(app: State<'_, App>) -> R<SyncView> {
    app.sync_view().await
}
#[tauri::command]
async fn sync_connect(app: State<'_, App>, form: ConnectForm) -> R<SyncView> {
    app.sync_connect(form).await
}
#[tauri::command]
async fn sync_now(app: State<'_, App>, window: tauri::Window) -> R<SyncOutcome> {
    app.sync_now(&progress(window)).await
}
#[tauri::command]
async fn sync_disconnect(app: State<'_, App>) -> R<SyncView> {
    app.sync_disconnect().await
}
#[tauri::command]
async fn resolve_conflict(app: State<'_, App>, id: String, reapply: bool) -> R<SyncView> {
    app.resolve_conflict(id, reapply).await
}
#[tauri::command]
async fn dismiss_refusal(app: State<'_, App>, change_id: String) -> R<SyncView> {
    app.dismiss_refusal(change_id).await
}
#[tauri::command]
async fn dismiss_all_refusals(app: State<'_, App>) -> R<SyncView> {
    app.dismiss_all_refusals().await
}
#[tauri::command]
async fn export_refusals(app: State<'_, App>, out: String) -> R<String> {
    app.export_refusals(out).await
}
#[tauri::command]
async fn sync_go_on(app: State<'_, App>, window: tauri::Window) -> R<SyncOutcome> {
    app.sync_go_on(&progress(window)).await
}

/// Sync in the background while the window is open: shortly after start, then every two
/// minutes; the window hears `sync-changed` after each attempt.
fn background_sync(handle: tauri::AppHandle) {
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        loop {
            let app = handle.state::<App>();
            let h = handle.clone();
            let report = move |stage: &str, done: u64, total: u64| {
                let _ = h.emit("progress", serde_json::json!({ "stage": stage, "done": done, "total": total }));
            };
            if app.background_sync(&report).await {
                let _ = handle.emit("sync-changed", ());
            }
            tokio::time::sleep(std::time::Duration::from_secs(120)).await;
        }
    });
}

#[tauri::command]
fn first_screen(app: State<'_, App>, handle: tauri::AppHandle) {
    if app.first_screen_shown() {
        handle.exit(0);
    }
}
#[tauri::command]
async fn open_file(path: String) -> R<()> {
    tauri_plugin_opener::open_path(path, None::<&str>).map_err(|e| AppError { message: e.to_string(), rule: None })
}

/// mimalloc for Rust and SQLite alike (see `mandate-alloc`).
#[global_allocator]
static ALLOCATOR: mandate_alloc::MiMalloc = mandate_alloc::MiMalloc;

fn main() {
    mandate_alloc::return_memory_promptly();
    // `--memory-probe`: the benchmark's measure of the Rust side without a window.
    if std::env::args().any(|a| a == "--memory-probe") {
        let report = tauri::async_runtime::block_on(App::new(None).memory_probe());
        println!("{}", serde_json::to_string(&report.map_err(|e| e.message).map(|r| serde_json::json!(r))).unwrap_or_default());
        return;
    }
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .manage(App::new(None))
        .setup(|app| {
            background_sync(app.handle().clone());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            workspace_status,
            open_workspace,
            create_workspace,
            recover_workspace,
            rekey_workspace,
            update_settings,
            list_actions,
            action_view,
            run_step,
            create_action,
            offices,
            add_office,
            people,
            add_person,
            authorities,
            dashboard,
            my_work,
            views,
            save_view,
            brief,
            book_templates,
            notify_work,
            first_screen,
            import_files,
            export_file,
            open_file,
            sync_view,
            sync_connect,
            sync_now,
            sync_disconnect,
            resolve_conflict,
            dismiss_refusal,
            dismiss_all_refusals,
            export_refusals,
            sync_go_on,
            series_screen,
            create_series,
            series_step,
            occurrences
        ])
        .run(tauri::generate_context!())
        .expect("the Mandate window could not start");
}
