/**
 * Summarises V8 CPU profiles (`deno run --cpu-prof`): self time summed per function (name and
 * script), the top entries of all the profiles given, with their share of the busy time (the
 * sampled time without `(idle)`).
 *
 * Usage: deno run --allow-read bench/profile_summary.ts [--top N] <file.cpuprofile | dir> ...
 *
 * @module
 */
import { parseArgs } from "@std/cli/parse-args";

/** A node of a `.cpuprofile`. */
interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}

/** The parts of a `.cpuprofile` this summary reads. */
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Self time of one function. */
export interface SelfTime {
  /** `name (script:line)`. */
  readonly fn: string;
  /** Self time, in milliseconds. */
  readonly ms: number;
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName === "" ? "(anonymous)" : functionName;
  if (url === "") return name;
  const short = url.replace(/^file:\/\/\/work\/main\//, "").replace(
    /^.*\/registry\.npmjs\.org\//,
    "npm:",
  );
  return `${name} (${short}:${lineNumber + 1})`;
}

/** Adds the self time of each function in `profile` to `totals` (ms). */
export function addSelfTimes(profile: CpuProfile, totals: Map<string, number>): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const delta = profile.timeDeltas[i] ?? 0;
    if (!node) return;
    const key = label(node);
    totals.set(key, (totals.get(key) ?? 0) + delta / 1000);
  });
}

async function profileFiles(path: string): Promise<string[]> {
  const info = await Deno.stat(path);
  if (info.isFile) return [path];
  const files: string[] = [];
  for await (const entry of Deno.readDir(path)) {
    const child = `${path}/${entry.name}`;
    if (entry.isDirectory) files.push(...await profileFiles(child));
    else if (entry.name.endsWith(".cpuprofile")) files.push(child);
  }
  return files;
}

/** The `top` functions by self time over the profiles at `paths` (files or directories). */
export async function summarise(
  paths: readonly string[],
  top: number,
): Promise<{ files: number; busyMs: number; idleMs: number; top: SelfTime[] }> {
  const totals = new Map<string, number>();
  const files = (await Promise.all(paths.map(profileFiles))).flat();
  for (const file of files) {
    addSelfTimes(JSON.parse(await Deno.readTextFile(file)) as CpuProfile, totals);
  }
  const idleMs = totals.get("(idle)") ?? 0;
  totals.delete("(idle)");
  const all = [...totals].map(([fn, ms]) => ({ fn, ms })).sort((a, b) => b.ms - a.ms);
  return {
    files: files.length,
    busyMs: all.reduce((sum, e) => sum + e.ms, 0),
    idleMs,
    top: all.slice(0, top),
  };
}

if (import.meta.main) {
  const flags = parseArgs(Deno.args, { string: ["top"] });
  const paths = flags._.map(String);
  if (paths.length === 0) {
    console.error("usage: profile_summary.ts [--top N] <file.cpuprofile | dir> ...");
    Deno.exit(2);
  }
  const result = await summarise(paths, Number(flags.top ?? 25));
  console.log(
    `${result.files} profile(s): ${result.busyMs.toFixed(0)} ms busy, ${
      result.idleMs.toFixed(0)
    } ms idle`,
  );
  for (const { fn, ms } of result.top) {
    const share = (100 * ms / result.busyMs).toFixed(1).padStart(5);
    console.log(`${ms.toFixed(1).padStart(9)} ms ${share}%  ${fn}`);
  }
}
