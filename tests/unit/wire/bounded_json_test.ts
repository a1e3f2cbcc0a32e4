import { assertEquals } from "@std/assert";
import { jsonDepth, parseBoundedJson } from "../../../src/wire/bounded_json.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const bounds = { maxBytes: 1024 * 1024, maxDepth: 64 };

Deno.test("jsonDepth() counts brackets outside strings only", () => {
  assertEquals(jsonDepth(bytes("1"), 64), 0);
  assertEquals(jsonDepth(bytes("{}"), 64), 1);
  assertEquals(jsonDepth(bytes('{"a": [1, {"b": 2}], "c": []}'), 64), 3);
  assertEquals(jsonDepth(bytes('{"a": "[[[{{{", "b": "\\"[["}'), 64), 1);
});

Deno.test("jsonDepth() stops as soon as the depth passes its limit", () => {
  const deep = bytes("[".repeat(1_000_000));
  assertEquals(jsonDepth(deep, 64), 65);
});

Deno.test("parseBoundedJson() refuses a text nested 20,000 deep without parsing it", () => {
  const deep = `{"v":1,"payload":${'{"a":'.repeat(20_000)}1${"}".repeat(20_000)}}`;
  const read = parseBoundedJson(bytes(deep), bounds);
  assertEquals(read.ok, false);
  if (!read.ok) {
    assertEquals([read.problem, read.detail], ["too-deep", "nested over 64 levels deep"]);
  }
});

Deno.test("parseBoundedJson() refuses a text over its size before decoding it", () => {
  const read = parseBoundedJson(new Uint8Array(2 * 1024 * 1024), bounds);
  assertEquals(read.ok ? "ok" : read.problem, "too-large");
});

Deno.test("parseBoundedJson() says when a text is not JSON, or not UTF-8", () => {
  for (const body of [bytes("{nope"), new Uint8Array([0x7b, 0xff, 0x7d])]) {
    const read = parseBoundedJson(body, bounds);
    assertEquals(read.ok ? "ok" : read.problem, "not-json");
  }
  const fine = parseBoundedJson(bytes('{"a":[1,2]}'), bounds);
  assertEquals(fine.ok ? fine.value : undefined, { a: [1, 2] });
});
