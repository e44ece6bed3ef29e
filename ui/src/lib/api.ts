// Typed calls to the Rust commands (src-tauri), one per command. Types come from ts-rs
// (./bindings, generated from the Rust types — never edited by hand).
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type { ActionPage } from "./bindings/ActionPage";
import type { ActionView } from "./bindings/ActionView";
import type { AppError } from "./bindings/AppError";
import type { AuthorityEntry } from "./bindings/AuthorityEntry";
import type { BriefRequest } from "./bindings/BriefRequest";
import type { BriefResult } from "./bindings/BriefResult";
import type { Created } from "./bindings/Created";
import type { Dashboard } from "./bindings/Dashboard";
import type { FirstRun } from "./bindings/FirstRun";
import type { ImportResult } from "./bindings/ImportResult";
import type { MyWork } from "./bindings/MyWork";
import type { NewActionForm } from "./bindings/NewActionForm";
import type { StepRequest } from "./bindings/StepRequest";
import type { TemplateEntry } from "./bindings/TemplateEntry";
import type { WorkspaceStatus } from "./bindings/WorkspaceStatus";
import type { SyncView } from "./bindings/SyncView";
import type { SyncOutcome } from "./bindings/SyncOutcome";
import type { ConnectForm } from "./bindings/ConnectForm";
import type { ActionFilter } from "./bindings/ActionFilter";
import type { Office } from "./bindings/Office";
import type { Person } from "./bindings/Person";
import type { SavedView } from "./bindings/SavedView";
import type { SeriesScreen } from "./bindings/SeriesScreen";
import type { NewSeries } from "./bindings/NewSeries";
import type { Series } from "./bindings/Series";
import type { SeriesStep } from "./bindings/SeriesStep";
import type { Occurrence } from "./bindings/Occurrence";

/** What the actions list is filtered by (every field optional). */
export type Filter = ActionFilter;
export type { Office, Person, SavedView };

/** The message of a failed command (an AppError from Rust, or anything else thrown). */
export function errorText(e: unknown): string {
  if (e && typeof e === "object" && "message" in e) {
    const a = e as AppError;
    return a.rule ? `${a.message} (rule: ${a.rule})` : a.message;
  }
  return String(e);
}

export const api = {
  status: () => invoke<WorkspaceStatus>("workspace_status"),
  open: () => invoke<WorkspaceStatus>("open_workspace"),
  create: (setup: FirstRun) => invoke<Created>("create_workspace", { setup }),
  recover: (code: string) => invoke<WorkspaceStatus>("recover_workspace", { code }),
  rekey: () => invoke<string>("rekey_workspace"),
  updateSettings: (defaultMarking: string, reminderDays: number) => invoke<WorkspaceStatus>("update_settings", { defaultMarking, reminderDays }),
  listActions: (filter: Filter) => invoke<ActionPage>("list_actions", { filter }),
  action: (key: string) => invoke<ActionView>("action_view", { key }),
  step: (key: string, step: StepRequest) => invoke<ActionView>("run_step", { key, step }),
  createAction: (form: NewActionForm) => invoke<ActionView>("create_action", { form }),
  offices: () => invoke<Office[]>("offices"),
  addOffice: (code: string, name: string, kind: string) => invoke<Office>("add_office", { code, name, kind }),
  people: () => invoke<Person[]>("people"),
  addPerson: (name: string, title: string, email: string | null, office: string | null) => invoke<Person>("add_person", { name, title, email, office }),
  authorities: () => invoke<AuthorityEntry[]>("authorities"),
  dashboard: () => invoke<Dashboard>("dashboard"),
  series: () => invoke<SeriesScreen>("series_screen"),
  createSeries: (series: NewSeries) => invoke<Series>("create_series", { new: series }),
  seriesStep: (key: string, step: SeriesStep) => invoke<Series>("series_step", { key, step }),
  occurrences: (from: string, to: string) => invoke<Occurrence[]>("occurrences", { from, to }),
  myWork: () => invoke<MyWork>("my_work"),
  views: () => invoke<SavedView[]>("views"),
  saveView: (name: string, filter: Filter) => invoke<SavedView>("save_view", { name, filter }),
  brief: (request: BriefRequest) => invoke<BriefResult>("brief", { request }),
  bookTemplates: () => invoke<TemplateEntry[]>("book_templates"),
  openFile: (path: string) => invoke<void>("open_file", { path }),
  importFiles: (paths: string[], keepGoodRows: boolean) => invoke<ImportResult>("import_files", { paths, keepGoodRows }),
  exportFile: (format: string, out: string) => invoke<string>("export_file", { format, out }),
  syncView: () => invoke<SyncView>("sync_view"),
  syncConnect: (form: ConnectForm) => invoke<SyncView>("sync_connect", { form }),
  syncNow: () => invoke<SyncOutcome>("sync_now"),
  syncDisconnect: () => invoke<SyncView>("sync_disconnect"),
  resolveConflict: (id: string, reapply: boolean) => invoke<SyncView>("resolve_conflict", { id, reapply }),
  dismissRefusal: (changeId: string) => invoke<SyncView>("dismiss_refusal", { changeId }),
  dismissAllRefusals: () => invoke<SyncView>("dismiss_all_refusals"),
  exportRefusals: (out: string) => invoke<string>("export_refusals", { out }),
  syncGoOn: () => invoke<SyncOutcome>("sync_go_on"),
};

/** The background sync finished an attempt (the status may have changed). */
export function onSyncChanged(f: () => void) {
  return listen("sync-changed", () => f());
}

export type Progress = { stage: string; done: number; total: number };

export function onProgress(f: (p: Progress) => void) {
  return listen<Progress>("progress", (e) => f(e.payload));
}
