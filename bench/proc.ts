/**
 * Memory figures of a Linux process, from `/proc/<pid>/status`.
 *
 * @module
 */

/**
 * A memory field of `/proc/.../status` in bytes: `VmHWM` is the peak RSS, `VmRSS` the RSS, which
 * is `RssAnon` (the process's own memory) plus `RssFile` (mapped files, mostly the Deno binary,
 * shared between processes) plus `RssShmem`.
 */
export type MemoryField = "VmHWM" | "VmRSS" | "RssAnon" | "RssFile";

/** Reads `field` from `/proc/<pid>/status` (`self` for this process), in bytes. */
export function readStatus(pid: number | "self", field: MemoryField): number {
  const text = Deno.readTextFileSync(`/proc/${pid}/status`);
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(text);
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** `field` of process `pid`, or `undefined` once the process is gone. */
export function tryReadStatus(pid: number, field: MemoryField): number | undefined {
  try {
    return readStatus(pid, field);
  } catch {
    return undefined;
  }
}

/** The 1-minute load average (`/proc/loadavg`), or NaN where it cannot be read. */
export function loadAverage(): number {
  try {
    return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  } catch {
    return NaN;
  }
}

/** Busy and total CPU time of the whole machine so far (`/proc/stat`), in clock ticks. */
function cpuTicks(): { busy: number; total: number } {
  const line = Deno.readTextFileSync("/proc/stat").split("\n")[0] ?? "";
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((sum, t) => sum + t, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

/** The share of the machine's CPU time (0..1) that was busy over the next `ms` milliseconds. */
export async function busyShare(ms: number): Promise<number> {
  const before = cpuTicks();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = cpuTicks();
  const total = after.total - before.total;
  return total > 0 ? (after.busy - before.busy) / total : 0;
}

/**
 * Waits until the machine is quiet: less than `maxBusy` of its CPU time busy over one second.
 * Gives up after `timeoutMs` and returns the last share measured (so a run on a busy machine
 * goes on, and says so).
 */
export async function waitForQuiet(maxBusy = 0.15, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const share = await busyShare(1_000);
    if (share < maxBusy || Date.now() > deadline) return share;
  }
}
