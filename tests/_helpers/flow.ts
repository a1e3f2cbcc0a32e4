/**
 * Flow-control test helpers: deleting a work queue's flow queues, and checking a log of keyed
 * runs for overlaps and order.
 *
 * @module
 */
import type { RawClient } from "./broker.ts";

/** Deletes the flow queues of work queue `queue`: its partitions and its limited tasks' queues. */
export async function deleteFlowQueues(
  client: RawClient,
  queue: string,
  options: { partitions?: number; limited?: readonly string[] } = {},
): Promise<void> {
  const channel = await client.connection.createChannel();
  channel.on("error", () => {});
  const names = [
    ...Array.from({ length: options.partitions ?? 16 }, (_, i) => `${queue}.part.${i}`),
    ...(options.limited ?? []).flatMap((t) => [
      `${queue}.limited.${t}`,
      `${queue}.tokens.${t}`,
      `${queue}.refill.${t}`,
    ]),
  ];
  for (const name of names) await channel.deleteQueue(name);
  await channel.close();
}

/** One run of a keyed task, as its handler saw it. */
export interface KeyedRun {
  /** The key. */
  readonly key: string;
  /** The task's place in its key's enqueue order. */
  readonly seq: number;
  /** When it started (epoch ms). */
  readonly start: number;
  /** When it ended (epoch ms), or when its worker was killed, or `undefined`. */
  readonly end: number | undefined;
  /** Whether it ended because its worker was killed: then it did not finish. */
  readonly killed?: boolean;
}

/**
 * What breaks the per-key guarantees in `runs`: two runs of one key at once, a key's runs that
 * start out of enqueue order (a run again of the same task is fine), or a seq never finished
 * (a run cut by its worker's kill is not a finish).
 */
export function keyViolations(runs: readonly KeyedRun[], expected: Map<string, number>): string[] {
  const problems: string[] = [];
  const byKey = new Map<string, KeyedRun[]>();
  for (const run of runs) {
    const list = byKey.get(run.key) ?? [];
    list.push(run);
    byKey.set(run.key, list);
  }
  for (const [key, count] of expected) {
    const list = (byKey.get(key) ?? []).sort((a, b) => a.start - b.start || a.seq - b.seq);
    for (let i = 1; i < list.length; i++) {
      const before = list[i - 1]!;
      const after = list[i]!;
      if (after.seq < before.seq) {
        problems.push(`${key}: seq ${after.seq} started after seq ${before.seq}`);
      }
      if (before.end === undefined || before.end > after.start) {
        problems.push(`${key}: seq ${after.seq} started while seq ${before.seq} ran`);
      }
    }
    const finished = new Set(
      list.filter((r) => r.end !== undefined && !r.killed).map((r) => r.seq),
    );
    for (let seq = 0; seq < count; seq++) {
      if (!finished.has(seq)) problems.push(`${key}: seq ${seq} never finished`);
    }
  }
  return problems;
}
