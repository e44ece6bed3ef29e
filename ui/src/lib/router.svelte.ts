// Hash routes: #/work, #/actions, #/action/2026-0042, #/new, #/dashboard, #/offices,
// #/authorities, #/brief, #/settings. The hash keeps Back/Forward working in the window.

function parse(hash: string): { name: string; arg: string } {
  const [name, ...rest] = hash.replace(/^#\/?/, "").split("/");
  return { name: name || "work", arg: decodeURIComponent(rest.join("/")) };
}

export const route = $state(parse(location.hash));

window.addEventListener("hashchange", () => {
  const r = parse(location.hash);
  route.name = r.name;
  route.arg = r.arg;
});

export function go(path: string) {
  location.hash = "#/" + path;
}
