import { describe, expect, it } from "vitest";
import { syncLine, when } from "./when";

const now = new Date(2026, 10, 24, 15, 0);
const base = { connected: true, last_synced: null as string | null, waiting: 0, conflicts: [] as unknown[], refusals: [] as unknown[], offline: false, running: false };

describe("when", () => {
  it("says today and yesterday in local time", () => {
    expect(when(new Date(2026, 10, 24, 9, 5).toISOString(), now)).toBe("today 09:05");
    expect(when(new Date(2026, 10, 23, 18, 30).toISOString(), now)).toBe("yesterday 18:30");
    expect(when(new Date(2026, 9, 1, 8, 0).toISOString(), now)).toMatch(/2026 08:00$/);
  });
  it("leaves what it cannot read alone", () => {
    expect(when("soon", now)).toBe("soon");
  });
});

describe("syncLine", () => {
  it("summarises the status", () => {
    expect(syncLine({ ...base, connected: false }, now)).toBe("Not connected");
    expect(syncLine(base, now)).toBe("Not synced yet");
    expect(syncLine({ ...base, offline: true, waiting: 3, conflicts: [1], refusals: [1, 2] }, now)).toBe("Offline · 3 waiting · 1 conflict · 2 refused");
    expect(syncLine({ ...base, last_synced: new Date(2026, 10, 24, 14, 0).toISOString() }, now)).toBe("Synced today 14:00");
  });
});
