import { assertEquals, assertThrows } from "@std/assert";
import {
  DELAY_LEVELS,
  DELAY_UNIT_MS,
  delayQueueOptions,
  delayRoute,
  MAX_DELAY_MS,
} from "../../../src/broker/delays.ts";
import { queueNames } from "../../../src/broker/topology.ts";
import { ConfigError } from "../../../src/errors/config_error.ts";

const names = queueNames("jobs");

/** The levels a route's message waits in: the set bits of its routing key. */
function levelsOf(routingKey: string): number[] {
  const bits = routingKey.split(".");
  return bits.flatMap((bit, i) => bit === "1" ? [DELAY_LEVELS - 1 - i] : []);
}

Deno.test("delayRoute() sends a delay into the level of its highest bit, spelt in binary", () => {
  const route = delayRoute(names, 500); // 5 units: 101
  assertEquals(route.exchange, "jobs.delay.2");
  assertEquals(route.level, 2);
  assertEquals(route.routingKey.split(".").length, DELAY_LEVELS);
  assertEquals(levelsOf(route.routingKey), [2, 0]);
});

Deno.test("delayRoute() waits exactly the delay rounded up to the unit, never less", () => {
  for (const ms of [1, 99, 100, 101, 1_000, 65_000, 3_600_000, 86_400_000 * 365, MAX_DELAY_MS]) {
    const route = delayRoute(names, ms);
    const waited = levelsOf(route.routingKey).reduce((sum, k) => sum + 2 ** k * DELAY_UNIT_MS, 0);
    assertEquals(waited >= ms && waited - ms < DELAY_UNIT_MS, true, `${ms} ms waits ${waited}`);
    assertEquals(route.level, Math.max(...levelsOf(route.routingKey)));
  }
});

Deno.test("delayRoute() of no delay goes straight to the work queue", () => {
  for (const ms of [0, -5, -1e9]) {
    assertEquals(delayRoute(names, ms), { exchange: "", routingKey: "jobs", level: -1 });
  }
});

Deno.test("delayRoute() refuses a delay beyond the last level", () => {
  assertThrows(() => delayRoute(names, MAX_DELAY_MS + DELAY_UNIT_MS), ConfigError, "621 days");
  assertThrows(() => delayRoute(names, Number.NaN), ConfigError);
});

Deno.test("a level is a quorum queue that holds each message 2^k units, then hands it one level down, at least once", () => {
  const atLeastOnce = {
    "x-queue-type": "quorum",
    "x-dead-letter-strategy": "at-least-once",
    "x-overflow": "reject-publish",
  };
  assertEquals(delayQueueOptions(names, 3), {
    durable: true,
    arguments: { ...atLeastOnce, "x-message-ttl": 800, "x-dead-letter-exchange": "jobs.delay.2" },
  });
  assertEquals(delayQueueOptions(names, 0), {
    durable: true,
    arguments: {
      ...atLeastOnce,
      "x-message-ttl": 100,
      "x-dead-letter-exchange": "",
      "x-dead-letter-routing-key": "jobs",
    },
  });
});

Deno.test("the levels reach a year and more", () => {
  assertEquals(MAX_DELAY_MS > 366 * 86_400_000, true);
});
