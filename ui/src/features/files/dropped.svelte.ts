// Files dropped on the window (mails, exports, public records) wait here for the Import screen,
// which imports them as if they had been chosen there. Native drops (Tauri's drag-drop event)
// and the `mandate:drop` DOM event both come through `dropFiles`.
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { go } from "../../lib/router.svelte";

export const dropped = $state<{ paths: string[] }>({ paths: [] });

export function dropFiles(paths: string[]) {
  if (!paths.length) return;
  dropped.paths = paths;
  go("files");
}

/** Listen for files dropped on the window; returns the way to stop listening. */
export function listenForDrops(): () => void {
  const dom = (e: Event) => dropFiles((e as CustomEvent<string[]>).detail ?? []);
  window.addEventListener("mandate:drop", dom);
  let stop: (() => void) | null = null;
  getCurrentWebview()
    .onDragDropEvent((e) => {
      if (e.payload.type === "drop") dropFiles(e.payload.paths);
    })
    .then((un) => (stop = un))
    .catch(() => {});
  return () => {
    window.removeEventListener("mandate:drop", dom);
    stop?.();
  };
}
