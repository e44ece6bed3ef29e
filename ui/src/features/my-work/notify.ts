// Desktop notifications for what needs the user (overdue, due soon, responses owed): the Rust
// side counts and shows the system notification.
import { invoke } from "@tauri-apps/api/core";

/** `onlyNew`: after a sync, say nothing unless the summary changed since the last notification. */
export async function notifyWork(onlyNew = false) {
  try {
    await invoke("notify_work", { onlyNew });
  } catch {
    // Notifications are a convenience; My work shows the same.
  }
}
