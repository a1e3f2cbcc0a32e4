/**
 * Feeding many messages to the producer: each is submitted as soon as the window has room
 * (without an await while it has), and the feed ends when every one is confirmed or failed.
 *
 * @module
 */
import { PublishError } from "../errors/publish_error.ts";
import type { EncodedTask } from "../wire/task_codec.ts";
import type { ConfirmListener } from "./publish_window.ts";

/** What a feed came to. */
export interface PublishSummary {
  /** How many messages the broker confirmed. */
  readonly confirmed: number;
  /** The publishes that failed, each with its reason. */
  readonly failed: readonly PublishError[];
}

/**
 * Submits a message: publishes it at once (and returns nothing), or returns a promise that
 * does so when the window has room; throws or rejects when it cannot be sent at all.
 */
export type Submit = (
  message: EncodedTask,
  onConfirm: ConfirmListener,
) => Promise<void> | undefined;

/**
 * Submits each message of `messages` and resolves when all are confirmed or failed;
 * `onConfirm` hears of each one as it ends.
 */
export async function feed(
  messages: Iterable<EncodedTask> | AsyncIterable<EncodedTask>,
  submit: Submit,
  onConfirm?: ConfirmListener,
): Promise<PublishSummary> {
  let confirmed = 0;
  let inFlight = 0;
  let fed = false;
  const failed: PublishError[] = [];
  const allDone = Promise.withResolvers<void>();
  const listener: ConfirmListener = (outcome) => {
    if (outcome instanceof PublishError) failed.push(outcome);
    else confirmed++;
    onConfirm?.(outcome);
    if (--inFlight === 0 && fed) allDone.resolve();
  };
  const notSent = (err: unknown): never => {
    inFlight--;
    throw err;
  };
  const send = (message: EncodedTask): Promise<void> | undefined => {
    inFlight++;
    try {
      return submit(message, listener)?.catch(notSent);
    } catch (err) {
      return notSent(err);
    }
  };
  try {
    if (Symbol.iterator in messages) {
      for (const message of messages) {
        const wait = send(message);
        if (wait) await wait;
      }
    } else {
      for await (const message of messages) {
        const wait = send(message);
        if (wait) await wait;
      }
    }
  } finally {
    fed = true;
    if (inFlight === 0) allDone.resolve();
    await allDone.promise;
  }
  return { confirmed, failed };
}
