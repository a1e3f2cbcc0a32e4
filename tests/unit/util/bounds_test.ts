/**
 * The bounds of what Warren writes and reads: texts cut with a marker on a character boundary,
 * depths measured without recursion, header tables measured before amqplib encodes them.
 */
import { assert, assertEquals } from "@std/assert";
import {
  boundText,
  boundValue,
  EVENT_TEXT_BYTES,
  HEADER_TEXT_BYTES,
  headerTableBytes,
  headerText,
  jsonTextDepth,
  MAX_HEADER_BYTES,
  measureDepth,
  parseBoundedJson,
  utf8Bytes,
  wasCut,
} from "../../../src/util/bounds.ts";

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

Deno.test("boundText() keeps a text that fits and cuts one that does not, with its length", () => {
  assertEquals(boundText("fits", 64), "fits");
  const cut = boundText("é".repeat(70_000), HEADER_TEXT_BYTES);
  assert(utf8Bytes(cut) <= HEADER_TEXT_BYTES);
  assert(cut.endsWith("…[cut: 140000 bytes in all]"));
  assert(wasCut(cut));
  assert(!cut.includes("\ufffd"), "no character is split");
  assertEquals(utf8Bytes(headerText("n".repeat(70_000))) <= HEADER_TEXT_BYTES, true);
});

Deno.test("utf8Bytes() counts as UTF-8 does", () => {
  for (const text of ["", "abc", "é", "€", "😀", "a😀é€"]) {
    assertEquals(utf8Bytes(text), new TextEncoder().encode(text).length);
  }
});

Deno.test("measureDepth() measures 3,000 and 100,000 levels without overflowing the stack", () => {
  assertEquals(measureDepth(nested(10)), { depth: 10, tooDeep: false });
  assertEquals(measureDepth(nested(3_000)).tooDeep, true);
  assertEquals(measureDepth(nested(100_000)).tooDeep, true);
  assertEquals(measureDepth("scalar"), { depth: 0, tooDeep: false });
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  assertEquals(measureDepth(cycle).tooDeep, true);
});

Deno.test("jsonTextDepth() reads brackets outside strings only", () => {
  assertEquals(jsonTextDepth('{"a":"[[[[\\"]]]"}'), { depth: 1, tooDeep: false });
  assertEquals(jsonTextDepth("[".repeat(20_000) + "]".repeat(20_000)).tooDeep, true);
  assertEquals(parseBoundedJson("[".repeat(20_000) + "]".repeat(20_000)), undefined);
  assertEquals(parseBoundedJson('{"a":[1]}'), { a: [1] });
  assertEquals(parseBoundedJson("not json"), undefined);
});

Deno.test("headerTableBytes() bounds what amqplib encodes, nested values included", () => {
  const small = headerTableBytes({ "x-warren-error": "boom", "x-warren-attempts": 2 });
  assert(small > 20 && small < 100);
  assert(headerTableBytes({ e: "e".repeat(70_000) }) > MAX_HEADER_BYTES);
  assert(headerTableBytes({ list: [{ a: "x".repeat(61_000) }] }) > MAX_HEADER_BYTES);
  // It stops counting once over the limit asked.
  const wide = Object.fromEntries(
    Array.from({ length: 10_000 }, (_, i) => [`k${i}`, "v".repeat(50)]),
  );
  assert(headerTableBytes(wide, MAX_HEADER_BYTES) > MAX_HEADER_BYTES);
});

Deno.test("boundValue() keeps a small value, cuts a large one, replaces a deep one", () => {
  assertEquals(boundValue({ a: [1, 2] }), { a: [1, 2] });
  const large = boundValue({ text: "x".repeat(EVENT_TEXT_BYTES * 2) });
  assert(typeof large === "string" && wasCut(large));
  assertEquals(boundValue(nested(3_000)), "[not shown: nested over 64 levels deep]");
  assertEquals(boundValue(42), 42);
});
