import { assertEquals } from "@std/assert";
import { applyEvent, foldTimeline, type TaskRecord } from "../../../src/history/timeline.ts";
import type { HistoryEvent } from "../../../src/wire/events.ts";

const NOW = Date.parse("2026-12-01T12:00:00.000Z");
const at = (s: number) => new Date(NOW + s * 1000).toISOString();
const worker = "w1";
const base = { v: 1, id: "t1", task: "sum" } as const;

const enqueued = (s = 0, notBefore?: string): HistoryEvent => ({
  ...base,
  event: "enqueued",
  at: at(s),
  ...(notBefore ? { notBefore } : {}),
});
const started = (s: number, attempt = 1): HistoryEvent => ({
  ...base,
  event: "started",
  at: at(s),
  worker,
  attempt,
});

Deno.test("foldTimeline() follows a task through its life", async (t) => {
  await t.step("queued, running with progress, retrying, then succeeded", () => {
    const events: HistoryEvent[] = [enqueued(), started(1)];
    const progress: HistoryEvent = {
      ...base,
      event: "progress",
      at: at(2),
      worker,
      attempt: 1,
      fraction: 0.4,
      note: "row 400",
    };
    assertEquals(foldTimeline([enqueued()], NOW)?.state, "queued");
    const running = foldTimeline([...events, progress], NOW)!;
    assertEquals([running.state, running.attempts, running.progress], [
      "running",
      1,
      { fraction: 0.4, note: "row 400" },
    ]);
    const retried: HistoryEvent = {
      ...base,
      event: "retried",
      at: at(3),
      worker,
      attempt: 1,
      error: "boom",
      next: at(5),
    };
    const retrying = foldTimeline([...events, progress, retried], NOW)!;
    assertEquals([retrying.state, retrying.error, retrying.notBefore], ["retrying", "boom", at(5)]);
    const done = foldTimeline([...events, progress, retried, started(5, 2), {
      ...base,
      event: "succeeded",
      at: at(6),
      worker,
      attempt: 2,
      ms: 10,
      result: 55,
    }], NOW)!;
    assertEquals([done.state, done.attempts, done.result, done.error, done.progress], [
      "succeeded",
      2,
      55,
      undefined,
      undefined,
    ]);
    assertEquals(done.events.length, 6);
    assertEquals(done.updatedAt, at(6));
  });
  await t.step("a delayed task is delayed until its time, then queued", () => {
    assertEquals(foldTimeline([enqueued(0, at(60))], NOW)?.state, "delayed");
    assertEquals(foldTimeline([enqueued(0, at(60))], NOW + 61_000)?.state, "queued");
  });
  await t.step("dead, expired and cancelled say why", () => {
    const dead = foldTimeline([enqueued(), started(1), {
      ...base,
      event: "dead",
      at: at(2),
      worker,
      reason: "non-retryable",
      error: "bad row",
      attempts: 1,
    }], NOW)!;
    assertEquals([dead.state, dead.reason, dead.error], ["dead", "non-retryable", "bad row"]);
    const expired = foldTimeline([enqueued(), {
      ...base,
      event: "expired",
      at: at(9),
      worker,
      error: "expired at …",
    }], NOW)!;
    assertEquals([expired.state, expired.reason], ["expired", "expired"]);
    const cancelled = foldTimeline([enqueued(), {
      ...base,
      event: "cancelled",
      at: at(1),
      worker,
      stage: "queued",
    }], NOW)!;
    assertEquals([cancelled.state, cancelled.error], ["cancelled", "cancelled while queued"]);
  });
});

Deno.test("foldTimeline() keeps an enqueued event first, and counts a repeated one once", () => {
  // The producer's event came after the worker's (another node's stream leader), twice.
  const record = foldTimeline([started(1), enqueued(0), enqueued(0)], NOW)!;
  assertEquals(record.state, "running");
  assertEquals(record.enqueuedAt, at(0));
  assertEquals(record.events.map((e) => e.event), ["enqueued", "enqueued", "started"]);
});

Deno.test("foldTimeline() starts over for an id enqueued again after it finished", () => {
  const finished: HistoryEvent = {
    ...base,
    event: "succeeded",
    at: at(2),
    worker,
    attempt: 1,
    ms: 1,
    result: 1,
  };
  const record = foldTimeline([enqueued(0), started(1), finished, enqueued(10)], NOW)!;
  assertEquals([record.state, record.attempts, record.enqueuedAt], ["queued", 0, at(10)]);
});

Deno.test("applyEvent() without keep holds no events (for lists of many tasks)", () => {
  let record: TaskRecord | undefined;
  for (const event of [enqueued(), started(1)]) record = applyEvent(record, event, { now: NOW });
  assertEquals([record?.state, record?.events.length], ["running", 0]);
});

Deno.test("a replayed event makes a dead task queued again, from its first attempt", () => {
  const record = foldTimeline([
    enqueued(),
    started(1),
    { ...base, event: "dead", at: at(2), worker, reason: "cancelled", error: "cancelled by ops" },
    { ...base, event: "replayed", at: at(3), by: "ops", reason: "cancelled" },
  ], NOW)!;
  assertEquals([record.state, record.attempts, record.error, record.reason], [
    "queued",
    0,
    undefined,
    undefined,
  ]);
  const again = foldTimeline([...record.events, started(4)], NOW)!;
  assertEquals([again.state, again.attempts], ["running", 1]);
});

Deno.test("a started event's workflow goes into the record, and stays through the step's life", () => {
  const step = { ...base, id: "wf1.1.3" } as const;
  const record = foldTimeline([
    { ...step, event: "enqueued", at: at(0) },
    { ...step, event: "started", at: at(1), worker, attempt: 1, workflow: "wf1" },
    { ...step, event: "retried", at: at(2), worker, attempt: 1, error: "boom", next: at(3) },
    { ...step, event: "started", at: at(3), worker, attempt: 2, workflow: "wf1" },
    { ...step, event: "succeeded", at: at(4), worker, attempt: 2, ms: 5, result: 7 },
  ], NOW)!;
  assertEquals([record.state, record.workflow], ["succeeded", "wf1"]);
  // Without a record kept, as the feed folds events, too.
  let folded: TaskRecord | undefined;
  for (const event of record.events) folded = applyEvent(folded, event, { now: NOW });
  assertEquals(folded?.workflow, "wf1");
  // A task that is no workflow's step has none.
  const plain = foldTimeline([enqueued(), started(1)], NOW)!;
  assertEquals("workflow" in plain, false);
});
