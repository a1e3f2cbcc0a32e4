/**
 * Cancels through the stream `Q.control`: {@linkcode requestCancel} appends a request (from
 * any machine); each worker keeps a {@linkcode CancelList} that reads the requests of a window
 * (the longest a task may wait) when it starts, and follows the stream while it runs, so a
 * cancel reaches workers started after it, and outlives a broker restart.
 *
 * A replay of a task's dead letter supersedes the cancels made before it: the replay appends a
 * note to `Q.control` ({@linkcode noteReplays}), which makes the list forget the task's earlier
 * cancel, and its copy carries the replay's time (header `x-warren-replayed`), which
 * {@linkcode CancelList.get} takes to leave an earlier cancel out. A cancel made after the
 * replay applies again. Messages of the stream that are neither are skipped, and counted.
 *
 * @module
 */
import { hostname } from "node:os";
import type { Link } from "../broker/link.ts";
import { declareQueues } from "../broker/declare.ts";
import { publishConfirmed } from "../broker/publish.ts";
import { type QueueNames, streamOptions, type StreamRetention } from "../broker/topology.ts";
import type { Logger } from "../util/logger.ts";
import {
  type CancelRequest,
  decodeCancel,
  decodeReplayNote,
  encodeCancel,
  encodeReplayNote,
  type ReplayNote,
} from "../wire/control.ts";
import { type SkippedMessages, SkipTally } from "./skipped.ts";
import { MissingQueueError } from "../errors/missing_queue_error.ts";
import { readUntilNow, StreamReader, type StreamStart } from "./stream_reader.ts";

/** How long a starting worker waits to have read the cancels of its window. */
export const CATCH_UP_MS = 5_000;

/** Who asks for a cancel when the caller does not say: `host:pid`. */
export function defaultCanceller(): string {
  const readable = Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state ===
    "granted";
  return `${readable ? hostname() : "pid"}:${Deno.pid}`;
}

/** Options of {@linkcode requestCancel}. */
export interface CancelOptions {
  /**
   * Drop the task rather than dead-letter it with reason `cancelled`.
   * @default {false}
   */
  drop?: boolean;
  /**
   * Who asks, as the request records it.
   * @default {host:pid}
   */
  by?: string;
}

/**
 * Appends a cancel of each task of `ids` to `Q.control` (declared with `options.retention` if
 * it does not exist); resolves when the broker confirmed them all.
 */
export async function requestCancels(
  link: Link,
  names: QueueNames,
  ids: readonly string[],
  options: CancelOptions & { readonly retention: StreamRetention; readonly logger: Logger },
): Promise<void> {
  if (ids.length === 0) return;
  await declareQueues(link, [[names.control, streamOptions(options.retention)]], options.logger);
  const channel = await link.confirmChannel({ onClose: "ignore" });
  const by = options.by ?? defaultCanceller();
  try {
    await Promise.all(ids.map((id) =>
      publishConfirmed(
        channel,
        names.control,
        encodeCancel(id, { by, ...(options.drop ? { drop: true } : {}) }),
        { correlationId: id, contentType: "application/json" },
      )
    ));
  } finally {
    await link.closeChannel(channel);
  }
}

/**
 * Appends to `Q.control` a note that the tasks `ids` were replayed at `at` (when the stream
 * exists: without it there is no cancel to supersede); resolves when the broker confirmed them
 * all, to whether the stream exists.
 */
export async function noteReplays(
  link: Link,
  names: QueueNames,
  ids: readonly string[],
  options: { readonly at: string; readonly by?: string },
): Promise<boolean> {
  if (ids.length === 0) return true;
  const channel = await link.confirmChannel({ onClose: "ignore" });
  const by = options.by ?? defaultCanceller();
  try {
    try {
      await channel.checkQueue(names.control);
    } catch {
      return false;
    }
    await Promise.all(ids.map((id) =>
      publishConfirmed(
        channel,
        names.control,
        encodeReplayNote(id, { by, at: options.at }),
        { correlationId: id, contentType: "application/json" },
      )
    ));
    return true;
  } finally {
    await link.closeChannel(channel);
  }
}

/**
 * The cancel requests of tasks `ids` made since `from`, read from `Q.control` (none when it does
 * not exist): the first of each since its last replay.
 */
export async function findCancels(
  link: Link,
  names: QueueNames,
  ids: readonly string[],
  from: StreamStart,
): Promise<Map<string, CancelRequest>> {
  const wanted = new Set(ids);
  const found = new Map<string, CancelRequest>();
  try {
    await readUntilNow(link, names.control, (message) => {
      const id: unknown = message.properties.correlationId;
      if (typeof id !== "string" || !wanted.has(id)) return;
      const request = decodeCancel(message.content);
      if (request?.id === id) {
        if (!found.has(id)) found.set(id, request);
        return;
      }
      const note = decodeReplayNote(message.content);
      if (note?.id === id && (found.get(id)?.at ?? "") <= note.at) found.delete(id);
    }, { from, prefetch: 200 });
  } catch (err) {
    if (!(err instanceof MissingQueueError)) throw err;
  }
  return found;
}

/**
 * The cancel requests of the last `windowMs`, read from `Q.control` and followed while it is
 * attached; `onCancel` hears each new one.
 */
export class CancelList {
  readonly #windowMs: number;
  readonly #onCancel: (request: CancelRequest) => void;
  readonly #log: Logger;
  readonly #requests = new Map<string, CancelRequest>();
  readonly #skipped = new SkipTally();
  #reader: StreamReader | undefined;
  #nextOffset: number | undefined;

  /** A list of the requests of the last `windowMs`; `log` hears of a slow catch-up. */
  constructor(windowMs: number, onCancel: (request: CancelRequest) => void, log: Logger) {
    this.#windowMs = windowMs;
    this.#onCancel = onCancel;
    this.#log = log;
  }

  /** How many requests the list holds. */
  get size(): number {
    return this.#requests.size;
  }

  /**
   * Reads `Q.control` on `link` (from where it left off, or from the start of the window) and
   * resolves when it has read every request made until now, or after `catchUpMs` (a broker
   * that blocks publishes cannot take the marker that says where "now" is: a warning says so,
   * and a request read later still stops its task); then follows it.
   */
  async attach(link: Link, names: QueueNames, catchUpMs = CATCH_UP_MS): Promise<void> {
    await this.detach();
    const from = this.#nextOffset === undefined
      ? new Date(Date.now() - this.#windowMs)
      : { offset: this.#nextOffset };
    this.#reader = await StreamReader.open(link, names.control, (message, offset) => {
      this.#nextOffset = offset + 1;
      const request = decodeCancel(message.content);
      if (request) return this.#add(request);
      const note = decodeReplayNote(message.content);
      if (note) return this.#replayed(note);
      this.#skipped.add(offset, "not-a-request", "neither a cancel request nor a replay note");
    }, { from, prefetch: 200 });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([
      this.#reader.caughtUp.then(() => "read" as const, () => "unread" as const),
      new Promise<"late">((resolve) => (timer = setTimeout(resolve, catchUpMs, "late"))),
    ]);
    clearTimeout(timer);
    if (outcome !== "read") {
      this.#log.warn("cancels.catching_up", {
        stream: names.control,
        detail:
          `the cancel requests were not all read within ${catchUpMs} ms (the broker may be blocking publishes: a memory or disk alarm); tasks start meanwhile, and a cancel read later stops its task`,
      });
    }
  }

  /**
   * The request to cancel task `id`, if there is one in the window; for a replayed copy (give
   * the time of its replay, its header `x-warren-replayed`), only a request made after it.
   */
  get(id: string, replayedAt?: string): CancelRequest | undefined {
    const request = this.#requests.get(id);
    if (request === undefined || (replayedAt !== undefined && request.at <= replayedAt)) {
      return undefined;
    }
    return request;
  }

  /** The messages of `Q.control` that were neither a cancel nor a replay note, skipped. */
  get skipped(): SkippedMessages {
    return this.#skipped.summary;
  }

  /** Stops following the stream (the list is kept, for the next {@linkcode attach}). */
  async detach(): Promise<void> {
    const reader = this.#reader;
    this.#reader = undefined;
    await reader?.stop();
  }

  /**
   * Stops following the stream without asking the broker anything, for a connection that is
   * about to close (and may be blocked: it would not answer).
   */
  abandon(): void {
    this.#reader?.abandon();
    this.#reader = undefined;
  }

  #add(request: CancelRequest): void {
    const oldest = new Date(Date.now() - this.#windowMs).toISOString();
    for (const [id, kept] of this.#requests) {
      if (kept.at >= oldest) break;
      this.#requests.delete(id);
    }
    if (request.at < oldest || this.#requests.has(request.id)) return;
    this.#requests.set(request.id, request);
    this.#onCancel(request);
  }

  /** A replay of task `id`: its earlier cancel lapses (a later one is kept). */
  #replayed(note: ReplayNote): void {
    const request = this.#requests.get(note.id);
    if (request !== undefined && request.at <= note.at) this.#requests.delete(note.id);
  }
}
