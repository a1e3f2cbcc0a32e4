/**
 * Warren's fault suite ("No task lost"): at-least-once delivery under faults, with exact
 * accounting. Each scenario counts the task ids the producers confirmed, the ids any worker
 * reported done (killed workers included), the duplicates, the dead letters, and asserts that
 * none was lost; each prints `scenario <name>: enqueued N, completed N, duplicates N, dead N,
 * lost N`.
 *
 * Everything runs against ONE private RabbitMQ node (never the shared broker), started once for
 * the file: each scenario uses a fresh queue, and the restart scenario restarts that node.
 * Workers and producers are CLI subprocesses (the producer of the poison task is the
 * {@linkcode Producer} class, as `crash` exists only in the fault catalog). They all connect as
 * a user with a password, which no line of their output may contain.
 *
 * To make a fault land while a producer still has unconfirmed messages, whatever the machine's
 * speed, the broker's memory alarm holds that producer mid-publish (RabbitMQ blocks publishing
 * connections; `connection.blocked` on its stderr says so) until the fault has happened.
 *
 * @module
 */
import amqp from "amqplib";
import { Buffer } from "node:buffer";
import { assert, assertEquals, assertGreaterOrEqual, assertStringIncludes } from "@std/assert";
import type { GetMessage } from "amqplib";
import { HEADERS } from "../../src/wire/headers.ts";
import { createLogger } from "../../src/util/logger.ts";
import { Producer } from "../../src/producer/producer.ts";
import { rawClient, uniqueQueue } from "../_helpers/broker.ts";
import {
  enqueuedIds,
  type LogLine,
  rootPath,
  runCli,
  type RunOptions,
  type RunResult,
  WorkerProcess,
} from "../_helpers/cli.ts";
import { freePort } from "../_helpers/ports.ts";
import { drainQueue, queueDepth, stringHeader, until } from "../_helpers/probe.ts";
import { rabbitmqInstalled, type RabbitNode, startRabbitNode } from "../_helpers/rabbit_node.ts";
import { faultCatalog } from "../fixtures/fault_worker.ts";
import { formatTally, Ledger, type Tally } from "./_accounting.ts";
import {
  ProducerProcess,
  type WorkerExit,
  WorkerPool,
  type WorkerPoolOptions,
} from "./_processes.ts";

const installed = await rabbitmqInstalled();
if (!installed) {
  // deno-lint-ignore no-console
  console.warn("faults_test: rabbitmq-server is not installed; skipping");
}

/** The password of the user every worker and producer connects as. */
const SECRET = "s3cret-pw";

/** What a worker's JSON log says about where its tasks stand. */
function inFlightIds(lines: readonly LogLine[]): string[] {
  const open = new Set<string>();
  for (const line of lines) {
    if (typeof line.id !== "string") continue;
    // started opens a task; done, failed, dead and returned each settle it.
    if (line.event === "task.started") open.add(line.id);
    else open.delete(line.id);
  }
  return [...open];
}

/** Everything the workers and producers of the file printed, for the password check. */
class Outputs {
  readonly #sources: (() => Promise<string>)[] = [];

  worker(worker: WorkerProcess): void {
    this.#sources.push(async () => {
      const { stderr } = await worker.exit();
      return worker.lines.map((line) => JSON.stringify(line)).join("\n") + "\n" + stderr;
    });
  }

  producer(producer: ProducerProcess): void {
    this.#sources.push(async () => {
      const { stdout, stderr } = await producer.exit();
      return stdout + stderr;
    });
  }

  result(result: RunResult): void {
    this.#sources.push(() => Promise.resolve(result.stdout + result.stderr));
  }

  lines(lines: readonly string[]): void {
    this.#sources.push(() => Promise.resolve(lines.join("\n")));
  }

  async all(): Promise<string[]> {
    return await Promise.all(this.#sources.map((source) => source()));
  }
}

/** The private node, how to reach it, and the outputs collected so far. */
interface Bench {
  readonly node: RabbitNode;
  /** `amqp://warren:<SECRET>@127.0.0.1:<port>`. */
  readonly url: string;
  /** Permission flags of both CLIs for the node. */
  readonly flags: readonly string[];
  readonly outputs: Outputs;
}

/**
 * Ends a scenario: waits until each of at least `expected` confirmed ids is done or dead and the
 * queue is empty, stops the pool (SIGTERM), takes what is left in the queue (only duplicates of
 * done tasks may be) and the dead letters, prints the tally and asserts that nothing was lost.
 */
async function settle(
  bench: Bench,
  name: string,
  queue: string,
  ledger: Ledger,
  expected: number,
  pool: WorkerPool,
): Promise<{ tally: Tally; letters: GetMessage[]; exits: readonly WorkerExit[] }> {
  await until(
    () => ledger.settled(expected),
    `each of ${expected} tasks to be done or dead (${name}; ${ledger.completedCount()} done)`,
    90_000,
    50,
  );
  {
    await using client = await rawClient(bench.node.url);
    await until(async () => (await queueDepth(client, queue)) === 0, `${queue} to be empty`);
  }
  const exits = await pool.stop();
  await using client = await rawClient(bench.node.url);
  const leftovers = await drainQueue(client, queue);
  for (const message of leftovers) {
    const id = String(message.properties.messageId);
    assert(ledger.accounted(id), `task ${id} was left in the queue and never done`);
  }
  const letters = await drainQueue(client, `${queue}.dead`);
  ledger.addDeadLetters(letters);
  const tally = ledger.tally();
  // deno-lint-ignore no-console
  console.log(formatTally(name, tally));
  assertEquals(tally.lost, 0, `lost tasks, e.g. ${tally.lostIds.join(", ")}`);
  assertEquals(tally.unknownIds, [], "done or dead tasks that no producer confirmed");
  return { tally, letters, exits };
}

/** Asserts that the workers stopped by SIGTERM (every exit but the `except` ones) exited 0. */
function assertCleanExits(exits: readonly WorkerExit[], except: (e: WorkerExit) => boolean): void {
  for (const exit of exits) {
    if (except(exit)) continue;
    assertEquals(
      [exit.code, exit.signal],
      [0, null],
      `worker ${exit.worker.pid} should exit 0 after SIGTERM: ${exit.stderr}`,
    );
  }
}

/** Runs `fn` and prints how long it took. */
async function timed(name: string, fn: () => Promise<void>): Promise<void> {
  const started = performance.now();
  try {
    await fn();
  } finally {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    // deno-lint-ignore no-console
    console.log(`scenario ${name} took ${seconds} s`);
  }
}

/**
 * Runs `fn` while the node's memory alarm is raised: RabbitMQ then blocks every connection that
 * publishes (its `connection.blocked` event), and stops reading from it. The alarm is cleared
 * afterwards, whatever happens (a restart clears it too: it is not persisted).
 */
async function withMemoryAlarm<T>(node: RabbitNode, fn: () => Promise<T>): Promise<T> {
  await node.ctl("set_vm_memory_high_watermark", "0");
  try {
    return await fn();
  } finally {
    await node.ctl("set_vm_memory_high_watermark", "0.4");
  }
}

/** How `worker` exited, or `undefined` if it still runs after `ms` milliseconds. */
async function exitWithin(
  worker: WorkerProcess,
  ms: number,
): Promise<{ code: number; signal: Deno.Signal | null } | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((
    resolve,
  ) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([worker.exit(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

const MAX_BYTES = 1_024;

/** Kinds of bodies no worker can run, the reason each is dead-lettered for, and a word of its error. */
const BAD_KINDS: readonly {
  readonly kind: string;
  readonly reason: string;
  readonly error: string;
  readonly body: (i: number) => Buffer;
}[] = [
  {
    kind: "invalid UTF-8",
    reason: "invalid-utf8",
    error: "UTF-8",
    body: (i) =>
      Buffer.concat([
        Buffer.from(`{"task":"sum","n":${i},"x":"`),
        Buffer.from([0xff, 0xfe]),
        Buffer.from(`"}`),
      ]),
  },
  { kind: "empty body", reason: "not-json", error: "empty", body: () => Buffer.alloc(0) },
  {
    kind: "JSON that is not an object",
    reason: "not-object",
    error: "not a JSON object",
    body: (i) => json([[i, 2], i, null, `sum ${i}`, true][i % 5]),
  },
  {
    kind: "unknown task",
    reason: "unknown-task",
    error: "resize",
    body: (i) => json({ task: "resize", width: i }),
  },
  {
    kind: "schema-invalid payload",
    reason: "invalid-payload",
    error: "invalid payload",
    body: (i) => json({ task: "sum", start: i + 10, end: i }),
  },
  {
    kind: "body over --max-bytes",
    reason: "too-large",
    error: String(MAX_BYTES),
    body: (i) => json({ task: "sum", start: 1, end: i + 1, padding: "x".repeat(MAX_BYTES) }),
  },
  {
    kind: "not JSON",
    reason: "not-json",
    error: "not JSON",
    body: (i) => Buffer.from(`sum 1 ${i}`),
  },
  {
    kind: "no task key",
    reason: "no-task",
    error: "task",
    body: (i) => json({ start: 1, end: i + 1 }),
  },
];

Deno.test({
  name: "no confirmed task is lost under broker restarts, kills, poison tasks, shutdowns, " +
    "bad messages and dropped connections",
  ignore: !installed,
  async fn(t) {
    await using node = await startRabbitNode({ prefix: "warren-faults" });
    await node.ctl("add_user", "warren", SECRET);
    await node.ctl("set_permissions", "-p", "/", "warren", ".*", ".*", ".*");
    const bench: Bench = {
      node,
      url: `amqp://warren:${SECRET}@127.0.0.1:${node.port}`,
      flags: [`--allow-net=127.0.0.1:${node.port}`, "--allow-env=AMQP_URL,WARREN_QUEUE"],
      outputs: new Outputs(),
    };
    const { flags, outputs } = bench;
    /** Follows each worker a pool starts: its task lines into `ledger`, its output for the report. */
    const follow = (ledger: Ledger) => (worker: WorkerProcess) => (
      ledger.follow(worker), outputs.worker(worker)
    );
    /** A worker's or producer's arguments for `queue` on the private node, then `extra`. */
    const on = (
      queue: string,
      ...extra: string[]
    ) => ["--url", bench.url, "--queue", queue, ...extra];
    /**
     * A pool of `size` workers run with `args` and the node's permission flags (unless `options`
     * give others), each followed into `ledger` and the outputs from its start.
     */
    const workers = (
      ledger: Ledger,
      size: number,
      args: readonly string[],
      options: Omit<WorkerPoolOptions, "onStart"> = {},
    ) => new WorkerPool(size, args, { flags, ...options, onStart: follow(ledger) });
    /**
     * Runs the producer CLI with `args` and the node's permission flags until it exits, keeps its
     * output for the password check, asserts it exited 0 and adds the ids it confirmed to
     * `ledger`; returns the run and those ids.
     */
    const produce = async (
      ledger: Ledger,
      args: readonly string[],
      options: Omit<RunOptions, "flags"> = {},
    ): Promise<RunResult & { ids: string[] }> => {
      const result = await runCli("producer.ts", args, { flags, ...options });
      outputs.result(result);
      assertEquals(result.code, 0, result.stderr);
      const ids = enqueuedIds(result.stdout);
      ledger.addEnqueued(ids);
      return { ...result, ids };
    };

    await t.step(
      "a broker restart while a producer publishes and 3 workers work loses none of 5,000 tasks",
      () =>
        timed("broker-restart", async () => {
          const queue = uniqueQueue("warren_fault_restart");
          const ledger = new Ledger();
          const env = { AMQP_URL: bench.url, WARREN_QUEUE: queue };
          // Without the history, workers only consume and ack, which the alarm below does not
          // block (a worker recording the history publishes, and would stop with the producer).
          await using pool = workers(ledger, 3, ["--no-history"], { env });
          await pool.started();
          // 10 ms a task: 3,000 keep three workers busy for about 10 s, so the restart below
          // (once 1,000 are done, after a second producer started) comes while tasks are left,
          // even on a loaded machine (at 3 ms a task, all were done first once).
          await produce(ledger, ["sleep", "--ms", "10", "--count", "3000"], { env });
          assertEquals(ledger.enqueuedCount, 3000);
          let doneAtStop = 0, doneWhileDown = 0;

          // The memory alarm blocks the second producer mid-publish, not the workers: the restart, once 1,000 tasks are done, is sure to find it
          // with unconfirmed messages. A restarted node has no alarm (it is not persisted).
          await using second = await withMemoryAlarm(node, async () => {
            const second = new ProducerProcess(["sleep", "--ms", "3", "--count", "2000"], {
              flags,
              env,
            });
            outputs.producer(second);
            await second.waitFor(
              (_, stderr) => stderr.includes("connection.blocked"),
              "the second producer to be blocked mid-publish",
            );
            await until(() => ledger.completedCount() >= 1000, "1,000 tasks done", 60_000);
            doneAtStop = ledger.completedCount();
            await node.stop();
            doneWhileDown = ledger.completedCount();
            await node.start();
            return second;
          });
          // Each worker comes back on its own backoff (up to 10 s between attempts); the others
          // may finish the rest before the last one is back, so its return is waited for here.
          await until(
            () => pool.all.every((worker) => worker.events("worker.resumed").length >= 1),
            "every worker to consume again after the restart",
            60_000,
          );
          const published = await second.exit();
          assertEquals(published.code, 0, published.stderr);
          assertStringIncludes(published.stderr, "connection.lost");
          const ids = enqueuedIds(published.stdout);
          assertEquals(ids.length, 2000, "the second producer confirmed all its tasks");
          ledger.addEnqueued(ids);

          const { tally, exits } = await settle(bench, "broker-restart", queue, ledger, 5000, pool);
          assertEquals([tally.enqueued, tally.completed, tally.dead], [5000, 5000, 0]);
          assertCleanExits(exits, () => false);
          assertEquals(pool.all.length, 3, "the workers were not replaced: they reconnected");
          for (const worker of pool.all) {
            assertGreaterOrEqual(worker.events("connection.lost").length, 1, "it saw the stop");
          }
          // deno-lint-ignore no-console
          console.log(
            `  broker stopped with ${doneAtStop} of 5000 done (${doneWhileDown} once it was down)`,
          );
          assert(doneAtStop < 3000, "the restart came while the workers still had tasks");
        }),
    );

    await t.step(
      "10 SIGKILLs of random workers during 2,000 tasks lose none of them",
      () =>
        timed("worker-kills", async () => {
          const queue = uniqueQueue("warren_fault_kills");
          const ledger = new Ledger();
          await using pool = workers(ledger, 3, on(queue, "--log-level", "debug"));
          await pool.started();
          const tasks = Array.from(
            { length: 2000 },
            (_, i) => `{"task":"sleep","ms":${10 + i % 11}}`,
          );
          await produce(ledger, ["--file", "-", ...on(queue)], {
            stdin: tasks.join("\n") + "\n",
          });
          assertEquals(ledger.enqueuedCount, 2000);

          const killed: WorkerProcess[] = [];
          let midTask = 0;
          for (let k = 1; k <= 10; k++) {
            await until(() => ledger.doneLines() >= 150 * k, `${150 * k} tasks done`, 60_000);
            // A random worker, among those running a task when there are such: kills land mid-task.
            const busy = pool.alive.filter((w) => inFlightIds(w.lines).length > 0);
            const candidates = busy.length > 0 ? busy : pool.alive;
            const victim = candidates[Math.floor(Math.random() * candidates.length)]!;
            killed.push(victim);
            await pool.killAndReplace(victim);
            if (inFlightIds(victim.lines).length > 0) midTask++;
          }

          const { tally, exits } = await settle(bench, "worker-kills", queue, ledger, 2000, pool);
          assertEquals([tally.enqueued, tally.completed, tally.dead], [2000, 2000, 0]);
          assertCleanExits(exits, (exit) => killed.includes(exit.worker));
          for (const worker of killed) {
            const exit = exits.find((e) => e.worker === worker);
            assertEquals(exit?.signal, "SIGKILL");
          }
          assertEquals(pool.all.length, 13, "3 workers and 10 replacements");
          // deno-lint-ignore no-console
          console.log(`  ${midTask} of 10 kills landed mid-task`);
          assertGreaterOrEqual(midTask, 1, "kills landed mid-task");
        }),
    );

    await t.step(
      "a task that kills its worker is dead-lettered after its 5th run while 200 others are done",
      () =>
        timed("poison-task", async () => {
          const queue = uniqueQueue("warren_fault_poison");
          const ledger = new Ledger();
          await using pool = workers(ledger, 2, on(queue, "--log-level", "debug"), {
            script: rootPath("tests/fixtures/fault_worker.ts"),
            restartDead: true,
          });
          await pool.started();
          const logLines: string[] = [];
          outputs.lines(logLines);
          const producer = await Producer.connect(faultCatalog, {
            url: bench.url,
            queue,
            logger: createLogger({ format: "json", write: (line) => logLines.push(line) }),
          });
          let crashId: string;
          try {
            const sums = (from: number) =>
              Array.from({ length: 100 }, (_, i) =>
                producer.enqueue("sum", { start: 1, end: from + i }));
            const before = sums(1);
            const crash = producer.enqueue("crash", { code: 3 });
            const after = sums(101);
            const receipts = await Promise.all([...before, crash, ...after]);
            crashId = (await crash).id;
            ledger.addEnqueued(receipts.map((r) =>
              r.id
            ));
          } finally {
            await producer.close();
          }

          const { tally, letters, exits } = await settle(
            bench,
            "poison-task",
            queue,
            ledger,
            201,
            pool,
          );
          assertEquals([tally.enqueued, tally.completed, tally.dead], [201, 200, 1]);
          const deaths = exits.filter((exit) => exit.code === 3);
          // deno-lint-ignore no-console
          console.log(`  ${deaths.length} worker deaths, ${pool.all.length} workers started`);
          assertEquals(deaths.length, 5, "the poison task ran, and killed its worker, 5 times");
          const runs = pool.all.flatMap((w) => w.events("task.started")).filter((l) =>
            l.id === crashId
          );
          assertEquals(runs.length, 5, "the poison task ran at most 5 times");
          assertCleanExits(exits, (exit) => exit.code === 3);
          assertEquals(letters.length, 1);
          const [letter] = letters;
          assert(letter);
          assertEquals(letter.properties.messageId, crashId);
          assertEquals(stringHeader(letter, HEADERS.reason), "worker-died");
          assertStringIncludes(
            stringHeader(letter, HEADERS.error),
            "died while running it 5 times",
          );
          assertEquals(ledger.deadReasons().get(crashId), "worker-died");
        }),
    );

    await t.step(
      "SIGTERM lets both workers finish their task and exit 0; new ones do the rest",
      () =>
        timed("sigterm", async () => {
          const queue = uniqueQueue("warren_fault_term");
          const ledger = new Ledger();
          // 100 short tasks, then 2 long ones (one per worker, since each holds one task at a
          // time), then 198 short ones: SIGTERM is sure to find both workers mid-task. The
          // workers start once all are queued, so that the producer's exit takes none of the
          // long tasks' time.
          const tasks = Array.from({ length: 300 }, (_, i) => i === 100 || i === 101 ? 1500 : 20)
            .map((ms) => `{"task":"sleep","ms":${ms}}\n`);
          const { ids } = await produce(ledger, ["--file", "-", ...on(queue)], {
            stdin: tasks.join(""),
          });
          await using pool = workers(ledger, 2, on(queue, "--log-level", "debug"));
          await pool.started();
          // One channel confirms in publish order, so the CLI prints the ids in task order.
          const long = ids.slice(100, 102);

          const first = pool.alive;
          await until(
            () => first.every((w) => inFlightIds(w.lines).some((id) => long.includes(id))),
            "each worker to run one of the long tasks",
            30_000,
          );
          for (const worker of first) worker.kill("SIGTERM");
          for (const worker of first) {
            const { code } = await worker.exit();
            assertEquals(code, 0, "a worker stopped by SIGTERM exits 0");
            const [stopping] = worker.events("worker.stopping");
            assertEquals(stopping?.inFlight, 1, "SIGTERM came while it ran a long task");
            assertEquals(inFlightIds(worker.lines), [], "it finished every task it started");
            assertEquals(worker.events("task.returned"), [], "and returned none");
            const last = worker.events("task.done").at(-1);
            assert(last && long.includes(String(last.id)), "its last task was the long one");
            assertEquals(worker.events("worker.stopped").length, 1);
          }
          const doneByFirst = ledger.completedCount();
          assert(doneByFirst < 300, "the first workers left tasks for the new ones");
          pool.spawn();
          pool.spawn();

          const { tally, exits } = await settle(bench, "sigterm", queue, ledger, 300, pool);
          assertEquals([tally.enqueued, tally.completed, tally.dead], [300, 300, 0]);
          assertEquals(tally.duplicates, 0, "a graceful stop acks what it finished: no redelivery");
          assertCleanExits(exits, () => false);
          // deno-lint-ignore no-console
          console.log(`  ${doneByFirst} of 300 done when both workers had stopped`);
        }),
    );

    await t.step(
      "a task cut off by --grace goes back to the queue and is done later",
      () =>
        timed("sigterm-grace", async () => {
          const queue = uniqueQueue("warren_fault_grace");
          const ledger = new Ledger();
          const args = on(queue, "--log-level", "debug");
          await using pool = workers(ledger, 0, args);
          // Queued first, so that the producer's exit takes none of the task's time.
          const [id] = (await produce(ledger, ["sleep", "--ms", "1500", ...on(queue)])).ids;
          assert(id);
          await using hasty = new WorkerProcess([...args, "--grace", "100ms"], { flags });
          ledger.follow(hasty);
          outputs.worker(hasty);
          await hasty.started();
          await hasty.waitFor(
            (lines) => lines.some((l) => l.event === "task.started" && l.id === id),
            "the long task to start",
          );
          hasty.kill("SIGTERM");
          assertEquals((await hasty.exit()).code, 0);
          assertEquals(hasty.events("task.done"), [], "the grace period was too short to finish");
          const [returned] = hasty.events("task.returned");
          assertEquals(returned?.id, id);
          assertStringIncludes(String(returned?.reason), "grace");

          const later = pool.spawn();
          const { tally } = await settle(bench, "sigterm-grace", queue, ledger, 1, pool);
          assertEquals([tally.enqueued, tally.completed, tally.dead, tally.duplicates], [
            1,
            1,
            0,
            0,
          ]);
          assertEquals(later.events("task.done").map((l) => l.id), [id]);
        }),
    );

    await t.step(
      "1,000 malformed deliveries are dead-lettered by reason and 500 good ones done, by one worker that never dies",
      () =>
        timed("malformed", async () => {
          const queue = uniqueQueue("warren_fault_bad");
          const ledger = new Ledger();
          await using pool = workers(ledger, 1, on(queue, "--max-bytes", String(MAX_BYTES)));
          await pool.started();
          const [worker] = pool.all;
          assert(worker);

          // bad, bad, good, bad, bad, good, …: 1,000 bad ones (125 of each kind), 500 good ones.
          const sent = new Map<string, { body: Buffer; kind?: (typeof BAD_KINDS)[number] }>();
          const connection = await amqp.connect(node.url);
          try {
            const channel = await connection.createConfirmChannel();
            for (let i = 0, bad = 0, good = 0; i < 1500; i++) {
              let id: string;
              let body: Buffer;
              if (i % 3 === 2) {
                id = `good-${good}`;
                body = json({ task: "sum", start: 1, end: ++good });
                sent.set(id, { body });
              } else {
                const kind = BAD_KINDS[bad % BAD_KINDS.length]!;
                id = `bad-${bad}`;
                body = kind.body(bad++);
                sent.set(id, { body, kind });
              }
              channel.sendToQueue(queue, body, { messageId: id, persistent: true });
            }
            await channel.waitForConfirms();
          } finally {
            await connection.close();
          }
          ledger.addEnqueued(sent.keys());

          await until(() => ledger.settled(1500), "each delivery to be done or dead", 60_000, 50);
          assertEquals(pool.exits, [], "the worker is still running");
          const { tally, letters, exits } = await settle(
            bench,
            "malformed",
            queue,
            ledger,
            1500,
            pool,
          );
          assertEquals([tally.enqueued, tally.completed, tally.dead], [1500, 500, 1000]);
          assertEquals(letters.length, 1000, "one dead letter per bad delivery");
          const perReason = new Map<string, number>();
          for (const letter of letters) {
            const id = String(letter.properties.messageId);
            const original = sent.get(id);
            assert(original?.kind, `dead letter ${id} is one of the bad ones`);
            const reason = stringHeader(letter, HEADERS.reason);
            assertEquals(reason, original.kind.reason, `reason of ${original.kind.kind} (${id})`);
            assertStringIncludes(stringHeader(letter, HEADERS.error), original.kind.error);
            assert(original.body.equals(letter.content), `dead letter ${id} keeps its body`);
            perReason.set(reason, (perReason.get(reason) ?? 0) + 1);
          }
          // deno-lint-ignore no-console
          console.log(
            `  dead letters per reason: ${JSON.stringify(Object.fromEntries(perReason))}`,
          );
          assertEquals(Object.fromEntries(perReason), {
            "invalid-utf8": 125,
            "not-json": 250,
            "not-object": 125,
            "unknown-task": 125,
            "invalid-payload": 125,
            "too-large": 125,
            "no-task": 125,
          });
          const [done] = worker.events("task.done").filter((l) => l.id === "good-99");
          assertEquals(done?.result, "5050");
          assertEquals(pool.all.length, 1);
          assertEquals(exits.map((e) => [e.worker.pid, e.code]), [[worker.pid, 0]]);
          assertEquals(worker.events("worker.started").length, 1, "the worker started once");
          assertEquals(worker.events("worker.resumed"), [], "and never had to reconnect");
        }),
    );

    await t.step(
      "after close_all_connections the worker and the producer reconnect and lose nothing, with no channel errors",
      () =>
        timed("close-connections", async () => {
          const queue = uniqueQueue("warren_fault_close");
          const ledger = new Ledger();
          const env = { AMQP_URL: bench.url, WARREN_QUEUE: queue };
          await using pool = workers(ledger, 1, ["--log-level", "debug"], { env });
          await pool.started();
          const first = await produce(ledger, ["sleep", "--ms", "5", "--count", "300"], { env });
          await until(() => ledger.doneLines() >= 30, "30 tasks done");

          // The memory alarm holds the second producer mid-publish until the connections close.
          await using second = await withMemoryAlarm(node, async () => {
            const second = new ProducerProcess(["sleep", "--ms", "5", "--count", "500"], {
              flags,
              env,
            });
            outputs.producer(second);
            await second.waitFor(
              (_, stderr) => stderr.includes("connection.blocked"),
              "the second producer to be blocked mid-publish",
            );
            await node.ctl("close_all_connections", "warren fault test");
            return second;
          });
          const published = await second.exit();
          assertEquals(published.code, 0, published.stderr);
          assertStringIncludes(published.stderr, "connection.lost");
          ledger.addEnqueued(enqueuedIds(published.stdout));
          assertEquals(ledger.enqueuedCount, 800);

          const { tally, exits } = await settle(
            bench,
            "close-connections",
            queue,
            ledger,
            800,
            pool,
          );
          assertEquals([tally.enqueued, tally.completed, tally.dead], [800, 800, 0]);
          assertCleanExits(exits, () => false);
          const [worker] = pool.all;
          assert(worker);
          assertEquals(pool.all.length, 1, "the worker reconnected by itself");
          assertEquals(worker.events("connection.lost").length, 1);
          assertEquals(worker.events("worker.resumed").length, 1);
          const texts = [
            ...worker.lines.map((line) => JSON.stringify(line)),
            exits[0]?.stderr ?? "",
            published.stderr,
            first.stderr,
          ];
          for (const bad of ["PRECONDITION_FAILED", "unknown delivery tag", "channel.error"]) {
            const hits = texts.filter((text) => text.includes(bad));
            assertEquals(hits, [], `no '${bad}' in any log`);
          }
        }),
    );

    await t.step(
      "a worker given two URLs connects via the second when the first refuses",
      () =>
        timed("two-urls", async () => {
          const queue = uniqueQueue("warren_fault_urls");
          const ledger = new Ledger();
          const dead = freePort(); // nothing listens there: it refuses connections
          const deadUrl = `amqp://warren:${SECRET}@127.0.0.1:${dead}`;
          await using pool = workers(ledger, 1, [
            "--url",
            `${deadUrl},${bench.url}`,
            "--queue",
            queue,
          ], {
            flags: [
              `--allow-net=127.0.0.1:${node.port},127.0.0.1:${dead}`,
              "--allow-env=AMQP_URL,WARREN_QUEUE",
            ],
          });
          await pool.started();
          const [worker] = pool.all;
          assert(worker);
          await worker.waitForEvents("connection.up", 1);
          const [retry] = worker.events("connection.retry");
          assertEquals(retry?.url, `amqp://warren:***@127.0.0.1:${dead}`);
          const [up] = worker.events("connection.up");
          assertEquals(up?.url, `amqp://warren:***@127.0.0.1:${node.port}`);
          await produce(ledger, [
            "sum",
            "--start",
            "1",
            "--end",
            "100",
            "--count",
            "20",
            ...on(queue),
          ]);
          const { tally } = await settle(bench, "two-urls", queue, ledger, 20, pool);
          assertEquals([tally.enqueued, tally.completed, tally.dead], [20, 20, 0]);
        }),
    );

    await t.step(
      "SIGTERM ends a worker within its grace period even while the broker blocks its publishes",
      () =>
        timed("sigterm-blocked", async () => {
          const queue = uniqueQueue("warren_fault_blocked");
          const ledger = new Ledger();
          const args = on(queue, "--log-level", "debug");
          await using pool = workers(ledger, 0, args);
          await using hasty = workers(ledger, 0, [...args, "--grace", "100ms"]);
          const [id] = (await produce(ledger, ["sleep", "--ms", "2000", ...on(queue)])).ids;
          assert(id);
          // Under the alarm a worker still connects and consumes (that is not publishing), but
          // the copy that returns the cut-off task to the queue is never confirmed: the worker
          // must still stop, and leave the task for the broker to requeue.
          const stuck = await withMemoryAlarm(node, async () => {
            const stuck = hasty.spawn();
            await stuck.waitFor(
              (lines) => lines.some((l) => l.event === "task.started" && l.id === id),
              "the long task to start",
            );
            stuck.kill("SIGTERM");
            const exit = await exitWithin(stuck, 15_000);
            assert(
              exit !== undefined,
              "the worker still ran 15 s after SIGTERM with --grace 100ms: " +
                JSON.stringify(stuck.lines.slice(-3)),
            );
            assertEquals([exit.code, exit.signal], [0, null]);
            return stuck;
          });
          assertEquals(stuck.events("task.done"), []);

          const later = pool.spawn();
          const { tally } = await settle(bench, "sigterm-blocked", queue, ledger, 1, pool);
          assertEquals([tally.enqueued, tally.completed, tally.dead], [1, 1, 0]);
          // The blocked copy may have reached the queue before the broker stopped reading: then
          // the task runs twice (at least once is the promise), never zero times.
          assert(later.events("task.done").some((l) => l.id === id), "a new worker did the task");
        }),
    );

    await t.step(
      "the password of the broker URL appears in no output of any worker or producer",
      async () => {
        const texts = await outputs.all();
        assertGreaterOrEqual(texts.length, 20, "the outputs of every process of the file");
        const leaks = texts.filter((text) => text.includes(SECRET));
        assertEquals(leaks.map((text) => text.slice(0, 300)), [], "no output holds the password");
        assert(
          texts.some((text) => text.includes("warren:***@")),
          "the URL is printed, with its password redacted",
        );
      },
    );
  },
});
