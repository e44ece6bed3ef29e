// Small pure helpers the screens share (unit-tested with Vitest).
import type { ActionKind } from "./bindings/ActionKind";
import type { Priority } from "./bindings/Priority";
import type { Status } from "./bindings/Status";

// The vocabularies, typed by the Rust enums they mirror (a misspelt name does not compile).
export const STATUSES: Status[] = ["draft", "issued", "assigned", "in_progress", "blocked", "completed", "evaluated", "closed", "cancelled", "superseded"];
export const KINDS: ActionKind[] = ["executive_order", "directive", "policy", "compliance", "tasker", "decision_memo", "memorandum"];
export const PRIORITIES: Priority[] = ["routine", "priority", "immediate", "flash"];

/** "in_progress" → "In progress". */
export function label(word: string | null | undefined): string {
  if (!word) return "";
  const s = word.replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Days from `today` to `date` (both YYYY-MM-DD); negative when past. */
export function daysUntil(date: string, today: string): number {
  const d = Date.parse(date + "T00:00:00Z");
  const t = Date.parse(today + "T00:00:00Z");
  return Math.round((d - t) / 86_400_000);
}

/** The suspense in words: "due in 3 days", "due today", "overdue by 2 days". */
export function suspenseWords(date: string | null | undefined, today: string, open = true): string {
  if (!date) return "no suspense";
  if (!open) return date;
  const n = daysUntil(date, today);
  if (n === 0) return `${date} · due today`;
  if (n === 1) return `${date} · due tomorrow`;
  if (n > 1) return `${date} · due in ${n} days`;
  if (n === -1) return `${date} · overdue by 1 day`;
  return `${date} · overdue by ${-n} days`;
}

/** Stoplight for a suspense: red past due, amber within `amberDays`, green later. */
export function stoplight(date: string | null | undefined, today: string, open = true, amberDays = 7): "red" | "amber" | "green" | "none" {
  if (!date || !open) return "none";
  const n = daysUntil(date, today);
  if (n < 0) return "red";
  if (n <= amberDays) return "amber";
  return "green";
}

export const OPEN = new Set(["draft", "issued", "assigned", "in_progress", "blocked"]);

/** Rows of a virtualised list to draw: the visible window plus `overscan` either side. */
export function visibleRange(scrollTop: number, viewport: number, rowHeight: number, total: number, overscan = 8): [number, number] {
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(total, Math.ceil((scrollTop + viewport) / rowHeight) + overscan);
  return [first, Math.max(first, last)];
}

/** Command-palette match: every typed word must start a word of the entry (case-insensitive). */
export function paletteMatch(query: string, entry: string): boolean {
  const words = entry.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((q) => words.some((w) => w.startsWith(q)) || entry.toLowerCase().includes(q));
}
