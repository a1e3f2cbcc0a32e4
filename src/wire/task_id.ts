/**
 * Task ids: 22 characters of base64url. The first 8 are the time the id was made (48 bits of
 * epoch milliseconds, as in a UUIDv7), the other 14 are random (84 bits), so that a lookup in
 * the history can start reading where the task began. Any string is a valid id on the wire:
 * messages of older versions carry UUIDs, and an enqueue may give its own.
 *
 * @module
 */

/** The length of the ids {@linkcode newTaskId} makes. */
export const TASK_ID_LENGTH = 22;

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const TIME_CHARS = 8;
const RANDOM_CHARS = TASK_ID_LENGTH - TIME_CHARS;
/** Random bytes for the next 256 ids: one call to the random source per 256 ids. */
const POOL = new Uint8Array(RANDOM_CHARS * 256);
let used = POOL.length;
/** The earliest time an id may say it was made: 2020-01-01. */
const EARLIEST_MS = Date.UTC(2020, 0, 1);

/**
 * A new task id: its time, then randomness.
 *
 * @example
 * ```ts
 * import { newTaskId, timeOfId } from "./task_id.ts";
 *
 * const id = newTaskId();
 * /^[A-Za-z0-9_-]{22}$/.test(id); // true
 * timeOfId(id) instanceof Date; // true
 * ```
 */
export function newTaskId(): string {
  return taskIdAt(Date.now());
}

/** A new task id that says it was made at `ms` (epoch milliseconds). */
export function taskIdAt(ms: number): string {
  if (used === POOL.length) {
    crypto.getRandomValues(POOL);
    used = 0;
  }
  let id = "";
  let time = Math.max(0, Math.floor(ms));
  for (let i = 0; i < TIME_CHARS; i++) {
    id = ALPHABET[time % 64]! + id;
    time = Math.floor(time / 64);
  }
  for (const end = used + RANDOM_CHARS; used < end; used++) id += ALPHABET[POOL[used]! & 63]!;
  return id;
}

/**
 * When the task of `id` was enqueued, as far as the id says: the time a Warren id begins with,
 * or the time after the `@` of a scheduler's fire id (`<schedule>@<ISO time>`); `undefined` for
 * other ids (a UUID, an id of the caller's), or a time that cannot be (before 2020, or more
 * than a day ahead).
 */
export function timeOfId(id: string, now: number = Date.now()): Date | undefined {
  let ms: number | undefined;
  const at = id.lastIndexOf("@");
  if (at >= 0) {
    ms = Date.parse(id.slice(at + 1));
  } else if (id.length === TASK_ID_LENGTH) {
    ms = 0;
    for (let i = 0; i < TIME_CHARS; i++) {
      const digit = ALPHABET.indexOf(id[i]!);
      if (digit < 0) return undefined;
      ms = ms * 64 + digit;
    }
  }
  if (ms === undefined || !Number.isFinite(ms)) return undefined;
  return ms >= EARLIEST_MS && ms <= now + 24 * 3600_000 ? new Date(ms) : undefined;
}
