/**
 * `deno task compile`: builds self-contained executables of Warren's CLIs with `deno compile`,
 * one per program and target, into `dist/` (`dist/warren-worker-x86_64-unknown-linux-gnu`,
 * `dist/warren-producer-x86_64-pc-windows-msvc.exe`, …).
 *
 * ```sh
 * deno task compile                                   # the 4 CLIs for 5 targets
 * deno task compile --target x86_64-unknown-linux-gnu --only worker --out-dir dist/linux
 * WARREN_COMPILE_NET=rabbitmq:5672 deno task compile  # binaries that may reach only that broker
 * ```
 *
 * Permissions are baked into each binary, and cannot be widened by whoever runs it:
 *
 * - `--allow-net`: unrestricted by default, because the broker named by `AMQP_URL` is not known
 *   at build time; `WARREN_COMPILE_NET=host:port[,host:port…]` pins the binaries to those hosts
 *   (add the worker's `--metrics-port` address and the admin's management API there too).
 * - `--allow-env=AMQP_URL,WARREN_QUEUE` (the admin also reads `WARREN_MANAGEMENT_URL`).
 * - `--allow-sys=hostname` for the worker, which names itself `<hostname>-<pid>`.
 * - `--allow-read` for the scheduler only, which reads the schedules file it is given.
 * - No other `--allow-read`. The worker's threads load `src/worker/threads/thread_main.ts` and the handlers
 *   by URL, which `deno compile` does not follow, so both are embedded with `--include`; and a
 *   compiled program may always read its own embedded files (denort adds its embedded file
 *   system's root, `$TMPDIR/deno-compile-<binary name>/`, to `--allow-read`: see
 *   `cli/rt/run.rs` in denoland/deno), so `--threads N` needs no flag. tests/compile_test.ts
 *   runs a compiled worker with `--threads 2` wherever a denort runtime is available. The
 *   producer binary reads tasks from `--file -` (standard input), not from named files.
 *
 * `deno compile` needs the `denort` runtime of each target: it downloads
 * `https://dl.deno.land/release/v<deno version>/denort-<target>.zip` once into
 * `$DENO_DIR/dl/release/v<deno version>/` (a zip put there by hand is used offline), or takes
 * `DENORT_BIN`, a local denort, for every target alike (so give one `--target` with it). When
 * neither works, this script names the runtime it lacks, builds nothing for that target, and
 * exits 1 (a failed download takes about a second per target).
 *
 * @module
 */
import { parseArgs } from "@std/cli/parse-args";

/** Every target `deno compile` can build for. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/** A target of `deno compile`. */
export type Target = typeof TARGETS[number];

/** Warren's CLIs, by the name of their binary. */
export const PROGRAMS = ["producer", "worker", "admin", "scheduler"] as const;

/** One of Warren's CLIs. */
export type Program = typeof PROGRAMS[number];

/** Environment variables each program reads (the `--allow-env` list). */
export const PROGRAM_ENV: Readonly<Record<Program, readonly string[]>> = {
  producer: ["AMQP_URL", "WARREN_QUEUE"],
  worker: ["AMQP_URL", "WARREN_QUEUE"],
  admin: ["AMQP_URL", "WARREN_QUEUE", "WARREN_MANAGEMENT_URL"],
  scheduler: ["AMQP_URL", "WARREN_QUEUE"],
};

/** Files that `deno compile` cannot find from the entry point, per program. */
export const PROGRAM_INCLUDES: Readonly<Record<Program, readonly string[]>> = {
  producer: [],
  // The worker's threads are Web Workers: `new Worker(thread_main.ts)` and a dynamic import of
  // the catalog module, which `deno compile` does not follow by itself.
  worker: ["src/worker/threads/thread_main.ts", "tasks/handlers/mod.ts"],
  admin: [],
  scheduler: [],
};

/**
 * The producer's and the worker's V8 flag: a young generation of at most 1 MB a semi-space. V8
 * grows it to its largest (16 MB a semi-space) under a steady stream of publishes, which is
 * most of the producer's memory: 1,000,000 tasks peak at about 140 MB RSS with it and 200 to
 * 210 MB without, at the same speed (`deno task bench --memory`); an idle worker uses about 5 MB
 * less with it, and drains no slower. `deno task producer` and `deno task worker`, the shebang
 * lines of producer.ts and worker.ts, compose.yaml and the compiled producer and worker carry
 * it; it cannot be set once the program runs.
 */
export const YOUNG_GENERATION_V8_FLAG = "--v8-flags=--max-semi-space-size=1";

/**
 * Other flags, per program: the worker's hostname permission, the scheduler's reading of its
 * schedules file, and the producer's and worker's {@linkcode YOUNG_GENERATION_V8_FLAG}.
 */
export const PROGRAM_EXTRA_FLAGS: Readonly<Record<Program, readonly string[]>> = {
  producer: [YOUNG_GENERATION_V8_FLAG],
  worker: [YOUNG_GENERATION_V8_FLAG, "--allow-sys=hostname"],
  admin: [],
  // Its schedules file is named when it runs.
  scheduler: ["--allow-read"],
};

/** Options of {@linkcode compileCommands}. */
export interface CompileOptions {
  /** The programs to build. */
  programs: readonly Program[];
  /** The targets to build for. */
  targets: readonly Target[];
  /**
   * Directory of the binaries, relative to the repository root or absolute.
   * @default {"dist"}
   */
  outDir?: string;
  /**
   * Hosts (`host:port`) the binaries may connect to.
   * @default {undefined: any host}
   */
  net?: readonly string[];
}

/** One `deno compile` run. */
export interface CompileCommand {
  /** The program it builds. */
  readonly program: Program;
  /** The target it builds for. */
  readonly target: Target;
  /** Path of the binary, as given to `--output`. */
  readonly output: string;
  /** Arguments of `deno` (starting with `compile`), run from the repository root. */
  readonly args: readonly string[];
}

/** The name of a binary: `warren-worker-x86_64-unknown-linux-gnu`, plus `.exe` for Windows. */
export function binaryName(program: Program, target: Target): string {
  return `warren-${program}-${target}${target.includes("windows") ? ".exe" : ""}`;
}

/**
 * The `deno compile` command lines that build `programs` for `targets`, target by target. Pure:
 * it runs nothing and reads nothing.
 *
 * @example Build the worker for Linux, pinned to one broker
 * ```ts
 * import { compileCommands } from "./compile.ts";
 *
 * const [command] = compileCommands({
 *   programs: ["worker"],
 *   targets: ["x86_64-unknown-linux-gnu"],
 *   net: ["rabbitmq:5672"],
 * });
 * command?.output; // "dist/warren-worker-x86_64-unknown-linux-gnu"
 * command?.args.includes("--allow-net=rabbitmq:5672"); // true
 * ```
 */
export function compileCommands(options: CompileOptions): CompileCommand[] {
  const outDir = (options.outDir ?? "dist").replace(/\/+$/, "");
  const net = options.net === undefined ? "--allow-net" : `--allow-net=${options.net.join(",")}`;
  const commands: CompileCommand[] = [];
  for (const target of options.targets) {
    for (const program of options.programs) {
      const output = `${outDir}/${binaryName(program, target)}`;
      commands.push({
        program,
        target,
        output,
        args: [
          "compile",
          "--output",
          output,
          "--target",
          target,
          net,
          `--allow-env=${PROGRAM_ENV[program].join(",")}`,
          ...PROGRAM_EXTRA_FLAGS[program],
          ...PROGRAM_INCLUDES[program].flatMap((file) => ["--include", file]),
          `${program}.ts`,
        ],
      });
    }
  }
  return commands;
}

/**
 * Parses `WARREN_COMPILE_NET`: a comma-separated list of `host:port`. `undefined` or blank
 * means any host. Throws on an entry that `--allow-net` would not take (a URL, a space).
 */
export function parseNet(value: string | undefined): string[] | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const hosts = value.split(",").map((host) => host.trim()).filter((host) => host !== "");
  for (const host of hosts) {
    if (host.includes("://") || /\s|\/|@/.test(host)) {
      throw new Error(
        `WARREN_COMPILE_NET holds '${host}', which is not a host:port: give e.g. WARREN_COMPILE_NET=rabbitmq:5672,10.0.0.5:5672`,
      );
    }
  }
  return hosts;
}

/** Why a `deno compile` run failed, from what it printed. */
export type CompileFailure =
  | { readonly kind: "runtime"; readonly detail: string }
  | { readonly kind: "other"; readonly detail: string };

/**
 * Tells a missing `denort` runtime (a failed download, or a `DENORT_BIN` that is not there)
 * from other failures (type errors, say), from `deno compile`'s stderr.
 */
export function classifyFailure(stderr: string): CompileFailure {
  // deno colours its output even when piped unless NO_COLOR is set.
  // deno-lint-ignore no-control-regex
  const text = stderr.replace(/\x1b\[[0-9;]*m/g, "");
  const runtime = /denort|dl\.deno\.land|Setting up base binary/.test(text);
  const causes = [...text.matchAll(/^\s*\d+: (.+)$/gm)].map((m) => m[1]!.trim())
    .filter((line) => line !== "<unknown>");
  const error = /^error: (.+)$/m.exec(text)?.[1]?.trim() ?? text.trim().split("\n").at(-1) ?? "";
  // The innermost useful cause: the last one that is not a bare error kind.
  const detail = causes.findLast((c) => c.length > 12) ?? error;
  return runtime ? { kind: "runtime", detail } : { kind: "other", detail: text.trim() };
}

/** Where `deno compile` downloads the runtime of `target` from (unless it has it in `$DENO_DIR/dl/`). */
export function runtimeUrl(target: Target, version: string = Deno.version.deno): string {
  return `https://dl.deno.land/release/v${version}/denort-${target}.zip`;
}

interface Cli {
  readonly outDir: string;
  readonly targets: readonly Target[];
  /** Whether --target was given. */
  readonly explicitTargets: boolean;
  readonly programs: readonly Program[];
  readonly help: boolean;
}

const USAGE = `Builds Warren's CLIs as self-contained executables into dist/.

Usage: deno task compile [--target TARGET]... [--only PROGRAM]... [--out-dir DIR]

  --target TARGET   ${TARGETS.join(", ")}
                    (repeatable; default: all)
  --only PROGRAM    producer, worker, admin or scheduler (repeatable; default: all of them)
  --out-dir DIR     where the binaries go (default dist; the task may write only there)
  -h, --help        show this help

Environment:
  WARREN_COMPILE_NET  host:port list the binaries may connect to (default: any host)
  DENORT_BIN          a local denort runtime, used instead of downloading one; it serves
                      one target, so give that --target`;

function parseCli(args: string[]): Cli {
  const unknown: string[] = [];
  const parsed = parseArgs(args, {
    string: ["target", "only", "out-dir"],
    boolean: ["help"],
    collect: ["target", "only"],
    alias: { help: "h" },
    unknown: (arg) => {
      unknown.push(arg);
      return false;
    },
  });
  if (unknown.length > 0) throw new UsageError(`unknown argument '${unknown[0]}'`);
  const given = (name: string) =>
    (parsed[name] as string[] | undefined ?? []).flatMap((v) => v.split(","));
  const targets = given("target");
  for (const target of targets) {
    if (!(TARGETS as readonly string[]).includes(target)) {
      throw new UsageError(`unknown target '${target}': use one of ${TARGETS.join(", ")}`);
    }
  }
  const only = given("only");
  for (const program of only) {
    if (!(PROGRAMS as readonly string[]).includes(program)) {
      throw new UsageError(
        `unknown program '${program}': use producer, worker, admin or scheduler`,
      );
    }
  }
  const programs = only.length > 0 ? PROGRAMS.filter((p) => only.includes(p)) : PROGRAMS;
  const outDir = typeof parsed["out-dir"] === "string" ? parsed["out-dir"] : "dist";
  if (outDir.trim() === "") throw new UsageError("--out-dir needs a directory");
  return {
    outDir,
    targets: targets.length > 0 ? TARGETS.filter((t) => targets.includes(t)) : TARGETS,
    explicitTargets: targets.length > 0,
    programs,
    help: parsed.help === true,
  };
}

class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

const ROOT = new URL("../", import.meta.url);
/** The deno on PATH, which `--allow-run=deno` names (Deno.execPath() may be another path to it). */
const DENO = "deno";

function hostTarget(): Target | undefined {
  return (TARGETS as readonly string[]).includes(Deno.build.target)
    ? Deno.build.target as Target
    : undefined;
}

async function denoDownloadDir(): Promise<string | undefined> {
  try {
    const { stdout, success } = await new Deno.Command(DENO, {
      args: ["info", "--json"],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!success) return undefined;
    const info = JSON.parse(new TextDecoder().decode(stdout)) as { denoDir?: unknown };
    return typeof info.denoDir === "string" ? `${info.denoDir}/dl` : undefined;
  } catch {
    return undefined;
  }
}

async function runtimeHelp(denortBin: string | undefined): Promise<string> {
  if (denortBin !== undefined) {
    return `DENORT_BIN=${denortBin} is not a usable denort: point it at an unpacked denort for the --target you build, or unset it to download one.`;
  }
  const dl = await denoDownloadDir() ?? "$DENO_DIR/dl";
  return `deno compile needs the denort runtime of each target and downloads it from dl.deno.land. Run where that is reachable, or put the denort-<target>.zip files from there into ${dl}/release/v${Deno.version.deno}/ (deno compile then uses them offline), or set DENORT_BIN to an unpacked denort and build its one --target.`;
}

function size(path: string): string {
  try {
    return `${(Deno.statSync(path).size / 1024 / 1024).toFixed(1)} MB`;
  } catch {
    return "size unknown";
  }
}

async function main(args: string[]): Promise<number> {
  Deno.chdir(ROOT);
  let cli: Cli;
  let net: string[] | undefined;
  try {
    cli = parseCli(args);
    net = parseNet(Deno.env.get("WARREN_COMPILE_NET"));
  } catch (err) {
    console.error(`error: ${(err as Error).message}\nRun 'deno task compile --help' for usage.`);
    return 2;
  }
  if (cli.help) {
    console.log(USAGE);
    return 0;
  }
  const denortBin = Deno.env.get("DENORT_BIN") || undefined;
  let targets = cli.targets;
  if (denortBin !== undefined && !cli.explicitTargets) {
    const host = hostTarget();
    if (host === undefined) {
      console.error(`error: DENORT_BIN serves one target: give it with --target`);
      return 2;
    }
    targets = [host];
    console.log(`note: DENORT_BIN is set, so only the host target ${host} is built`);
  } else if (denortBin !== undefined && targets.length > 1) {
    console.error(
      `error: DENORT_BIN is a denort for one target, and ${targets.length} targets were asked: give one --target`,
    );
    return 2;
  }
  try {
    await Deno.mkdir(cli.outDir, { recursive: true });
  } catch (err) {
    if (!(err instanceof Deno.errors.NotCapable)) throw err;
    console.error(
      `error: may not create ${cli.outDir}: run scripts/compile.ts with --allow-write=${cli.outDir}`,
    );
    return 2;
  }
  if (net === undefined) {
    console.log(
      "note: the binaries may connect to any host (--allow-net); pin them to your brokers with WARREN_COMPILE_NET=host:port[,host:port] deno task compile",
    );
  } else {
    console.log(
      `note: the binaries may connect only to ${
        net.join(", ")
      } (WARREN_COMPILE_NET; list the worker's --metrics-port address and the management API there too if you use them)`,
    );
  }
  const commands = compileCommands({
    programs: cli.programs,
    targets,
    outDir: cli.outDir,
    ...(net ? { net } : {}),
  });
  const built: string[] = [];
  const missing: Target[] = [];
  for (const command of commands) {
    if (missing.includes(command.target)) continue; // no runtime for this target: skip the rest
    const started = performance.now();
    const { success, stderr } = await new Deno.Command(DENO, {
      args: [...command.args],
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (success) {
      built.push(command.output);
      console.log(`built ${command.output} (${size(command.output)}, ${seconds} s)`);
      continue;
    }
    const failure = classifyFailure(new TextDecoder().decode(stderr));
    if (failure.kind === "other") {
      console.error(`error: deno compile failed for ${command.output}:\n${failure.detail}`);
      return 1;
    }
    missing.push(command.target);
    const source = denortBin === undefined ? runtimeUrl(command.target) : `DENORT_BIN=${denortBin}`;
    console.error(
      `error: no denort runtime for ${command.target} (from ${source}): ${failure.detail}`,
    );
  }
  if (missing.length > 0) {
    console.error(
      `built ${built.length} of ${commands.length} binaries. ${await runtimeHelp(denortBin)}`,
    );
    return 1;
  }
  console.log(`built ${built.length} binaries in ${cli.outDir}/`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
