/**
 * The README's quick start, in one command: `deno task demo`.
 *
 * 1. Finds a RabbitMQ broker at `AMQP_URL` (default `amqp://localhost:5672`); when none answers
 *    at the default address, starts one with Docker (`docker compose up -d --wait rabbitmq`) or
 *    with a local `rabbitmq-server -detached`, or says what to install.
 * 2. Starts 3 worker processes on the queue `warren_demo`, exactly as the README runs them.
 * 3. Runs the producer once, with 30 tasks of all four kinds, and prints each result as it
 *    arrives: which worker, which task, its arguments, the result and the time it took.
 * 4. Prints a summary (tasks per worker, wall time, results checked against a local computation),
 *    stops the workers with SIGTERM and deletes the demo's queues, so a second run starts clean.
 *
 * Ctrl-C stops the workers and cleans up too.
 *
 * @module
 */
import amqp from "amqplib";
import { DEFAULT_URL, redactUrl } from "../src/urls.ts";
import type { TaskDead, TaskDone, TaskFailed } from "../src/events.ts";
import { countPrimes } from "../tasks/primes.ts";
import { iteratedSha256 } from "../tasks/sha256.ts";
import { sumRange } from "../tasks/sum.ts";

const QUEUE = "warren_demo";
const WORKER_COUNT = 3;
const WORKER_START_MS = 60_000;
const RESULTS_MS = 120_000;
const BROKER_START_MS = 60_000;
const WORKER_EXIT_MS = 40_000;
const ROOT = new URL("../", import.meta.url);

// ---------------------------------------------------------------------------------------------
// The tasks

/** One task of the demo, in the wire shape `{"task": name, ...payload}`. */
type DemoTask =
  | { readonly task: "sum"; readonly start: number; readonly end: number }
  | { readonly task: "primes"; readonly limit: number }
  | { readonly task: "sha256"; readonly text: string; readonly rounds: number }
  | { readonly task: "sleep"; readonly ms: number };

const TASK_NAMES: readonly DemoTask["task"][] = ["sum", "primes", "sha256", "sleep"];

function demoTasks(): DemoTask[] {
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

function describeArgs(task: DemoTask): string {
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

function describeResult(task: DemoTask, result: unknown): string {
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
async function expectedResult(task: DemoTask): Promise<unknown> {
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

// ---------------------------------------------------------------------------------------------
// The broker

/** Where the broker is: its URL and its TCP endpoint. */
interface Broker {
  readonly url: string;
  readonly hostname: string;
  readonly port: number;
}

function brokerFromEnv(): Broker {
  const url = Deno.env.get("AMQP_URL")?.trim() || DEFAULT_URL;
  if (url.includes(",")) {
    throw new DemoError(`AMQP_URL holds several URLs; the demo takes one, e.g. ${DEFAULT_URL}`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DemoError(`AMQP_URL is not a URL: '${redactUrl(url)}'; give e.g. ${DEFAULT_URL}`);
  }
  if (parsed.protocol !== "amqp:" && parsed.protocol !== "amqps:") {
    throw new DemoError(`AMQP_URL must start with amqp:// or amqps://: '${redactUrl(url)}'`);
  }
  const port = parsed.port ? Number(parsed.port) : parsed.protocol === "amqps:" ? 5671 : 5672;
  return { url, hostname: parsed.hostname.replace(/^\[(.*)\]$/, "$1"), port };
}

/** What a probe found: a broker, something else, or nothing listening. */
type Probe =
  | { readonly state: "ok" }
  | { readonly state: "closed" | "refused"; readonly why: string };

/** Whether a broker answers: a TCP connect, then an AMQP connection (closed again at once). */
async function probe(broker: Broker): Promise<Probe> {
  try {
    const socket = await Deno.connect({ hostname: broker.hostname, port: broker.port });
    socket.close();
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) throw notAllowed(broker, err);
    return { state: "closed", why: messageOf(err) };
  }
  try {
    const connection = await amqp.connect(broker.url, { timeout: 5_000 });
    connection.on("error", () => {});
    await connection.close();
    return { state: "ok" };
  } catch (err) {
    return { state: "refused", why: messageOf(err) };
  }
}

function notAllowed(broker: Broker, cause: unknown): DemoError {
  const where = `${broker.hostname}:${broker.port}`;
  return new DemoError(
    `'deno task demo' may only reach localhost. For a broker at ${where}, run:\n` +
      `  AMQP_URL=${redactUrl(broker.url)} deno run --allow-net=${where} --allow-env ` +
      `--allow-run --allow-read scripts/demo.ts`,
    { cause },
  );
}

/** Whether `broker` is the address a broker started here would have: localhost:5672. */
function isDefaultAddress(broker: Broker): boolean {
  return ["localhost", "127.0.0.1", "::1"].includes(broker.hostname) && broker.port === 5672;
}

/** Makes sure a broker answers at `broker`, starting a local one if needed and possible. */
async function ensureBroker(broker: Broker): Promise<void> {
  const where = redactUrl(broker.url);
  const found = await probe(broker);
  if (found.state === "ok") {
    say(`RabbitMQ answers at ${where}`);
    return;
  }
  if (found.state === "refused") {
    throw new DemoError(
      `Something listens at ${where} but refused an AMQP connection: ${found.why}\n` +
        `Check the user, password and virtual host in AMQP_URL (RabbitMQ's guest user may only ` +
        `connect from localhost).`,
    );
  }
  if (!isDefaultAddress(broker)) {
    throw new DemoError(
      `Nothing answers at ${where} (${found.why}). Start the broker there, or unset AMQP_URL ` +
        `to use one on localhost:5672 (the demo starts a local one if it can).`,
    );
  }
  say(`No RabbitMQ at ${where} (${found.why}): starting one.`);
  await startLocalBroker(broker);
  await waitForBroker(broker, BROKER_START_MS);
  say(`RabbitMQ answers at ${where} (left running; the demo does not stop it)`);
}

/** Starts a broker on localhost:5672 with Docker Compose or a local RabbitMQ installation. */
async function startLocalBroker(broker: Broker): Promise<void> {
  if (await succeeds("docker", ["info"])) {
    say("Docker is here: docker compose up -d --wait rabbitmq");
    if (!await succeeds("docker", ["compose", "up", "-d", "--wait", "rabbitmq"], "inherit")) {
      throw new DemoError(
        `'docker compose up -d --wait rabbitmq' failed.\n${noBrokerHelp(broker)}`,
      );
    }
    return;
  }
  const server = await findRabbitmqServer();
  if (server === undefined) throw new DemoError(noBrokerHelp(broker));
  say(`Starting RabbitMQ: ${server} -detached`);
  if (!await succeeds(server, ["-detached"], "inherit")) {
    throw new DemoError(
      `'${server} -detached' failed (it needs root or the rabbitmq user).\n` +
        `Start the broker yourself (e.g. 'sudo systemctl start rabbitmq-server'), then run ` +
        `'deno task demo' again.`,
    );
  }
}

async function waitForBroker(broker: Broker, timeoutMs: number): Promise<void> {
  const started = Date.now();
  let reported = started;
  for (;;) {
    const found = await probe(broker);
    if (found.state === "ok") return;
    const now = Date.now();
    if (now - started > timeoutMs) {
      throw new DemoError(`RabbitMQ did not answer within ${timeoutMs / 1000} s: ${found.why}`);
    }
    if (now - reported >= 5_000) {
      say(`  still waiting for RabbitMQ (${Math.round((now - started) / 1000)} s)...`);
      reported = now;
    }
    await until(delay(1_000));
  }
}

function noBrokerHelp(broker: Broker): string {
  return `No RabbitMQ broker answers at ${redactUrl(broker.url)}. Do one of these, then run ` +
    `'deno task demo' again:
  - start one with Docker, from this folder:  docker compose up -d --wait rabbitmq
  - install RabbitMQ (https://www.rabbitmq.com/docs/download), e.g. on Debian or Ubuntu:
      sudo apt-get install rabbitmq-server     (it starts the broker on localhost:5672)
  - or use a broker you have:  AMQP_URL=amqp://user:password@host:5672 deno task demo`;
}

async function findRabbitmqServer(): Promise<string | undefined> {
  const path = (Deno.env.get("PATH") ?? "").split(":").filter((dir) => dir !== "");
  for (const dir of [...path, "/usr/sbin", "/usr/local/sbin", "/sbin"]) {
    const file = `${dir}/rabbitmq-server`;
    try {
      if ((await Deno.stat(file)).isFile) return file;
    } catch {
      // not there
    }
  }
  return undefined;
}

/** Runs a command in the repository's folder; true when it exits 0, false when it fails or is absent. */
async function succeeds(
  command: string,
  args: readonly string[],
  output: "null" | "inherit" = "null",
): Promise<boolean> {
  try {
    const child = new Deno.Command(command, {
      args: [...args],
      cwd: ROOT,
      stdin: "null",
      stdout: output,
      stderr: output,
    }).spawn();
    return (await until(child.status)).success;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

async function deleteQueues(broker: Broker, queues: Iterable<string>): Promise<string[]> {
  const connection = await amqp.connect(broker.url, { timeout: 5_000 });
  connection.on("error", () => {});
  try {
    const channel = await connection.createChannel();
    const deleted: string[] = [];
    for (const queue of queues) {
      await channel.deleteQueue(queue);
      deleted.push(queue);
    }
    return deleted;
  } finally {
    await connection.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The worker and producer processes

/** The README's permission flags, for the broker at `broker`. */
function permissionFlags(broker: Broker): string[] {
  const host = broker.hostname.includes(":") ? `[${broker.hostname}]` : broker.hostname;
  return [`--allow-net=${host}:${broker.port}`, "--allow-env=AMQP_URL,WARREN_QUEUE"];
}

/** A JSON log line of a worker. */
type LogLine = { readonly event: string } & Readonly<Record<string, unknown>>;

/** A worker CLI running as a subprocess; its JSON log lines go to `onLine`. */
class DemoWorker {
  readonly label: string;
  readonly #child: Deno.ChildProcess;
  readonly #stderr: Promise<string>;
  readonly #stdout: Promise<void>;
  readonly #started = Promise.withResolvers<void>();
  #exited = false;

  constructor(label: string, args: readonly string[], env: Record<string, string>) {
    this.label = label;
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", ...args],
      cwd: ROOT,
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      detached: true, // its own process group: Ctrl-C reaches the demo, which stops it cleanly
    }).spawn();
    this.#stderr = new Response(this.#child.stderr).text();
    this.#stdout = this.#read();
    this.#started.promise.catch(() => {});
  }

  /** Called with each JSON log line. */
  onLine: (worker: DemoWorker, line: LogLine) => void = () => {};

  async #read(): Promise<void> {
    for await (const text of lines(this.#child.stdout)) {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        continue; // not a log line
      }
      if (line.event === "worker.started") this.#started.resolve();
      this.onLine(this, line);
    }
    this.#exited = true;
    this.#started.reject(await this.#failure("exited before it started"));
  }

  async #failure(what: string): Promise<DemoError> {
    const status = await this.#child.status;
    const stderr = (await this.#stderr).trim();
    return new DemoError(
      `worker ${this.label} ${what} (exit code ${status.code})${stderr ? `:\n${stderr}` : ""}`,
    );
  }

  /** Resolves when the worker consumes from its queue. */
  get started(): Promise<void> {
    return this.#started.promise;
  }

  /** Rejects when the worker exits on its own (it should run until stopped). */
  async unexpectedExit(): Promise<never> {
    await this.#stdout;
    throw await this.#failure("exited unexpectedly");
  }

  /** The OS process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Sends SIGTERM (the worker finishes running tasks, then exits 0) and waits for the exit. */
  async stop(): Promise<Deno.CommandStatus> {
    if (!this.#exited) {
      try {
        this.#child.kill("SIGTERM");
      } catch {
        // already gone
      }
    }
    const status = await this.#child.status;
    await this.#stdout;
    await this.#stderr;
    return status;
  }

  /** Kills the worker at once (SIGKILL), for when it does not stop in time. */
  kill(): void {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** Runs the producer with `tasks` on standard input; `onEnqueued` hears each confirmed task. */
async function runProducer(
  flags: readonly string[],
  env: Record<string, string>,
  tasks: readonly DemoTask[],
  onEnqueued: (task: string, id: string) => void,
): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...flags, "producer.ts", "--file", "-", "--queue", QUEUE],
    cwd: ROOT,
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
  interruption.promise.catch(() => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
  });
  const stderr = new Response(child.stderr).text();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(tasks.map((t) => JSON.stringify(t)).join("\n")));
  await writer.close();
  for await (const line of lines(child.stdout)) {
    const match = /^enqueued (\S+) (\S+)$/.exec(line);
    if (match) onEnqueued(match[1]!, match[2]!);
  }
  const status = await child.status;
  const summary = (await stderr).trim();
  if (!status.success) {
    throw new DemoError(`the producer failed (exit code ${status.code}):\n${summary}`);
  }
  return summary;
}

async function* lines(stream: ReadableStream<Uint8Array>): AsyncIterable<string> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    rest += chunk;
    let end: number;
    while ((end = rest.indexOf("\n")) >= 0) {
      const line = rest.slice(0, end).trim();
      rest = rest.slice(end + 1);
      if (line !== "") yield line;
    }
  }
  if (rest.trim() !== "") yield rest.trim();
}

// ---------------------------------------------------------------------------------------------
// Following the results

/** One finished task: which worker did it, and what it reported. */
interface Outcome {
  readonly worker: string;
  readonly task: DemoTask;
  readonly done?: TaskDone;
  readonly dead?: TaskDead;
}

/**
 * Matches workers' `task.done` and `task.dead` lines to the tasks sent. The producer prints
 * `enqueued <task> <id>` as the broker confirms each message; confirms on one channel come in
 * publishing order, so the n-th id of a task name belongs to the n-th task of that name sent.
 */
class Tracker {
  readonly #tasks: readonly DemoTask[];
  readonly #byId = new Map<string, DemoTask>();
  readonly #assigned = new Set<number>();
  readonly #waiting = new Map<string, { worker: string; line: LogLine }>();
  readonly #finished = new Set<string>();
  readonly #all = Promise.withResolvers<void>();
  readonly outcomes: Outcome[] = [];
  readonly retryQueues = new Set<string>();
  /** Tasks reported finished more than once (at-least-once delivery, after a redelivery). */
  readonly duplicates: string[] = [];
  onOutcome: (outcome: Outcome) => void = () => {};

  constructor(tasks: readonly DemoTask[]) {
    this.#tasks = tasks;
  }

  /** Resolves when every task has an outcome. */
  get finished(): Promise<void> {
    return this.#all.promise;
  }

  /** Records the id the producer printed for the next task named `name`. */
  enqueued(name: string, id: string): void {
    const index = this.#tasks.findIndex((t, i) => t.task === name && !this.#assigned.has(i));
    if (index < 0) return;
    this.#assigned.add(index);
    this.#byId.set(id, this.#tasks[index]!);
    const waiting = this.#waiting.get(id);
    if (waiting) {
      this.#waiting.delete(id);
      this.#record(waiting.worker, waiting.line);
    }
  }

  /** Takes a worker's log line. */
  logged(worker: string, line: LogLine): void {
    if (line.event === "task.failed") {
      const failed = line as unknown as TaskFailed;
      this.retryQueues.add(`${QUEUE}.retry.${failed.retryIn}`);
      say(`  ${worker}  ${failed.task} failed (attempt ${failed.attempt}): ${failed.error}`);
      return;
    }
    if (line.event !== "task.done" && line.event !== "task.dead") return;
    const id = String(line.id);
    if (this.#byId.has(id)) this.#record(worker, line);
    else this.#waiting.set(id, { worker, line }); // the producer has not printed this id yet
  }

  #record(worker: string, line: LogLine): void {
    const id = String(line.id);
    const task = this.#byId.get(id)!;
    if (this.#finished.has(id)) {
      this.duplicates.push(`${task.task} ${describeArgs(task)} finished again, by ${worker}`);
      return;
    }
    this.#finished.add(id);
    const outcome: Outcome = line.event === "task.done"
      ? { worker, task, done: line as unknown as TaskDone }
      : { worker, task, dead: line as unknown as TaskDead };
    this.outcomes.push(outcome);
    this.onOutcome(outcome);
    if (this.outcomes.length === this.#tasks.length) this.#all.resolve();
  }
}

function formatOutcome(outcome: Outcome): string {
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

async function checkResults(outcomes: readonly Outcome[]): Promise<string[]> {
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

function printSummary(
  workers: readonly DemoWorker[],
  tracker: Tracker,
  wallMs: number,
  problems: readonly string[],
): void {
  say("\nSummary");
  for (const worker of workers) {
    const mine = tracker.outcomes.filter((o) => o.worker === worker.label);
    const detail = TASK_NAMES
      .map((name) => [name, mine.filter((o) => o.task.task === name).length] as const)
      .filter(([, count]) => count > 0)
      .map(([name, count]) => `${count} ${name}`)
      .join(", ");
    say(`  ${worker.label}: ${String(mine.length).padStart(2)} tasks (${detail})`);
  }
  say(`  wall time: ${(wallMs / 1000).toFixed(2)} s from starting the producer to the last result`);
  const total = tracker.outcomes.length;
  if (problems.length === 0) {
    say(`  all ${total} tasks ok: each done once, results equal to a local computation`);
  } else {
    say(`  ${problems.length} of ${total} tasks NOT ok:`);
    for (const problem of problems) say(`    ${problem}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Plumbing: messages, interruption, deadlines

/** A failure the demo explains in words; no stack trace needed. */
class DemoError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DemoError";
  }
}

/** Ctrl-C or SIGTERM. */
class Interrupted extends Error {
  constructor(signal: Deno.Signal) {
    super(`interrupted by ${signal}`);
    this.name = "Interrupted";
  }
}

const interruption = Promise.withResolvers<never>();
interruption.promise.catch(() => {});

/** `promise`, unless the demo is interrupted first. */
function until<T>(promise: Promise<T>): Promise<T> {
  return Promise.race([promise, interruption.promise]);
}

/** `promise`, unless `ms` pass first. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DemoError(`${what}: nothing after ${ms / 1000} s`)), ms);
  });
  try {
    return await until(Promise.race([promise, timeout]));
  } finally {
    clearTimeout(timer);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function onSignals(): () => void {
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const handlers = signals.map((signal) => {
    const handler = () => interruption.reject(new Interrupted(signal));
    Deno.addSignalListener(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
  };
}

function say(text: string): void {
  console.log(text);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------------------------------------
// The demo

function startWorkers(broker: Broker, env: Record<string, string>): DemoWorker[] {
  const flags = permissionFlags(broker);
  const args = (id: string) => [
    ...flags,
    "worker.ts",
    "--queue",
    QUEUE,
    "--log-format",
    "json",
    "--id",
    id,
  ];
  say(`\nStarting ${WORKER_COUNT} workers: deno run ${args("wN").join(" ")}`);
  return Array.from({ length: WORKER_COUNT }, (_, i) => {
    const label = `w${i + 1}`;
    return new DemoWorker(label, args(label), env);
  });
}

async function waitUntilStarted(workers: readonly DemoWorker[]): Promise<void> {
  await within(
    Promise.all(workers.map(async (worker) => {
      await worker.started;
      say(`  ${worker.label} consumes from '${QUEUE}' (pid ${worker.pid})`);
    })),
    WORKER_START_MS,
    "waiting for the workers to start",
  );
}

async function stopWorkers(workers: readonly DemoWorker[]): Promise<boolean> {
  if (workers.length === 0) return true;
  say("\nStopping the workers with SIGTERM");
  const results = await Promise.all(workers.map(async (worker) => {
    const timer = setTimeout(() => worker.kill(), WORKER_EXIT_MS);
    const status = await worker.stop();
    clearTimeout(timer);
    say(`  ${worker.label} exited with code ${status.code}`);
    return status.code === 0;
  }));
  return results.every(Boolean);
}

async function run(
  broker: Broker,
  tasks: readonly DemoTask[],
  workers: DemoWorker[],
  tracker: Tracker,
): Promise<boolean> {
  await ensureBroker(broker);
  const env = { AMQP_URL: broker.url, NO_COLOR: "1" };
  await deleteQueues(broker, [QUEUE, `${QUEUE}.dead`]); // leftovers of an interrupted run
  workers.push(...startWorkers(broker, env));
  for (const worker of workers) worker.onLine = (w, line) => tracker.logged(w.label, line);
  await waitUntilStarted(workers);

  const flags = permissionFlags(broker);
  say(
    `\nEnqueueing ${tasks.length} tasks: deno run ${flags.join(" ")} producer.ts --file - ` +
      `--queue ${QUEUE}`,
  );
  say(`\n${row("by", "task", "arguments", "result", "time")}`);
  tracker.onOutcome = (outcome) => say(formatOutcome(outcome));
  const started = performance.now();
  const exits = workers.map((worker) => worker.unexpectedExit());
  for (const exit of exits) exit.catch(() => {});
  const summary = await within(
    runProducer(flags, env, tasks, (name, id) => tracker.enqueued(name, id)),
    RESULTS_MS,
    "waiting for the producer",
  );
  await within(
    Promise.race([tracker.finished, ...exits]),
    RESULTS_MS,
    `waiting for ${tasks.length} results`,
  );
  const wallMs = performance.now() - started;
  say(`\n  producer: ${summary}`);
  const problems = [...await checkResults(tracker.outcomes), ...tracker.duplicates];
  printSummary(workers, tracker, wallMs, problems);
  return problems.length === 0;
}

async function main(): Promise<number> {
  const removeSignalListeners = onSignals();
  const tasks = demoTasks();
  const tracker = new Tracker(tasks);
  const workers: DemoWorker[] = [];
  let broker: Broker | undefined;
  let code: number;
  try {
    broker = brokerFromEnv();
    say(`Warren demo: ${WORKER_COUNT} workers share ${tasks.length} tasks on queue '${QUEUE}'.`);
    code = await run(broker, tasks, workers, tracker) ? 0 : 1;
  } catch (err) {
    if (err instanceof Interrupted) {
      say(`\nInterrupted: stopping the workers and cleaning up.`);
      code = 130;
    } else {
      console.error(`\ndemo failed: ${err instanceof DemoError ? err.message : messageOf(err)}`);
      if (!(err instanceof DemoError) && err instanceof Error && err.stack) {
        console.error(err.stack);
      }
      code = 1;
    }
  } finally {
    removeSignalListeners();
  }
  if (!await stopWorkers(workers) && code === 0) code = 1;
  if (broker && workers.length > 0) code = await cleanUp(broker, tracker, code);
  return code;
}

async function cleanUp(broker: Broker, tracker: Tracker, code: number): Promise<number> {
  try {
    const deleted = await deleteQueues(broker, [QUEUE, `${QUEUE}.dead`, ...tracker.retryQueues]);
    say(`Deleted the demo's queues: ${deleted.join(", ")}`);
    return code;
  } catch (err) {
    console.error(`could not delete the demo's queues: ${messageOf(err)}`);
    return code === 0 ? 1 : code;
  }
}

if (import.meta.main) Deno.exit(await main());
