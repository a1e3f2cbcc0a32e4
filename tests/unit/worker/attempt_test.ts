import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertLessOrEqual,
  assertStrictEquals,
} from "@std/assert";
import { z } from "zod";
import { runAttempt } from "../../../src/worker/attempt.ts";
import { defineTask } from "../../../src/task/contract.ts";
import { type TaskContext } from "../../../src/task/context.ts";
import type { BoundTask } from "../../../src/task/handlers.ts";
import { TaskTimeoutError } from "../../../src/errors/task_timeout_error.ts";
import { silentLogger } from "../../../src/util/logger.ts";

const context = { attempt: 2, id: "id-1", task: "t", log: silentLogger, progress: () => {} };
/** A time limit that never fires in these tests; the ops sanitizer (SANITIZE) checks it is cleared. */
const LONG = 60_000;
/** A short time limit, under test (not a sleep). */
const SHORT = 20;

function task(
  handler: (payload: Record<string, unknown>, context: TaskContext) => unknown,
): BoundTask {
  return { contract: defineTask({ name: "t", schema: z.object({}) }), handler };
}

/** A promise that never settles: a handler that ignores its signal. */
const forever = () => new Promise<never>(() => {});

/** Timers left running fail the test: the sanitizers are off unless asked for. */
const SANITIZE = { sanitizeOps: true, sanitizeResources: true };

Deno.test(
  { name: "runAttempt() returns what the handler returns, sync or async", ...SANITIZE },
  async () => {
    const sync = await runAttempt(task(() => 42n), {}, context, LONG, new AbortController().signal);
    assertEquals(sync, { ok: true, value: 42n });
    const later = await runAttempt(
      task(async () => await Promise.resolve("done")),
      {},
      context,
      LONG,
      new AbortController().signal,
    );
    assertEquals(later, { ok: true, value: "done" });
    const nothing = await runAttempt(
      task(() => {}),
      {},
      context,
      LONG,
      new AbortController().signal,
    );
    assertEquals(nothing, { ok: true, value: undefined });
  },
);

Deno.test(
  { name: "runAttempt() passes the payload and context, with a live signal", ...SANITIZE },
  async () => {
    let seen: { payload: unknown; context: TaskContext } | undefined;
    const result = await runAttempt(
      task((payload, ctx) => {
        seen = { payload, context: ctx };
        return ctx.signal.aborted;
      }),
      { n: 1 },
      context,
      LONG,
      new AbortController().signal,
    );
    assertEquals(result, { ok: true, value: false });
    assertEquals(seen?.payload, { n: 1 });
    assertEquals(seen?.context.attempt, 2);
    assertEquals(seen?.context.id, "id-1");
    assertEquals(seen?.context.task, "t");
    assertStrictEquals(seen?.context.log, silentLogger);
    assertInstanceOf(seen?.context.signal, AbortSignal);
  },
);

Deno.test(
  { name: "runAttempt() returns the error a handler throws or rejects with", ...SANITIZE },
  async () => {
    const thrown = new Error("sync boom");
    const sync = await runAttempt(
      task(() => {
        throw thrown;
      }),
      {},
      context,
      LONG,
      new AbortController().signal,
    );
    assert(!sync.ok);
    assertStrictEquals(sync.error, thrown);

    const rejected = await runAttempt(
      task(() => Promise.reject("not even an Error")),
      {},
      context,
      LONG,
      new AbortController().signal,
    );
    assertEquals(rejected, { ok: false, error: "not even an Error" });
  },
);

Deno.test({
  name: "runAttempt() fires the signal with a TaskTimeoutError at the time limit",
  ...SANITIZE,
}, async () => {
  let signal: AbortSignal | undefined;
  const result = await runAttempt(
    task((_, ctx) => {
      signal = ctx.signal;
      return new Promise((_, reject) =>
        ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason))
      );
    }),
    {},
    context,
    SHORT,
    new AbortController().signal,
  );
  assert(!result.ok);
  assertInstanceOf(result.error, TaskTimeoutError);
  assertEquals(result.error.timeout, SHORT);
  assertEquals(
    result.error.message,
    `Task 't' did not finish within its time limit of ${SHORT} ms`,
  );
  assertEquals(signal?.aborted, true);
  assertStrictEquals(signal?.reason, result.error);
});

Deno.test({
  name: "runAttempt() ends at the time limit even if the handler ignores the signal",
  ...SANITIZE,
}, async () => {
  const started = performance.now();
  const result = await runAttempt(task(forever), {}, context, SHORT, new AbortController().signal);
  assert(!result.ok);
  assertInstanceOf(result.error, TaskTimeoutError);
  assertLessOrEqual(performance.now() - started, 5_000);
});

Deno.test({
  name: "runAttempt() ends with the cancel reason when the worker gives the task up",
  ...SANITIZE,
}, async (t) => {
  await t.step("cancelled while running, handler ignoring the signal", async () => {
    const cancel = new AbortController();
    const reason = new Error("worker stopping");
    let signal: AbortSignal | undefined;
    const attempt = runAttempt(
      task((_, ctx) => {
        signal = ctx.signal;
        queueMicrotask(() => cancel.abort(reason));
        return forever();
      }),
      {},
      context,
      LONG,
      cancel.signal,
    );
    const result = await attempt;
    assertEquals(result, { ok: false, error: reason });
    assertEquals(signal?.aborted, true);
    assertStrictEquals(signal?.reason, reason);
  });
  await t.step("cancelled before it started", async () => {
    const cancel = new AbortController();
    cancel.abort("already stopping");
    let sawAborted: boolean | undefined;
    const result = await runAttempt(
      task((_, ctx) => {
        sawAborted = ctx.signal.aborted;
        return "finished anyway";
      }),
      {},
      context,
      LONG,
      cancel.signal,
    );
    assertEquals(result, { ok: false, error: "already stopping" });
    assertEquals(sawAborted, true);
  });
  await t.step("a cancel after the attempt ended changes nothing", async () => {
    const cancel = new AbortController();
    const result = await runAttempt(task(() => 1), {}, context, LONG, cancel.signal);
    cancel.abort(new Error("late"));
    assertEquals(result, { ok: true, value: 1 });
  });
});
