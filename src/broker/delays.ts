/**
 * Delays held by the broker: a fixed set of durable TTL queues per work queue `Q`, whatever the
 * delays, as binary levels. Level `k` is a topic exchange `Q.delay.<k>` and a queue
 * `Q.wait.<k>` whose messages all wait `2^k` units of `DELAY_UNIT_MS` (so they expire from the
 * head, in order), then are dead-lettered to the exchange of level `k - 1` (level 0: to `Q`).
 *
 * A message that must wait `n` units is published to the exchange of the highest set bit of
 * `n` with a routing key that spells `n` in binary, one word per level, highest first
 * (`0.0.…1.0.1`). At each level's exchange a `1` routes it into that level's queue, a `0` on to
 * the next level down, so it waits exactly the sum of its set bits: `n` units, in at most
 * `DELAY_LEVELS` hops, whatever `n` is. The levels are declared on first use, up to
 * the highest one a delay needs: short delays (retries) use the first few only.
 *
 * The level queues are quorum queues with at-least-once dead-lettering, whatever the work
 * queue's type: the broker moves a message from a level to the next one with publisher confirms
 * and keeps it until the next one has it, so a broker crash (`kill -9`) loses none. (A classic
 * queue dead-letters at most once: what it is handing over when the broker dies is lost.) A
 * quorum queue works on a single node as on a cluster.
 *
 * The first delay levels kept their messages in queues named `Q.delay.<k>`, of the work queue's
 * type. Declaring a level unbinds such a queue from its exchange: it gets nothing new, and its
 * messages, as they expire, go on through the exchanges into the new levels, with their delays
 * intact. Once empty (it shows in `admin.ts status`) it may be deleted.
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

/**
 * How to declare the queue of level `k` of work queue `names`: a quorum queue (whatever the work
 * queue's type) that holds each message `2^k` units, then dead-letters it at least once (which
 * RabbitMQ grants only with `x-overflow: reject-publish`) to the exchange of level `k - 1`, or to
 * `Q` from level 0.
 */
export function delayQueueOptions(names: QueueNames, k: number): Options.AssertQueue {
  return {
    durable: true,
    arguments: {
      "x-queue-type": "quorum",
      "x-message-ttl": 2 ** k * DELAY_UNIT_MS,
      ...(k === 0
        ? { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": names.main }
        : { "x-dead-letter-exchange": names.delay(k - 1) }),
      "x-dead-letter-strategy": "at-least-once",
      "x-overflow": "reject-publish",
    },
  };
}

/**
 * Unbinds the queues of the first delay levels (`Q.delay.<k>`, for `k` in `levels`) from their
 * exchanges, where they exist: they get nothing new, and what they hold goes on, as it expires,
 * through the exchanges into the levels' new queues. Each check on its own channel (a missing
 * queue closes it). Resolves to the levels that had such a queue.
 */
async function unbindOldLevels(
  link: Link,
  names: QueueNames,
  levels: readonly number[],
  log: Logger,
): Promise<number[]> {
  const found: number[] = [];
  for (const k of levels) {
    const probe = await link.channel({ onClose: "ignore" });
    try {
      const old = await probe.checkQueue(names.delay(k)).catch(() => undefined);
      if (old === undefined) continue;
      // Unbinding what is not bound (another process did it) is no error.
      await probe.unbindQueue(names.delay(k), names.delay(k), pattern(k, "1"));
      found.push(k);
      log.info("delay.level.migrated", {
        queue: names.delay(k),
        to: names.wait(k),
        waiting: old.messageCount,
        detail: `no longer bound: its tasks go on into ${
          names.wait(k)
        } and below as their delays pass; delete it once empty`,
      });
    } finally {
      await link.closeChannel(probe);
    }
  }
  return found;
}

/**
 * Declares the levels `from..to` of work queue `names` on `channel`: exchanges, then queues, then
 * bindings; then unbinds the queues of the first delay levels, once the new ones are bound.
 */
async function declareLevels(
  link: Link,
  channel: Channel,
  names: QueueNames,
  range: { from: number; to: number },
  log: Logger,
): Promise<void> {
  const levels = Array.from({ length: range.to - range.from + 1 }, (_, i) => range.from + i);
  // Lower levels first: a level dead-letters into the one below it.
  for (const k of levels) await channel.assertExchange(names.delay(k), "topic", { durable: true });
  await declareQueues(
    link,
    levels.map((k) => [names.wait(k), delayQueueOptions(names, k)] as const),
    log,
  );
  for (const k of levels) {
    await channel.bindQueue(names.wait(k), names.delay(k), pattern(k, "1"));
    if (k === 0) await channel.bindQueue(names.main, names.delay(0), pattern(0, "0"));
    else await channel.bindExchange(names.delay(k - 1), names.delay(k), pattern(k, "0"));
  }
  await unbindOldLevels(link, names, levels, log);
}

/** The delay levels of one work queue, declared on first use on each link. */
export class DelayLevels {
  readonly #names: QueueNames;
  readonly #log: Logger;
  /** The highest level declared on each link. */
  readonly #declared = new WeakMap<Link, number>();
  /** The declaration under way on each link, and the level it goes up to. */
  readonly #inFlight = new WeakMap<Link, { level: number; done: Promise<void> }>();
  /** The highest level asked for on any link (declared or not: a crash may have cut it short). */
  #highest = -1;

  /**
   * Levels for the work queue `names`. `_type` is the work queue's type, which the levels no
   * longer follow: they are quorum queues on every work queue (see the module's note).
   */
  constructor(names: QueueNames, _type: QueueType, log: Logger) {
    this.#names = names;
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
   * Declares on `link` the levels up to `wanted` that it has not declared yet. Calls made while
   * a declaration is under way share it (a producer's whole window of delayed publishes waits
   * for one declaration, not one each). The first call on a new link also declares again every
   * level asked for on an earlier one: a level created just before a broker crash may be back
   * without a leader, and is mended only when it is declared again (see `declareQueues`).
   */
  ensure(link: Link, wanted: number): Promise<void> {
    const level = this.#declared.has(link) || this.#inFlight.has(link)
      ? wanted
      : Math.max(wanted, this.#highest);
    if (level <= this.declaredOn(link)) return Promise.resolve();
    const running = this.#inFlight.get(link);
    if (running !== undefined && running.level >= level) return running.done;
    const before = running?.done.catch(() => {}) ?? Promise.resolve();
    this.#highest = Math.max(this.#highest, level);
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
      await declareLevels(link, channel, this.#names, range, this.#log);
    } finally {
      await link.closeChannel(channel);
    }
    this.#declared.set(link, Math.max(level, this.declaredOn(link)));
  }
}
