/**
 * The printed ledger of a chaos run: per work queue, enqueued, confirmed, succeeded, dead by
 * reason, lost, stuck, early, duplicated (and what explains them), late p50/p99/max; then the
 * history's view and every finding (at most `maxFindings` of each kind, with the count).
 *
 * @module
 */
import type { HistoryCheck } from "./run.ts";
import type { ChaosVerdict, Finding, QueueFigures, Spread } from "./verdict.ts";

/** What the report shows besides the verdict. */
export interface ReportContext {
  /** The broker's version. */
  readonly brokerVersion: string;
  /** How long the run took, ms. */
  readonly elapsedMs: number;
  /** The history's view, when it was on. */
  readonly history: readonly HistoryCheck[];
  /** Workers started while the broker was down, that exited as they could not connect. */
  readonly failedStarts: number;
  /** Findings shown per kind. @default 10 */
  readonly maxFindings?: number;
}

/** The ledger as text, one line per figure. */
export function formatLedger(verdict: ChaosVerdict, context: ReportContext): string {
  const lines: string[] = [
    `chaos ledger: RabbitMQ ${context.brokerVersion}, ${
      (context.elapsedMs / 1000).toFixed(0)
    } s, broker restarts: ${verdict.restarts.kill} kill -9, ${verdict.restarts.stop} graceful`,
  ];
  for (const figures of verdict.queues) lines.push(...queueLines(figures));
  if (context.failedStarts > 0) {
    lines.push(
      `  workers started while the broker was down that exited (could not connect): ${context.failedStarts}`,
    );
  }
  for (const check of context.history) {
    lines.push(
      check.error !== undefined
        ? `  history of ${check.queue}: unreadable: ${check.error}`
        : `  history of ${check.queue}: ${check.events} events; done without a succeeded event ${check.doneWithoutEvent}, dead without a dead event ${check.deadWithoutEvent}`,
    );
  }
  lines.push(...findingLines(verdict.findings, context.maxFindings ?? 10));
  return lines.join("\n");
}

function queueLines(f: QueueFigures): string[] {
  const dead = Object.entries(f.deadByReason).sort(([a], [b]) => a.localeCompare(b))
    .map(([reason, n]) => `${reason} ${n}`).join(", ");
  const d = f.duplicates;
  return [
    `  ${f.queue}:`,
    `    enqueued ${f.published}, confirmed ${f.confirmed}, succeeded ${f.succeeded} of ${f.normal}` +
    (f.publishFailed.count > 0
      ? `; publish failed ${f.publishFailed.count} (${f.publishFailed.first})`
      : ""),
    `    dead by reason: ${dead || "none"}`,
    `    lost ${f.lost}, stuck ${f.stuck}, early ${f.early}` +
    (f.behindBacklog > 0 ? ` (settled past their bound behind a backlog: ${f.behindBacklog})` : ""),
    `    duplicated: ${d.tasks} tasks, ${d.runs} extra runs (after a worker kill ${d.afterWorkerKill}, ` +
    `after a broker kill -9 ${d.afterBrokerKill}, after a graceful stop ${d.afterBrokerStop}, ` +
    `after a duplicated earlier attempt ${d.afterDuplicateAttempt}, ` +
    `unexplained ${d.unexplained}); tasks with several dead letters ${d.deadLetters}`,
    `    late (delays and retries): ${formatSpread(f.late)}`,
    `    worker kills ${f.workerKills}`,
  ];
}

/** `p50 12 ms, p99 340 ms, max 1.2 s (n=540)`. */
export function formatSpread(spread: Spread | undefined): string {
  if (spread === undefined) return "none";
  return `p50 ${ms(spread.p50)}, p99 ${ms(spread.p99)}, max ${ms(spread.max)} (n=${spread.count})`;
}

function ms(value: number): string {
  return value < 10_000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`;
}

function findingLines(findings: readonly Finding[], max: number): string[] {
  if (findings.length === 0) return ["  verdict: PASS (no finding)"];
  const byKind = new Map<string, Finding[]>();
  for (const finding of findings) {
    const list = byKind.get(finding.kind) ?? [];
    list.push(finding);
    byKind.set(finding.kind, list);
  }
  const counts = [...byKind].map(([kind, list]) => `${kind} ${list.length}`).join(", ");
  const lines = [`  verdict: FAIL (${findings.length} findings: ${counts})`];
  for (const [kind, list] of byKind) {
    for (const finding of list.slice(0, max)) {
      const who = finding.id === undefined ? "" : `${finding.id} [${finding.task}] `;
      lines.push(`    ${kind}: ${who}${finding.detail}`);
    }
    if (list.length > max) lines.push(`    ${kind}: … and ${list.length - max} more`);
  }
  return lines;
}
