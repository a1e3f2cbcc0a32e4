/**
 * What a chaos run publishes to each work queue (pure): normal tasks (plain, delayed, and flaky
 * ones that fail once or twice before they succeed), in a shuffled order drawn from a seed, and
 * the poison messages, each with the reason it must be dead-lettered for.
 *
 * @module
 */
import { backoffCeiling } from "../../../src/util/backoff.ts";
import { DELAY_UNIT_MS } from "../../../src/wire/delays.ts";
import { FLAKY_BACKOFF } from "../../fixtures/chaos_catalog.ts";
import type { Expected } from "./ledger.ts";

/** The poison messages of a run, each published once per work queue. */
export const POISON_KINDS = [
  "long-name",
  "huge-error",
  "huge-cancel",
  "deep-result",
  "not-json",
  "unknown-task",
] as const;

/** A kind of poison message. */
export type PoisonKind = typeof POISON_KINDS[number];

/**
 * What each poison message is, and the reason of the dead letter it must end as. Each must end
 * in `Q.dead` once, with that reason, and stall nothing behind it.
 */
export const POISON: Readonly<
  Record<PoisonKind, { readonly what: string; readonly reason: string }>
> = {
  "long-name": { what: "a task whose name is 70,000 characters long", reason: "unknown-task" },
  "huge-error": { what: "a handler error over 64 KB, at every attempt", reason: "failed" },
  "huge-cancel": {
    what: "a delayed task cancelled with a 200,000-character `by` in Q.control",
    reason: "cancelled",
  },
  "deep-result": { what: "a result nested 3,000 deep (history on)", reason: "invalid-result" },
  "not-json": { what: "a body that is not JSON", reason: "not-json" },
  "unknown-task": { what: "a task no worker knows", reason: "unknown-task" },
};

/** The sizes of the poison messages. */
export const POISON_SIZES = {
  /** Characters of the long task name. */
  nameChars: 70_000,
  /** Bytes of the handler's error. */
  errorBytes: 70_000,
  /** Characters of the cancel's `by`. */
  byChars: 200_000,
  /** Nesting of the result. */
  resultDepth: 3_000,
} as const;

/** A message of the plan. */
export interface PlannedTask {
  /** `plain`, `delayed`, `flaky` or a poison kind. */
  readonly kind: "plain" | "delayed" | "flaky" | PoisonKind;
  /** What it should end as. */
  readonly expected: Expected;
  /** Its delay, ms. */
  readonly delay: number;
  /** How much time its retries' backoff may add, ms. */
  readonly backoff: number;
  /** The payload (normal tasks: `chore` or `flaky`). */
  readonly task?:
    | { readonly name: "chore"; readonly payload: { readonly ms: number } }
    | { readonly name: "flaky"; readonly payload: { readonly fails: number; readonly ms: number } };
}

/** What the plan is drawn from. */
export interface PlanOptions {
  /** Normal tasks per work queue. */
  readonly tasks: number;
  /** Share of the normal tasks that are delayed (0 to 1). */
  readonly delayedShare: number;
  /** Share that are flaky (0 to 1). */
  readonly flakyShare: number;
  /** The longest delay, ms (delays are drawn from 0.2 s to it). */
  readonly maxDelayMs: number;
  /** Delay of the task that the `huge-cancel` poison cancels, ms. */
  readonly cancelDelayMs: number;
  /** Whether to add the poison messages. */
  readonly poison: boolean;
  /** The seed of the shuffle and of the draws. */
  readonly seed: number;
}

/** A deterministic random source (mulberry32) from `seed`: numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The time the backoff of `fails` failed attempts of `flaky` may take, at most, ms. */
export function flakyBackoff(fails: number): number {
  let total = 0;
  for (let retry = 1; retry <= fails; retry++) {
    total += backoffCeiling(retry, FLAKY_BACKOFF) + DELAY_UNIT_MS;
  }
  return total;
}

/** The poison messages first (in a fixed order), then the normal tasks, shuffled. */
export function planTasks(options: PlanOptions): PlannedTask[] {
  const random = seededRandom(options.seed);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const succeeded: Expected = { outcome: "succeeded" };
  const normal: PlannedTask[] = [];
  const delayed = Math.round(options.tasks * options.delayedShare);
  const flaky = Math.round(options.tasks * options.flakyShare);
  for (let i = 0; i < options.tasks; i++) {
    if (i < delayed) {
      normal.push({
        kind: "delayed",
        expected: succeeded,
        delay: int(200, Math.max(200, options.maxDelayMs)),
        backoff: 0,
        task: { name: "chore", payload: { ms: int(1, 5) } },
      });
    } else if (i < delayed + flaky) {
      const fails = int(1, 2);
      normal.push({
        kind: "flaky",
        expected: succeeded,
        delay: 0,
        backoff: flakyBackoff(fails),
        task: { name: "flaky", payload: { fails, ms: int(1, 5) } },
      });
    } else {
      normal.push({
        kind: "plain",
        expected: succeeded,
        delay: 0,
        backoff: 0,
        task: { name: "chore", payload: { ms: int(0, 10) } },
      });
    }
  }
  for (let i = normal.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [normal[i], normal[j]] = [normal[j]!, normal[i]!];
  }
  if (!options.poison) return normal;
  const poison = POISON_KINDS.map((kind): PlannedTask => ({
    kind,
    expected: { outcome: "dead", reason: POISON[kind].reason },
    delay: kind === "huge-cancel" ? options.cancelDelayMs : 0,
    // Its one retry waits 200 ms.
    backoff: kind === "huge-error" ? 200 + DELAY_UNIT_MS : 0,
  }));
  return [...poison, ...normal];
}
