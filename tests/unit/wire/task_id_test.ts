import { assertEquals } from "@std/assert";
import { newTaskId, TASK_ID_LENGTH } from "../../../src/wire/task_id.ts";

Deno.test("newTaskId() gives 22 base64url characters of 16 random bytes, all different", () => {
  const ids = Array.from({ length: 5_000 }, newTaskId);
  assertEquals(new Set(ids).size, ids.length);
  for (const id of ids) {
    assertEquals(id.length, TASK_ID_LENGTH);
    const bytes = atob(id.replaceAll("-", "+").replaceAll("_", "/") + "==");
    assertEquals(bytes.length, 16, id);
    // Base64 of the same bytes, spelt back the other way: the encoding is the standard one.
    const again = btoa(bytes).slice(0, TASK_ID_LENGTH).replaceAll("+", "-").replaceAll("/", "_");
    assertEquals(again, id);
  }
});
