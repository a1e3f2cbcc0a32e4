/**
 * The settlement plans, row by row, without a broker: `planSettlement()` is a pure function of
 * the message, what it is, its disposition and the worker's settings.
 */
import { assert, assertEquals } from "@std/assert";
import { Buffer } from "node:buffer";
import { checkPublishable } from "../../../src/broker/confirmed_publisher.ts";
import { queueNames } from "../../../src/broker/topology.ts";
import { HEADER_TEXT_BYTES, utf8Bytes } from "../../../src/util/bounds.ts";
import { decodeOutcome } from "../../../src/wire/outcome_codec.ts";
import {
  FALLBACK_BODY_BYTES,
  planSettlement,
  type SettledMessage,
  type SettlementSettings,
} from "../../../src/worker/settlement.ts";

const names = queueNames("jobs");
const settings: SettlementSettings = {
  names,
  workerId: "w1",
  history: true,
  now: Date.parse("2026-12-01T12:00:00Z"),
  ms: 12.5,
};
const body = Buffer.from('{"task":"sum","start":1}');

function message(headers: Record<string, unknown> = {}, replyTo?: string): SettledMessage {
  return {
    content: body,
    properties: { headers, messageId: "t1", ...(replyTo ? { replyTo } : {}) },
  };
}

const subject = { id: "t1", task: "sum" };

Deno.test("planSettlement(): done publishes no copy, its event and its reply, then logs", () => {
  const plan = planSettlement(message({}, "amq.rabbitmq.reply-to.x"), { ...subject, result: 42 }, {
    kind: "done",
    attempt: 1,
  }, settings);
  assertEquals(plan.copy, undefined);
  assertEquals(plan.fallback, undefined);
  assertEquals(plan.event, {
    event: "succeeded",
    id: "t1",
    task: "sum",
    worker: "w1",
    attempt: 1,
    ms: 12.5,
    result: 42,
  });
  assertEquals(plan.reply?.to, "amq.rabbitmq.reply-to.x");
  assertEquals(decodeOutcome(plan.reply!.body), { id: "t1", task: "sum", ok: true, result: 42 });
  assertEquals(plan.log, {
    event: "task.done",
    task: "sum",
    id: "t1",
    attempt: 1,
    ms: 12.5,
    result: 42,
  });
});

Deno.test("planSettlement(): retry copies through the delay levels with its attempts counted", () => {
  const plan = planSettlement(message({ "x-warren-deaths": 2, "x-death": [{}] }), subject, {
    kind: "retry",
    attempt: 2,
    delay: 4000,
    error: "boom",
  }, settings);
  assertEquals(plan.copy?.to, { delay: 4000 });
  assertEquals(plan.copy?.body, body);
  const headers = plan.copy?.properties.headers!;
  assertEquals(headers["x-warren-attempts"], 2);
  assertEquals(headers["x-warren-deaths"], 0);
  assertEquals(headers["x-warren-error"], "boom");
  assertEquals(headers["x-death"], undefined); // the broker's bookkeeping is not copied
  assertEquals(plan.event?.event, "retried");
  assertEquals(plan.reply, undefined);
  assertEquals(plan.log.event, "task.failed");
  assertEquals(plan.fallback?.copy.to, { queue: "jobs.dead" });
});

Deno.test("planSettlement(): dead copies to Q.dead with the reason, its event and its reply", () => {
  const plan = planSettlement(message({}, "amq.rabbitmq.reply-to.x"), subject, {
    kind: "dead",
    reason: "failed",
    error: "boom",
    attempts: 4,
  }, settings);
  assertEquals(plan.copy?.to, { queue: "jobs.dead" });
  assertEquals(plan.copy?.properties.headers?.["x-warren-reason"], "failed");
  assertEquals(plan.copy?.properties.headers?.["x-warren-attempts"], 4);
  assertEquals(plan.event?.event, "dead");
  assertEquals(decodeOutcome(plan.reply!.body)?.ok, false);
  assertEquals(plan.log.event, "task.dead");
});

Deno.test("planSettlement(): expired and cancelled dead letters write their own events", () => {
  const expired = planSettlement(message(), subject, {
    kind: "dead",
    reason: "expired",
    error: "expired at …",
  }, settings);
  assertEquals(expired.event?.event, "expired");
  const cancelled = planSettlement(message(), subject, {
    kind: "dead",
    reason: "cancelled",
    error: "cancelled by ops",
    stage: "running",
  }, settings);
  assertEquals(cancelled.event, {
    event: "cancelled",
    id: "t1",
    task: "sum",
    worker: "w1",
    stage: "running",
  });
});

Deno.test("planSettlement(): requeue copies to the end of Q with its headers", () => {
  const plan = planSettlement(message(), subject, {
    kind: "requeue",
    reason: "redelivered",
    headers: { "x-warren-deaths": 1 },
  }, settings);
  assertEquals(plan.copy?.to, { queue: "jobs" });
  assertEquals(plan.copy?.properties.headers?.["x-warren-deaths"], 1);
  assertEquals(plan.event?.event, "returned");
  assertEquals(plan.log.event, "task.returned");
});

Deno.test("planSettlement(): drop publishes nothing but its event", () => {
  const plan = planSettlement(message({}, "amq.rabbitmq.reply-to.x"), subject, {
    kind: "drop",
    error: "cancelled by ops",
    stage: "queued",
  }, settings);
  assertEquals(plan.copy, undefined);
  assertEquals(plan.reply, undefined);
  assertEquals(plan.event, {
    event: "cancelled",
    id: "t1",
    task: "sum",
    worker: "w1",
    stage: "queued",
    dropped: true,
  });
  assertEquals(plan.log.event, "task.dead");
});

Deno.test("planSettlement(): without history, no event", () => {
  const plan = planSettlement(message(), subject, { kind: "done", attempt: 1 }, {
    ...settings,
    history: false,
  });
  assertEquals(plan.event, undefined);
});

Deno.test("planSettlement(): a 70,000-character task name and a 100 KB error fit in headers", () => {
  const long = { id: "t1", task: "n".repeat(70_000) };
  const plan = planSettlement(message(), long, {
    kind: "dead",
    reason: "unknown-task",
    error: `unknown task '${long.task}': ${"e".repeat(100_000)}`,
  }, settings);
  const headers = plan.copy!.properties.headers!;
  assert(utf8Bytes(String(headers["x-warren-error"])) <= HEADER_TEXT_BYTES);
  assertEquals(checkPublishable(plan.copy!.body, plan.copy!.properties), undefined);
  assert(utf8Bytes(plan.log.task!) <= HEADER_TEXT_BYTES);
  assert(utf8Bytes((plan.log as { error: string }).error) <= 16 * 1024);
  assertEquals(plan.copy!.body, body); // the dead letter keeps the original body
});

Deno.test("planSettlement(): the fallback is a minimal dead letter, body cut to fit", () => {
  const huge = Buffer.alloc(FALLBACK_BODY_BYTES + 10, 0x61);
  const plan = planSettlement(
    { content: huge, properties: { headers: { big: "x".repeat(100_000) }, messageId: "t1" } },
    subject,
    { kind: "dead", reason: "too-large", error: "body too large" },
    settings,
  );
  assertEquals(checkPublishable(plan.copy!.body, plan.copy!.properties)?.reason, "too-large");
  const fallback = plan.fallback!.copy;
  assertEquals(fallback.to, { queue: "jobs.dead" });
  assertEquals(fallback.body.length, FALLBACK_BODY_BYTES);
  assertEquals(fallback.properties.headers?.big, undefined);
  assertEquals(fallback.properties.headers?.["x-warren-reason"], "too-large");
  assertEquals(fallback.properties.headers?.["x-warren-body-bytes"], FALLBACK_BODY_BYTES + 10);
  assertEquals(checkPublishable(fallback.body, fallback.properties), undefined);
  assertEquals(plan.fallback!.log.event, "task.dead");
});

Deno.test("planSettlement(): a retry copy carries its not-before, for the worker's check", () => {
  const plan = planSettlement(message(), subject, {
    kind: "retry",
    attempt: 1,
    delay: 4000,
    error: "boom",
  }, settings);
  assertEquals(plan.copy?.properties.headers?.["x-warren-not-before"], settings.now + 4000);
});

Deno.test("planSettlement(): wait sends the task back to the delay levels, unrun, no failure", () => {
  const notBefore = settings.now + 560;
  const plan = planSettlement(
    message({ "x-warren-attempts": 1, "x-warren-not-before": notBefore, "x-delivery-count": 2 }),
    subject,
    {
      kind: "wait",
      early: 560,
      notBefore,
      headers: { "x-warren-not-before": notBefore, "x-warren-deaths": 2 },
    },
    settings,
  );
  assertEquals(plan.kind, "wait");
  assertEquals(plan.copy?.to, { delay: 560 });
  assertEquals(plan.copy?.body, body);
  const headers = plan.copy?.properties.headers!;
  assertEquals(headers["x-warren-attempts"], 1, "no attempt counted");
  assertEquals(headers["x-warren-not-before"], notBefore);
  assertEquals(headers["x-warren-deaths"], 2);
  assertEquals(headers["x-warren-error"], undefined, "no failure written");
  assertEquals(headers["x-delivery-count"], undefined);
  assertEquals(plan.event, undefined);
  assertEquals(plan.reply, undefined);
  assertEquals(plan.log, { event: "task.early", task: "sum", id: "t1", early: 560 });
  assertEquals(plan.fallback?.copy.to, { queue: "jobs.dead" });
});
