import { assert, assertEquals, assertRejects, assertStrictEquals } from "@std/assert";
import { silentLogger } from "../../../src/util/logger.ts";
import { countPrimes } from "../../../tasks/handlers/primes.ts";
import { MAX_PRIME_LIMIT, primesSchema } from "../../../tasks/contracts/primes.ts";
import { handlers } from "../../../tasks/handlers/mod.ts";

/** Whether `n` is prime, by trial division: slow, obviously right. */
function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

/** Counts primes <= limit by trial division. */
function naiveCount(limit: number): number {
  let count = 0;
  for (let n = 2; n <= limit; n++) if (isPrime(n)) count++;
  return count;
}

/** A small seeded generator (mulberry32), so that a failure can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("countPrimes() gives the known values of the prime-counting function", async () => {
  const known: Array<[number, number]> = [
    [0, 0],
    [1, 0],
    [2, 1],
    [3, 2],
    [4, 2],
    [9, 4],
    [10, 4],
    [25, 9],
    [100, 25],
    [1_000, 168],
    [1_000_000, 78_498],
    [10_000_000, 664_579],
  ];
  for (const [limit, count] of known) assertEquals(await countPrimes(limit), count, `pi(${limit})`);
});

Deno.test("countPrimes() agrees with trial division on random limits below 10^5", async () => {
  const seed = 20240611;
  const random = seeded(seed);
  for (let i = 0; i < 25; i++) {
    const limit = Math.floor(random() * 100_000);
    assertEquals(await countPrimes(limit), naiveCount(limit), `limit ${limit} (seed ${seed})`);
  }
});

Deno.test("countPrimes() is right around the edge of its 2^18-odd-number segments", async () => {
  // Segment 1 holds the odd numbers 3 .. 2 * 2^18 + 1 = 524289.
  let expected = naiveCount(524_270);
  for (let limit = 524_271; limit <= 524_310; limit++) {
    if (isPrime(limit)) expected++;
    assertEquals(await countPrimes(limit), expected, `limit ${limit}`);
  }
});

Deno.test("countPrimes() stops when its signal fires", async (t) => {
  await t.step("a signal that already fired stops it at the first checkpoint", async () => {
    const controller = new AbortController();
    const reason = new Error("stop");
    controller.abort(reason);
    const err = await assertRejects(() => countPrimes(MAX_PRIME_LIMIT, controller.signal));
    assertStrictEquals(err, reason);
  });
  await t.step("a signal that fires while it runs stops it before the end", async () => {
    const controller = new AbortController();
    const started = performance.now();
    const counting = countPrimes(MAX_PRIME_LIMIT, controller.signal);
    controller.abort(new Error("time is up"));
    await assertRejects(() => counting, Error, "time is up");
    // The whole count takes seconds; one segment takes a few milliseconds.
    assert(performance.now() - started < 1_000, `took ${performance.now() - started} ms`);
  });
  await t.step("a signal that never fires changes nothing", async () => {
    assertEquals(await countPrimes(100_000, new AbortController().signal), 9592);
  });
});

Deno.test("the primes handler counts with the context's signal", async () => {
  const context = {
    signal: new AbortController().signal,
    attempt: 1,
    id: "t",
    task: "primes",
    log: silentLogger,
    progress: () => {},
  };
  assertEquals(await handlers.get("primes")!.handler({ limit: 100 }, context), 25);
});

Deno.test("the primes schema wants an integer limit from 0 to 10^8", () => {
  assertEquals(primesSchema.parse({ limit: 0 }), { limit: 0 });
  assertEquals(primesSchema.parse({ limit: MAX_PRIME_LIMIT }), { limit: 100_000_000 });
  for (const limit of [-1, 1.5, MAX_PRIME_LIMIT + 1, "10", null]) {
    const parsed = primesSchema.safeParse({ limit });
    assert(!parsed.success, String(limit));
    assertEquals(parsed.error.issues[0]?.path, ["limit"]);
  }
});
