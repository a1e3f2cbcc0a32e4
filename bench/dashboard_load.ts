/**
 * The dashboard under load (`deno task bench --dashboard`): tasks flow through a queue at a
 * target rate (5,000 tasks/s by default: a paced producer in this process, two worker CLIs at
 * prefetch 100), while `admin.ts dashboard` serves the queue to a headless Chromium that keeps
 * its overview open. Measures the dashboard process's CPU and memory, the snapshots the page
 * received per second, and how long the page takes to answer (a click from one page to another
 * and back, and a frame).
 *
 * @module
 */
import { chromiumInstalled, launchBrowser } from "../tests/_helpers/browser.ts";
import { startDashboard } from "../tests/_helpers/dashboard.ts";
import { WorkerProcess } from "../tests/_helpers/cli.ts";
import { Producer } from "../src/producer/producer.ts";
import { catalog } from "../tasks/mod.ts";
import type { BrokerAdmin } from "./broker.ts";
import { uniqueQueue } from "./broker.ts";
import { readStatus } from "./proc.ts";
import { quantile } from "./stats.ts";

/** What the load run measured. */
export interface DashboardLoad {
  /** The rate asked for, tasks/s. */
  readonly targetRate: number;
  /** Tasks confirmed per second over the run. */
  readonly enqueueRate: number;
  /** Seconds the tasks flowed. */
  readonly seconds: number;
  /** The dashboard process's CPU, as a share of one core, over the run. */
  readonly dashboardCpu: number;
  /** Its largest RSS over the run, in bytes. */
  readonly dashboardRss: number;
  /** Snapshots the page received per second. */
  readonly snapshotsPerSecond: number;
  /** Milliseconds from a click on a page's link until that page showed, p50 and p99. */
  readonly clickMs: { readonly p50: number; readonly p99: number };
  /** The same with no tasks flowing, before the load. */
  readonly idleClickMs: { readonly p50: number; readonly p99: number };
  /** Milliseconds for the page to run a frame (requestAnimationFrame), p50 and p99. */
  readonly frameMs: { readonly p50: number; readonly p99: number };
}

/** Ticks of CPU (user + system) the process `pid` used, from /proc/<pid>/stat. */
function cpuTicks(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** Runs the load test for `seconds`; deletes its queue. */
export async function runDashboardLoad(
  admin: BrokerAdmin,
  log: (line: string) => void,
  targetRate = 5_000,
  seconds = 30,
): Promise<DashboardLoad | undefined> {
  if (!(await chromiumInstalled())) {
    log("dashboard: /usr/bin/chromium is not installed; skipping the dashboard load test");
    return undefined;
  }
  const queue = uniqueQueue("dashboard_load");
  const workers = [1, 2].map(() =>
    new WorkerProcess(["--queue", queue, "--prefetch", "100", "--log-level", "warn"])
  );
  try {
    // At the warn level a worker prints no worker.started line: the broker says when both consume.
    await admin.declare(queue, "classic");
    await admin.waitForConsumers(queue, workers.length, () => undefined);
    await using dashboard = await startDashboard(["--queue", queue]);
    await using browser = await launchBrowser();
    const page = await browser.newPage();
    await page.goto(dashboard.url);
    await page.waitForSelector("body[data-ready='1']");
    await page.evaluate(() => {
      const count = { n: 0 };
      (globalThis as unknown as { snapshots: typeof count }).snapshots = count;
      new EventSource("/api/events").addEventListener("snapshot", () => count.n++);
    });
    const clickRound = async (): Promise<number> => {
      const click = performance.now();
      await page.click("#nav-schedules");
      await page.waitForSelector("#scheduler");
      await page.click("#nav-overview");
      await page.waitForSelector("#queues");
      return performance.now() - click;
    };
    // The same clicks with no tasks flowing, for comparison.
    const idleClicks: number[] = [];
    for (let i = 0; i < 10; i++) idleClicks.push(await clickRound());
    const producer = await Producer.connect(catalog, { queue });
    const cpuBefore = cpuTicks(dashboard.pid);
    const started = performance.now();
    let rss = 0;
    let confirmed = 0;
    const clicks: number[] = [];
    const frames: number[] = [];
    const flowing = (async () => {
      // Paced in steps of 50 ms, with at most the producer's window in flight.
      const step = targetRate / 20;
      for (let tick = 0; performance.now() - started < seconds * 1000; tick++) {
        const due = started + tick * 50;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const batch = Array.from(
          { length: step },
          () => producer.enqueue("sum", { start: 1, end: 100 }),
        );
        void Promise.all(batch).then(() => (confirmed += batch.length), () => {});
      }
    })();
    while (performance.now() - started < seconds * 1000) {
      rss = Math.max(rss, readStatus(dashboard.pid, "VmRSS"));
      clicks.push(await clickRound());
      // A string, run in the page: this program has no DOM types.
      frames.push(
        Number(
          await page.evaluate(
            "new Promise((resolve) => { const at = performance.now(); requestAnimationFrame(() => resolve(performance.now() - at)); })",
          ),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await flowing;
    await producer.close();
    const elapsed = (performance.now() - started) / 1000;
    const cpu = (cpuTicks(dashboard.pid) - cpuBefore) / TICKS_PER_SECOND / elapsed;
    const snapshots = await page.evaluate(() =>
      (globalThis as unknown as { snapshots: { n: number } }).snapshots.n
    );
    const result: DashboardLoad = {
      targetRate,
      enqueueRate: confirmed / elapsed,
      seconds: elapsed,
      dashboardCpu: cpu,
      dashboardRss: rss,
      snapshotsPerSecond: snapshots / elapsed,
      clickMs: { p50: quantile(clicks, 0.5), p99: quantile(clicks, 0.99) },
      idleClickMs: { p50: quantile(idleClicks, 0.5), p99: quantile(idleClicks, 0.99) },
      frameMs: { p50: quantile(frames, 0.5), p99: quantile(frames, 0.99) },
    };
    log(`dashboard: ${JSON.stringify(result)}`);
    return result;
  } finally {
    for (const worker of workers) await worker[Symbol.asyncDispose]();
    await admin.deleteWorkQueue(queue);
  }
}

/** The figures as lines. */
export function dashboardTable(load: DashboardLoad): string {
  const ms = (q: { p50: number; p99: number }) =>
    `p50 ${q.p50.toFixed(0)} ms, p99 ${q.p99.toFixed(0)} ms`;
  return [
    `tasks: ${load.enqueueRate.toFixed(0)}/s enqueued and run for ${
      load.seconds.toFixed(0)
    } s (target ${load.targetRate}/s)`,
    `dashboard process: ${(load.dashboardCpu * 100).toFixed(1)}% of one core, RSS at most ${
      (load.dashboardRss / 1e6).toFixed(1)
    } MB`,
    `page: ${
      load.snapshotsPerSecond.toFixed(2)
    } snapshots/s received; a click to another page and back ${ms(load.clickMs)} (with no load: ${
      ms(load.idleClickMs)
    }); a frame ${ms(load.frameMs)}`,
  ].join("\n");
}
