/**
 * Replaying dead letters: each matching one is copied back to the work queue with its attempts
 * and failure headers dropped (same message id, body and other properties), the copy confirmed
 * by the broker, and only then is the dead letter acknowledged. Dead letters that do not match
 * are given back untouched (one nack, requeue, at the end).
 *
 * A replay supersedes the cancels of the task made before it: its copy carries the time of the
 * replay (header `x-warren-replayed`), and, before the copy goes, a note in `Q.control` tells
 * the workers that follow it (when the stream exists) and a `replayed` event goes to the
 * history (when `Q.events` exists).
 *
 * @module
 */
import type { Link } from "../broker/link.ts";
import { declareQueues } from "../broker/declare.ts";
import { publishConfirmed } from "../broker/publish.ts";
import { mainQueueOptions, type QueueNames, type QueueType } from "../broker/topology.ts";
import type { Message, Options } from "../deps/amqplib.ts";
import { describeError } from "../errors/describe.ts";
import { PublishError } from "../errors/publish_error.ts";
import { type Logger, silentLogger } from "../util/logger.ts";
import { defaultCanceller, noteReplays } from "../history/cancels.ts";
import { encodeEvent } from "../wire/events.ts";
import { clipText } from "../history/clip.ts";
import { copyProperties } from "../wire/copies.ts";
import { HEADERS } from "../wire/headers.ts";
import { type DeadLetter, describeDeadLetter, giveBack } from "./dead_letters.ts";
import { type DeadLetterFilter, matchesFilter } from "./filters.ts";
import { inspectQueue, requireQueue } from "./queues.ts";

/**
 * The headers a replayed copy goes without, so that it starts again from its first attempt,
 * and runs even when it had expired (replaying it is asking for it to run).
 */
export const RESET_HEADERS: readonly string[] = [
  HEADERS.expires,
  HEADERS.attempts,
  HEADERS.redeliveries,
  HEADERS.reason,
  HEADERS.error,
  HEADERS.firstFailure,
  HEADERS.lastFailure,
];

/** Options of {@linkcode replayDeadLetters}. */
export interface ReplayOptions extends DeadLetterFilter {
  /**
   * The most dead letters to replay.
   * @default {no limit}
   */
  limit?: number;
  /**
   * The type of the work queue, should it have to be declared.
   * @default {"classic"}
   */
  queueType?: QueueType;
  /**
   * Where a work queue adopted with other arguments is reported.
   * @default {silentLogger}
   */
  logger?: Logger;
  /** Called after each dead letter was replayed (its copy confirmed, it acknowledged). */
  onReplayed?: (letter: DeadLetter) => void;
  /**
   * Who replays, as `Q.control` and the history record it.
   * @default {host:pid}
   */
  by?: string;
}

/** What a replay did. */
export interface ReplaySummary {
  /** The dead-letter queue. */
  readonly from: string;
  /** The work queue the copies went to. */
  readonly to: string;
  /** Dead letters looked at. */
  readonly scanned: number;
  /** Dead letters moved back to the work queue. */
  readonly replayed: number;
  /** Dead letters that did not match, given back untouched. */
  readonly kept: number;
}

/**
 * Publish properties of the replayed copy of a dead letter: its own properties (message id,
 * type, timestamp, …) and headers, without the broker's bookkeeping headers and without
 * {@linkcode RESET_HEADERS}, with the time of the replay (header `x-warren-replayed`).
 */
export function replayProperties(
  message: Pick<Message, "properties">,
  id: string,
  replayedAt: string = new Date().toISOString(),
): Options.Publish {
  const properties = copyProperties(message, id, {});
  const headers: Record<string, unknown> = { ...properties.headers };
  for (const name of RESET_HEADERS) delete headers[name];
  headers[HEADERS.replayed] = replayedAt;
  return { ...properties, headers };
}

/**
 * Moves the dead letters of `names` that match `options` back to the work queue (see the module
 * documentation). Looks at most at the messages that were ready when it began, so dead letters
 * that arrive meanwhile are left alone. Declares the work queue if it does not exist; throws a
 * `MissingQueueError` if the dead-letter queue does not, and a {@linkcode PublishError} (the dead
 * letter kept) if the broker refuses a copy.
 */
export async function replayDeadLetters(
  link: Link,
  names: QueueNames,
  options: ReplayOptions = {},
): Promise<ReplaySummary> {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const { ready } = await requireQueue(link, names, names.dead);
  if (await inspectQueue(link, names.main) === undefined) {
    const type = options.queueType ?? "classic";
    await declareQueues(
      link,
      [[names.main, mainQueueOptions(names, type)]],
      options.logger ?? silentLogger,
    );
  }
  const [control, events] = await Promise.all(
    [names.control, names.events].map(async (q) => await inspectQueue(link, q) !== undefined),
  );
  const by = options.by ?? defaultCanceller();
  let returned = false;
  const channel = await link.confirmChannel({ onClose: "ignore", onReturn: () => returned = true });
  let scanned = 0;
  let replayed = 0;
  try {
    while (scanned < ready && replayed < limit) {
      const message = await channel.get(names.dead, { noAck: false });
      if (message === false) break;
      scanned++;
      const letter = describeDeadLetter(message);
      if (!matchesFilter(letter, options)) continue;
      returned = false;
      const at = new Date().toISOString();
      // Before the copy goes: the workers learn that earlier cancels lapse, the history that
      // the task runs again.
      await Promise.all([
        control ? noteReplays(link, names, [letter.id], { at, by }) : undefined,
        events ? recordReplay(channel, names, letter, at, by) : undefined,
      ]);
      const properties = { ...replayProperties(message, letter.id, at), mandatory: true };
      try {
        await publishConfirmed(channel, names.main, message.content, properties);
      } catch (err) {
        throw new PublishError(
          "nacked",
          letter.id,
          `The broker did not confirm the copy of dead letter ${letter.id} to '${names.main}' (${
            describeError(err)
          }): the dead letter was kept`,
          { cause: err },
        );
      }
      if (returned) {
        throw new PublishError(
          "unroutable",
          letter.id,
          `The copy of dead letter ${letter.id} reached no queue: '${names.main}' was deleted meanwhile; the dead letter was kept`,
        );
      }
      channel.ack(message);
      replayed++;
      options.onReplayed?.(letter);
    }
  } finally {
    if (scanned > replayed) giveBack(channel);
    await link.closeChannel(channel);
  }
  return { from: names.dead, to: names.main, scanned, replayed, kept: scanned - replayed };
}

/** Writes the `replayed` event of a dead letter to `Q.events`, confirmed. */
async function recordReplay(
  channel: Parameters<typeof publishConfirmed>[0],
  names: QueueNames,
  letter: DeadLetter,
  at: string,
  by: string,
): Promise<void> {
  const { body, properties } = encodeEvent({
    event: "replayed",
    id: letter.id,
    ...(letter.task === null ? {} : { task: clipText(letter.task, 1000) }),
    at,
    by: clipText(by, 200),
    ...(letter.reason === null ? {} : { reason: clipText(letter.reason, 200) }),
    queue: names.main,
  });
  await publishConfirmed(channel, names.events, body, properties);
}
