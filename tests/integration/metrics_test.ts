import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { Buffer } from "node:buffer";
import { rawClient, uniqueQueue } from "../_helpers/broker.ts";
import { runCli, WORKER_FLAGS, WorkerProcess } from "../_helpers/cli.ts";
import { until } from "../_helpers/probe.ts";
import { freePort } from "../_helpers/ports.ts";
import { rabbitmqInstalled, startRabbitNode } from "../_helpers/rabbit_node.ts";

const installed = await rabbitmqInstalled();
if (!installed) {
  console.warn(
    "metrics_test: rabbitmq-server is not installed; the /healthz outage test is skipped",
  );
}

async function get(port: number, path: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, text: await response.text() };
}

function sample(metrics: string, series: string): number | undefined {
  const line = metrics.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

Deno.test("worker --metrics-port serves counters that match the tasks it ran", async () => {
  const queue = uniqueQueue();
  await using client = await rawClient();
  client.track(queue);
  const port = freePort();
  await using worker = new WorkerProcess(["--queue", queue, "--metrics-port", String(port)], {
    flags: [
      ...WORKER_FLAGS.map((f) => f.startsWith("--allow-net=") ? `${f},127.0.0.1:${port}` : f),
    ],
  });
  await worker.started();
  assertEquals((await get(port, "/healthz")).status, 200);

  const produced = await runCli("producer.ts", [
    "sum",
    "--start",
    "1",
    "--end",
    "9",
    "--count",
    "7",
    "--queue",
    queue,
  ]);
  assertEquals(produced.code, 0, produced.stderr);
  client.channel.sendToQueue(queue, Buffer.from("not json"));
  await worker.waitFor(
    (lines) =>
      lines.filter((l) => l.event === "task.done").length === 7 &&
      lines.some((l) => l.event === "task.dead"),
    "7 tasks done and 1 dead letter",
  );

  const { status, text } = await get(port, "/metrics");
  assertEquals(status, 200);
  assertEquals(sample(text, 'warren_tasks_started_total{task="sum"}'), 7);
  assertEquals(sample(text, 'warren_tasks_succeeded_total{task="sum"}'), 7);
  assertEquals(
    sample(text, 'warren_tasks_dead_lettered_total{task="unknown",reason="not-json"}'),
    1,
  );
  assertEquals(sample(text, 'warren_task_duration_seconds_count{task="sum"}'), 7);
  assertEquals(sample(text, "warren_tasks_in_flight"), 0);
  assertEquals(sample(text, "warren_consuming"), 1);
  assertStringIncludes(text, "# TYPE warren_task_duration_seconds histogram");
  assertEquals((await get(port, "/nope")).status, 404);
});

Deno.test({
  name: "worker /healthz turns 503 when the broker connection is gone",
  ignore: !installed,
}, async () => {
  await using node = await startRabbitNode({ prefix: "warren-health" });
  const port = freePort();
  await using worker = new WorkerProcess(
    ["--url", node.url, "--queue", uniqueQueue(), "--metrics-port", String(port)],
    {
      flags: [
        `--allow-net=127.0.0.1:${node.port},127.0.0.1:${port}`,
        "--allow-env=AMQP_URL,WARREN_QUEUE",
      ],
    },
  );
  await worker.started();
  assertEquals((await get(port, "/healthz")).status, 200);
  await node.stop();
  await until(async () => (await get(port, "/healthz")).status === 503, "/healthz to answer 503");
  const health = await get(port, "/healthz");
  assertEquals([health.status, health.text], [503, "not consuming\n"]);
  await node.start();
  await until(
    async () => (await get(port, "/healthz")).status === 200,
    "/healthz to answer 200 again",
    60_000,
  );
  const metrics = (await get(port, "/metrics")).text;
  // Once at least; more when a connection made while the node boots is closed by it again.
  const generations = worker.events("connection.up").map((line) => Number(line.generation));
  const reconnects = Math.max(...generations) - 1;
  assert(reconnects >= 1, `connected again: ${generations}`);
  assertEquals(sample(metrics, "warren_reconnects_total"), reconnects);
});
