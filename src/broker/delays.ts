/**
 * Delays held by the broker: a fixed set of durable TTL queues per work queue `Q`, whatever the
 * delays, as binary levels. Level `k` is a topic exchange `Q.delay.<k>` and a queue of the same
 * name whose messages all wait `2^k` units of `DELAY_UNIT_MS` (so they expire from the
 * head, in order), then are dead-lettered to the exchange of level `k - 1` (level 0: to `Q`).
 *
 * A message that must wait `n` units is published to the exchange of the highest set bit of
 * `n` with a routing key that spells `n` in binary, one word per level, highest first
 * (`0.0.…1.0.1`). At each level's exchange a `1` routes it into that level's queue, a `0` on to
 * the next level down, so it waits exactly the sum of its set bits: `n` units, in at most
 * `DELAY_LEVELS` hops, whatever `n` is. The levels are declared on first use, up to
 * the highest one a delay needs: short delays (retries) use the first few only.
 *
 * @module
 */
import type { Channel, Options } from "../deps/amqplib.ts";
import { ConfigError } from "../errors/config_error.ts";
import type { Logger } from "../util/logger.ts";
import { declareQueues } from "./declare.ts";
import type { Link } from "./link.ts";
import type { QueueNames, QueueType } from "./topology.ts";
import { DELAY_LEVELS, DELAY_UNIT_MS, delayUnits, MAX_DELAY_MS } from "../wire/delays.ts";

export { DELAY_LEVELS, DELAY_UNIT_MS, MAX_DELAY_MS };

/** Where to publish a message that must wait. */
export interface DelayRoute {
  /** The exchange (`""`: the default exchange, for no delay). */
  readonly exchange: string;
  /** The routing key. */
  readonly routingKey: string;
  /** The highest level the route goes through (-1 for no delay). */
  readonly level: number;
}

/**
 * The route of a message that must wait `ms` milliseconds before it reaches work queue
 * `names.main`: straight to the queue when there is nothing to wait, else into the levels.
 * Pure: declares nothing.
 *
 * @example
 * ```ts
 * import { queueNames } from "./topology.ts";
 * import { delayRoute } from "./delays.ts";
 *
 * const route = delayRoute(queueNames("jobs"), 500); // 5 units: levels 2 and 0
 * route.exchange; // "jobs.delay.2"
 * route.routingKey.endsWith("1.0.1"); // true
 * ```
 */
export function delayRoute(names: QueueNames, ms: number): DelayRoute {
  if (!Number.isFinite(ms) || ms > MAX_DELAY_MS) {
    throw new ConfigError(
      `Cannot delay a task by ${ms} ms: the longest delay is ${MAX_DELAY_MS} ms (about 621 days)`,
    );
  }
  const units = delayUnits(ms);
  if (units === 0) return { exchange: "", routingKey: names.main, level: -1 };
  const level = Math.floor(Math.log2(units));
  const bits: string[] = [];
  for (let k = DELAY_LEVELS - 1; k >= 0; k--) bits.push(Math.floor(units / 2 ** k) % 2 ? "1" : "0");
  return { exchange: names.delay(level), routingKey: bits.join("."), level };
}

/** The binding pattern of level `k` for bit value `bit`: that word fixed, every other one `*`. */
function pattern(k: number, bit: "0" | "1"): string {
  const words: string[] = [];
  for (let j = DELAY_LEVELS - 1; j >= 0; j--) words.push(j === k ? bit : "*");
  return words.join(".");
}

/** How to declare the queue of level `k` of work queue `names`. */
export function delayQueueOptions(
  names: QueueNames,
  type: QueueType,
  k: number,
): Options.AssertQueue {
  const args: Record<string, unknown> = {
    "x-message-ttl": 2 ** k * DELAY_UNIT_MS,
    ...(k === 0
      ? { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": names.main }
      : { "x-dead-letter-exchange": names.delay(k - 1) }),
  };
  if (type === "quorum") {
    args["x-queue-type"] = "quorum";
    // Quorum queues dead-letter at most once unless told otherwise.
    args["x-dead-letter-strategy"] = "at-least-once";
    args["x-overflow"] = "reject-publish";
  }
  return { durable: true, arguments: args };
}

/** Declares the levels `from..to` of work queue `names` on `channel`: exchanges, then queues, then bindings. */
async function declareLevels(
  link: Link,
  channel: Channel,
  names: QueueNames,
  type: QueueType,
  range: { from: number; to: number },
  log: Logger,
): Promise<void> {
  const levels = Array.from({ length: range.to - range.from + 1 }, (_, i) => range.from + i);
  // Lower levels first: a level dead-letters into the one below it.
  for (const k of levels) await channel.assertExchange(names.delay(k), "topic", { durable: true });
  await declareQueues(
    link,
    levels.map((k) => [names.delay(k), delayQueueOptions(names, type, k)] as const),
    log,
  );
  for (const k of levels) {
    await channel.bindQueue(names.delay(k), names.delay(k), pattern(k, "1"));
    if (k === 0) await channel.bindQueue(names.main, names.delay(0), pattern(0, "0"));
    else await channel.bindExchange(names.delay(k - 1), names.delay(k), pattern(k, "0"));
  }
}

/** The delay levels of one work queue, declared on first use on each link. */
export class DelayLevels {
  readonly #names: QueueNames;
  readonly #type: QueueType;
  readonly #log: Logger;
  /** The highest level declared on each link. */
  readonly #declared = new WeakMap<Link, number>();
  /** The declaration under way on each link, and the level it goes up to. */
  readonly #inFlight = new WeakMap<Link, { level: number; done: Promise<void> }>();

  /** Levels for the work queue `names`, of type `type`. */
  constructor(names: QueueNames, type: QueueType, log: Logger) {
    this.#names = names;
    this.#type = type;
    this.#log = log;
  }

  /** The route of a message that must wait `ms`, its levels declared on `link` if they are new. */
  async route(link: Link, ms: number): Promise<DelayRoute> {
    const route = delayRoute(this.#names, ms);
    await this.ensure(link, route.level);
    return route;
  }

  /** The highest level declared on `link` (-1 for none). */
  declaredOn(link: Link): number {
    return this.#declared.get(link) ?? -1;
  }

  /**
   * Declares on `link` the levels up to `level` that it has not declared yet. Calls made while
   * a declaration is under way share it (a producer's whole window of delayed publishes waits
   * for one declaration, not one each).
   */
  ensure(link: Link, level: number): Promise<void> {
    if (level <= this.declaredOn(link)) return Promise.resolve();
    const running = this.#inFlight.get(link);
    if (running !== undefined && running.level >= level) return running.done;
    const before = running?.done.catch(() => {}) ?? Promise.resolve();
    const done = before.then(() => this.#declare(link, level));
    this.#inFlight.set(link, { level, done });
    done.catch(() => {}).finally(() => {
      if (this.#inFlight.get(link)?.done === done) this.#inFlight.delete(link);
    });
    return done;
  }

  async #declare(link: Link, level: number): Promise<void> {
    const declared = this.declaredOn(link);
    if (level <= declared) return;
    const channel = await link.channel({ onClose: "ignore" });
    try {
      const range = { from: declared + 1, to: level };
      await declareLevels(link, channel, this.#names, this.#type, range, this.#log);
    } finally {
      await link.closeChannel(channel);
    }
    this.#declared.set(link, Math.max(level, this.declaredOn(link)));
  }
}
