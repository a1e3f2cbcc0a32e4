import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import {
  assert,
  assertEquals,
  assertGreaterOrEqual,
  assertLessOrEqual,
  assertMatch,
  assertNotEquals,
  assertStringIncludes,
} from "@std/assert";
import {
  countHeader,
  encodeTask,
  type IncomingMessage,
  messageId,
} from "../../../src/wire/task_codec.ts";
import { type DeadReason } from "../../../src/wire/dead_reasons.ts";
import { decodeTask } from "../../../src/task/decode.ts";
import { DELIVERY_COUNT_HEADER, HEADERS } from "../../../src/wire/headers.ts";
import { catalog } from "../../../tasks/mod.ts";

const MAX = 4096;
const encoder = new TextEncoder();

function incoming(
  body: string | Uint8Array,
  properties: IncomingMessage["properties"] = {},
): IncomingMessage {
  return { content: typeof body === "string" ? encoder.encode(body) : body, properties };
}

function expectFailure(message: IncomingMessage, reason: DeadReason, includes: string) {
  const decoded = decodeTask(message, catalog, MAX);
  assert(!decoded.ok, `expected ${reason}, got a decoded task`);
  assertEquals(decoded.reason, reason);
  assertStringIncludes(decoded.error, includes);
  return decoded;
}

Deno.test("encodeTask() writes the seed's flat body with the task name first", async (t) => {
  await t.step("exact bytes", () => {
    const message = encodeTask("sum", { start: 1, end: 10 });
    assertEquals(message.body.toString("utf8"), '{"task":"sum","start":1,"end":10}');
    assertEquals(message.task, "sum");
  });
  await t.step("a payload carrying a 'task' key cannot replace the task name or move it", () => {
    const message = encodeTask("sum", { start: 1, task: "primes", end: 10 });
    assertEquals(message.body.toString("utf8"), '{"task":"sum","start":1,"end":10}');
    assertEquals(message.properties.type, "sum");
  });
  await t.step("the body is UTF-8", () => {
    const message = encodeTask("sha256", { text: "héllo ✓", rounds: 1 });
    assertEquals(
      [...message.body],
      [...Buffer.from('{"task":"sha256","text":"héllo ✓","rounds":1}', "utf8")],
    );
  });
});

Deno.test("encodeTask() sets persistent JSON properties with the id, type and time", () => {
  const before = Math.floor(Date.now() / 1000);
  const message = encodeTask("sum", { start: 1, end: 2 });
  const after = Math.floor(Date.now() / 1000);
  const { properties } = message;
  assertEquals(properties.persistent, true);
  assertEquals(properties.contentType, "application/json");
  assertEquals(properties.type, "sum");
  assertEquals("appId" in properties, false, "no app_id: it said nothing");
  assertEquals(properties.messageId, message.id);
  assertMatch(message.id, /^[A-Za-z0-9_-]{22}$/);
  assert(Number.isInteger(properties.timestamp), "timestamp in whole seconds");
  assertGreaterOrEqual(properties.timestamp, before);
  assertLessOrEqual(properties.timestamp, after);
  assertEquals("headers" in properties, false, "no headers unless asked for");
});

Deno.test("encodeTask() takes the id and headers it is given; ids differ otherwise", () => {
  const message = encodeTask("sum", { start: 1, end: 2 }, {
    id: "order-42",
    headers: { "x-trace": "abc" },
  });
  assertEquals(message.id, "order-42");
  assertEquals(message.properties.messageId, "order-42");
  assertEquals(message.properties.headers, { "x-trace": "abc" });
  const ids = new Set(Array.from({ length: 50 }, () => encodeTask("sum", {}).id));
  assertEquals(ids.size, 50);
});

Deno.test("decodeTask() decodes a valid message into its task, parsed payload and id", () => {
  const encoded = encodeTask("sha256", { text: "abc" });
  const decoded = decodeTask(
    { content: encoded.body, properties: encoded.properties },
    catalog,
    MAX,
  );
  assert(decoded.ok);
  assertEquals(decoded.id, encoded.id);
  assertEquals(decoded.contract.name, "sha256");
  assertEquals(decoded.payload, { text: "abc", rounds: 1 }, "the schema's default applies");
  assertEquals(decoded.attempts, 0);
});

Deno.test("decodeTask() accepts a message with no properties at all, as a plain client sends", async (t) => {
  const body = '{"task": "sum", "start": 1, "end": 10000}';
  for (
    const [label, properties] of [
      ["empty properties", {}],
      ["properties all undefined (amqplib's shape)", { messageId: undefined, headers: undefined }],
      ["an empty message id", { messageId: "" }],
    ] as const
  ) {
    await t.step(label, () => {
      const decoded = decodeTask(incoming(body, properties), catalog, MAX);
      assert(decoded.ok, JSON.stringify(decoded));
      assertEquals(decoded.contract.name, "sum");
      assertEquals(decoded.payload, { start: 1, end: 10000 });
      assertEquals(decoded.attempts, 0);
      const digest = createHash("sha256").update(body).digest("hex").slice(0, 24);
      assertEquals(decoded.id, `sha256:${digest}`);
    });
  }
  await t.step("the id is stable for one body and differs between bodies", () => {
    const a = decodeTask(incoming(body), catalog, MAX).id;
    assertEquals(decodeTask(incoming(body), catalog, MAX).id, a);
    assertNotEquals(decodeTask(incoming(body.replace("10000", "10001")), catalog, MAX).id, a);
  });
  await t.step("an undecodable body gets the same kind of id", () => {
    const failed = decodeTask(incoming("not json"), catalog, MAX);
    assertMatch(failed.id, /^sha256:[0-9a-f]{24}$/);
  });
});

Deno.test("decodeTask() drops fields the schema does not know", () => {
  const decoded = decodeTask(incoming('{"task":"primes","limit":10,"extra":true}'), catalog, MAX);
  assert(decoded.ok);
  assertEquals(decoded.payload, { limit: 10 });
});

Deno.test("decodeTask() refuses a body over the size limit, but not one exactly at it", () => {
  const body = JSON.stringify({ task: "sha256", text: "x".repeat(100) });
  const bytes = encoder.encode(body).length;
  const at = decodeTask(incoming(body), catalog, bytes);
  assert(at.ok);
  const over = decodeTask(incoming(body), catalog, bytes - 1);
  assert(!over.ok);
  assertEquals(over.reason, "too-large");
  assertEquals(over.error, `body of ${bytes} bytes is over the limit of ${bytes - 1}`);
});

Deno.test("decodeTask() refuses a body that is not UTF-8", () => {
  for (const bytes of [[0xff], [0x7b, 0xc3, 0x28, 0x7d], [0xed, 0xa0, 0x80]]) {
    expectFailure(incoming(new Uint8Array(bytes)), "invalid-utf8", "body is not valid UTF-8");
  }
});

Deno.test("decodeTask() refuses an empty body as not JSON, saying it is empty", () => {
  const failed = expectFailure(incoming(""), "not-json", "body is empty");
  assertEquals(failed.error, "body is empty");
});

Deno.test("decodeTask() refuses a body that is not JSON", () => {
  for (const body of ["{", "task=sum", "{'task': 'sum'}", " ", '{"task":"sum",}']) {
    expectFailure(incoming(body), "not-json", "body is not JSON");
  }
});

Deno.test("decodeTask() refuses JSON that is not an object, saying what it is", async (t) => {
  const cases: Array<[string, string]> = [
    ['["sum", 1, 10]', "body is an array, not a JSON object"],
    ["null", "body is null, not a JSON object"],
    ["42", "body is number, not a JSON object"],
    ['"sum"', "body is string, not a JSON object"],
    ["true", "body is boolean, not a JSON object"],
  ];
  for (const [body, error] of cases) {
    await t.step(body, () => {
      assertEquals(expectFailure(incoming(body), "not-object", error).error, error);
    });
  }
});

Deno.test("decodeTask() refuses an object without a string 'task'", () => {
  for (
    const body of ["{}", '{"start":1,"end":2}', '{"task":5}', '{"task":null}', '{"task":["sum"]}']
  ) {
    const failed = expectFailure(incoming(body), "no-task", "no string 'task'");
    assertEquals(failed.task, undefined);
  }
});

Deno.test("decodeTask() refuses an unknown task, naming it and the known ones", () => {
  for (const name of ["summ", "", "SUM", "toString", "__proto__"]) {
    const failed = expectFailure(
      incoming(JSON.stringify({ task: name })),
      "unknown-task",
      `unknown task '${name}'`,
    );
    assertStringIncludes(failed.error, "this worker knows sum, primes, sha256, sleep");
    assertEquals(failed.task, name);
  }
});

Deno.test("decodeTask() refuses a payload that fails its schema, naming the field", async (t) => {
  const cases: Array<[unknown, string]> = [
    [{ task: "sum", start: 1 }, "end:"],
    [{ task: "sum", start: "1", end: 2 }, "start:"],
    [{ task: "sum", start: 1.5, end: 2 }, "start:"],
    [{ task: "sum", start: 10, end: 1 }, "end: end must be greater than or equal to start"],
    [{ task: "primes", limit: -1 }, "limit:"],
    [{ task: "sha256", text: "x", rounds: 0 }, "rounds:"],
  ];
  for (const [body, field] of cases) {
    await t.step(JSON.stringify(body), () => {
      const failed = expectFailure(incoming(JSON.stringify(body)), "invalid-payload", field);
      assertStringIncludes(failed.error, "invalid payload: ");
      assertEquals(failed.task, (body as { task: string }).task);
    });
  }
});

Deno.test("decodeTask() reads the attempts header", () => {
  const body = '{"task":"sum","start":1,"end":2}';
  const headers = { [HEADERS.attempts]: 2 };
  const decoded = decodeTask(incoming(body, { messageId: "m1", headers }), catalog, MAX);
  assert(decoded.ok);
  assertEquals(decoded.attempts, 2);
  assertEquals(decoded.id, "m1");
});

Deno.test("messageId() prefers the message id property, else digests the body", () => {
  assertEquals(messageId(incoming("x", { messageId: "abc" })), "abc");
  const digest = "sha256:" + createHash("sha256").update("x").digest("hex").slice(0, 24);
  assertEquals(messageId(incoming("x", {})), digest);
  assertEquals(messageId(incoming("x", { messageId: 42 })), digest, "a non-string id is ignored");
});

Deno.test("countHeader() reads a non-negative integer and treats anything else as 0", async (t) => {
  const read = (value: unknown) => countHeader({ properties: { headers: { h: value } } }, "h");
  await t.step("numbers and numeric strings", () => {
    assertEquals(read(3), 3);
    assertEquals(read("7"), 7);
    assertEquals(read(0), 0);
  });
  await t.step("malformed values", () => {
    for (const value of [-1, 1.5, "abc", "", null, true, Number.NaN, 2 ** 60, { n: 1 }]) {
      assertEquals(read(value), 0, String(value));
    }
  });
  await t.step("no header, or no headers at all", () => {
    assertEquals(countHeader({ properties: { headers: {} } }, "h"), 0);
    assertEquals(countHeader({ properties: {} }, "h"), 0);
    assertEquals(countHeader({ properties: { headers: undefined } }, DELIVERY_COUNT_HEADER), 0);
  });
});

Deno.test("HEADERS are Warren's own x-warren-* names", () => {
  for (const name of Object.values(HEADERS)) assertMatch(name, /^x-warren-[a-z-]+$/);
  assertEquals(new Set(Object.values(HEADERS)).size, Object.values(HEADERS).length);
});
