/**
 * The wire decoders against hostile input: what nests too deep, is too large or has the wrong
 * shape is refused (or cut), never a stack overflow or a field of the wrong type.
 */
import { assert, assertEquals } from "@std/assert";
import { Buffer } from "node:buffer";
import { HEADER_TEXT_BYTES, utf8Bytes } from "../../../src/util/bounds.ts";
import { decodeCancel, encodeCancel, MAX_CONTROL_BYTES } from "../../../src/wire/control.ts";
import { decodeEvent, encodeEvent } from "../../../src/wire/events.ts";
import { decodeOutcome } from "../../../src/wire/outcome_codec.ts";
import { decodeBody } from "../../../src/wire/task_codec.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const deep = (n: number) => "[".repeat(n) + "]".repeat(n);

Deno.test("decodeBody() dead-letters a body nested 20,000 deep as too-large, unparsed", () => {
  const body = decodeBody({
    content: bytes(`{"task":"sum","n":${deep(20_000)}}`),
    properties: {},
  }, 1_000_000);
  assertEquals(body.ok, false);
  assertEquals(!body.ok && body.reason, "too-large");
  assertEquals(
    decodeBody({ content: bytes(`{"task":"sum","n":${deep(60)}}`), properties: {} }, 1e6).ok,
    true,
  );
});

Deno.test("decodeOutcome() and decodeEvent() refuse what nests 20,000 deep", () => {
  assertEquals(decodeOutcome(bytes(`{"id":"t","ok":true,"result":${deep(20_000)}}`)), undefined);
  assertEquals(decodeOutcome(bytes(`{"id":"t","ok":true,"result":${deep(10)}}`))?.ok, true);
  const event = `{"v":1,"event":"succeeded","id":"t","at":"2026-12-01T00:00:00Z","result":`;
  assertEquals(decodeEvent(bytes(`${event}${deep(20_000)}}`)), undefined);
  assertEquals(decodeEvent(bytes(`${event}${deep(10)}}`))?.event, "succeeded");
  const { body } = encodeEvent({ event: "started", id: "t", task: "sum", worker: "w", attempt: 1 });
  assertEquals(decodeEvent(body)?.event, "started");
});

Deno.test("decodeCancel() cuts a 200,000-character 'by' and refuses what is not a cancel", () => {
  const cancel = (fields: Record<string, unknown>) =>
    Buffer.from(
      JSON.stringify({ v: 1, op: "cancel", id: "t1", at: "2026-12-01T00:00:00Z", ...fields }),
    );
  const long = decodeCancel(cancel({ by: "b".repeat(200_000) }));
  assertEquals(long?.id, "t1");
  assert(utf8Bytes(long!.by) <= HEADER_TEXT_BYTES);
  assertEquals(decodeCancel(cancel({ by: "ops", drop: true }))?.drop, true);
  assertEquals(decodeCancel(cancel({ by: 5 })), undefined);
  assertEquals(decodeCancel(cancel({ by: "ops", drop: "yes" })), undefined);
  assertEquals(decodeCancel(cancel({ by: "ops", at: "not a time" })), undefined);
  assertEquals(decodeCancel(cancel({ by: "ops", id: "i".repeat(300) })), undefined);
  assertEquals(decodeCancel(cancel({ by: "b".repeat(MAX_CONTROL_BYTES) })), undefined);
  assertEquals(decodeCancel(bytes(deep(20_000))), undefined);
  assert(
    utf8Bytes(decodeCancel(encodeCancel("t1", { by: "x".repeat(5_000) }))!.by) <= HEADER_TEXT_BYTES,
  );
});

Deno.test("decodeOutcome() refuses a reply whose fields have the wrong types", () => {
  const reply = (fields: Record<string, unknown>) => bytes(JSON.stringify({ id: "t", ...fields }));
  assertEquals(decodeOutcome(reply({ ok: false, reason: "failed", error: "boom" }))?.ok, false);
  assertEquals(decodeOutcome(reply({ ok: false, reason: "failed" })), undefined);
  assertEquals(decodeOutcome(reply({ ok: false, reason: 5, error: "boom" })), undefined);
  assertEquals(decodeOutcome(reply({ ok: true, task: 5, result: 1 })), undefined);
  assertEquals(decodeOutcome(reply({ ok: "yes" })), undefined);
});
