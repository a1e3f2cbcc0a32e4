/**
 * The not-before header (`x-warren-not-before`): written only on tasks that have a delay, read
 * as hostile (a value that is no time is absent).
 */
import { assert, assertEquals } from "@std/assert";
import { z } from "zod";
import { defineCatalog } from "../../../src/task/catalog.ts";
import { defineTask } from "../../../src/task/contract.ts";
import { decodeTask } from "../../../src/task/decode.ts";
import { prepareTask } from "../../../src/task/prepare.ts";
import { HEADERS } from "../../../src/wire/headers.ts";
import { readNotBefore } from "../../../src/wire/not_before.ts";
import { encodeTask } from "../../../src/wire/task_codec.ts";

const catalog = defineCatalog(defineTask({ name: "mark", schema: z.object({}) }));
const NOW = Date.parse("2026-12-01T12:00:00Z");

Deno.test("a delayed task carries its not-before as an integer of epoch ms", () => {
  const delayed = prepareTask(catalog, "mark", {}, { delay: 65_000, now: NOW });
  assertEquals(delayed.properties.headers?.[HEADERS.notBefore], NOW + 65_000);
  const at = prepareTask(catalog, "mark", {}, { at: new Date(NOW + 1_500), now: NOW });
  assertEquals(at.properties.headers?.[HEADERS.notBefore], NOW + 1_500);
  // A fraction of a millisecond is rounded up: never early.
  const odd = encodeTask("mark", {}, { notBefore: NOW + 0.25 });
  assertEquals(odd.properties.headers?.[HEADERS.notBefore], NOW + 1);
});

Deno.test("a task without a delay carries no not-before (nor any header for it)", () => {
  assertEquals(prepareTask(catalog, "mark", {}, { now: NOW }).properties.headers, undefined);
  const past = prepareTask(catalog, "mark", {}, { at: new Date(NOW - 60_000), now: NOW });
  assertEquals(past.properties.headers, undefined);
  const expiring = prepareTask(catalog, "mark", {}, { expires: 1_000, now: NOW });
  assertEquals(expiring.properties.headers, { [HEADERS.expires]: NOW + 1_000 });
});

Deno.test("readNotBefore() reads epoch ms, digits and ISO times", () => {
  assertEquals(readNotBefore(NOW), NOW);
  assertEquals(readNotBefore(NOW + 0.5), NOW + 1);
  assertEquals(readNotBefore(String(NOW)), NOW);
  assertEquals(readNotBefore("2026-12-01T12:00:00.000Z"), NOW);
  assertEquals(readNotBefore("2026-12-01T13:00:00+01:00"), NOW);
});

Deno.test("readNotBefore() treats a hostile or broken value as absent", () => {
  const hostile: unknown[] = [
    undefined,
    null,
    true,
    0,
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    1e300,
    8.64e15 + 1,
    "",
    "soon",
    "-5",
    "1e12",
    " 1796040000000",
    "2026-13-45T99:99:99Z",
    "2026-12-01T12:00:00Z" + " ".repeat(100),
    "9".repeat(100_000),
    [NOW],
    { value: NOW },
    new Uint8Array(8),
  ];
  for (const value of hostile) {
    assertEquals(readNotBefore(value), undefined, `${typeof value} ${String(value).slice(0, 40)}`);
  }
});

Deno.test("decodeTask() gives the not-before it read, and none for a hostile one", () => {
  const body = new TextEncoder().encode('{"task":"mark"}');
  const decode = (value: unknown) =>
    decodeTask(
      { content: body, properties: { headers: { [HEADERS.notBefore]: value } } },
      catalog,
      1024,
    );
  const read = decode(NOW);
  assert(read.ok);
  assertEquals(read.notBefore, NOW);
  for (const value of ["later", { at: NOW }, -NOW]) {
    const ignored = decode(value);
    assert(ignored.ok, "a hostile not-before never makes a task undecodable");
    assertEquals(ignored.notBefore, undefined);
  }
});
