/**
 * Acknowledging many deliveries of one channel at once: those that, with every delivery before
 * them, are all done go out as one ack with `multiple`; the others one by one.
 *
 * @module
 */

/** A delivery, as far as acking it goes. */
export interface Ackable {
  /** Its delivery fields. */
  readonly fields: { readonly deliveryTag: number };
}

/** Where acks go: an amqplib channel. */
export interface AckChannel<M extends Ackable> {
  /** Acks `message`, and with `allUpTo` every earlier delivery of the channel too. */
  ack(message: M, allUpTo?: boolean): void;
}

/**
 * Acks `done`, deliveries of `channel`. `unacked` lists the tags of every delivery of the channel
 * not yet acked, in the order they came; the acked ones are removed from it.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { ackInOrder } from "./acks.ts";
 *
 * const sent: string[] = [];
 * const channel = {
 *   ack: (m: { fields: { deliveryTag: number } }, all?: boolean) =>
 *     sent.push(`${m.fields.deliveryTag}${all ? "+" : ""}`),
 * };
 * const unacked = [1, 2, 3, 4, 5];
 * const done = [1, 2, 3, 5].map((deliveryTag) => ({ fields: { deliveryTag } }));
 * ackInOrder(channel, unacked, done);
 * assertEquals(sent, ["3+", "5"]); // 1 to 3 at once; 4 still runs
 * assertEquals(unacked, [4]);
 * ```
 */
export function ackInOrder<M extends Ackable>(
  channel: AckChannel<M>,
  unacked: number[],
  done: readonly M[],
): void {
  const byTag = new Map(done.map((message) => [message.fields.deliveryTag, message]));
  let prefix = 0;
  while (prefix < unacked.length && byTag.has(unacked[prefix]!)) prefix++;
  if (prefix > 0) {
    channel.ack(byTag.get(unacked[prefix - 1]!)!, prefix > 1);
    for (const tag of unacked.splice(0, prefix)) byTag.delete(tag);
  }
  for (const [tag, message] of byTag) {
    channel.ack(message);
    const at = unacked.indexOf(tag);
    if (at >= 0) unacked.splice(at, 1);
  }
}
