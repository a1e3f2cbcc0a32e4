/**
 * A chaos run, shared by the CI test (tests/faults/chaos_test.ts) and `deno task chaos`: on a
 * PRIVATE RabbitMQ node (never the shared broker), one work queue per queue type, each with its
 * pool of worker CLIs (`tests/fixtures/chaos_worker.ts`, JSON logs at debug level) and an
 * in-process producer; the plan's poison messages first, then the normal tasks at a steady
 * rate; meanwhile worker SIGKILLs and broker restarts (`kill -9` or graceful) on a schedule.
 * The run then waits until every confirmed task is settled or past its bound, stops the workers
 * (SIGTERM), takes `Q.dead` and what is left in the queues, reads the history if it is on, and
 * returns the ledger and its verdict. Every wait polls with a deadline; nothing sleeps and hopes.
 *
 * @module
 */
import amqp, { type ChannelModel, type ConfirmChannel } from "amqplib";
import { Buffer } from "node:buffer";
import { Producer } from "../../../src/producer/producer.ts";
import { chaosCatalog } from "../../fixtures/chaos_catalog.ts";
import { rawClient, uniqueQueue } from "../broker.ts";
import { rootPath, WorkerProcess } from "../cli.ts";
import { readHistory } from "../history.ts";
import { drainQueue, queueDepth } from "../probe.ts";
import { type RabbitNode, startRabbitNode, type StartRabbitNodeOptions } from "../rabbit_node.ts";
import { WorkerPool } from "../../faults/_processes.ts";
import { createLogger } from "../../../src/util/logger.ts";
import { ChaosLedger, type LogRecord, type WorkerRef } from "./ledger.ts";
import { type PlannedTask, planTasks, POISON_SIZES } from "./plan.ts";
import { type ChaosVerdict, IDLE_GAP_MS, judge, settleBound } from "./verdict.ts";

/** A work queue type. */
export type QueueType = "classic" | "quorum";

/** A broker restart: `kill` (`kill -9`) or `stop` (graceful). */
export type RestartKind = "kill" | "stop";

/** Options of {@linkcode runChaos}. */
export interface ChaosOptions {
  /** The work queues, one per type, all in one run. */
  readonly queueTypes: readonly QueueType[];
  /** Normal tasks per work queue. */
  readonly tasks: number;
  /** Share of delayed tasks (0 to 1). */
  readonly delayedShare: number;
  /** Share of flaky tasks, that fail once or twice before they succeed (0 to 1). */
  readonly flakyShare: number;
  /** The longest delay, ms. */
  readonly maxDelayMs: number;
  /** Tasks published per second to each queue. */
  readonly rate: number;
  /** Worker processes per queue. */
  readonly workers: number;
  /** Each worker's prefetch. */
  readonly prefetch: number;
  /** Worker SIGKILLs per queue, spread over the run. */
  readonly workerKills: number;
  /** The broker restarts, in order, spread over the publishing. */
  readonly restarts: readonly RestartKind[];
  /** How long the broker stays down at each restart, ms (before it is started again). */
  readonly downMs: number;
  /** Whether to publish the poison messages. */
  readonly poison: boolean;
  /** Whether workers and producers record the history (and the run reads it back). */
  readonly history: boolean;
  /** How long past its due time, or past the broker's return, a task may take to settle, ms. */
  readonly stuckAfterMs: number;
  /**
   * How long to go on waiting for tasks past their bound (they are stuck then), to tell a task
   * held somewhere for minutes (e.g. by a quorum queue's at-least-once dead-lettering, which
   * sends again only after `dead_letter_worker_publisher_confirm_timeout`, 3 minutes by default,
   * and whose messages no `basic.get` sees) from a lost one. @default 0
   */
  readonly lingerMs?: number;
  /**
   * How long past the bounds (and `lingerMs`) to go on waiting while the workers still settle
   * tasks, working off a backlog (a slow machine), so that what waits behind it is not called
   * lost. @default 0
   */
  readonly backlogMs?: number;
  /** The seed of the plan and of the kills' victims. */
  readonly seed: number;
  /** Hears how the run goes, about every `progressMs`. */
  readonly onProgress?: (progress: ChaosProgress) => void;
  /** Hears each fault and phase as it happens, as a line. */
  readonly onNote?: (line: string) => void;
  /**
   * How to start the private node (its `rabbitmq.conf` lines, …), e.g. the broker settings that
   * Warren's README recommends. @default a node with RabbitMQ's defaults
   */
  readonly node?: Omit<StartRabbitNodeOptions, "prefix">;
  /** Ends the run early (it then cleans up and rejects with the signal's reason). */
  readonly signal?: AbortSignal;
}

/** How a run goes. */
export interface ChaosProgress {
  /** What it does now. */
  readonly phase: "starting" | "running" | "settling" | "checking" | "done";
  /** Tasks the plan holds, for all queues. */
  readonly total: number;
  /** Tasks whose publish began. */
  readonly published: number;
  /** Tasks the broker confirmed. */
  readonly confirmed: number;
  /** Confirmed tasks done or dead. */
  readonly settled: number;
  /** Broker restarts done, of those planned. */
  readonly restarts: readonly [number, number];
  /** Worker kills done, of those planned. */
  readonly kills: readonly [number, number];
  /** Whether the broker is up. */
  readonly brokerUp: boolean;
  /** Milliseconds since the run began. */
  readonly elapsedMs: number;
}

/** What the history says, next to the ledger. */
export interface HistoryCheck {
  /** The work queue. */
  readonly queue: string;
  /** Events read. */
  readonly events: number;
  /** Tasks the workers logged as done whose history has no `succeeded` event. */
  readonly doneWithoutEvent: number;
  /** Tasks in `Q.dead` whose history has no `dead` or `cancelled` event (published by Warren). */
  readonly deadWithoutEvent: number;
  /** Why it could not be read, if it could not. */
  readonly error?: string;
}

/** What a run came to. */
export interface ChaosResult {
  /** The ledger. */
  readonly ledger: ChaosLedger;
  /** Its verdict. */
  readonly verdict: ChaosVerdict;
  /** The history's view, when the history was on. */
  readonly history: readonly HistoryCheck[];
  /** The broker's version. */
  readonly brokerVersion: string;
  /** How long the run took, ms. */
  readonly elapsedMs: number;
  /** Workers started while the broker was down, that exited as they could not connect. */
  readonly failedStarts: number;
}

/** How often progress is reported and the ledger polled, ms. */
const POLL_MS = 250;
/** Queues of a lane whose messages are not waiting tasks (they are read apart, or are streams). */
const LEFTOVER_EXCLUDED = [".dead", ".events", ".control", ".schedules", ".scheduler"];

/** How long a scheduled worker kill waits for a worker that consumes, ms. */
const KILL_WAIT_MS = 60_000;

/** The least time between the broker's return and its next restart, ms. */
const RESTART_GAP_MS = 10_000;
/**
 * How long a producer waits for a connection before a publish fails, ms: longer than any restart
 * of the run (a restart of a node with quorum queues took up to 40 s on a busy machine).
 */
const PRODUCER_CONNECT_MS = 180_000;
/** How long the workers get to stop after SIGTERM at the end, ms. */
const STOP_MS = 30_000;

/**
 * The CI profile: one pass that mixes everything, and stays within a couple of minutes on two
 * cores when the promise holds (and within ~1.5 minutes more when it does not).
 */
export const CI_PROFILE: Omit<ChaosOptions, "onProgress" | "onNote"> = {
  queueTypes: ["classic", "quorum"],
  tasks: 600,
  delayedShare: 0.4,
  flakyShare: 0.1,
  maxDelayMs: 12_000,
  rate: 100,
  workers: 2,
  prefetch: 10,
  workerKills: 3,
  restarts: ["kill"],
  downMs: 1_000,
  poison: true,
  history: true,
  stuckAfterMs: 30_000,
  seed: 18,
};

/**
 * The broker settings Warren recommends (those `compose.yaml` gives its brokers): the private
 * node's `advanced.config` from `compose/advanced.config` (a quorum queue's dead-letter confirm
 * timeout of 10 s instead of 3 minutes, so that delayed tasks due while the broker was down do
 * not wait minutes more after its return).
 */
export async function recommendedBroker(): Promise<Omit<StartRabbitNodeOptions, "prefix">> {
  return { advancedConfig: await Deno.readTextFile(rootPath("compose/advanced.config")) };
}

/** Runs a chaos run on a private node of its own, and disposes of it. */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  await using node = await startRabbitNode({ ...options.node, prefix: "warren-chaos" });
  return await new ChaosRun(node, options).run();
}

/** One work queue of the run. */
interface Lane {
  readonly type: QueueType;
  readonly queue: string;
  readonly plan: readonly PlannedTask[];
  readonly pool: WorkerPool;
  producer: Producer<typeof chaosCatalog> | undefined;
  /** What the producer logged. */
  readonly producerLines: LogRecord[];
}

class ChaosRun {
  readonly #node: RabbitNode;
  readonly #options: ChaosOptions;
  readonly #ledger = new ChaosLedger();
  readonly #started = Date.now();
  readonly #lanes: Lane[] = [];
  readonly #random: () => number;
  #phase: ChaosProgress["phase"] = "starting";
  #brokerUp = true;
  #restartsDone = 0;
  #killsDone = 0;
  #stopping = false;
  #workerCount = 0;
  #failedStarts = 0;
  #lingering = false;
  /** Resolves once every lane's poison messages are confirmed (or failed). */
  readonly #poisoned = Promise.withResolvers<void>();
  readonly #exits: Promise<void>[] = [];

  constructor(node: RabbitNode, options: ChaosOptions) {
    this.#node = node;
    this.#options = options;
    let seed = options.seed ^ 0x5bd1e995;
    this.#random = () => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return seed / 4_294_967_296;
    };
  }

  #note(line: string): void {
    const seconds = ((Date.now() - this.#started) / 1000).toFixed(1).padStart(6);
    this.#options.onNote?.(`${seconds} s  ${line}`);
  }

  #progress(): ChaosProgress {
    const counts = this.#ledger.counts();
    return {
      phase: this.#phase,
      total: this.#lanes.reduce((sum, lane) => sum + lane.plan.length, 0),
      ...counts,
      restarts: [this.#restartsDone, this.#options.restarts.length],
      kills: [this.#killsDone, this.#options.workerKills * this.#options.queueTypes.length],
      brokerUp: this.#brokerUp,
      elapsedMs: Date.now() - this.#started,
    };
  }

  async run(): Promise<ChaosResult> {
    const options = this.#options;
    const ticker = setInterval(() => options.onProgress?.(this.#progress()), POLL_MS);
    try {
      const brokerVersion = await this.#brokerVersion();
      this.#note(`private node ${this.#node.name} (RabbitMQ ${brokerVersion}) is up`);
      for (const type of options.queueTypes) this.#lanes.push(this.#lane(type));
      await Promise.all(this.#lanes.map((lane) => lane.pool.started()));
      for (const lane of this.#lanes) {
        const lines = lane.producerLines;
        this.#ledger.follow({ lines }, {
          name: `${lane.type}-producer`,
          producer: true,
          queue: lane.queue,
          killedAt: undefined,
          events: [],
        });
        lane.producer = await Producer.connect(chaosCatalog, {
          logger: createLogger({
            format: "json",
            level: "debug",
            write: (line) => lines.push(JSON.parse(line) as LogRecord),
          }),
          url: this.#node.url,
          queue: lane.queue,
          queueType: lane.type,
          connectTimeout: PRODUCER_CONNECT_MS,
          history: options.history,
          historyPayloads: options.history,
        });
      }
      this.#note(
        `${this.#lanes.length * options.workers} workers up on ${
          this.#lanes.map((l) => l.queue).join(", ")
        }`,
      );
      this.#phase = "running";
      const publishMs = (options.tasks / Math.max(1, options.rate)) * 1000;
      const poisoned = this.#lanes.map(() => Promise.withResolvers<void>());
      Promise.all(poisoned.map((p) => p.promise)).then(() => this.#poisoned.resolve());
      await Promise.all([
        ...this.#lanes.map((lane, i) => this.#publish(lane, poisoned[i]!.resolve)),
        this.#restarts(Date.now(), publishMs),
        ...this.#lanes.map((lane) =>
          this.#kills(lane, Date.now(), publishMs + options.maxDelayMs / 2)
        ),
      ]);
      this.#phase = "settling";
      this.#note("publishing and faults done; waiting for every task to settle");
      await this.#settle();
      this.#phase = "checking";
      await this.#stopWorkers();
      for (const lane of this.#lanes) await lane.producer?.close(10_000).catch(() => {});
      const leftovers = await this.#collect();
      const history = options.history ? await this.#readHistories() : [];
      const verdict = judge(this.#ledger, {
        stuckAfterMs: options.stuckAfterMs,
        leftovers,
        epoch: this.#started,
        lostNote: (options.lingerMs ?? 0) >= 200_000
          ? ""
          : ` (or held unseen, e.g. in a quorum queue's dead-letter state for up to 3 min: ` +
            `deno task chaos --linger 4m tells)`,
      });
      this.#phase = "done";
      options.onProgress?.(this.#progress());
      return {
        ledger: this.#ledger,
        verdict,
        history,
        brokerVersion,
        elapsedMs: Date.now() - this.#started,
        failedStarts: this.#failedStarts,
      };
    } finally {
      clearInterval(ticker);
      this.#stopping = true;
      for (const lane of this.#lanes) {
        await lane.producer?.close(1_000).catch(() => {});
        await lane.pool[Symbol.asyncDispose]();
      }
      await Promise.all(this.#exits);
    }
  }

  async #brokerVersion(): Promise<string> {
    const connection = await amqp.connect(this.#node.url);
    try {
      const version = connection.connection.serverProperties?.version;
      return typeof version === "string" ? version : "?";
    } finally {
      await connection.close();
    }
  }

  #lane(type: QueueType): Lane {
    const options = this.#options;
    const queue = uniqueQueue(`chaos_${type}`);
    const plan = planTasks({
      tasks: options.tasks,
      delayedShare: options.delayedShare,
      flakyShare: options.flakyShare,
      maxDelayMs: options.maxDelayMs,
      cancelDelayMs: Math.min(6_000, Math.max(3_000, options.maxDelayMs / 2)),
      poison: options.poison,
      seed: options.seed,
    });
    const args = [
      "--url",
      this.#node.url,
      "--queue",
      queue,
      "--queue-type",
      type,
      "--log-level",
      "debug",
      "--prefetch",
      String(options.prefetch),
      "--grace",
      "10s",
      ...(options.history ? ["--history"] : ["--no-history"]),
    ];
    const pool = new WorkerPool(options.workers, args, {
      flags: [`--allow-net=127.0.0.1:${this.#node.port}`, "--allow-env=AMQP_URL,WARREN_QUEUE"],
      script: rootPath("tests/fixtures/chaos_worker.ts"),
      onStart: (worker) => this.#follow(worker, type, queue),
    });
    return { type, queue, plan, pool, producer: undefined, producerLines: [] };
  }

  #follow(
    worker: WorkerProcess,
    type: QueueType,
    queue: string,
  ): void {
    const ref: WorkerRef = {
      name: `${type}-w${++this.#workerCount}`,
      queue,
      killedAt: undefined,
      events: [],
    };
    const spawnedAt = Date.now();
    this.#ledger.follow(worker, ref);
    this.#refs.set(worker, ref);
    this.#exits.push(
      worker.exit().then(async ({ code, signal, stderr }) => {
        if (ref.killedAt !== undefined) return;
        const exitedAt = Date.now();
        // The worker CLI exits 1 when it cannot make its first connection: expected of one that
        // was started while the broker was down, and not a finding then.
        const startedUp = worker.lines.some((line) => line.event === "worker.started");
        const outage = this.#ledger.restarts.some((r) =>
          r.downAt <= exitedAt && (r.backAt === undefined || r.backAt >= spawnedAt)
        );
        const expected = !startedUp && outage && stderr.includes("Cannot connect to RabbitMQ");
        if (expected) this.#failedStarts++;
        else {
          this.#ledger.workerExited({ worker: ref, code, signal, stderr, byRun: this.#stopping });
        }
        if (this.#stopping) return;
        if (!expected) this.#note(`worker ${ref.name} exited on its own (code ${code})`);
        // A supervisor's restart, once the broker is up again (not in a tight loop).
        try {
          await this.#pause(1_000);
          while (!this.#brokerUp && !this.#stopping) await this.#pause(POLL_MS);
        } catch {
          return; // the run was aborted
        }
        if (!this.#stopping) this.#lanes.find((lane) => lane.queue === queue)?.pool.spawn();
      }),
    );
  }

  readonly #refs = new Map<WorkerProcess, WorkerRef>();

  /** Publishes the lane's plan: poison first (confirmed before anything else), then the rest. */
  async #publish(lane: Lane, poisoned: () => void): Promise<void> {
    const producer = lane.producer!;
    const poison = lane.plan.filter((t) => t.expected.outcome === "dead");
    const normal = lane.plan.filter((t) => t.expected.outcome === "succeeded");
    try {
      if (poison.length > 0) {
        await this.#publishPoison(lane, producer, poison);
        this.#note(`${lane.type}: ${poison.length} poison messages confirmed`);
      }
    } finally {
      poisoned();
    }
    const pending: Promise<void>[] = [];
    const intervalMs = 1000 / Math.max(1, this.#options.rate);
    const began = Date.now();
    for (const [i, planned] of normal.entries()) {
      // A steady rate: wait for this task's slot (a timer to a due time, not a guess).
      const slot = began + i * intervalMs;
      if (slot > Date.now()) await this.#pause(slot - Date.now());
      pending.push(this.#enqueue(lane, producer, planned, `${lane.type}-${planned.kind}-${i}`));
    }
    await Promise.all(pending);
    this.#note(`${lane.type}: ${normal.length} tasks published`);
    // Much later than its rate allows: what held the producer is in its warnings.
    if (Date.now() - began > normal.length * intervalMs + 30_000) {
      const warnings = lane.producerLines.filter((line) =>
        line.level !== "debug" && line.level !== "info"
      );
      const last = warnings.slice(-4).map((line) =>
        `${line.time} ${line.event} ${String(line.error ?? line.reason ?? "").slice(0, 200)}`
      );
      this.#note(
        `${lane.type} producer: ${warnings.length} warnings, the last: ${last.join(" | ")}`,
      );
    }
  }

  async #enqueue(
    lane: Lane,
    producer: Producer<typeof chaosCatalog>,
    planned: PlannedTask,
    id: string,
  ): Promise<void> {
    const task = planned.task!;
    this.#ledger.publishing({
      id,
      queue: lane.queue,
      kind: planned.kind,
      expected: planned.expected,
      delay: planned.delay,
      backoff: planned.backoff,
    });
    const options = { id, ...(planned.delay > 0 ? { delay: planned.delay } : {}) };
    try {
      if (task.name === "chore") await producer.enqueue("chore", task.payload, options);
      else await producer.enqueue("flaky", task.payload, options);
      this.#ledger.confirmed(id);
    } catch (err) {
      this.#ledger.publishFailed(id, err instanceof Error ? err.message : String(err));
    }
  }

  async #publishPoison(
    lane: Lane,
    producer: Producer<typeof chaosCatalog>,
    poison: readonly PlannedTask[],
  ): Promise<void> {
    let raw: ChannelModel | undefined;
    let channel: ConfirmChannel | undefined;
    const rawPublish = async (id: string, body: Buffer) => {
      raw ??= await amqp.connect(this.#node.url);
      channel ??= await raw.createConfirmChannel();
      channel.sendToQueue(lane.queue, body, { messageId: id, persistent: true });
      await channel.waitForConfirms();
    };
    try {
      for (const planned of poison) {
        const id = `${lane.type}-${planned.kind}`;
        this.#ledger.publishing({
          id,
          queue: lane.queue,
          kind: planned.kind,
          expected: planned.expected,
          delay: planned.delay,
          backoff: planned.backoff,
        });
        switch (planned.kind) {
          case "long-name":
            await rawPublish(
              id,
              Buffer.from(JSON.stringify({ task: "n".repeat(POISON_SIZES.nameChars) })),
            );
            break;
          case "not-json":
            await rawPublish(id, Buffer.from("this is not JSON {"));
            break;
          case "unknown-task":
            await rawPublish(id, Buffer.from(JSON.stringify({ task: "no_such_task", n: 1 })));
            break;
          case "huge-error":
            await producer.enqueue("shout", { bytes: POISON_SIZES.errorBytes }, { id });
            break;
          case "deep-result":
            await producer.enqueue("deep", { depth: POISON_SIZES.resultDepth }, { id });
            break;
          case "huge-cancel":
            await producer.enqueue("chore", { ms: 1 }, { id, delay: planned.delay });
            await producer.cancel(id, { by: "B".repeat(POISON_SIZES.byChars) });
            break;
          default:
            throw new Error(`no poison of kind ${planned.kind}`);
        }
        this.#ledger.confirmed(id);
      }
    } finally {
      await (raw as ChannelModel | undefined)?.close().catch(() => {});
    }
  }

  /** The broker restarts, spread over the publishing. */
  async #restarts(from: number, publishMs: number): Promise<void> {
    const kinds = this.#options.restarts;
    for (const [i, kind] of kinds.entries()) {
      // Spread over the publishing, and never closer than RESTART_GAP_MS to the last return, so
      // that each restart finds a broker that has been working again for a while.
      const previous = this.#ledger.restarts.at(-1)?.backAt ?? 0;
      const at = Math.max(
        from + ((i + 1) * publishMs) / (kinds.length + 1),
        previous + RESTART_GAP_MS,
      );
      await this.#pauseUntil(at);
      // Faults begin once the poison is in (else a restart would hit the setup instead).
      await this.#poisoned.promise;
      this.#brokerUp = false;
      const restart = this.#ledger.restartBegins(kind);
      this.#note(`broker ${kind === "kill" ? "kill -9" : "graceful stop"} #${i + 1}`);
      if (kind === "kill") await this.#node.kill();
      else await this.#node.stop();
      await this.#pause(this.#options.downMs);
      await this.#node.start();
      restart.backAt = Date.now();
      this.#brokerUp = true;
      this.#restartsDone++;
      this.#note(
        `broker back after ${((restart.backAt - restart.downAt) / 1000).toFixed(1)} s`,
      );
    }
  }

  /** `count` SIGKILLs of workers of `lane`, spread over `spanMs`, mid-task when one is busy. */
  async #kills(lane: Lane, from: number, spanMs: number): Promise<void> {
    const count = this.#options.workerKills;
    for (let k = 0; k < count; k++) {
      await this.#pauseUntil(from + ((k + 1) * spanMs) / (count + 1));
      // While the broker is down, workers started meanwhile exit (they cannot connect): wait
      // for one that consumes, rather than skip the kill.
      const deadline = Date.now() + KILL_WAIT_MS;
      while (this.#consuming(lane).length === 0 && Date.now() < deadline) {
        await this.#pause(POLL_MS);
      }
      const alive = this.#consuming(lane);
      const busy = alive.filter((w) => inFlight(w) > 0);
      const candidates = busy.length > 0 ? busy : alive;
      const victim = candidates[Math.floor(this.#random() * candidates.length)];
      if (victim === undefined) {
        this.#note(`${lane.type}: no worker consumed for ${KILL_WAIT_MS / 1000} s; kill skipped`);
        for (const worker of lane.pool.alive) this.#noteLastLines(worker);
        continue;
      }
      const ref = this.#refs.get(victim);
      if (ref) ref.killedAt = Date.now();
      this.#note(`SIGKILL worker ${ref?.name ?? victim.pid} (${inFlight(victim)} tasks in flight)`);
      this.#killsDone++;
      await lane.pool.killAndReplace(victim);
    }
  }

  /**
   * Notes what `worker` last logged (a worker that does not start or does not stop: what it was
   * doing is what the ledger alone cannot tell).
   */
  #noteLastLines(worker: WorkerProcess): void {
    const last = worker.lines.slice(-6).map((line) =>
      [line.time, line.event, line.error ?? line.detail ?? line.queue ?? ""]
        .map((part) => String(part ?? "").slice(0, 160)).join(" ")
    );
    const name = this.#refs.get(worker)?.name ?? String(worker.pid);
    this.#note(`${name} last logged: ${last.join(" | ") || "nothing"}`);
  }

  /** The workers of `lane` that run and have begun to consume. */
  #consuming(lane: Lane): WorkerProcess[] {
    return lane.pool.alive.filter((w) => w.lines.some((line) => line.event === "worker.started"));
  }

  /**
   * Waits until every confirmed task is settled, or until the latest bound of those that are
   * not has passed (then the verdict calls them lost or stuck).
   */
  async #settle(): Promise<void> {
    const restarts = this.#ledger.restarts;
    let lastOpen = -1;
    let lastProgress = Date.now();
    for (;;) {
      const open = this.#ledger.unsettledIds();
      if (open.length === 0) return;
      let latest = 0;
      for (const id of open) {
        const task = this.#ledger.task(id);
        if (task) {
          latest = Math.max(latest, settleBound(task, restarts, this.#options.stuckAfterMs));
        }
      }
      const linger = this.#options.lingerMs ?? 0;
      // Workers still working off a backlog are waited for (up to `backlogMs`): a task behind
      // it is late, not lost.
      if (open.length !== lastOpen) {
        lastOpen = open.length;
        lastProgress = Date.now();
      }
      const busy = Date.now() - lastProgress < IDLE_GAP_MS &&
        Date.now() < latest + linger + (this.#options.backlogMs ?? 0);
      if (Date.now() > latest + linger && !busy) {
        this.#note(
          `${open.length} tasks unsettled past their bound${
            linger > 0 ? ` and ${linger / 1000} s more` : ""
          }; ending the wait`,
        );
        return;
      }
      if (Date.now() > latest && !this.#lingering) {
        this.#lingering = true;
        this.#note(
          `${open.length} tasks unsettled past their bound (stuck); waiting up to ${
            linger / 1000
          } s more to tell stuck from lost`,
        );
      }
      await this.#pause(POLL_MS);
    }
  }

  async #stopWorkers(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#lanes.map(async (lane) => {
      const stopped = lane.pool.stop();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), STOP_MS);
      });
      const outcome = await Promise.race([stopped, timeout]).finally(() => clearTimeout(timer));
      if (outcome === "timeout") {
        this.#note(`${lane.type}: workers still running ${STOP_MS / 1000} s after SIGTERM`);
        for (const worker of lane.pool.alive) {
          const ref = this.#refs.get(worker);
          this.#noteLastLines(worker);
          this.#ledger.workerExited({
            worker: ref ?? { name: String(worker.pid), queue: lane.queue, killedAt: undefined },
            code: -1,
            signal: null,
            stderr: `still running ${STOP_MS / 1000} s after SIGTERM`,
            byRun: false,
          });
        }
        await lane.pool[Symbol.asyncDispose]();
      }
    }));
    await Promise.all(this.#exits);
  }

  /** Takes `Q.dead` into the ledger; returns the tasks left in each queue and delay level. */
  async #collect(): Promise<Map<string, string>> {
    const leftovers = new Map<string, string>();
    await using client = await rawClient(this.#node.url);
    for (const lane of this.#lanes) {
      const letters = await drainQueue(client, `${lane.queue}.dead`);
      this.#ledger.deadLetters(letters.map((letter) => {
        const headers = letter.properties.headers ?? {};
        const reason = headers["x-warren-reason"] ?? headers["x-first-death-reason"];
        const id = letter.properties.messageId;
        return [typeof id === "string" ? id : undefined, String(reason ?? "?")] as const;
      }));
      // The work queue and whatever holds its waiting tasks (delay levels, by any name): every
      // queue of the node named after it, but its dead letters and streams.
      const listed = await this.#node.ctl("list_queues", "--quiet", "--no-table-headers", "name");
      const names = listed.split("\n").map((line) => line.trim()).filter((name) =>
        (name === lane.queue || name.startsWith(`${lane.queue}.`)) &&
        !LEFTOVER_EXCLUDED.some((suffix) => name === `${lane.queue}${suffix}`)
      );
      for (const name of names) {
        if (!(await queueDepth(client, name))) continue;
        for (const message of await drainQueue(client, name)) {
          const id = message.properties.messageId;
          if (typeof id === "string") leftovers.set(id, name);
        }
      }
    }
    return leftovers;
  }

  async #readHistories(): Promise<HistoryCheck[]> {
    const checks: HistoryCheck[] = [];
    for (const lane of this.#lanes) {
      try {
        const events = await readHistory(lane.queue, this.#node.url);
        const seen = new Map<string, Set<string>>();
        for (const event of events) {
          const set = seen.get(event.id) ?? new Set<string>();
          set.add(event.event);
          seen.set(event.id, set);
        }
        let doneWithoutEvent = 0, deadWithoutEvent = 0;
        for (const task of this.#ledger.tasks) {
          if (task.queue !== lane.queue || task.confirmedAt === undefined) continue;
          const names = seen.get(task.id) ?? new Set<string>();
          if (task.done.length > 0 && !names.has("succeeded")) doneWithoutEvent++;
          const queued = task.dead.some((d) => d.source === "queue");
          if (queued && !names.has("dead") && !names.has("cancelled")) deadWithoutEvent++;
        }
        checks.push({
          queue: lane.queue,
          events: events.length,
          doneWithoutEvent,
          deadWithoutEvent,
        });
      } catch (err) {
        checks.push({
          queue: lane.queue,
          events: 0,
          doneWithoutEvent: 0,
          deadWithoutEvent: 0,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
    return checks;
  }

  #pause(ms: number): Promise<void> {
    return pause(ms, this.#options.signal);
  }

  async #pauseUntil(at: number): Promise<void> {
    if (at > Date.now()) await this.#pause(at - Date.now());
  }
}

/** How many tasks a worker's log shows as started and not yet settled. */
function inFlight(worker: WorkerProcess): number {
  const open = new Set<string>();
  for (const line of worker.lines) {
    if (typeof line.id !== "string") continue;
    if (line.event === "task.started") open.add(line.id);
    else if (line.event.startsWith("task.")) open.delete(line.id);
  }
  return open.size;
}

/**
 * Resolves after `ms` (the run's clock: slots, schedules and poll intervals, never a wait for a
 * condition); rejects at once when `signal` aborts.
 */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener("abort", abort, { once: true });
    function done(): void {
      signal?.removeEventListener("abort", abort);
      resolve();
    }
    function abort(): void {
      clearTimeout(timer);
      reject(signal!.reason);
    }
  });
}
