import { assertEquals, assertLessOrEqual, assertMatch } from "@std/assert";
import { limitsProblem, MAX_LIMITS } from "../../../src/admin/flow_status.ts";

Deno.test("the rate limits a status or dashboard is asked to show are checked first", async (t) => {
  await t.step("task names that fit: nothing to say", () => {
    assertEquals(limitsProblem(["call", "send.mail"], ["jobs", "other"]), undefined);
    assertEquals(limitsProblem([], ["jobs"]), undefined);
  });

  await t.step(`more than ${MAX_LIMITS} are refused`, () => {
    const tasks = Array.from({ length: MAX_LIMITS + 1 }, (_, i) => `t${i}`);
    assertEquals(limitsProblem(tasks, ["jobs"]), `names ${MAX_LIMITS + 1} tasks: give at most 64`);
  });

  await t.step("a name that is not a task name is refused, quoted and cut", () => {
    assertMatch(
      limitsProblem(["no such"], ["jobs"])!,
      /^names "no such", which is not a task name/,
    );
    const long = `a b${"x".repeat(1_000)}`;
    assertLessOrEqual(limitsProblem([long], ["jobs"])!.length, 200);
  });

  await t.step("a name too long for the queues of one of the work queues is refused", () => {
    const task = `t${"x".repeat(230)}`;
    assertEquals(limitsProblem([task], ["q"]), undefined);
    assertMatch(
      limitsProblem([task], ["q", `jobs_${"y".repeat(30)}`])!,
      /^names "tx{79}", too long a task name for a queue of 'jobs_y{30}' \(255 bytes\)$/,
    );
  });
});
