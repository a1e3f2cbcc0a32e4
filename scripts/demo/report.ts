/**
 * What the demo prints about the results: a table row per task, the check of each result
 * against a local computation, and the summary.
 *
 * @module
 */
import type { Outcome } from "./tracker.ts";
import { describeArgs, describeResult, expectedResult, TASK_NAMES } from "./tasks.ts";

/** The header of the results table. */
export function tableHeader(): string {
  return row("by", "task", "arguments", "result", "time");
}

/** The outcome as a row of the results table: worker, task, arguments, result, time. */
export function formatOutcome(outcome: Outcome): string {
  const { worker, task, done, dead } = outcome;
  const what = done ? describeResult(task, done.result) : `DEAD: ${dead?.reason}: ${dead?.error}`;
  const ms = `${(done?.ms ?? dead?.ms ?? 0).toFixed(1)} ms`;
  return row(worker, task.task, describeArgs(task), what, ms);
}

/** One line of the results table. */
function row(by: string, task: string, args: string, result: string, time: string): string {
  return `  ${by.padEnd(2)}  ${task.padEnd(6)}  ${args.padEnd(30)}  ${result.padEnd(34)}  ${
    time.padStart(9)
  }`;
}

/** What is wrong with the outcomes: each dead-lettered task and each result that differs. */
export async function checkResults(outcomes: readonly Outcome[]): Promise<string[]> {
  const problems: string[] = [];
  for (const { task, done, dead } of outcomes) {
    if (dead) {
      problems.push(`${task.task} ${describeArgs(task)} was dead-lettered: ${dead.error}`);
      continue;
    }
    const expected = JSON.stringify(await expectedResult(task));
    const actual = JSON.stringify(done?.result);
    if (actual !== expected) {
      problems.push(`${task.task} ${describeArgs(task)}: got ${actual}, expected ${expected}`);
    }
  }
  return problems;
}

/** What the summary reports. */
export interface Summary {
  /** The workers' labels, in the order to list them. */
  readonly workers: readonly string[];
  /** Every outcome. */
  readonly outcomes: readonly Outcome[];
  /** Milliseconds from starting the producer to the last result. */
  readonly wallMs: number;
  /** What went wrong; empty when every task is ok. */
  readonly problems: readonly string[];
}

/** Prints the summary: tasks per worker, the wall time, and whether every task is ok. */
export function printSummary(summary: Summary): void {
  const { workers, outcomes, wallMs, problems } = summary;
  console.log("\nSummary");
  for (const worker of workers) {
    const mine = outcomes.filter((o) => o.worker === worker);
    const detail = TASK_NAMES
      .map((name) => [name, mine.filter((o) => o.task.task === name).length] as const)
      .filter(([, count]) => count > 0)
      .map(([name, count]) => `${count} ${name}`)
      .join(", ");
    console.log(`  ${worker}: ${String(mine.length).padStart(2)} tasks (${detail})`);
  }
  console.log(
    `  wall time: ${(wallMs / 1000).toFixed(2)} s from starting the producer to the last result`,
  );
  const total = outcomes.length;
  if (problems.length === 0) {
    console.log(`  all ${total} tasks ok: each done once, results equal to a local computation`);
  } else {
    console.log(`  ${problems.length} of ${total} tasks NOT ok:`);
    for (const problem of problems) console.log(`    ${problem}`);
  }
}
