import { assert, assertEquals, assertLessOrEqual, assertThrows } from "@std/assert";
import { z } from "zod";
import { queueNames } from "../../../src/broker/topology.ts";
import { ConfigError } from "../../../src/errors/config_error.ts";
import { ValidationError } from "../../../src/errors/validation_error.ts";
import { flowNames } from "../../../src/flow/names.ts";
import { checkPartitions, fnv1a, partitionOf } from "../../../src/flow/partitions.ts";
import { flowPlan, flowQueues } from "../../../src/flow/plan.ts";
import { flowRoute } from "../../../src/flow/route.ts";
import { defineCatalog } from "../../../src/task/catalog.ts";
import { defineTask } from "../../../src/task/contract.ts";

const names = queueNames("jobs");
const flow = flowNames(names);
const account = defineTask({
  name: "account",
  schema: z.object({ account: z.string(), seq: z.int() }),
  key: "account",
});
const call = defineTask({
  name: "call",
  schema: z.object({ n: z.int() }),
  rateLimit: { perSecond: 20, burst: 20 },
});
const plain = defineTask({ name: "plain", schema: z.object({}) });

Deno.test("fnv1a() is the 32-bit FNV-1a of the key's UTF-8 bytes", () => {
  assertEquals(fnv1a(""), 0x811c9dc5);
  assertEquals(fnv1a("a"), 0xe40c292c);
  assertEquals(fnv1a("foobar"), 0xbf9cf968);
});

Deno.test("flowRoute() sends every task of one key to one partition, and spreads keys over all", () => {
  const seen = new Set<number>();
  for (let i = 0; i < 1_000; i++) {
    const route = flowRoute(account, { account: `acct-${i}`, seq: 1 }, flow, 16);
    assert(route?.kind === "keyed");
    assertEquals(route, flowRoute(account, { account: `acct-${i}`, seq: 2 }, flow, 16));
    assertEquals(route.queue, `jobs.part.${partitionOf(`acct-${i}`, 16)}`);
    seen.add(route.partition);
  }
  assertEquals(seen.size, 16);
});

Deno.test("flowRoute() reads a key given as a function, and takes numbers as keys", () => {
  const keyed = defineTask({
    name: "k",
    schema: z.object({ tenant: z.object({ id: z.int() }) }),
    key: (p) => p.tenant.id,
  });
  const route = flowRoute(keyed, { tenant: { id: 7 } }, flow, 16);
  assertEquals(route?.kind === "keyed" && route.key, "7");
});

Deno.test("flowRoute() refuses a payload that gives no key, naming the field", () => {
  for (const bad of [{}, { account: null }, { account: "x".repeat(2_000) }, { account: NaN }]) {
    const err = assertThrows(() => flowRoute(account, bad, flow, 16), ValidationError);
    assert(err.message.includes("account"), err.message);
  }
});

Deno.test("flowRoute() refuses what a key function gives or throws, in a short error", () => {
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  const selectors: (() => unknown)[] = [() => 10n, () => cycle, () => {
    throw new Error("x".repeat(100_000));
  }];
  for (const key of selectors) {
    // As from JavaScript, which the types do not hold back.
    const keyed = defineTask({ name: "odd", schema: z.object({}), key: key as () => string });
    const err = assertThrows(() => flowRoute(keyed, {}, flow, 16), ValidationError);
    assertLessOrEqual(err.message.length, 500);
  }
});

Deno.test("flowRoute() spreads a key of concurrency N over at most N slots", () => {
  const wide = defineTask({
    name: "wide",
    schema: z.object({ k: z.string() }),
    key: "k",
    keyConcurrency: 3,
  });
  const queues = new Set<string>();
  for (const r of [0, 0.2, 0.34, 0.5, 0.67, 0.8, 0.999]) {
    queues.add(flowRoute(wide, { k: "one" }, flow, 64, () => r)!.queue);
  }
  const slots = new Set([0, 1, 2].map((slot) => flow.partition(partitionOf("one", 64, slot))));
  assertEquals(queues, slots);
});

Deno.test("flowRoute() sends a limited task to its waiting queue and leaves others alone", () => {
  assertEquals(flowRoute(call, { n: 1 }, flow, 16), {
    kind: "limited",
    queue: "jobs.limited.call",
  });
  assertEquals(flowRoute(plain, {}, flow, 16), undefined);
});

Deno.test("flowQueues() declares 16 partitions and three queues per limited task, whatever the keys", () => {
  const plan = flowPlan(defineCatalog(account, call, plain), names, 16);
  const declared = flowQueues(plan, names, "classic").map(([name]) => name);
  assertEquals(declared.length, 16 + 3);
  assert(declared.includes("jobs.tokens.call") && declared.includes("jobs.refill.call"));
  const tokens = flowQueues(plan, names, "classic").find(([name]) => name === "jobs.tokens.call");
  assertEquals(tokens?.[1].arguments, { "x-max-length": 20, "x-overflow": "drop-head" });
  // Partitions are quorum queues whatever the work queue's type: the broker counts redeliveries.
  const part = flowQueues(plan, names, "classic").find(([name]) => name === "jobs.part.0");
  assertEquals(part?.[1].arguments?.["x-single-active-consumer"], true);
  assertEquals(part?.[1].arguments?.["x-queue-type"], "quorum");
});

Deno.test("defineTask() refuses a key that is not a field, a key with a rate limit, and bad limits", () => {
  const schema = z.object({ a: z.string() });
  assertThrows(
    () => defineTask({ name: "t", schema, key: "b" as "a" }),
    ConfigError,
    "no such field",
  );
  assertThrows(
    () => defineTask({ name: "t", schema, key: "a", rateLimit: { perSecond: 1 } }),
    ConfigError,
    "both 'key' and 'rateLimit'",
  );
  assertThrows(() => defineTask({ name: "t", schema, rateLimit: { perSecond: 0 } }), ConfigError);
  assertThrows(
    () => defineTask({ name: "t", schema, rateLimit: { perSecond: 5, burst: 0 } }),
    ConfigError,
  );
  assertEquals(defineTask({ name: "t", schema, rateLimit: { perSecond: 2.5 } }).rateLimit, {
    perSecond: 2.5,
    burst: 3,
  });
  assertThrows(() => checkPartitions(0, "start worker"), ConfigError, "'partitions'");
});

Deno.test("queueNames() refuses the names of flow queues as work queue names", () => {
  for (const name of ["jobs.part.3", "jobs.tokens.call", "jobs.limited.call", "jobs.refill.call"]) {
    assertThrows(() => queueNames(name), ConfigError, "jobs");
  }
});
