/**
 * {@linkcode SkipTally}: what a reader of a stream skipped because it could not read it (too
 * large, too deep, not JSON, not of the format), counted by reason, with the first one's offset
 * and detail, so that a skipped message is seen, not silently lost, and breaks nothing else.
 *
 * @module
 */

/** What a reader skipped, as its results carry it. */
export interface SkippedMessages {
  /** Messages skipped. */
  readonly count: number;
  /** How many for each reason (`too-large`, `too-deep`, `not-json`, `not-an-event`, ...). */
  readonly reasons: Readonly<Record<string, number>>;
  /** The first one skipped: its offset in the stream, its reason, and what was wrong. */
  readonly first?: { readonly offset: number; readonly reason: string; readonly detail: string };
}

/** No message skipped. */
export const NONE_SKIPPED: SkippedMessages = { count: 0, reasons: {} };

/**
 * Counts skipped messages.
 *
 * @example
 * ```ts
 * import { SkipTally } from "./skipped.ts";
 *
 * const tally = new SkipTally();
 * tally.add(12, "too-deep", "nested over 64 levels deep");
 * tally.summary.count; // 1
 * ```
 */
export class SkipTally {
  #count = 0;
  readonly #reasons: Record<string, number> = {};
  #first: SkippedMessages["first"];

  /** Counts one message skipped at `offset` for `reason`. */
  add(offset: number, reason: string, detail: string): void {
    this.#count++;
    this.#reasons[reason] = (this.#reasons[reason] ?? 0) + 1;
    this.#first ??= { offset, reason, detail };
  }

  /** Messages skipped so far. */
  get count(): number {
    return this.#count;
  }

  /** What was skipped so far. */
  get summary(): SkippedMessages {
    return {
      count: this.#count,
      reasons: { ...this.#reasons },
      ...(this.#first ? { first: this.#first } : {}),
    };
  }
}

/**
 * A tally in words: `2 skipped (1 too-large, 1 not-an-event; first at offset 12: ...)`, or
 * `none skipped`.
 */
export function skippedInWords(skipped: SkippedMessages): string {
  if (skipped.count === 0) return "none skipped";
  const reasons = Object.entries(skipped.reasons).map(([reason, n]) => `${n} ${reason}`);
  const first = skipped.first
    ? `; first at offset ${skipped.first.offset}: ${skipped.first.detail}`
    : "";
  return `${skipped.count} skipped (${reasons.join(", ")}${first})`;
}
