/**
 * The lead among scheduler replicas, held through the broker alone. The active replica holds
 * the exclusive queue `Q.scheduler` on its connection; the others try to declare it and fail
 * (RESOURCE_LOCKED) until it is gone. The broker deletes it as soon as the holder's connection
 * goes (a crash closes its socket; a lost network, its heartbeats): that is an outage, noticed at
 * a standby's next try. A replica that stops on purpose hands over instead: it deletes the queue
 * itself, then puts a wake note in `Q.scheduler.wake`, which the standbys consume (each note goes
 * to one of them), so that one takes the lead at once rather than at its next try. A note nobody
 * takes expires after {@linkcode WAKE_TTL_MS}; a lost one only costs the wait until the next try.
 *
 * An exclusive queue was chosen over a single-active-consumer queue because it needs no token
 * message to keep, renew or lose, and frees itself with the connection.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { ConfirmedPublisher } from "../broker/confirmed_publisher.ts";
import type { Link } from "../broker/link.ts";
import type { QueueNames } from "../broker/topology.ts";
import type { Channel, Options } from "../deps/amqplib.ts";
import { describeError } from "../errors/describe.ts";

/** How long a wake note waits for a standby, in milliseconds. */
export const WAKE_TTL_MS = 10_000;

/** The longest wake note read, in bytes. */
const MAX_WAKE_BYTES = 1_024;

/** How to declare `Q.scheduler.wake`: durable, one short-lived note at most. */
export function wakeQueueOptions(): Options.AssertQueue {
  return {
    durable: true,
    arguments: { "x-message-ttl": WAKE_TTL_MS, "x-max-length": 1, "x-overflow": "drop-head" },
  };
}

/** Whether `err` is RESOURCE_LOCKED: another connection holds the exclusive queue. */
function isLocked(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === 405 ||
    describeError(err).includes("RESOURCE_LOCKED");
}

/** Tries to take the lead on `link`: declares the exclusive queue, or finds it held. */
export async function tryLead(link: Link, names: QueueNames): Promise<boolean> {
  const channel = await link.channel({ onClose: "ignore" });
  try {
    await channel.assertQueue(names.scheduler, { exclusive: true, durable: false });
    return true;
  } catch (err) {
    if (isLocked(err)) return false;
    throw err;
  } finally {
    await link.closeChannel(channel);
  }
}

/**
 * Frees the lead held on `link`: deletes the exclusive queue, then leaves a wake note saying
 * that `by` handed over, for one standby. Resolves to whether the note was confirmed (it is not
 * when its queue is gone: the standbys then find the lead free at their next try).
 */
export async function releaseLead(link: Link, names: QueueNames, by: string): Promise<boolean> {
  const publisher = await ConfirmedPublisher.open(link, { onClose: "ignore" });
  try {
    await publisher.channel.deleteQueue(names.scheduler);
    const note = Buffer.from(JSON.stringify({ by, at: new Date().toISOString() }));
    return await publisher.publish(names.schedulerWake, note, {
      contentType: "application/json",
      type: "warren.scheduler.wake.v1",
    }).then(() => true, () => false);
  } finally {
    await link.closeChannel(publisher.channel);
  }
}

/** Who handed over, as a wake note says; `undefined` when it says nothing readable. */
export function wakeSender(body: Uint8Array): string | undefined {
  if (body.byteLength > MAX_WAKE_BYTES) return undefined;
  try {
    const by: unknown = (JSON.parse(new TextDecoder().decode(body)) as { by?: unknown })?.by;
    return typeof by === "string" && by.length <= 200 ? by : undefined;
  } catch {
    return undefined;
  }
}

/** A standby's consumer of wake notes; close it before leading (a leader takes none). */
export class WakeListener {
  readonly #link: Link;
  readonly #channel: Channel;
  #listening = true;

  private constructor(link: Link, channel: Channel) {
    this.#link = link;
    this.#channel = channel;
    channel.on("close", () => this.#listening = false);
  }

  /** Consumes the wake notes of `names` on `link`; calls `onWake` with each note's sender. */
  static async open(
    link: Link,
    names: QueueNames,
    onWake: (by: string | undefined) => void,
  ): Promise<WakeListener> {
    const channel = await link.channel({ onClose: "ignore" });
    const listener = new WakeListener(link, channel);
    try {
      // Declared again here, in case it was deleted since the connection was set up.
      await channel.assertQueue(names.schedulerWake, wakeQueueOptions());
      await channel.consume(names.schedulerWake, (message) => {
        // null: the broker cancelled the consumer (the queue was deleted).
        if (message === null) listener.#listening = false;
        else onWake(wakeSender(message.content));
      }, { noAck: true });
    } catch (err) {
      await listener.close();
      throw err;
    }
    return listener;
  }

  /** Whether it still listens on `link` (its channel and consumer are open there). */
  listensOn(link: Link): boolean {
    return this.#listening && this.#link === link && link.live;
  }

  /** Stops listening. Never rejects. */
  async close(): Promise<void> {
    this.#listening = false;
    await this.#link.closeChannel(this.#channel);
  }
}
