/**
 * The outcome table, row by row, without a broker: `decideNow()` is a pure function of the
 * delivery, its decoding, the attempt's result and the settings.
 */
import { assertEquals, assertGreaterOrEqual, assertLessOrEqual } from "@std/assert";
import { z } from "zod";
import { NonRetryableError } from "../../../src/errors/non_retryable_error.ts";
import { TaskTimeoutError } from "../../../src/errors/task_timeout_error.ts";
import { defineTask } from "../../../src/task/contract.ts";
import type { DecodedTask, UndecodableTask } from "../../../src/task/decode.ts";
import {
  type AttemptVerdict,
  decide,
  type DeliveryFacts,
  deliveryFacts,
  type DispositionInput,
  type DispositionSettings,
} from "../../../src/worker/disposition.ts";

const flaky = defineTask({
  name: "flaky",
  schema: z.object({}),
  retries: 3,
  backoff: { base: 100, max: 1000 },
});
const top = () => 1 - Number.EPSILON;
const bottom = () => 0;

const fresh: DeliveryFacts = { redelivered: false, deliveryCount: undefined, redeliveries: 0 };
const settings: DispositionSettings = {
  maxRedeliveries: 5,
  overrides: {},
  onVersionMismatch: "warn",
  random: top,
};

const NOW = Date.parse("2026-12-01T12:00:00Z");

/** `decide()` at {@linkcode NOW}, unless the input says otherwise. */
const decideNow = (input: Omit<DispositionInput, "now"> & { now?: number }) =>
  decide({ now: NOW, ...input });

function decoded(
  attempts = 0,
  version: string | undefined = flaky.version,
  expiresAt?: number,
): DecodedTask {
  return { ok: true, id: "t-1", contract: flaky, payload: {}, attempts, version, expiresAt };
}

function failed(error: unknown, givenUp = false): AttemptVerdict {
  return { ok: false, error, message: String(error), givenUp };
}

Deno.test("decide(): a body that cannot be run is dead-lettered at once with its reason", () => {
  const bad: UndecodableTask = {
    ok: false,
    id: "x",
    reason: "not-json",
    error: "body is not JSON",
  };
  assertEquals(decideNow({ delivery: fresh, decoded: bad, settings }), {
    kind: "dead",
    reason: "not-json",
    error: "body is not JSON",
  });
  // Even when redelivered: it never runs, so it is never retried or counted.
  const again = { ...fresh, redelivered: true };
  assertEquals(decideNow({ delivery: again, decoded: bad, settings }).kind, "dead");
});

Deno.test("decide(): a fresh delivery runs as the attempt after those its headers count", () => {
  assertEquals(decideNow({ delivery: fresh, decoded: decoded(), settings }), {
    kind: "run",
    attempt: 1,
  });
  assertEquals(decideNow({ delivery: fresh, decoded: decoded(2), settings }), {
    kind: "run",
    attempt: 3,
  });
});

Deno.test("decide(): another contract version runs with a warning, or is dead by policy", () => {
  const other = decoded(0, "0badc0de");
  assertEquals(decideNow({ delivery: fresh, decoded: other, settings }), {
    kind: "run",
    attempt: 1,
    versionMismatch: { sent: "0badc0de", expected: flaky.version },
  });
  const dead = decideNow({
    delivery: fresh,
    decoded: other,
    settings: { ...settings, onVersionMismatch: "dead" },
  });
  assertEquals(dead.kind === "dead" && dead.reason, "version-mismatch");
  // A message of the old shape carries no version: nothing to compare.
  assertEquals(
    decideNow({ delivery: fresh, decoded: decoded(0, undefined), settings }).kind,
    "run",
  );
});

Deno.test("decide(): redeliveries are counted, then dead-lettered as worker-died", async (t) => {
  await t.step("classic queue: a redelivery is requeued with its count in a header", () => {
    const redelivered = { redelivered: true, deliveryCount: undefined, redeliveries: 1 };
    assertEquals(decideNow({ delivery: redelivered, decoded: decoded(), settings }), {
      kind: "requeue",
      reason: "redelivered after its worker died or disconnected (2 of 5)",
      headers: { "x-warren-deaths": 2 },
    });
  });
  await t.step("classic queue: over the limit, dead with the deaths counted as attempts", () => {
    const redelivered = { redelivered: true, deliveryCount: undefined, redeliveries: 5 };
    assertEquals(decideNow({ delivery: redelivered, decoded: decoded(1), settings }), {
      kind: "dead",
      reason: "worker-died",
      error: "worker died while running it 5 times",
      attempts: 6,
    });
  });
  await t.step("quorum queue: the broker's count is used, and the task simply runs", () => {
    const counted = { redelivered: true, deliveryCount: 4, redeliveries: 0 };
    assertEquals(decideNow({ delivery: counted, decoded: decoded(), settings }), {
      kind: "run",
      attempt: 1,
    });
    const over = { ...counted, deliveryCount: 5 };
    assertEquals(decideNow({ delivery: over, decoded: decoded(), settings }).kind, "dead");
  });
  await t.step(
    "quorum queue on RabbitMQ 4.3: deliveries a consumer timeout took back count too",
    () => {
      // x-delivery-count counts failures only there; x-acquired-count counts every delivery.
      const timedOut = { redelivered: true, deliveryCount: 0, acquiredCount: 5, redeliveries: 0 };
      assertEquals(decideNow({ delivery: timedOut, decoded: decoded(), settings }), {
        kind: "dead",
        reason: "worker-died",
        error: "worker died while running it 5 times",
        attempts: 5,
      });
      const below = { ...timedOut, acquiredCount: 4 };
      assertEquals(decideNow({ delivery: below, decoded: decoded(), settings }), {
        kind: "run",
        attempt: 1,
      });
    },
  );
  await t.step("quorum queue on RabbitMQ 4.3: a redelivery is never requeued as on classic", () => {
    const acquiredOnly = { redelivered: true, deliveryCount: undefined, acquiredCount: 1 };
    assertEquals(
      decideNow({ delivery: { ...acquiredOnly, redeliveries: 0 }, decoded: decoded(), settings }),
      { kind: "run", attempt: 1 },
    );
  });
});

Deno.test("deliveryFacts() reads both of the broker's counts, and only sane ones", () => {
  const facts = (headers: Record<string, unknown>, redelivered = true) =>
    deliveryFacts({ properties: { headers }, fields: { redelivered } });
  assertEquals(facts({}, false), { redelivered: false, deliveryCount: undefined, redeliveries: 0 });
  assertEquals(facts({ "x-delivery-count": 2, "x-acquired-count": 3, "x-warren-deaths": 1 }), {
    redelivered: true,
    deliveryCount: 2,
    acquiredCount: 3,
    redeliveries: 1,
  });
  assertEquals(facts({ "x-acquired-count": -4, "x-warren-deaths": "many" }), {
    redelivered: true,
    deliveryCount: undefined,
    acquiredCount: 0,
    redeliveries: 0,
  });
});

Deno.test("decide(): a handler that resolved is done", () => {
  assertEquals(
    decideNow({ delivery: fresh, decoded: decoded(1), attempt: { ok: true }, settings }),
    {
      kind: "done",
      attempt: 2,
    },
  );
});

Deno.test("decide(): a result the result schema refuses is dead as invalid-result", () => {
  const attempt = { ok: false, invalidResult: "expected number" } as const;
  assertEquals(decideNow({ delivery: fresh, decoded: decoded(), attempt, settings }), {
    kind: "dead",
    reason: "invalid-result",
    error: "expected number",
    attempts: 1,
  });
});

Deno.test("decide(): an attempt the worker gave up goes back to the queue", () => {
  const attempt = failed(new Error("the worker is stopping"), true);
  assertEquals(decideNow({ delivery: fresh, decoded: decoded(), attempt, settings }), {
    kind: "requeue",
    reason: "Error: the worker is stopping",
    headers: {},
  });
});

Deno.test("decide(): a failed attempt is retried while attempts are left, then dead", () => {
  const input = (attempts: number) => ({
    delivery: fresh,
    decoded: decoded(attempts),
    attempt: failed(new Error("boom")),
    settings,
  });
  const delays = [0, 1, 2].map((n) => {
    const decision = decideNow(input(n));
    return decision.kind === "retry" ? decision.delay : decision.kind;
  });
  assertEquals(delays, [100, 200, 400]);
  assertEquals(decideNow(input(3)), {
    kind: "dead",
    reason: "failed",
    error: "Error: boom",
    attempts: 4,
  });
});

Deno.test("decide(): a NonRetryableError is dead at once, attempts left or not", () => {
  class BadInput extends NonRetryableError {}
  for (const error of [new NonRetryableError("bad input"), new BadInput("subclass")]) {
    for (const attempts of [0, 7]) {
      const attempt = failed(error);
      const decision = decideNow({
        delivery: fresh,
        decoded: decoded(attempts),
        attempt,
        settings,
      });
      assertEquals(decision.kind === "dead" && decision.reason, "non-retryable");
    }
  }
});

Deno.test("decide(): anything else thrown is retried, timeouts included", () => {
  for (const error of [new TaskTimeoutError("flaky", 10), new TypeError("x"), "a string", null]) {
    const decision = decideNow({
      delivery: fresh,
      decoded: decoded(),
      attempt: failed(error),
      settings: { ...settings, random: bottom },
    });
    assertEquals(decision.kind === "retry" && decision.delay, 50);
  }
});

Deno.test("decide(): the worker's overrides win over the task's options", async (t) => {
  const at = (attempts: number, overrides: DispositionSettings["overrides"]) =>
    decideNow({
      delivery: fresh,
      decoded: decoded(attempts),
      attempt: failed(new Error("x")),
      settings: { ...settings, overrides },
    });
  await t.step("more retries", () => {
    assertEquals(at(3, { retries: 10 }).kind, "retry");
    assertEquals(at(10, { retries: 10 }).kind, "dead");
  });
  await t.step("fewer retries", () => {
    assertEquals(at(0, { retries: 0 }).kind, "dead");
  });
  await t.step("another backoff", () => {
    const backoff = { base: 5000, max: 8000 };
    const first = at(0, { backoff });
    const third = at(2, { backoff });
    assertEquals(first.kind === "retry" && first.delay, 5000);
    assertEquals(third.kind === "retry" && third.delay, 8000);
  });
  await t.step("overrides do not make a NonRetryableError retryable", () => {
    const decision = decideNow({
      delivery: fresh,
      decoded: decoded(),
      attempt: failed(new NonRetryableError("no")),
      settings: { ...settings, overrides: { retries: 99 } },
    });
    assertEquals(decision.kind === "dead" && decision.reason, "non-retryable");
  });
});

Deno.test("decide(): jitters with Math.random by default, within the range", () => {
  const noRandom: DispositionSettings = {
    maxRedeliveries: 5,
    overrides: {},
    onVersionMismatch: "warn",
  };
  for (let i = 0; i < 200; i++) {
    const decision = decideNow({
      delivery: fresh,
      decoded: decoded(1),
      attempt: failed(new Error("x")),
      settings: noRandom,
    });
    if (decision.kind !== "retry") throw new Error(`expected a retry, got ${decision.kind}`);
    assertGreaterOrEqual(decision.delay, 100);
    assertLessOrEqual(decision.delay, 200);
  }
});

Deno.test("decide(): a cancelled task is dead-lettered or dropped, unless it is done", async (t) => {
  const request = { drop: false, by: "ops:1", at: "2026-12-01T11:59:00.000Z" };
  await t.step("before it runs: dead, cancelled while queued, never run", () => {
    assertEquals(decideNow({ delivery: fresh, decoded: decoded(), settings, cancelled: request }), {
      kind: "dead",
      reason: "cancelled",
      error: "cancelled by ops:1 at 2026-12-01T11:59:00.000Z, while queued",
      stage: "queued",
    });
  });
  await t.step("waiting for a retry: its attempts so far are kept", () => {
    const input = { delivery: fresh, decoded: decoded(2), settings, cancelled: request };
    assertEquals(decideNow(input), {
      kind: "dead",
      reason: "cancelled",
      error: "cancelled by ops:1 at 2026-12-01T11:59:00.000Z, while queued",
      stage: "queued",
      attempts: 2,
    });
  });
  await t.step("with drop: nothing but the ack", () => {
    const input = {
      delivery: fresh,
      decoded: decoded(),
      settings,
      cancelled: { ...request, drop: true },
    };
    assertEquals(decideNow(input), {
      kind: "drop",
      error: "cancelled by ops:1 at 2026-12-01T11:59:00.000Z, while queued",
      stage: "queued",
    });
  });
  await t.step("while it ran, its signal fired: dead, cancelled while running", () => {
    const attempt = failed(new Error("cancelled"), true);
    const input = { delivery: fresh, decoded: decoded(), attempt, settings, cancelled: request };
    assertEquals(decideNow(input), {
      kind: "dead",
      reason: "cancelled",
      error: "cancelled by ops:1 at 2026-12-01T11:59:00.000Z, while running",
      stage: "running",
      attempts: 1,
    });
  });
  await t.step("it finished before the cancel took hold: done", () => {
    const input = {
      delivery: fresh,
      decoded: decoded(),
      attempt: { ok: true } as const,
      settings,
      cancelled: request,
    };
    assertEquals(decideNow(input), { kind: "done", attempt: 1 });
  });
});

Deno.test("decide(): the redelivery cap comes first, whatever else the delivery is", async (t) => {
  const capped = { redelivered: true, deliveryCount: 5, redeliveries: 0 };
  await t.step("an undecodable body whose dead-lettering kept failing", () => {
    const bad: UndecodableTask = {
      ok: false,
      id: "x",
      reason: "unknown-task",
      error: "unknown task 'nnn'",
    };
    const disposition = decideNow({ delivery: capped, decoded: bad, settings });
    assertEquals(disposition.kind, "dead");
    assertEquals(disposition.kind === "dead" && disposition.reason, "worker-died");
    assertEquals(
      disposition.kind === "dead" && disposition.error.includes("unknown-task"),
      true,
    );
  });
  await t.step("a cancelled task", () => {
    const disposition = decideNow({
      delivery: capped,
      decoded: decoded(),
      settings,
      cancelled: { drop: false, by: "ops", at: "2026-12-01T11:00:00Z" },
    });
    assertEquals(disposition.kind === "dead" && disposition.reason, "worker-died");
  });
  await t.step("an expired task", () => {
    const disposition = decideNow({
      delivery: capped,
      decoded: decoded(0, flaky.version, 1),
      settings,
    });
    assertEquals(disposition.kind === "dead" && disposition.reason, "worker-died");
  });
  await t.step("below the cap, the other rows decide", () => {
    const below = { redelivered: true, deliveryCount: 4, redeliveries: 0 };
    const disposition = decideNow({
      delivery: below,
      decoded: decoded(0, flaky.version, 1),
      settings,
    });
    assertEquals(disposition.kind === "dead" && disposition.reason, "expired");
  });
});
