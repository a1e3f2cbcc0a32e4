/**
 * Looking tasks up in the history stream `Q.events`: one task's record and timeline, a list of
 * tasks, and waiting for a task's outcome. Each reads from a time, not from the stream's
 * start: a Warren id says when it was made, so a lookup by id starts there (less a margin for
 * clocks that differ); other ids start at `since`, else the oldest event kept.
 *
 * @module
 */
import type { Link } from "../broker/link.ts";
import type { QueueNames } from "../broker/topology.ts";
import type { ConsumeMessage } from "../deps/amqplib.ts";
import { ResultTimeoutError } from "../errors/result_timeout_error.ts";
import {
  eventBodies,
  type HistoryEvent,
  outcomeOf,
  type ProgressEvent,
  readEvent,
} from "../wire/events.ts";
import type { TaskOutcome } from "../wire/outcome_codec.ts";
import { timeOfId } from "../wire/task_id.ts";
import { readUntilNow, StreamReader, type StreamStart } from "./stream_reader.ts";
import { applyEvent, type TaskRecord, type TaskState } from "./timeline.ts";
import { type SkippedMessages, SkipTally } from "./skipped.ts";
import { clipEvent } from "./clip.ts";

/** How much earlier than an id's own time a lookup starts: clocks of machines differ. */
export const CLOCK_MARGIN_MS = 5 * 60_000;

export const MISSING_HINT =
  "the queue has no history: its producers and workers ran with it off (--no-history, or { history: false })";

/** Where a lookup of task `id` starts reading: `since`, else the id's time, else the start. */
export function lookupStart(id: string, since?: Date): StreamStart {
  if (since) return since;
  const made = timeOfId(id);
  return made ? new Date(made.getTime() - CLOCK_MARGIN_MS) : "first";
}

/**
 * The events in `message` (one, or several for a batch) of task `id` (others are skipped
 * unparsed; with no `id`, any task's); one that cannot be read is counted in `skipped`.
 */
export function eventsOf(
  message: ConsumeMessage,
  offset: number,
  skipped: SkipTally,
  id?: string,
): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  for (const body of eventBodies(message, id)) {
    const read = readEvent(body);
    if (!read.ok) skipped.add(offset, read.problem, read.detail);
    else if (id === undefined || read.event.id === id) events.push(read.event);
  }
  return events;
}

/**
 * The bytes of a task's events that a lookup keeps whole: past them (a task with many large
 * events), its later events are kept with their texts cut to {@linkcode LIST_TEXT_MAX}.
 */
export const WHOLE_EVENTS_BYTES = 16 * 1024 * 1024;

/** The most events a lookup keeps of one task: beyond, the oldest after the first go. */
export const MAX_KEPT_EVENTS = 1000;

/** A record with at most {@linkcode MAX_KEPT_EVENTS} events: its first, and its latest. */
function keptEvents(record: TaskRecord): TaskRecord {
  if (record.events.length <= MAX_KEPT_EVENTS) return record;
  return { ...record, events: [record.events[0]!, ...record.events.slice(2)] };
}

/** Options of {@linkcode findTask}. */
export interface FindOptions {
  /**
   * Read from this time.
   * @default {the time the id says it was made, less 5 minutes; else the oldest event}
   */
  since?: Date;
}

/** What a lookup of tasks by id found. */
export interface TaskLookupResult {
  /** The records of the ids the history has events of. */
  readonly records: Map<string, TaskRecord>;
  /** The events of those ids that could not be read, skipped. */
  readonly skipped: SkippedMessages;
}

/**
 * The record of task `id`, with its events, from everything the history holds up to now;
 * `undefined` when it has no event of that id.
 */
export async function findTask(
  link: Link,
  names: QueueNames,
  id: string,
  options: FindOptions = {},
): Promise<TaskRecord | undefined> {
  return (await findTasks(link, names, [id], options)).records.get(id);
}

/**
 * The records of tasks `ids` (those the history has events of), in one read from the earliest
 * start that one of them needs; an event of theirs that cannot be read is skipped, and counted.
 */
export async function findTasks(
  link: Link,
  names: QueueNames,
  ids: readonly string[],
  options: FindOptions = {},
): Promise<TaskLookupResult> {
  const records = new Map<string, TaskRecord>();
  const wanted = new Set(ids);
  const skipped = new SkipTally();
  const bytes = new Map<string, number>();
  const now = Date.now();
  await readUntilNow(link, names.events, (message, offset) => {
    const correlation: unknown = message.properties.correlationId;
    if (typeof correlation === "string" && !wanted.has(correlation)) return;
    // A batch of several tasks' events has no correlation id: each wanted id is looked for.
    const ids = typeof correlation === "string" ? [correlation] : wanted;
    for (const id of ids) {
      for (const event of eventsOf(message, offset, skipped, id)) {
        const read = (bytes.get(id) ?? 0) + message.content.length;
        bytes.set(id, read);
        const kept = read <= WHOLE_EVENTS_BYTES ? event : clipEvent(event, LIST_TEXT_MAX);
        records.set(id, keptEvents(applyEvent(records.get(id), kept, { now, keep: true })));
      }
    }
  }, {
    from: earliest(ids.map((id) => lookupStart(id, options.since))),
    missingHint: MISSING_HINT,
  });
  return { records, skipped: skipped.summary };
}

/** The earliest of some starts. */
function earliest(starts: readonly StreamStart[]): StreamStart {
  let first: Date | undefined;
  for (const start of starts) {
    if (!(start instanceof Date)) return "first";
    if (first === undefined || start < first) first = start;
  }
  return first ?? "first";
}

/** Which tasks {@linkcode listTasks} gives. */
export interface TaskQuery {
  /** Events from this time on. */
  readonly since: Date;
  /**
   * Only tasks in this state.
   * @default {any}
   */
  readonly state?: TaskState;
  /**
   * Only tasks of this name.
   * @default {any}
   */
  readonly task?: string;
  /**
   * At most this many, the latest first.
   * @default {100}
   */
  readonly limit?: number;
}

/**
 * The most characters of an error, a result or a progress note that a list of tasks keeps (it
 * holds many): the rest is cut with a marker, and a lookup of the task gives it whole.
 */
export const LIST_TEXT_MAX = 2000;

/** What {@linkcode listTasks} found. */
export interface TaskList {
  /** The tasks, the most recently updated first. */
  readonly tasks: TaskRecord[];
  /** How many tasks matched the query, `tasks` being the first `query.limit` of them. */
  readonly matched: number;
  /** The events of the window that could not be read, skipped. */
  readonly skipped: SkippedMessages;
}

/**
 * Tasks with events since `query.since`, the most recently updated first, their long texts cut
 * to {@linkcode LIST_TEXT_MAX} characters; an event that cannot be read is skipped, and counted.
 */
export async function listTasks(
  link: Link,
  names: QueueNames,
  query: TaskQuery,
): Promise<TaskList> {
  const records = new Map<string, TaskRecord>();
  const skipped = new SkipTally();
  const now = Date.now();
  await readUntilNow(link, names.events, (message, offset) => {
    for (const event of eventsOf(message, offset, skipped)) {
      const clipped = clipEvent(event, LIST_TEXT_MAX);
      records.set(event.id, applyEvent(records.get(event.id), clipped, { now }));
    }
  }, { from: query.since, missingHint: MISSING_HINT });
  const since = query.since.toISOString();
  const matching = [...records.values()]
    .filter((r) =>
      r.updatedAt >= since && (query.state === undefined || r.state === query.state) &&
      (query.task === undefined || r.task === query.task)
    );
  const tasks = matching
    .sort((a, b) => a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0)
    .slice(0, query.limit ?? 100);
  return { tasks, matched: matching.length, skipped: skipped.summary };
}

/** Options of {@linkcode awaitOutcome}. */
export interface AwaitOptions extends FindOptions {
  /** How long to wait, in milliseconds. */
  readonly timeout: number;
  /** Hears each progress report on the way. */
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Stops waiting when it fires (the promise then rejects with its reason). */
  readonly signal?: AbortSignal;
}

/**
 * The outcome of task `id` as the history tells it: at once when it has finished, else when it
 * does. Rejects with a `ResultTimeoutError` after `options.timeout`.
 */
export async function awaitOutcome(
  link: Link,
  names: QueueNames,
  id: string,
  options: AwaitOptions,
): Promise<TaskOutcome> {
  const outcome = Promise.withResolvers<TaskOutcome>();
  const skipped = new SkipTally();
  const reader = await StreamReader.open(link, names.events, (message, offset) => {
    for (const event of eventsOf(message, offset, skipped, id)) {
      if (event.event === "progress") options.onProgress?.(event);
      const found = outcomeOf(event);
      if (found) outcome.resolve(found);
    }
  }, { from: lookupStart(id, options.since), mark: false, missingHint: MISSING_HINT });
  const timer = setTimeout(
    () => outcome.reject(new ResultTimeoutError(id, options.timeout)),
    options.timeout,
  );
  const abort = () => outcome.reject(options.signal?.reason);
  if (options.signal?.aborted) abort();
  options.signal?.addEventListener("abort", abort, { once: true });
  try {
    return await Promise.race([outcome.promise, reader.ended.then(() => outcome.promise)]);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", abort);
    await reader.stop();
  }
}
