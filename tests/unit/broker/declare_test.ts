import { assertEquals, assertStringIncludes } from "@std/assert";
import { adoptionNote } from "../../../src/broker/declare.ts";

const refused = (arg: string, received: string, current: string) =>
  `Operation failed: QueueDeclare; 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - inequivalent arg '${arg}' for queue 'jobs' in vhost '/': received ${received} but current is ${current}"`;

Deno.test("adoptionNote() names what differs and what it costs, not the raw error", () => {
  const note = adoptionNote(
    { durable: true },
    refused("x-queue-type", "none", "the value 'quorum' of type 'longstr'"),
  );
  assertEquals([note.arg, note.has, note.wanted], ["x-queue-type", "quorum", "classic"]);
  assertStringIncludes(note.cost, "it stays a quorum queue, not classic");
});

Deno.test("adoptionNote() says a transient queue loses its tasks on a restart", () => {
  const note = adoptionNote({ durable: true }, refused("durable", "'true'", "'false'"));
  assertEquals([note.arg, note.has, note.wanted], ["durable", "false", "true"]);
  assertStringIncludes(note.cost, "lost when the broker restarts");
});

Deno.test("adoptionNote() tells how to get priorities on a queue without them", () => {
  const note = adoptionNote(
    { durable: true, arguments: { "x-max-priority": 10 } },
    refused("x-max-priority", "the value '10' of type 'signedint'", "none"),
  );
  assertEquals([note.has, note.wanted], ["none", "10"]);
  assertStringIncludes(note.cost, "--max-priority");
});

Deno.test("adoptionNote() keeps a bounded part of an error it cannot read", () => {
  const note = adoptionNote({ durable: true }, `PRECONDITION_FAILED ${"x".repeat(1_000)}`);
  assertEquals(note.arg, undefined);
  assertEquals(note.cost.length < 300, true, note.cost);
});
