// The handling-marking banner shows the highest marking of what is on screen (the rule of
// marking: a page carries the highest marking of its content). Screens that show actions say
// which markings they show; a screen that says nothing gets the workspace's highest marking,
// the safe side.

/** What the current screen reported, and for which route (a stale report is ignored). */
export const onScreen = $state<{ hash: string; markings: string[] | null }>({ hash: "", markings: null });

/** Called by a screen with the markings of the actions it is drawing now. */
export function showMarkings(markings: string[]) {
  onScreen.hash = location.hash;
  onScreen.markings = markings;
}

/** UNCLASSIFIED < CUI < CUI with categories (more categories rank higher) — as `Marking::rank`. */
export function rank(marking: string): number {
  const m = marking.trim().toUpperCase();
  if (m === "UNCLASSIFIED" || m === "") return 0;
  return 1 + (m.match(/\/\//g)?.length ?? 0);
}

/** The highest of several markings; UNCLASSIFIED for none. Ties go to the later name, as in Rust. */
export function highest(markings: Iterable<string>): string {
  let best = "UNCLASSIFIED";
  for (const raw of markings) {
    const m = raw.trim().toUpperCase();
    if (rank(m) > rank(best) || (rank(m) === rank(best) && m > best)) best = m;
  }
  return best;
}

/** The banner's text: the screen's highest marking, or the workspace's when the screen said nothing. */
export function bannerMarking(hash: string, workspace: string | undefined): string {
  if (onScreen.markings && onScreen.hash === hash) return highest(onScreen.markings);
  return workspace ?? "UNCLASSIFIED";
}
