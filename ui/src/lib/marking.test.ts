import { describe, expect, it } from "vitest";
import { highest, rank } from "./marking.svelte";

describe("handling markings", () => {
  it("ranks CUI above UNCLASSIFIED and more categories above fewer", () => {
    expect(rank("UNCLASSIFIED")).toBe(0);
    expect(rank("CUI")).toBe(1);
    expect(rank("CUI//SP-PRVCY")).toBe(2);
    expect(rank("CUI//SP-PRVCY//NOFORN")).toBe(3);
  });
  it("picks the highest of what is shown, UNCLASSIFIED for nothing", () => {
    expect(highest([])).toBe("UNCLASSIFIED");
    expect(highest(["UNCLASSIFIED", "CUI", "UNCLASSIFIED"])).toBe("CUI");
    expect(highest(["CUI//SP-PRVCY", "cui", "UNCLASSIFIED"])).toBe("CUI//SP-PRVCY");
  });
});
