import { assert, assertEquals } from "@std/assert";
import { newTaskId, TASK_ID_LENGTH, taskIdAt, timeOfId } from "../../../src/wire/task_id.ts";

Deno.test("newTaskId() gives 22 base64url characters, all different, that sort by time", () => {
  const ids = Array.from({ length: 5_000 }, () => newTaskId());
  assertEquals(new Set(ids).size, ids.length);
  for (const id of ids) {
    assertEquals(id.length, TASK_ID_LENGTH);
    assert(/^[A-Za-z0-9_-]{22}$/.test(id), id);
  }
  const early = taskIdAt(Date.UTC(2026, 0, 1));
  const late = taskIdAt(Date.UTC(2026, 0, 1, 0, 0, 0, 1));
  assert(early.slice(0, 8) !== late.slice(0, 8));
});

Deno.test("timeOfId() reads the time an id was made, and refuses ids that hold none", async (t) => {
  const now = Date.UTC(2026, 11, 1, 12);
  await t.step("a Warren id", () => {
    assertEquals(timeOfId(taskIdAt(now - 5000), now)?.getTime(), now - 5000);
  });
  await t.step("a scheduler's fire id", () => {
    assertEquals(
      timeOfId("nightly@2026-12-01T02:00:00.000Z", now)?.toISOString(),
      "2026-12-01T02:00:00.000Z",
    );
  });
  await t.step("ids that say nothing, or an impossible time", () => {
    assertEquals(timeOfId("7f1c3a52-6c4b-4b8e-9a57-0d2c0e4f5a11", now), undefined);
    assertEquals(timeOfId("order-1234", now), undefined);
    assertEquals(timeOfId(taskIdAt(Date.UTC(2019, 0, 1)), now), undefined);
    assertEquals(timeOfId(taskIdAt(now + 2 * 24 * 3600_000), now), undefined);
    assertEquals(timeOfId("x@not a time", now), undefined);
  });
});
