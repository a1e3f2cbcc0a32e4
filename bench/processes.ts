/**
 * Subprocesses of the benchmark: consumers whose stderr lines report progress, and producers that
 * print one JSON report.
 *
 * @module
 */
import { type FinalLine, parseLine, parseProducerReport, type ProducerReport } from "./protocol.ts";

const ROOT = new URL("../", import.meta.url);

/** Path of a file of the repository. */
export function repoPath(file: string): string {
  return new URL(file, ROOT).pathname;
}

/** The README's permission flags for the CLIs (the benchmark's processes use the same). */
export const NET_FLAGS = ["--allow-net=localhost:5672", "--allow-env=AMQP_URL,WARREN_QUEUE"];

/** How to start a Deno script. */
export interface ScriptSpec {
  /** The script, relative to the repository root. */
  readonly script: string;
  /** Its arguments. */
  readonly args: readonly string[];
  /** Permission flags. */
  readonly flags?: readonly string[];
  /** Other flags of `deno run` (e.g. `--cpu-prof`). */
  readonly denoFlags?: readonly string[];
}

/** `deno run` arguments for `spec`. */
export function denoRunArgs(spec: ScriptSpec): string[] {
  return [
    "run",
    "--quiet",
    ...(spec.denoFlags ?? []),
    ...(spec.flags ?? NET_FLAGS),
    repoPath(spec.script),
    ...spec.args,
  ];
}

async function* lines(stream: ReadableStream<Uint8Array<ArrayBuffer>>): AsyncIterable<string> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    rest += chunk;
    let end: number;
    while ((end = rest.indexOf("\n")) >= 0) {
      yield rest.slice(0, end);
      rest = rest.slice(end + 1);
    }
  }
  if (rest !== "") yield rest;
}

/** Options of {@linkcode ConsumerProcess}. */
export interface ConsumerOptions {
  /** Where its stdout goes: a file (through the shell's redirection), or nowhere. */
  readonly stdoutFile?: string;
  /** Called on each progress line. */
  readonly onProgress?: () => void;
}

/** A benchmark consumer running as a subprocess. */
export class ConsumerProcess {
  readonly #child: Deno.ChildProcess;
  readonly #diagnostics: string[] = [];
  readonly #final = Promise.withResolvers<FinalLine>();
  readonly #ready = Promise.withResolvers<void>();
  readonly #pump: Promise<void>;
  readonly #onProgress: (() => void) | undefined;
  #count = 0;
  #exited = false;

  /** Starts `spec`; with `stdoutFile`, stdout goes to that file (`sh -c 'exec … >file'`). */
  constructor(spec: ScriptSpec, options: ConsumerOptions = {}) {
    const deno = [Deno.execPath(), ...denoRunArgs(spec)];
    const [program, ...args] = options.stdoutFile === undefined
      ? deno
      : ["sh", "-c", 'exec "$@" >"$0"', options.stdoutFile, ...deno];
    this.#child = new Deno.Command(program!, {
      args,
      cwd: repoPath(""),
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#onProgress = options.onProgress;
    this.#final.promise.catch(() => {});
    this.#ready.promise.catch(() => {});
    this.#pump = this.#read();
  }

  async #read(): Promise<void> {
    for await (const line of lines(this.#child.stderr)) {
      const message = parseLine(line);
      if (message === undefined) {
        if (this.#diagnostics.push(line) > 50) this.#diagnostics.shift();
      } else if (message.type === "ready") {
        this.#ready.resolve();
      } else if (message.type === "progress") {
        this.#count = message.count;
        this.#onProgress?.();
      } else {
        this.#count = message.count;
        this.#final.resolve(message);
      }
    }
    this.#exited = true;
    this.#ready.reject(new Error(`consumer exited before it was ready:\n${this.diagnostics}`));
    this.#final.reject(new Error(`consumer exited without a final report:\n${this.diagnostics}`));
    this.#onProgress?.();
  }

  /** The OS process id (of the consumer itself: the shell `exec`s it). */
  get pid(): number {
    return this.#child.pid;
  }

  /** Tasks handled, as last reported. */
  get count(): number {
    return this.#count;
  }

  /** Whether its stderr has ended (it exited). */
  get exited(): boolean {
    return this.#exited;
  }

  /** What it printed on stderr besides its reports (the last 50 lines). */
  get diagnostics(): string {
    return this.#diagnostics.join("\n");
  }

  /** Resolves once a gated consumer (see `gate.ts`) waits for its start; rejects if it exits. */
  get ready(): Promise<void> {
    return this.#ready.promise;
  }

  /** Lets a gated consumer start. */
  start(): void {
    this.#signal("SIGUSR2");
  }

  /** Sends SIGTERM and resolves with its final report; SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 30_000): Promise<FinalLine> {
    this.#signal("SIGTERM");
    const timer = setTimeout(() => this.#signal("SIGKILL"), timeoutMs);
    try {
      const final = await this.#final.promise;
      await this.#child.status;
      await this.#pump;
      return final;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills it at once (clean-up after a failure). */
  async kill(): Promise<void> {
    this.#signal("SIGKILL");
    await this.#child.status;
    await this.#pump.catch(() => {});
  }

  #signal(signal: Deno.Signal): void {
    try {
      this.#child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** Consumers started together, whose progress can be awaited. */
export class ConsumerGroup {
  readonly #consumers: ConsumerProcess[];
  #wake: (() => void) | undefined;

  /** Starts one consumer per spec; `stdoutFiles[i]`, when given, receives consumer i's stdout. */
  constructor(specs: readonly ScriptSpec[], stdoutFiles: readonly (string | undefined)[] = []) {
    this.#consumers = specs.map((spec, i) => {
      const stdoutFile = stdoutFiles[i];
      return new ConsumerProcess(spec, {
        ...(stdoutFile === undefined ? {} : { stdoutFile }),
        onProgress: () => this.#wake?.(),
      });
    });
  }

  /** Tasks handled by all, as last reported. */
  get total(): number {
    return this.#consumers.reduce((sum, c) => sum + c.count, 0);
  }

  /** Why the group cannot go on (a consumer exited), or `undefined`. */
  failure(): string | undefined {
    const dead = this.#consumers.find((c) => c.exited);
    return dead ? `consumer ${dead.pid} exited:\n${dead.diagnostics}` : undefined;
  }

  /** Resolves once the counts add up to `total`; rejects if a consumer exits or all stall. */
  waitForTotal(total: number, stallMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let seen = this.total;
      const stalled = () =>
        finish(new Error(`no progress for ${stallMs} ms at ${this.total} of ${total} tasks`));
      let timer = setTimeout(stalled, stallMs);
      const finish = (err?: Error) => {
        clearTimeout(timer);
        this.#wake = undefined;
        if (err) reject(err);
        else resolve();
      };
      const check = () => {
        const now = this.total;
        if (now >= total) return finish();
        const failure = this.failure();
        if (failure !== undefined) return finish(new Error(failure));
        if (now !== seen) {
          seen = now;
          clearTimeout(timer);
          timer = setTimeout(stalled, stallMs);
        }
      };
      this.#wake = check;
      check();
    });
  }

  /** Waits until every consumer, started gated, is ready, then lets them all start. */
  async start(): Promise<void> {
    await Promise.all(this.#consumers.map((c) => c.ready));
    for (const consumer of this.#consumers) consumer.start();
  }

  /** Stops every consumer (SIGTERM) and returns their final reports. */
  stop(): Promise<FinalLine[]> {
    return Promise.all(this.#consumers.map((c) => c.stop()));
  }

  /** Kills every consumer at once. */
  async kill(): Promise<void> {
    await Promise.all(this.#consumers.map((c) => c.kill()));
  }
}

/** Runs a producer script to its end and returns its report; throws with its stderr on failure. */
export async function runProducer(spec: ScriptSpec): Promise<ProducerReport> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: denoRunArgs(spec),
    cwd: repoPath(""),
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout).trim();
  const stderr = new TextDecoder().decode(output.stderr).trim();
  if (!output.success) {
    throw new Error(`${spec.script} exited with ${output.code}:\n${stderr}\n${stdout}`);
  }
  return parseProducerReport(stdout.split("\n").at(-1) ?? "");
}
