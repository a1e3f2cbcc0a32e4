import {
  assert,
  assertEquals,
  assertGreaterOrEqual,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import { silentLogger } from "../../../src/util/logger.ts";
import { delay } from "../../../tasks/handlers/sleep.ts";
import { handlers } from "../../../tasks/handlers/mod.ts";
import { sleepSchema } from "../../../tasks/contracts/sleep.ts";

/** Long enough that the tests would notice if it were waited out; the ops sanitizer (SANITIZE) checks it is cleared. */
const LONG = 60_000;

/** Timers left running fail the test: the sanitizers are off unless asked for. */
const SANITIZE = { sanitizeOps: true, sanitizeResources: true };

Deno.test({ name: "delay() resolves after the time given", ...SANITIZE }, async () => {
  const started = performance.now();
  await delay(20);
  // Timers may fire up to a millisecond early by the clock performance.now() reads.
  assertGreaterOrEqual(performance.now() - started, 19);
  await delay(0);
  await delay(5, new AbortController().signal);
});

Deno.test({
  name: "delay() rejects at once with the reason of a signal that already fired",
  ...SANITIZE,
}, async () => {
  const controller = new AbortController();
  const reason = new Error("stopping");
  controller.abort(reason);
  const started = performance.now();
  const err = await assertRejects(() => delay(LONG, controller.signal));
  assertStrictEquals(err, reason);
  assert(performance.now() - started < 1_000);
});

Deno.test({
  name: "delay() rejects at once with the signal's reason when it fires while waiting",
  ...SANITIZE,
}, async () => {
  const controller = new AbortController();
  const started = performance.now();
  const waiting = delay(LONG, controller.signal);
  const reason = new Error("time is up");
  controller.abort(reason);
  const err = await assertRejects(() => waiting);
  assertStrictEquals(err, reason);
  assert(performance.now() - started < 1_000);
});

Deno.test({
  name: "the sleep handler returns how long it slept and stops on its signal",
  ...SANITIZE,
}, async () => {
  const context = { attempt: 1, id: "t", task: "sleep", log: silentLogger, progress: () => {} };
  assertEquals(
    await handlers.get("sleep")!.handler({ ms: 1 }, {
      ...context,
      signal: new AbortController().signal,
    }),
    { slept: 1 },
  );
  const controller = new AbortController();
  const running = handlers.get("sleep")!.handler({ ms: LONG }, {
    ...context,
    signal: controller.signal,
  });
  controller.abort(new Error("cancelled"));
  await assertRejects(() => Promise.resolve(running), Error, "cancelled");
});

Deno.test({ name: "the sleep schema wants whole milliseconds up to an hour", ...SANITIZE }, () => {
  assertEquals(sleepSchema.parse({ ms: 0 }), { ms: 0 });
  assertEquals(sleepSchema.parse({ ms: 3_600_000 }), { ms: 3_600_000 });
  for (const ms of [-1, 0.5, 3_600_001, "10"]) {
    const parsed = sleepSchema.safeParse({ ms });
    assert(!parsed.success, String(ms));
    assertEquals(parsed.error.issues[0]?.path, ["ms"]);
  }
});
