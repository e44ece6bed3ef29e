// Desktop notifications for what needs the user: overdue, due soon, and responses owed.
import { isPermissionGranted, requestPermission, sendNotification } from "@tauri-apps/plugin-notification";
import { api } from "../../lib/api";

export async function notifyWork() {
  try {
    const w = await api.myWork();
    const parts: string[] = [];
    if (w.overdue.length) parts.push(`${w.overdue.length} overdue`);
    if (w.due_soon.length) parts.push(`${w.due_soon.length} due within 7 days`);
    const respond = w.to_acknowledge.length + w.to_concur.length + w.extensions_to_decide.length;
    if (respond) parts.push(`${respond} awaiting your office's response`);
    if (!parts.length) return;
    let granted = await isPermissionGranted();
    if (!granted) granted = (await requestPermission()) === "granted";
    if (granted) sendNotification({ title: "Mandate — My work", body: parts.join(", ") });
  } catch {
    // Notifications are a convenience; My work shows the same.
  }
}
