import { assert, assertEquals } from "@std/assert";
import { z } from "zod";
import { backoffDelays, possibleRetryDelays } from "../../../src/admin/retry_delays.ts";
import { type BackoffOptions, resolveBackoff, retryDelay } from "../../../src/util/backoff.ts";
import { defineCatalog } from "../../../src/task/catalog.ts";
import { defineTask } from "../../../src/task/contract.ts";
import { catalog as shipped } from "../../../tasks/mod.ts";

/** A `random` that makes `retryDelay` pick jitter step `step` (0..4). */
const step = (k: number) => () => (k + 0.5) / 5;

/** Every delay `retryDelay` returns for retries 1..60 and every jitter step. */
function producedDelays(backoff: Readonly<Required<BackoffOptions>>): Set<number> {
  const delays = new Set<number>();
  for (let retry = 1; retry <= 60; retry++) {
    for (let k = 0; k <= 4; k++) delays.add(retryDelay(retry, backoff, step(k)));
  }
  return delays;
}

const task = (name: string, backoff?: BackoffOptions) =>
  defineTask({
    name,
    schema: z.object({}),
    ...(backoff === undefined ? {} : { backoff }),
  });

Deno.test("backoffDelays() is exactly the set of delays retryDelay() produces", async (t) => {
  const settings: BackoffOptions[] = [
    {},
    { base: 100, max: 200 },
    { base: 1, max: 1 },
    { base: 3, max: 7 },
    { base: 250, max: 60_000 },
    { base: 1000, max: 1000 },
    { base: 999, max: 100_000 },
  ];
  for (const options of settings) {
    const backoff = resolveBackoff(options, "test");
    await t.step(`base ${backoff.base}, max ${backoff.max}`, () => {
      const expected = [...producedDelays(backoff)].sort((a, b) => a - b);
      assertEquals(backoffDelays(backoff), expected);
    });
  }
});

Deno.test("possibleRetryDelays() covers the default backoff, every task's, and extra ones", async (t) => {
  await t.step("a catalog with no backoff of its own gives the default's delays", () => {
    const delays = possibleRetryDelays(defineCatalog(task("a")));
    assertEquals(delays, backoffDelays({ base: 1000, max: 60_000 }));
    // 7 levels (1 s, 2 s, … 32 s, then 60 s) of 5 points, some shared between levels.
    assertEquals(delays[0], 500);
    assertEquals(delays.at(-1), 60_000);
  });

  await t.step("a task's own backoff adds its delays", () => {
    const delays = possibleRetryDelays(
      defineCatalog(task("a"), task("b", { base: 100, max: 200 })),
    );
    for (const d of [50, 63, 75, 88, 100, 125, 150, 175, 200]) assert(delays.includes(d), `${d}`);
    for (const d of producedDelays(resolveBackoff(undefined, "x"))) assert(delays.includes(d));
    assertEquals(delays, [...new Set(delays)].sort((a, b) => a - b), "sorted, no duplicates");
  });

  await t.step("options.backoffs adds a worker's override", () => {
    const delays = possibleRetryDelays(defineCatalog(task("a")), {
      backoffs: [{ base: 10, max: 20 }],
    });
    for (const d of [5, 6, 8, 9, 10, 13, 15, 18, 20]) assert(delays.includes(d), `${d}`);
  });

  await t.step("every delay a shipped task can be retried after is probed", () => {
    const delays = new Set(possibleRetryDelays(shipped));
    for (const name of shipped.names) {
      for (const d of producedDelays(shipped.get(name)!.backoff)) assert(delays.has(d), `${d}`);
    }
  });
});
