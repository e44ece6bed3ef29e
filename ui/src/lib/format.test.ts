import { describe, expect, it } from "vitest";
import { daysUntil, label, paletteMatch, stoplight, suspenseWords, visibleRange } from "./format";

describe("suspense", () => {
  it("counts days across months", () => {
    expect(daysUntil("2026-12-01", "2026-11-24")).toBe(7);
    expect(daysUntil("2026-11-20", "2026-11-24")).toBe(-4);
  });
  it("says it in words", () => {
    expect(suspenseWords("2026-11-24", "2026-11-24")).toBe("2026-11-24 · due today");
    expect(suspenseWords("2026-11-27", "2026-11-24")).toBe("2026-11-27 · due in 3 days");
    expect(suspenseWords("2026-11-22", "2026-11-24")).toBe("2026-11-22 · overdue by 2 days");
    expect(suspenseWords(null, "2026-11-24")).toBe("no suspense");
    expect(suspenseWords("2026-11-22", "2026-11-24", false)).toBe("2026-11-22");
  });
  it("colours stoplights", () => {
    expect(stoplight("2026-11-20", "2026-11-24")).toBe("red");
    expect(stoplight("2026-11-30", "2026-11-24")).toBe("amber");
    expect(stoplight("2026-12-30", "2026-11-24")).toBe("green");
    expect(stoplight("2026-11-20", "2026-11-24", false)).toBe("none");
  });
});

describe("virtualised rows", () => {
  it("draws only the visible window and a margin", () => {
    expect(visibleRange(0, 600, 40, 100_000)).toEqual([0, 23]);
    const [a, b] = visibleRange(400_000, 600, 40, 100_000);
    expect(a).toBe(9992);
    expect(b - a).toBeLessThan(40);
    expect(visibleRange(0, 600, 40, 5)).toEqual([0, 5]);
  });
});

describe("palette and labels", () => {
  it("matches word starts", () => {
    expect(paletteMatch("new act", "New action")).toBe(true);
    expect(paletteMatch("dash", "Dashboard")).toBe(true);
    expect(paletteMatch("zzz", "Dashboard")).toBe(false);
    expect(paletteMatch("2026-0042", "2026-0042 — Prepare the plan")).toBe(true);
  });
  it("labels machine words", () => {
    expect(label("in_progress")).toBe("In progress");
  });
});
