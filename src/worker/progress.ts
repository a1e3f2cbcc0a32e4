/**
 * Progress reports of a running task ({@linkcode ProgressThrottle}): checked, and sent at most
 * once per interval, so that a chatty handler cannot flood the history. The first report goes
 * at once; later ones within the interval are held, and the latest of them goes when the
 * interval ends (unless the attempt ended first: its outcome says more).
 *
 * @module
 */

/** How often a running task's progress is written to the history, at most. */
export const PROGRESS_INTERVAL_MS = 1_000;

/** Longest note kept with a progress report, in characters. */
export const PROGRESS_NOTE_MAX = 200;

/** Checks a report: a fraction from 0 to 1, and a note of text. */
export function checkProgress(fraction: unknown, note: unknown): void {
  if (typeof fraction !== "number" || !(fraction >= 0 && fraction <= 1)) {
    throw new RangeError(
      `context.progress() takes a fraction from 0 to 1 (0.25 for a quarter done): got ${
        String(fraction)
      }`,
    );
  }
  if (note !== undefined && typeof note !== "string") {
    throw new TypeError(`context.progress() takes a note of text: got ${typeof note}`);
  }
}

/** Sends progress reports of one attempt, at most one per interval. */
export class ProgressThrottle {
  readonly #send: (fraction: number, note?: string) => void;
  readonly #intervalMs: number;
  readonly #clock: () => number;
  #lastSent = Number.NEGATIVE_INFINITY;
  #held: { fraction: number; note: string | undefined } | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  /** A throttle that calls `send`; `clock` gives milliseconds (for tests). */
  constructor(
    send: (fraction: number, note?: string) => void,
    intervalMs: number = PROGRESS_INTERVAL_MS,
    clock: () => number = () => performance.now(),
  ) {
    this.#send = send;
    this.#intervalMs = intervalMs;
    this.#clock = clock;
  }

  /** Takes a report; throws a `RangeError` or `TypeError` for a bad one. */
  report(fraction: number, note?: string): void {
    checkProgress(fraction, note);
    if (this.#stopped) return;
    const kept = note === undefined ? undefined : note.slice(0, PROGRESS_NOTE_MAX);
    const wait = this.#lastSent + this.#intervalMs - this.#clock();
    if (wait <= 0) {
      this.#emit(fraction, kept);
      return;
    }
    this.#held = { fraction, note: kept };
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      const held = this.#held;
      if (held && !this.#stopped) this.#emit(held.fraction, held.note);
    }, wait);
  }

  /** Ends the attempt's reports: a held one is dropped. */
  stop(): void {
    this.#stopped = true;
    this.#held = undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #emit(fraction: number, note: string | undefined): void {
    this.#held = undefined;
    this.#lastSent = this.#clock();
    if (note === undefined) this.#send(fraction);
    else this.#send(fraction, note);
  }
}
