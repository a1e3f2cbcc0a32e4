/**
 * Replaying dead letters: each matching one is copied back to the work queue with its attempts
 * and failure headers dropped (same message id, body and other properties), the copy confirmed
 * by the broker, and only then is the dead letter acknowledged. Dead letters that do not match
 * are given back untouched (one nack, requeue, at the end).
 *
 * @module
 */
import type { ChannelModel, Message, Options } from "amqplib";
import { HEADERS } from "../codec.ts";
import { copyProperties } from "../copies.ts";
import { describeError, PublishError } from "../errors.ts";
import { type Logger, silentLogger } from "../logger.ts";
import { publishConfirmed } from "../publish.ts";
import { declareQueues, mainQueueOptions, type QueueNames, type QueueType } from "../topology.ts";
import { type DeadLetter, describeDeadLetter, giveBack } from "./dead_letters.ts";
import { inspectQueue, requireQueue } from "./queues.ts";

/** The headers a replayed copy goes without, so that it starts again from its first attempt. */
export const RESET_HEADERS: readonly string[] = [
  HEADERS.attempts,
  HEADERS.deaths,
  HEADERS.reason,
  HEADERS.error,
  HEADERS.firstFailure,
  HEADERS.lastFailure,
];

/** Which dead letters to replay; every field given must match. */
export interface ReplayFilter {
  /**
   * Only dead letters of this task.
   * @default {any task}
   */
  task?: string;
  /**
   * Only the dead letter with this message id.
   * @default {any id}
   */
  id?: string;
  /**
   * Only dead letters given up for this reason (`failed`, `invalid-payload`, …).
   * @default {any reason}
   */
  reason?: string;
}

/** Options of {@linkcode replayDeadLetters}. */
export interface ReplayOptions extends ReplayFilter {
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

/** Whether `letter` matches every field of `filter`. */
export function matchesFilter(letter: DeadLetter, filter: ReplayFilter): boolean {
  return (filter.task === undefined || letter.task === filter.task) &&
    (filter.id === undefined || letter.id === filter.id) &&
    (filter.reason === undefined || letter.reason === filter.reason);
}

/**
 * Publish properties of the replayed copy of a dead letter: its own properties (message id,
 * type, timestamp, …) and headers, without the broker's bookkeeping headers and without
 * {@linkcode RESET_HEADERS}.
 */
export function replayProperties(
  message: Pick<Message, "properties">,
  id: string,
): Options.Publish {
  const properties = copyProperties(message, id, {});
  const headers = { ...properties.headers };
  for (const name of RESET_HEADERS) delete headers[name];
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
  model: ChannelModel,
  names: QueueNames,
  options: ReplayOptions = {},
): Promise<ReplaySummary> {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const { ready } = await requireQueue(
    model,
    names.dead,
    "no task of this queue was ever dead-lettered, or the queue name is wrong",
  );
  if (await inspectQueue(model, names.main) === undefined) {
    const type = options.queueType ?? "classic";
    await declareQueues(
      model,
      [[names.main, mainQueueOptions(type)]],
      options.logger ?? silentLogger,
    );
  }
  const channel = await model.createConfirmChannel();
  channel.on("error", () => {}); // errors reject the operation that caused them
  let returned = false;
  channel.on("return", () => returned = true);
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
      const properties = { ...replayProperties(message, letter.id), mandatory: true };
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
    await channel.close().catch(() => {});
  }
  return { from: names.dead, to: names.main, scanned, replayed, kept: scanned - replayed };
}
