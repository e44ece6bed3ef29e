// Desktop notifications for what needs the user (overdue, due soon, responses owed): the Rust
// side counts and shows the system notification.
import { invoke } from "@tauri-apps/api/core";

export async function notifyWork() {
  try {
    await invoke("notify_work");
  } catch {
    // Notifications are a convenience; My work shows the same.
  }
}
