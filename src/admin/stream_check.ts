/**
 * Checking Warren's streams for messages that readers skip: `Q.events` (history events that
 * are too large, too deep, not JSON or not of the event format) and `Q.control` (messages that
 * are neither a cancel request nor a replay note). Readers skip such a message and go on; this
 * says how many there are, so that `admin.ts status` can show it.
 *
 * @module
 */
import type { Link } from "../broker/link.ts";
import type { QueueNames } from "../broker/topology.ts";
import { MissingQueueError } from "../errors/missing_queue_error.ts";
import { type SkippedMessages, SkipTally } from "../history/skipped.ts";
import { StreamReader } from "../history/stream_reader.ts";
import { decodeCancel, decodeReplayNote } from "../wire/control.ts";
import { readEvent } from "../wire/events.ts";

/** Options of {@linkcode checkStreams}. */
export interface StreamCheckOptions {
  /**
   * Read the streams from this time.
   * @default {an hour ago}
   */
  since?: Date;
  /**
   * The most messages read of each stream: past it, the check stops and says so.
   * @default {200000}
   */
  maxMessages?: number;
  /**
   * The longest the check reads each stream, in milliseconds (a broker that blocks publishes
   * never takes the marker that says where the stream ends): past it, the check stops and says
   * so.
   * @default {10000}
   */
  timeoutMs?: number;
}

/** What a check of one stream found. */
export interface StreamCheck {
  /** The stream's name. */
  readonly name: string;
  /** Which of Warren's streams it is. */
  readonly role: "events" | "control";
  /** Read from this time (ISO 8601). */
  readonly since: string;
  /** Messages read (markers not counted). */
  readonly read: number;
  /** Messages that readers skip. */
  readonly skipped: SkippedMessages;
  /** Whether the check stopped before the stream's end (at `maxMessages`, or `timeoutMs`). */
  readonly capped: boolean;
}

/** Whether a message of the stream is readable; the reason and detail when it is not. */
type Verdict = { ok: true } | { ok: false; reason: string; detail: string };

function eventVerdict(body: Uint8Array): Verdict {
  const read = readEvent(body);
  return read.ok ? read : { ok: false, reason: read.problem, detail: read.detail };
}

function controlVerdict(body: Uint8Array): Verdict {
  if (decodeCancel(body) || decodeReplayNote(body)) return { ok: true };
  return {
    ok: false,
    reason: "not-a-request",
    detail: "neither a cancel request nor a replay note (or over its bounds)",
  };
}

/** Reads `stream` from `since` until it is read or `max` messages were. */
async function checkOne(
  link: Link,
  stream: string,
  role: StreamCheck["role"],
  since: Date,
  max: number,
  timeoutMs: number,
): Promise<StreamCheck | undefined> {
  const tally = new SkipTally();
  const verdict = role === "events" ? eventVerdict : controlVerdict;
  let read = 0;
  const full = Promise.withResolvers<"capped">();
  let reader: StreamReader;
  try {
    reader = await StreamReader.open(link, stream, (message, offset) => {
      if (read >= max) return;
      read++;
      const found = verdict(message.content);
      if (!found.ok) tally.add(offset, found.reason, found.detail);
      if (read >= max) full.resolve("capped");
    }, { from: since, prefetch: 500 });
  } catch (err) {
    if (err instanceof MissingQueueError) return undefined;
    throw err;
  }
  const timer = setTimeout(() => full.resolve("capped"), timeoutMs);
  try {
    const end = await Promise.race([
      reader.caughtUp.then(() => "read" as const, () => "capped" as const),
      full.promise,
    ]);
    return {
      name: stream,
      role,
      since: since.toISOString(),
      read,
      skipped: tally.summary,
      capped: end === "capped",
    };
  } finally {
    clearTimeout(timer);
    await reader.stop();
  }
}

/**
 * Checks `Q.events` and `Q.control` (those that exist) from `options.since`; see the module
 * documentation.
 */
export async function checkStreams(
  link: Link,
  names: QueueNames,
  options: StreamCheckOptions = {},
): Promise<StreamCheck[]> {
  const since = options.since ?? new Date(Date.now() - 3_600_000);
  const max = options.maxMessages ?? 200_000;
  const timeout = options.timeoutMs ?? 10_000;
  const checks = await Promise.all([
    checkOne(link, names.events, "events", since, max, timeout),
    checkOne(link, names.control, "control", since, max, timeout),
  ]);
  return checks.filter((check) => check !== undefined);
}
