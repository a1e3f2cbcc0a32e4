/**
 * Workflows on a real broker: a chain holding a chord, member order at the join, a group, a
 * failed member (fail fast, and settled), a cancel, the joiner handed over when its worker
 * closes, and many workflows in flight at once on one join queue.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { Buffer } from "node:buffer";
import { Producer } from "../../src/producer/producer.ts";
import { Worker } from "../../src/worker/worker.ts";
import type { TaskEvent } from "../../src/worker/events.ts";
import type { HistoryEvent } from "../../src/wire/events.ts";
import {
  blocking,
  catalog,
  delayed,
  expectedTotal,
  grouped,
  groupedChains,
  handlers,
  nested,
  ordered,
  pipeline,
  settled,
  workflows,
} from "../fixtures/workflow_catalog.ts";
import { rawClient, TEST_URL, uniqueQueue } from "../_helpers/broker.ts";
import { readHistory } from "../_helpers/history.ts";
import { queueDepth, until } from "../_helpers/probe.ts";
import { runCli } from "../_helpers/cli.ts";

/** A task event, and when it was heard (epoch ms). */
type Heard = TaskEvent & { readonly at: number };

/** Two workers and a producer on a fresh queue, closed and deleted after `body`. */
async function withWorkflows(
  body: (
    ctx: {
      queue: string;
      producer: Producer<typeof catalog>;
      workers: Worker<typeof catalog>[];
      events: Heard[];
    },
  ) => Promise<void>,
  options: { workers?: number; prefetch?: number } = {},
): Promise<void> {
  const queue = uniqueQueue("warren_workflow");
  await using client = await rawClient();
  client.track(queue);
  const events: Heard[] = [];
  const workers: Worker<typeof catalog>[] = [];
  for (let i = 0; i < (options.workers ?? 2); i++) {
    workers.push(
      await Worker.start(handlers, {
        url: TEST_URL,
        queue,
        workflows,
        id: `wf-${i}`,
        prefetch: options.prefetch ?? 10,
        onEvent: (event) => void events.push({ ...event, at: Date.now() }),
      }),
    );
  }
  const producer = await Producer.connect(catalog, { url: TEST_URL, queue });
  try {
    await body({ queue, producer, workers, events });
  } finally {
    await producer.close();
    for (const worker of workers) await worker.close(1_000);
  }
}

/** How many times each task id started, from the history. */
function startsById(history: readonly HistoryEvent[]): Map<string, number> {
  const starts = new Map<string, number>();
  for (const event of history) {
    if (event.event === "started") starts.set(event.id, (starts.get(event.id) ?? 0) + 1);
  }
  return starts;
}

Deno.test("workflows: a chain holding a chord ends once with its typed result, and members join in member order", async () => {
  await withWorkflows(async ({ queue, producer }) => {
    const runs = await Promise.all(
      [1, 7, 20].map((n) => producer.start(pipeline, { n, ms: 30 })),
    );
    const inOrder = await producer.start(ordered, { n: 12, ms: 40 }, { id: "ordered-run" });
    assertEquals(inOrder.id, "ordered-run");
    for (const [i, n] of [1, 7, 20].entries()) {
      const outcome = await producer.result(runs[i]!, { timeout: 30_000 });
      assertEquals(outcome, {
        id: runs[i]!.id,
        task: "label",
        ok: true,
        result: `total ${expectedTotal(n)}`, // typed: the last step's result, a string
      });
    }
    const sums = Array.from({ length: 12 }, (_, i) => 100 * i + 55);
    const outcome = await producer.result(inOrder, { timeout: 30_000 });
    assertEquals(outcome.ok ? outcome.result : outcome, sums.join(","));
    // Each callback ran once, and no step started twice.
    const starts = startsById(await readHistory(queue));
    for (const run of runs) assertEquals(starts.get(`${run.id}.2`), 1, "the join's callback");
    assertEquals([...starts.values()].filter((n) => n !== 1), []);
  });
});

Deno.test("workflows: a group's members run in parallel and the callback gets their results as a tuple", async () => {
  await withWorkflows(async ({ producer }) => {
    const run = await producer.start(grouped, { x: 3 });
    const outcome = await producer.result(run, { timeout: 20_000 });
    assertEquals(outcome.ok && outcome.result, "12 x=6");
  });
});

Deno.test("workflows: a member may be a chain, in a fan-out and in a group; a failed step of it fails the member", async () => {
  await withWorkflows(async ({ queue, producer }) => {
    const chained = await producer.start(groupedChains, { x: 1 });
    const fanned = await producer.start(nested, { n: 6 });
    const failing = await producer.start(nested, { n: 4, failMember: 2 });
    const grouped = await producer.result(chained, { timeout: 20_000 });
    assertEquals(grouped.ok && grouped.result, "x=4 2"); // double 1 -> 2; member 0: 4 -> "x=4"
    const doubled = Array.from({ length: 6 }, (_, i) => 2 * (100 * i + 55));
    const all = await producer.result(fanned, { timeout: 20_000 });
    assertEquals(all.ok && all.result, doubled.join(","));
    const partly = await producer.result(failing, { timeout: 20_000 });
    assertEquals(partly.ok && partly.result, "110,310,failed:non-retryable,710");
    // Each member's chain ran its steps once, under ids ID.1.M then ID.1.M.1.
    const starts = startsById(await readHistory(queue));
    for (let member = 0; member < 6; member++) {
      assertEquals(starts.get(`${fanned.id}.1.${member}`), 1);
      assertEquals(starts.get(`${fanned.id}.1.${member}.1`), 1);
    }
    assertEquals(starts.get(`${failing.id}.1.2.1`), undefined, "the failed member went no further");
    assertEquals([...starts.values()].filter((n) => n !== 1), []);
    // The tree lists a member's later steps under it.
    const tree = await runCli("admin.ts", ["workflow", fanned.id, "--all", "--queue", queue]);
    assertEquals(tree.code, 0, tree.stderr);
    assertStringIncludes(tree.stdout, "6 members, 12 steps: 12 succeeded");
    assertStringIncludes(tree.stdout, "#5.1    double");
    // The status lists the join queue, beside the streams.
    const status = await runCli("admin.ts", ["status", "--queue", queue]);
    assertEquals(status.code, 0, status.stderr);
    assert(
      status.stdout.split("\n").some((line) =>
        line.startsWith(`${queue}.join `) && line.includes("(workflows' joins)")
      ),
      status.stdout,
    );
  });
});

Deno.test("workflows: a failed member ends the workflow failed within seconds, naming it, and the rest is dropped", async () => {
  await withWorkflows(async ({ queue, producer, events }) => {
    const started = Date.now();
    const run = await producer.start(pipeline, { n: 200, failMember: 5, ms: 300 });
    const outcome = await producer.result(run, { timeout: 20_000 });
    assert(!outcome.ok);
    assertEquals(outcome.reason, "non-retryable");
    assertStringIncludes(outcome.error, `step 1 (sum #5 of 200, id ${run.id}.1.5) failed`);
    assertStringIncludes(outcome.error, "range 51..60 was told to fail");
    assert(Date.now() - started < 10_000, `ended after ${Date.now() - started} ms`);
    // The members not yet run are dropped (no dead letters), and no callback ever runs.
    await until(
      () =>
        events.filter((e) => e.event === "task.dead" && e.id.startsWith(`${run.id}.1.`)).length > 1,
      "the dropped members",
    );
    const history = await readHistory(queue);
    assertEquals(history.filter((e) => e.id === `${run.id}.2` || e.id === `${run.id}.3`), []);
    assertEquals(
      history.filter((e) => e.event === "cancelled" && e.id.startsWith(run.id)).length > 0,
      true,
    );
    // admin.ts workflow prints the tree: the failed member, the dropped ones, the end.
    const tree = await runCli("admin.ts", ["workflow", run.id, "--queue", queue]);
    assertEquals(tree.code, 0, tree.stderr);
    const lines = tree.stdout.split("\n");
    assertEquals(lines[0], `workflow ${run.id}: failed`);
    assert(/^ {2}stage 0 +split +succeeded +1 attempt/.test(lines[1]!), lines[1]);
    assert(/^ {2}stage 1 +sum, \d+ members: .*1 dead/.test(lines[2]!), lines[2]);
    assert(
      lines.some((l) => /^ {4}#5 +dead +1 attempt +\d+ ms +non-retryable: range 51\.\.60/.test(l)),
      tree.stdout,
    );
    assert(lines.some((l) => /^ {2}end +label +dead/.test(l)), tree.stdout);
    const json = await runCli("admin.ts", ["workflow", run.id, "--queue", queue, "--json"]);
    const parsed = JSON.parse(json.stdout);
    assertEquals(parsed.state, "failed");
    assertEquals(
      parsed.steps.find((s: { id: string }) => s.id === `${run.id}.1.5`).record.reason,
      "non-retryable",
    );
    const unknown = await runCli("admin.ts", ["workflow", "no-such-workflow", "--queue", queue]);
    assertEquals(unknown.code, 2);
  });
});

Deno.test("workflows: joinSettled gives the callback the failures beside the results", async () => {
  await withWorkflows(async ({ producer }) => {
    const run = await producer.start(settled, { n: 4, failMember: 2 });
    const outcome = await producer.result(run, { timeout: 20_000 });
    assertEquals(outcome.ok && outcome.result, "55,155,failed:non-retryable,355");
  });
});

Deno.test("workflows: a step's delay holds it back", async () => {
  await withWorkflows(async ({ producer, events }) => {
    const run = await producer.start(delayed, { x: 1 });
    const outcome = await producer.result(run, { timeout: 20_000 });
    assertEquals(outcome.ok && outcome.result, { x: 4 });
    const firstDone = events.find((e) => e.event === "task.done" && e.id === `${run.id}.0`);
    const secondStarted = events.filter((e) => e.event === "task.started" && e.id === run.id);
    assertEquals(secondStarted.length, 1);
    assert(secondStarted[0]!.at - firstDone!.at >= 1_400, "the second step waited its delay");
  });
});

Deno.test("workflows: a step that expires before a worker gets it ends the workflow expired", async () => {
  const queue = uniqueQueue("warren_workflow_expiry");
  await using client = await rawClient();
  client.track(queue);
  const producer = await Producer.connect(catalog, { url: TEST_URL, queue });
  let worker: Worker<typeof catalog> | undefined;
  try {
    const expiresAt = Date.now() + 50;
    const run = await producer.start(pipeline, { n: 2 }, { expires: 50 });
    // No worker yet: the first step waits in the queue past its expiry.
    await until(() => Date.now() > expiresAt + 20, "the first step's expiry to pass", 1_000);
    worker = await Worker.start(handlers, { url: TEST_URL, queue, workflows });
    const ended = await producer.result(run, { timeout: 20_000 });
    assert(!ended.ok && ended.reason === "expired", JSON.stringify(ended));
  } finally {
    await producer.close();
    await worker?.close(1_000);
  }
});

Deno.test("workflows: cancelling a workflow stops its running step, and it ends cancelled", async () => {
  await withWorkflows(async ({ queue, producer, events }) => {
    const run = await producer.start(blocking, { x: 1 });
    await until(
      () => events.some((e) => e.event === "task.started" && e.id === `${run.id}.1`),
      "the blocking step",
    );
    await producer.cancel(run.id);
    const outcome = await producer.result(run, { timeout: 20_000 });
    assertEquals(outcome.ok, false);
    assert(!outcome.ok && outcome.reason === "cancelled", JSON.stringify(outcome));
    const history = await readHistory(queue);
    assertEquals(history.filter((e) => e.id === run.id && e.event === "started"), []);
  });
});

Deno.test("workflows: the joiner's worker closes mid-join, another takes the join over, and the callback runs once", async () => {
  await withWorkflows(async ({ queue, producer, workers, events }) => {
    const runs = await Promise.all(
      Array.from({ length: 5 }, () => producer.start(pipeline, { n: 60, ms: 100 })),
    );
    // The first worker consumes Q.join first: it is the active joiner. Close it mid-way, as
    // the workers' events tell (the history, read whole, may come too late on a loaded machine).
    const membersDone = () =>
      events.filter((e) => e.event === "task.done" && e.id.includes(".1.")).length;
    await until(() => membersDone() > 60, "some members done");
    assert(membersDone() < 300, `closing mid-join, not after ${membersDone()} members`);
    await workers[0]!.close(5_000);
    for (const run of runs) {
      const outcome = await producer.result(run, { timeout: 60_000 });
      assertEquals(outcome.ok && outcome.result, `total ${expectedTotal(60)}`);
    }
    const starts = startsById(await readHistory(queue));
    for (const run of runs) assertEquals(starts.get(`${run.id}.2`), 1, "the callback ran once");
  });
});

Deno.test("workflows: many in flight at once share one join queue", async () => {
  const count = Number(Deno.env.get("WORKFLOW_SCALE_WORKFLOWS") ?? 100);
  const members = Number(Deno.env.get("WORKFLOW_SCALE_MEMBERS") ?? 50);
  await withWorkflows(async ({ queue, producer }) => {
    const runs = await Promise.all(
      Array.from({ length: count }, () => producer.start(pipeline, { n: members })),
    );
    const outcomes = await Promise.all(
      runs.map((run) => producer.result(run, { timeout: 300_000 })),
    );
    assertEquals(
      outcomes.filter((o) => !(o.ok && o.result === `total ${expectedTotal(members)}`)),
      [],
    );
    await using client = await rawClient();
    // One join queue, drained: the checkpoints of finished joins are gone with them.
    await until(
      async () => (await queueDepth(client, `${queue}.join`)) === 0,
      "an empty join queue",
    );
  }, { prefetch: 100 });
});

Deno.test("workflows: a step that comes to a worker not given its workflow ends it failed, saying so", async () => {
  const queue = uniqueQueue("warren_workflow_bare");
  await using client = await rawClient();
  client.track(queue);
  const worker = await Worker.start(handlers, { url: TEST_URL, queue, id: "bare" });
  const producer = await Producer.connect(catalog, { url: TEST_URL, queue });
  try {
    const run = await producer.start(pipeline, { n: 2 });
    const outcome = await producer.result(run, { timeout: 20_000 });
    assert(!outcome.ok, JSON.stringify(outcome));
    assertStringIncludes(outcome.error, "this worker (bare) has no workflow named 'pipeline'");
  } finally {
    await producer.close();
    await worker.close(1_000);
  }
});

Deno.test("workflows: hostile messages in the join queue are dead-lettered, and a join waiting too long ends expired", async () => {
  await withWorkflows(async ({ queue, producer }) => {
    await using client = await rawClient();
    const join = `${queue}.join`;
    const hostile = [
      Buffer.from("not json"),
      Buffer.from("[".repeat(100_000)),
      Buffer.from(JSON.stringify({ v: 1, kind: "member", id: "x", name: "pipeline", stage: 1 })),
    ];
    for (const body of hostile) client.channel.sendToQueue(join, body, { persistent: true });
    // A join first heard of at the epoch: over JOIN_MAX_WAIT_MS ago.
    const stale = {
      v: 1,
      kind: "checkpoint",
      id: "stale-workflow",
      name: "pipeline",
      stage: 1,
      members: 3,
      since: 0,
      outcomes: [[0, { ok: true, result: 55 }]],
    };
    client.channel.sendToQueue(join, Buffer.from(JSON.stringify(stale)), { persistent: true });
    // The joiner goes on: a workflow after them ends right.
    const run = await producer.start(pipeline, { n: 3 });
    const outcome = await producer.result(run, { timeout: 20_000 });
    assertEquals(outcome.ok && outcome.result, `total ${expectedTotal(3)}`);
    const expired = await producer.result("stale-workflow", { timeout: 20_000 });
    assert(!expired.ok && expired.reason === "expired", JSON.stringify(expired));
    assertStringIncludes(expired.error, "waited over 604800000 ms for its members (1 of 3 came)");
    await until(
      async () => (await queueDepth(client, `${queue}.dead`)) === hostile.length,
      "3 dead letters",
    );
    await until(async () => (await queueDepth(client, join)) === 0, "an empty join queue");
  });
});
