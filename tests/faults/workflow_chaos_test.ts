/**
 * Workflows under attack: 100 workflows (a split, 30 members each, their join, then a last
 * step; one in four with members that are chains of two steps) run by worker processes that are SIGKILLed one after another, on a private RabbitMQ
 * node that is killed (`kill -9`) and started again in the middle. Every workflow ends, with the
 * right result; no workflow ends both ways; no member counts twice (a total would be wrong);
 * and each join's callback is published once: it starts more than once only when the worker
 * running it was killed, or the node lost its ack.
 */
import { assert, assertEquals } from "@std/assert";
import { Producer } from "../../src/producer/producer.ts";
import { silentLogger } from "../../src/util/logger.ts";
import { uniqueQueue } from "../_helpers/broker.ts";
import { readHistory } from "../_helpers/history.ts";
import { until } from "../_helpers/probe.ts";
import { rabbitmqInstalled, startRabbitNode } from "../_helpers/rabbit_node.ts";
import { rootPath, runCli } from "../_helpers/cli.ts";
import { catalog, expectedTotal, nested, pipeline } from "../fixtures/workflow_catalog.ts";
import { WorkerPool } from "./_processes.ts";

const WORKFLOWS = Number(Deno.env.get("WORKFLOW_CHAOS_WORKFLOWS") ?? 100);
const MEMBERS = 30;
const KILLS = 6;

const installed = await rabbitmqInstalled();
if (!installed) {
  // deno-lint-ignore no-console
  console.warn("workflow_chaos_test: rabbitmq-server is not installed; skipping it");
}

Deno.test({
  name:
    `${WORKFLOWS} workflows through ${KILLS} worker SIGKILLs and a broker kill -9 each end once, right`,
  ignore: !installed,
  fn: async () => {
    await using node = await startRabbitNode({ prefix: "warren-workflow" });
    const queue = uniqueQueue("warren_workflow_chaos");
    await using pool = new WorkerPool(3, ["--queue", queue, "--prefetch", "5"], {
      script: rootPath("tests/fixtures/workflow_worker.ts"),
      env: { AMQP_URL: node.url },
      flags: [`--allow-net=127.0.0.1:${node.port}`, "--allow-env=AMQP_URL,WARREN_QUEUE"],
    });
    await pool.started();
    const producer = await Producer.connect(catalog, {
      url: node.url,
      queue,
      logger: silentLogger,
    });
    try {
      // One in four has members that are chains (sum, then double): each member runs twice.
      const chained = (i: number) => i % 4 === 3;
      const runs = await Promise.all(
        Array.from(
          { length: WORKFLOWS },
          (_, i) =>
            chained(i)
              ? producer.start(nested, { n: MEMBERS, ms: 60 })
              : producer.start(pipeline, { n: MEMBERS, ms: 60 }),
        ),
      );
      const doubled = Array.from({ length: MEMBERS }, (_, i) => 2 * (100 * i + 55)).join(",");
      const expected = (i: number) => chained(i) ? doubled : `total ${expectedTotal(MEMBERS)}`;
      const callbackOf = (i: number) => (chained(i) ? runs[i]!.id : `${runs[i]!.id}.2`);
      const done = () => pool.all.flatMap((w) => w.events("task.done")).length;
      const total = runs.reduce(
        (sum, _, i) => sum + (chained(i) ? 2 * MEMBERS + 2 : MEMBERS + 3),
        0,
      );
      for (let kill = 0; kill < KILLS; kill++) {
        await until(
          () => done() >= ((kill + 1) * total) / (KILLS + 2),
          `kill ${kill + 1}`,
          120_000,
        );
        const victims = pool.alive;
        await pool.killAndReplace(victims[kill % victims.length]!);
        if (kill === KILLS / 2) {
          await node.kill();
          await node.start();
        }
      }
      const ended = await Promise.allSettled(
        runs.map((run) => producer.result(run, { timeout: 240_000 })),
      );
      const wrong: string[] = [];
      for (const [i, settled] of ended.entries()) {
        const o = settled.status === "fulfilled" ? settled.value : undefined;
        if (o?.ok && o.result === expected(i)) continue;
        // Say where the workflow stands, from the history.
        const tree = await runCli(
          "admin.ts",
          ["workflow", runs[i]!.id, "--queue", queue, "--all"],
          {
            env: { AMQP_URL: node.url },
            flags: [`--allow-net=127.0.0.1:${node.port}`, "--allow-env=AMQP_URL,WARREN_QUEUE"],
          },
        );
        wrong.push(
          `${
            JSON.stringify(o ?? String((settled as PromiseRejectedResult).reason))
          }\n${tree.stdout}${tree.stderr}`,
        );
      }
      assertEquals(wrong, []);

      const history = await readHistory(queue, node.url);
      const ends = new Map<string, Set<string>>();
      const callbackStarts = new Map<string, number>();
      const callbacks = new Set(runs.map((_, i) => callbackOf(i)));
      for (const event of history) {
        if (
          runs.some((r) => r.id === event.id) &&
          ["succeeded", "dead", "cancelled", "expired"].includes(event.event)
        ) {
          ends.set(event.id, (ends.get(event.id) ?? new Set()).add(event.event));
        }
        if (event.event === "started" && callbacks.has(event.id)) {
          callbackStarts.set(event.id, (callbackStarts.get(event.id) ?? 0) + 1);
        }
      }
      // No workflow ended both ways.
      assertEquals([...ends.values()].filter((kinds) => kinds.size !== 1), []);
      assertEquals(ends.size, WORKFLOWS);
      // A callback that started twice was cut by a kill (of its worker, or of the node).
      const twice = [...callbackStarts].filter(([, n]) => n > 1).map(([id]) => id);
      // deno-lint-ignore no-console
      console.log(
        `workflow chaos: ${WORKFLOWS} workflows of ${MEMBERS} members (${
          runs.filter((_, i) => chained(i)).length
        } of chains), ${KILLS} SIGKILLs, 1 broker kill -9: all right; callbacks started twice: ${twice.length}`,
      );
      assert(twice.length <= KILLS + 3 * 5, `callbacks started twice: ${twice.join(", ")}`);
    } finally {
      await producer.close();
      await pool.stop();
    }
  },
});
