/**
 * Warren on a RabbitMQ cluster: quorum queues on 3 private local nodes (never the shared broker),
 * a producer and 2 workers given all three node URLs, and the node that leads the queue taken
 * away in the middle of the run: first stopped (`rabbitmqctl shutdown`, 3,000 tasks), then,
 * once it is back, the leader of a new queue crashes (SIGKILL, 1,500 tasks). No confirmed task
 * may be lost, and each run must complete on the 2 other nodes.
 *
 * Each scenario prints its tally (`scenario cluster-leader-stop: enqueued N, completed N,
 * duplicates N, dead N, lost N`, the fault suite's accounting) and the time to recover: from
 * the fault to the first task.done after it, the longest gap between two task.done lines, and
 * how long the worker on the lost node took to reconnect.
 *
 * As in the fault suite, the broker's memory alarm holds a producer mid-publish, so that the
 * fault is sure to find it with unconfirmed messages on the node that goes away (a memory alarm
 * on one node of a cluster blocks publishers on every node).
 *
 * @module
 */
import amqp from "amqplib";
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { brokerFeatures } from "../../src/broker/features.ts";
import { mainQueueOptions, queueNames } from "../../src/broker/topology.ts";
import { redactUrl } from "../../src/broker/urls.ts";
import { brokerVersion, rawClient, uniqueQueue } from "../_helpers/broker.ts";
import { enqueuedIds, type LogLine, runCli, WorkerProcess } from "../_helpers/cli.ts";
import { drainQueue, queueDepth, until } from "../_helpers/probe.ts";
import { rabbitmqInstalled, type RabbitNode, startRabbitCluster } from "../_helpers/rabbit_node.ts";
import { formatTally, Ledger } from "../faults/_accounting.ts";
import { ProducerProcess } from "../faults/_processes.ts";

const installed = await rabbitmqInstalled();
if (!installed) {
  // deno-lint-ignore no-console
  console.warn("cluster_test: rabbitmq-server is not installed; skipping");
}

/** Each task sleeps this long: 2 workers do ~200 tasks a second. */
const TASK_MS = "5";

/** One row of `rabbitmqctl list_queues name type leader members online --formatter json`. */
interface QueueRow {
  readonly name: string;
  readonly type: string;
  readonly leader: string;
  readonly members: readonly string[];
  readonly online: readonly string[];
}

/**
 * Where the queue's replicas are, asked of each of `nodes` about the queues it leads
 * (`list_queues --local`): on RabbitMQ 4.0 a cluster-wide `list_queues` of a 3-node cluster of
 * private nodes prints its rows, then waits 60 s for "unresponsive" queues.
 */
async function queueRow(
  nodes: readonly RabbitNode[],
  queue: string,
): Promise<QueueRow | undefined> {
  for (const node of nodes) {
    const out = await node.ctl(
      "list_queues",
      "--local",
      "name",
      "type",
      "leader",
      "members",
      "online",
      "--formatter",
      "json",
      "--quiet",
    );
    const row = (JSON.parse(out) as QueueRow[]).find((r) => r.name === queue);
    if (row) return row;
  }
  return undefined;
}

/** Milliseconds since the epoch of a JSON log line. */
function timeOf(line: LogLine): number {
  const time = Date.parse(String(line.time));
  assert(Number.isFinite(time), `a log line without a time: ${JSON.stringify(line)}`);
  return time;
}

/** What a scenario does to the node that leads its queue. */
interface Fault {
  /** The scenario's name in its report line. */
  readonly name: string;
  /** Gets ready to hit `node` (may take a while); returns the hit itself. */
  prepare(node: RabbitNode): Promise<() => Promise<void>>;
}

/** A graceful stop: `rabbitmqctl shutdown`, as an operator or an orchestrator would do. */
const STOP: Fault = {
  name: "cluster-leader-stop",
  prepare: (node) => Promise.resolve(() => node.stop()),
};

/** A crash: SIGKILL to the node's Erlang VM. */
const CRASH: Fault = {
  name: "cluster-leader-kill",
  prepare: (node) => Promise.resolve(() => node.kill()),
};

/** How a scenario runs. */
interface ScenarioOptions {
  /** What happens to the leader. */
  readonly fault: Fault;
  /** The node through which the test declares the queue (and so, the leader's node). */
  readonly declareVia: RabbitNode;
  /** Tasks published (and confirmed) before the fault. */
  readonly first: number;
  /** Tasks of the producer held mid-publish across the fault. */
  readonly held: number;
}

/**
 * One scenario on a 3-node cluster: declare a quorum queue, find its leader, start 2 workers
 * (one connected to the leader, one to another node), publish `first` tasks, hold a second
 * producer mid-publish on the leader's node, hit the leader once a third of all tasks are done,
 * and check that every confirmed task is done, on the 2 other nodes. Prints the tally and the
 * recovery times.
 */
async function scenario(
  t: Deno.TestContext,
  cluster: readonly RabbitNode[],
  options: ScenarioOptions,
): Promise<void> {
  const { fault, first: firstBatch, held: heldBatch } = options;
  const total = firstBatch + heldBatch;
  const began = performance.now();
  const ports = cluster.map((node) => `127.0.0.1:${node.port}`);
  const flags = [`--allow-net=${ports.join(",")}`, "--allow-env=AMQP_URL,WARREN_QUEUE"];
  const queue = uniqueQueue("warren_cluster");

  // The test declares the quorum queue with Warren's arguments. RabbitMQ puts the leader on the
  // declaring client's node, but the test asks the cluster where it is.
  {
    const connection = await amqp.connect(options.declareVia.url);
    try {
      const channel = await connection.createChannel();
      await channel.assertQueue(queue, mainQueueOptions(queueNames(queue), "quorum"));
    } finally {
      await connection.close();
    }
  }
  let listed: QueueRow | undefined;
  await until(async () => {
    listed = await queueRow(cluster, queue);
    return cluster.some((node) => node.name === listed?.leader);
  }, `${queue} to have a leader`);
  const row = listed;
  assert(row);
  assertEquals(row.type, "quorum");
  assertEquals([...row.members].sort(), cluster.map((n) => n.name).sort(), "3 replicas");
  const leader = cluster.find((node) => node.name === row.leader);
  assert(leader, `the leader ${row.leader} is one of the cluster's nodes`);
  const survivors = cluster.filter((node) => node !== leader);
  const [s1, s2] = survivors;
  assert(s1 && s2);
  const survivorUrls = survivors.map((n) => redactUrl(n.url));
  const hit = await fault.prepare(leader);

  // Each worker lists the nodes in a different order, so the two connect to different nodes:
  // one to the leader (it will have to fail over), one to a survivor.
  const ledger = new Ledger();
  const workerArgs = (nodes: readonly RabbitNode[]) => [
    "--url",
    nodes.map((n) => n.url).join(","),
    "--queue",
    queue,
    "--queue-type",
    "quorum",
    // The memory alarm below blocks every connection that publishes: a worker that records the
    // history publishes its outcome events, and would stop with the producer (README:
    // Reliability). This scenario is about failover, so its workers keep draining.
    "--no-history",
  ];
  await using onLeader = new WorkerProcess(workerArgs([leader, s1, s2]), { flags });
  await using onSurvivor = new WorkerProcess(workerArgs([s1, s2, leader]), { flags });
  const workers = [onLeader, onSurvivor];
  for (const worker of workers) ledger.follow(worker);
  // worker.started is logged as the worker consumes, connection.up right after it.
  await Promise.all(workers.map((worker) => worker.waitForEvents("connection.up", 1)));
  assertEquals(onLeader.events("connection.up")[0]?.url, redactUrl(leader.url));
  assertEquals(onSurvivor.events("connection.up")[0]?.url, redactUrl(s1.url));

  const producerArgs = (count: number, nodes: readonly RabbitNode[]) => [
    "sleep",
    "--ms",
    TASK_MS,
    "--count",
    String(count),
    "--url",
    nodes.map((n) => n.url).join(","),
    "--queue",
    queue,
    "--queue-type",
    "quorum",
  ];
  const first = await runCli("producer.ts", producerArgs(firstBatch, [s2, leader, s1]), {
    flags,
  });
  assertEquals(first.code, 0, first.stderr);
  ledger.addEnqueued(enqueuedIds(first.stdout));
  assertEquals(ledger.enqueuedCount, firstBatch);

  // The second producer connects to the leader and is held there mid-publish by the memory
  // alarm, raised on a survivor: an alarm blocks publishers on every node of the cluster, and
  // this one outlives the fault. The leader is hit once a third of the tasks are done.
  let hitAt = 0, goneAt = 0, doneAtHit = 0;
  await s1.ctl("set_vm_memory_high_watermark", "0");
  await using held = new ProducerProcess(producerArgs(heldBatch, [leader, s1, s2]), { flags });
  try {
    await held.waitFor(
      (_, stderr) => stderr.includes("connection.blocked"),
      "the second producer to be blocked mid-publish",
    );
    const third = Math.round(total / 3);
    await until(() => ledger.completedCount() >= third, `${third} tasks done`, 30_000);
    doneAtHit = ledger.completedCount();
    hitAt = Date.now();
    await hit();
    goneAt = Date.now();
  } finally {
    await s1.ctl("set_vm_memory_high_watermark", "0.4");
  }

  await t.step(
    `${fault.name}: the held producer fails over and has all its tasks confirmed`,
    async () => {
      const exit = await held.exit();
      // What it confirmed is accounted for whatever happens next.
      const ids = enqueuedIds(exit.stdout);
      ledger.addEnqueued(ids);
      assertEquals(exit.code, 0, exit.stderr);
      // Its node is gone: every confirm after connection.lost came from another node.
      assertStringIncludes(exit.stderr, "connection.lost");
      assertEquals(new Set(ids).size, heldBatch, "the second producer confirmed all its tasks");
    },
  );

  await t.step(`${fault.name}: every confirmed task is done, on the 2 other nodes`, async () => {
    // Every task the producers confirmed (all of them unless a step above failed).
    const confirmed = ledger.enqueuedCount;
    await until(
      () => ledger.settled(confirmed),
      `each of ${confirmed} tasks to be done (${ledger.completedCount()} done)`,
      45_000,
      50,
    );
    await using client = await rawClient(s1.url);
    await until(async () => (await queueDepth(client, queue)) === 0, `${queue} to be empty`);
    for (const worker of workers) worker.kill("SIGTERM");
    const exits = await Promise.all(workers.map((worker) => worker.exit()));
    for (const exit of exits) assertEquals([exit.code, exit.signal], [0, null], exit.stderr);
    for (const message of await drainQueue(client, queue)) {
      const id = String(message.properties.messageId);
      assert(ledger.accounted(id), `task ${id} was left in the queue and never done`);
    }
    ledger.addDeadLetters(await drainQueue(client, `${queue}.dead`));
    const tally = ledger.tally();
    // deno-lint-ignore no-console
    console.log(formatTally(fault.name, tally));
    assertEquals(tally.lost, 0, `lost tasks, e.g. ${tally.lostIds.join(", ")}`);
    assertEquals(tally.unknownIds, [], "done tasks that no producer confirmed");
    assertEquals([tally.completed, tally.dead], [tally.enqueued, 0]);
    const done = onLeader.events("task.done").concat(onSurvivor.events("task.done"));
    assert(done.some((line) => timeOf(line) > goneAt), "tasks were done after the fault");
  });

  await t.step(`${fault.name}: the worker on the lost node reconnected to another node`, () => {
    const [lost] = onLeader.events("connection.lost");
    assert(lost, "it saw its node go");
    const after = onLeader.lines.filter((line) => timeOf(line) >= timeOf(lost));
    const up = after.find((line) => line.event === "connection.up");
    assert(survivorUrls.includes(String(up?.url)), `then connected to a survivor: ${up?.url}`);
    assert(after.some((line) => line.event === "worker.resumed"), "and consumed again");
    assert(after.some((line) => line.event === "task.done"), "and did tasks there");
    const last = onSurvivor.events("connection.up").at(-1);
    assert(survivorUrls.includes(String(last?.url)), "the other worker ends on a survivor too");
  });

  let newLeader = "";
  await t.step(
    `${fault.name}: another node leads the queue; the lost replica is offline`,
    async () => {
      let now: QueueRow | undefined;
      await until(async () => {
        now = await queueRow(survivors, queue);
        return survivors.some((n) => n.name === now?.leader);
      }, "a surviving node to lead the queue");
      assert(now);
      assertEquals([...now.online].sort(), survivors.map((n) => n.name).sort());
      assertEquals(now.members.length, 3, "the lost node is still a member");
      newLeader = now.leader;
    },
  );

  // deno-lint-ignore no-console
  console.log(recoveryReport({
    total,
    onLeader,
    onSurvivor,
    hitAt,
    goneAt,
    doneAtHit,
    leader: leader.name,
    newLeader,
    runMs: performance.now() - began,
  }));
}

/**
 * On RabbitMQ 4.3 a quorum queue holds the deliveries of a consumer whose node is lost (it may
 * be a partition) for `consumer_disconnected_timeout`, 60 s by default, before it gives them to
 * another consumer: the worker connected to the crashed node leaves its task there that long.
 * The README advises a lower value where nodes crash rather than part; the cluster does the same
 * (the key is unknown to, and would stop the boot of, older nodes). The private nodes run the
 * shared broker's version (one rabbitmq-server is installed).
 */
async function disconnectedConsumerConfig(): Promise<string[]> {
  const { major, minor } = brokerFeatures(await brokerVersion());
  const from43 = major > 4 || (major === 4 && minor >= 3);
  return from43 ? ["consumer_disconnected_timeout = 5000"] : [];
}

Deno.test({
  name: "when the node that leads a quorum queue stops, then when it crashes, no confirmed " +
    "task is lost: producer and workers fail over and the run completes on the other 2 nodes",
  ignore: !installed,
  async fn(t) {
    const began = performance.now();
    await using cluster = await startRabbitCluster(3, {
      prefix: "warren-cluster",
      config: await disconnectedConsumerConfig(),
    });
    // deno-lint-ignore no-console
    console.log(`  cluster formed in ${((performance.now() - began) / 1000).toFixed(1)} s`);
    const [a, b] = cluster;
    assert(a && b);

    // 3,000 tasks, the leader (a) stopped when 1,000 are done.
    await scenario(t, cluster, { fault: STOP, declareVia: a, first: 2000, held: 1000 });

    // The stopped node starts again and rejoins; then the leader of a new queue (b) crashes.
    const restarted = performance.now();
    await a.start();
    // deno-lint-ignore no-console
    console.log(`  ${a.name} rejoined in ${((performance.now() - restarted) / 1000).toFixed(1)} s`);
    await scenario(t, cluster, { fault: CRASH, declareVia: b, first: 1000, held: 500 });
  },
});

/** What a scenario measured, for {@linkcode recoveryReport}. */
interface Measures {
  /** Tasks of the scenario. */
  readonly total: number;
  /** The worker that was connected to the lost node. */
  readonly onLeader: WorkerProcess;
  /** The worker that was connected to a surviving node. */
  readonly onSurvivor: WorkerProcess;
  /** When the fault began, and when the node was gone (ms since the epoch). */
  readonly hitAt: number;
  readonly goneAt: number;
  /** Tasks done when the fault began. */
  readonly doneAtHit: number;
  /** The node names of the lost leader and of the new one. */
  readonly leader: string;
  readonly newLeader: string;
  /** How long the scenario took. */
  readonly runMs: number;
}

/**
 * How the run went through the fault: how long the node took to go, the time to recover (from
 * the fault to the first task.done after it), the longest gap between two task.done lines of the
 * run (of either worker), and how long the worker on the lost node took to reconnect and to work
 * again.
 */
function recoveryReport(m: Measures): string {
  const { onLeader, onSurvivor } = m;
  const done = [onLeader, onSurvivor].flatMap((w) => w.events("task.done").map(timeOf))
    .sort((a, b) => a - b);
  const firstAfter = (time: number, times = done) => times.find((t) => t > time);
  let gap = 0, gapAt = 0;
  for (let i = 1; i < done.length; i++) {
    const d = done[i]! - done[i - 1]!;
    if (d > gap) [gap, gapAt] = [d, done[i - 1]!];
  }
  const lost = onLeader.events("connection.lost")[0];
  const lostAt = lost ? timeOf(lost) : NaN;
  const up = onLeader.lines.find((l) => l.event === "connection.up" && timeOf(l) > lostAt);
  const upAt = up ? timeOf(up) : NaN;
  const back = firstAfter(upAt, onLeader.events("task.done").map(timeOf));
  const before = done.filter((t) => t <= m.hitAt).length;
  const rate = (n: number, ms: number) => `${Math.round(n / (ms / 1000))} tasks/s`;
  const short = (name: string) => name.split("@")[0];
  const at = (t: number | undefined) => t === undefined ? "never" : `+${t - m.hitAt} ms`;
  const recovered = firstAfter(m.goneAt);
  return [
    `  leader ${short(m.leader)} hit with ${m.doneAtHit} of ${m.total} done; gone after ` +
    `${m.goneAt - m.hitAt} ms; new leader ${short(m.newLeader)}`,
    `  time to recover: first task.done after the fault ${at(firstAfter(m.hitAt))}, after the ` +
    `node was gone ${at(recovered)}${recovered ? ` (${recovered - m.goneAt} ms later)` : ""}; ` +
    `longest gap between task.done lines ${gap} ms (from ${at(gapAt)})`,
    `  worker on the lost node: connection.lost ${at(lostAt)}, connection.up ${at(upAt)} ` +
    `(${upAt - lostAt} ms later), first task.done there ${at(back)}; worker on a survivor: ` +
    `${onSurvivor.events("connection.lost").length} connection(s) lost`,
    `  throughput ${rate(before, m.hitAt - (done[0] ?? 0))} before the fault, ` +
    `${rate(done.length - before, (done.at(-1) ?? 0) - m.hitAt)} after; scenario took ` +
    `${(m.runMs / 1000).toFixed(1)} s`,
  ].join("\n");
}
