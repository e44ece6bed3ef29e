// Times from the sync status, in the user's words and local time.

/** "today 14:05", "yesterday 09:30", or "24 Nov 2026 14:05" — from an RFC 3339 UTC time. */
export function when(iso: string, now: Date = new Date()): string {
  const t = new Date(iso);
  if (isNaN(t.getTime())) return iso;
  const hm = t.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", hour12: false });
  const day = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const diff = Math.round((day(now) - day(t)) / 86_400_000);
  if (diff === 0) return `today ${hm}`;
  if (diff === 1) return `yesterday ${hm}`;
  return `${t.toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" })} ${hm}`;
}

/** The one-line sync status for the navigation. */
export function syncLine(v: { connected: boolean; last_synced: string | null; waiting: number; conflicts: unknown[]; refusals: unknown[]; offline: boolean; running: boolean }, now: Date = new Date()): string {
  if (!v.connected) return "Not connected";
  const parts = [v.running ? "Syncing…" : v.offline ? "Offline" : v.last_synced ? `Synced ${when(v.last_synced, now)}` : "Not synced yet"];
  if (v.waiting > 0) parts.push(`${v.waiting} waiting`);
  if (v.conflicts.length) parts.push(`${v.conflicts.length} conflict${v.conflicts.length > 1 ? "s" : ""}`);
  if (v.refusals.length) parts.push(`${v.refusals.length} refused`);
  return parts.join(" · ");
}
