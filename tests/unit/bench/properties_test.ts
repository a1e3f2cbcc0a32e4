import { assertEquals } from "@std/assert";
import { publishOptions, WARREN_PROPERTIES } from "../../../bench/properties.ts";
import { encodeTask } from "../../../src/wire/task_codec.ts";

Deno.test("the bench's plain-props messages carry what Warren's carry, id length included", () => {
  const plain = publishOptions(WARREN_PROPERTIES, "sum");
  const warren = encodeTask("sum", { start: 1, end: 2 }).properties;
  assertEquals(Object.keys(plain).sort(), Object.keys(warren).sort());
  assertEquals(String(plain.messageId).length, warren.messageId.length);
});
