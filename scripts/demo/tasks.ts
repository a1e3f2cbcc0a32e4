/**
 * The demo's 30 tasks, how to describe their arguments and results, and the results they should
 * have, computed here with the same task code the workers run.
 *
 * @module
 */
import { countPrimes } from "../../tasks/handlers/primes.ts";
import { iteratedSha256 } from "../../tasks/handlers/sha256.ts";
import { sumRange } from "../../tasks/handlers/sum.ts";

/** One task of the demo, in the wire shape `{"task": name, ...payload}`. */
export type DemoTask =
  | { readonly task: "sum"; readonly start: number; readonly end: number }
  | { readonly task: "primes"; readonly limit: number }
  | { readonly task: "sha256"; readonly text: string; readonly rounds: number }
  | { readonly task: "sleep"; readonly ms: number };

/** The demo's task names, in the order the summary counts them. */
export const TASK_NAMES: readonly DemoTask["task"][] = ["sum", "primes", "sha256", "sleep"];

/** The tasks the demo sends: 12 sums, 6 prime counts, 6 hashes and 6 sleeps, interleaved. */
export function demoTasks(): DemoTask[] {
  const sums: DemoTask[] = [
    [1, 100],
    [1, 10_000],
    [1, 1_000_000],
    [1, 1_000_000_000],
    [1, 1_000_000_000_000],
    [1, Number.MAX_SAFE_INTEGER],
    [-1_000, 1_000],
    [-1_000_000_000, 1_000_000_000],
    [42, 42],
    [123_456, 654_321],
    [1_000_000, 2_000_000],
    [7, 7_000_007],
  ].map(([start, end]) => ({ task: "sum", start: start!, end: end! }));
  const primes: DemoTask[] = [100_000, 250_000, 500_000, 1_000_000, 1_500_000, 2_000_000]
    .map((limit) => ({ task: "primes", limit }));
  const hashes: DemoTask[] = [10_000, 20_000, 40_000, 60_000, 80_000, 100_000]
    .map((rounds) => ({ task: "sha256", text: "warren", rounds }));
  const sleeps: DemoTask[] = [100, 200, 300, 500, 650, 800].map((ms) => ({ task: "sleep", ms }));
  return interleave([sums, primes, hashes, sleeps]);
}

/** Takes one item of each list in turn, so the queue holds a mix. */
function interleave<T>(lists: readonly (readonly T[])[]): T[] {
  const out: T[] = [];
  for (let i = 0; out.length < lists.reduce((n, l) => n + l.length, 0); i++) {
    for (const list of lists) if (i < list.length) out.push(list[i]!);
  }
  return out;
}

/** The task's arguments, for people: `1..1,000,000`, `limit 250,000`. */
export function describeArgs(task: DemoTask): string {
  const n = (value: number) => value.toLocaleString("en-US");
  switch (task.task) {
    case "sum":
      return `${n(task.start)}..${n(task.end)}`;
    case "primes":
      return `limit ${n(task.limit)}`;
    case "sha256":
      return `'${task.text}' x ${n(task.rounds)}`;
    case "sleep":
      return `${n(task.ms)} ms`;
  }
}

/** A worker's result for the task, for people: `= 5050`, `9592 primes`. */
export function describeResult(task: DemoTask, result: unknown): string {
  switch (task.task) {
    case "sum":
      return `= ${String(result)}`;
    case "primes":
      return `${String(result)} primes`;
    case "sha256":
      return typeof result === "string" ? `${result.slice(0, 16)}...` : JSON.stringify(result);
    case "sleep":
      return JSON.stringify(result);
  }
}

/** What the worker should have answered, computed here with the same task code. */
export async function expectedResult(task: DemoTask): Promise<unknown> {
  switch (task.task) {
    case "sum":
      return sumRange(task.start, task.end).toString(); // bigints travel as strings in JSON logs
    case "primes":
      return await countPrimes(task.limit);
    case "sha256":
      return await iteratedSha256(task.text, task.rounds);
    case "sleep":
      return { slept: task.ms };
  }
}
