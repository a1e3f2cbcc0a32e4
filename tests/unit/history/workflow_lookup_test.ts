/**
 * Which step of a workflow a message id names: a stage, a member, a member's later step, the
 * end; and ids that only look alike.
 */
import { assertEquals } from "@std/assert";
import { stepOf } from "../../../src/history/workflow_lookup.ts";

Deno.test("a step's id names its stage, its member and its place in the member's chain", () => {
  assertEquals(stepOf("w", "w"), { stage: "end" });
  assertEquals(stepOf("w", "w.0"), { stage: 0 });
  assertEquals(stepOf("w", "w.1.7"), { stage: 1, member: 7 });
  assertEquals(stepOf("w", "w.1.7.2"), { stage: 1, member: 7, sub: 2 });
  for (const other of ["wx", "w.", "w.a", "w.1.", "w.1.7.2.1", "w.123", "x.1", "w.1.1234567"]) {
    assertEquals(stepOf("w", other), undefined, other);
  }
});
