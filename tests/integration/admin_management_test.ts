/**
 * `admin.ts status --management` against the real management API: a PRIVATE RabbitMQ node with
 * the rabbitmq_management plugin (the shared broker does not enable it). The node collects
 * statistics every 500 ms instead of 5 s, so the test waits less for the numbers.
 *
 * @module
 */
import amqp from "amqplib";
import { Buffer } from "node:buffer";
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import type { QueueStatus, StatusReport } from "../../src/admin/status.ts";
import { queueNames, streamOptions } from "../../src/broker/topology.ts";
import { runCli } from "../_helpers/cli.ts";
import { freePort } from "../_helpers/ports.ts";
import { until } from "../_helpers/probe.ts";
import { rabbitmqInstalled, startRabbitNode } from "../_helpers/rabbit_node.ts";

const installed = await rabbitmqInstalled();
if (!installed) {
  console.warn("admin_management_test: rabbitmq-server is not installed; skipping");
}

function row(report: StatusReport, name: string): QueueStatus | undefined {
  return report.queues.find((q) => q.name === name);
}

Deno.test({
  name: "admin status reads ready, unacked, consumers and rates from the management API",
  ignore: !installed,
  async fn(t) {
    const httpPort = freePort();
    await using node = await startRabbitNode({
      prefix: "warren-mgmt",
      plugins: ["rabbitmq_management"],
      config: [
        `management.tcp.port = ${httpPort}`,
        "management.tcp.ip = 127.0.0.1",
        "collect_statistics_interval = 500",
      ],
    });
    const management = `http://127.0.0.1:${httpPort}`;
    const net = `--allow-net=127.0.0.1:${node.port},127.0.0.1:${httpPort}`;
    const env = "--allow-env=AMQP_URL,WARREN_QUEUE";
    const queue = "jobs";
    const names = queueNames(queue);
    const base = ["status", "--url", node.url, "--queue", queue];

    // Three tasks, one of them held unacknowledged by a consumer; one dead letter; and a delay
    // queue of Warren 0.1 (123 ms), which AMQP cannot find but the management API lists.
    const connection = await amqp.connect(node.url);
    try {
      const channel = await connection.createConfirmChannel();
      await channel.assertQueue(queue, { durable: true });
      await channel.assertQueue(names.dead, { durable: true });
      await channel.assertQueue(names.retry(123), {
        durable: true,
        arguments: {
          "x-message-ttl": 123,
          "x-dead-letter-exchange": "",
          "x-dead-letter-routing-key": queue,
        },
      });
      await channel.assertQueue(
        names.events,
        streamOptions({ maxAgeMs: 3_600_000, maxBytes: 10_000_000 }),
      );
      for (let i = 0; i < 3; i++) channel.sendToQueue(queue, Buffer.from(`{"n":${i}}`));
      channel.sendToQueue(names.dead, Buffer.from("{}"));
      await channel.waitForConfirms();
      const consumer = await connection.createChannel();
      await consumer.prefetch(1);
      await consumer.consume(queue, () => {}, { noAck: false });

      let report: StatusReport | undefined;
      await t.step("--management: every number, once the broker has collected them", async () => {
        await until(async () => {
          const result = await runCli("admin.ts", [...base, "--json", "--management", management], {
            flags: [net, env],
          });
          assertEquals(result.code, 0, result.stderr);
          report = JSON.parse(result.stdout) as StatusReport;
          const main = row(report, queue);
          return main?.ready === 2 && main.unacked === 1 && main.consumers === 1;
        }, "the management API to count 2 ready, 1 unacked, 1 consumer");
        assert(report);
        assertEquals(report.source, "management");
        assertEquals(report.from, management);
        assertEquals(report.queues.map((q) => q.name), [
          queue,
          names.retry(123),
          names.dead,
          names.events,
        ]);
        assert(
          report.notes.some((note) =>
            note.includes(`${queue}.retry.<ms> are delay queues of Warren 0.1`)
          ),
          report.notes.join("\n"),
        );
        const main = row(report, queue)!;
        assertEquals(typeof main.publishRate, "number");
        assertEquals(typeof main.deliverRate, "number");
        const dead = row(report, names.dead)!;
        assertEquals([dead.ready, dead.unacked, dead.consumers], [1, 0, 0]);
        assertEquals(row(report, names.retry(123))!.delayMs, 123);
        // The stream's retention, as it was declared (1 hour, 10 MB).
        assertEquals(row(report, names.events)!.retention, {
          maxAge: "3600s",
          maxBytes: 10_000_000,
        });
      });

      await t.step("AMQP on the same node: no unacked, no rates, no 123 ms queue", async () => {
        const result = await runCli("admin.ts", [...base, "--json"], { flags: [net, env] });
        assertEquals(result.code, 0, result.stderr);
        const amqpReport = JSON.parse(result.stdout) as StatusReport;
        assertEquals(amqpReport.source, "amqp");
        assertEquals(amqpReport.queues.map((q) => q.name), [queue, names.dead, names.events]);
        const main = row(amqpReport, queue)!;
        assertEquals([main.ready, main.consumers, main.unacked, main.publishRate], [
          2,
          1,
          null,
          null,
        ]);
        // AMQP cannot read the retention: the report says what Warren creates the streams with.
        assertEquals(row(amqpReport, names.events)!.retention, undefined);
        assert(
          amqpReport.notes.some((note) => note.includes("7 days and 1 GB")),
          amqpReport.notes.join("\n"),
        );
      });

      await t.step("WARREN_MANAGEMENT_URL is read when --allow-env grants it", async () => {
        const result = await runCli("admin.ts", base, {
          flags: [net, `${env},WARREN_MANAGEMENT_URL`],
          env: { WARREN_MANAGEMENT_URL: management },
        });
        assertEquals(result.code, 0, result.stderr);
        const lines = result.stdout.split("\n");
        assertStringIncludes(lines[0]!, `from the management API at ${management}`);
        assertEquals(lines[2]!.split(/\s+/).slice(0, 4), [queue, "2", "1", "1"]);
        assert(
          lines.some((line) => line.includes("(stream: task history; max age 3600s, max 10 MB)")),
          result.stdout,
        );
      });

      await t.step(
        "without the management host in --allow-net: the flag to add (exit 2, as for any missing permission)",
        async () => {
          const result = await runCli("admin.ts", [...base, "--management", management], {
            flags: [`--allow-net=127.0.0.1:${node.port}`, env],
          });
          assertEquals(result.code, 2, result.stderr);
          assertStringIncludes(result.stderr, `--allow-net=127.0.0.1:${httpPort}`);
        },
      );

      await t.step("a wrong password: the login is refused (exit 1), password hidden", async () => {
        const url = node.url.replace("guest:guest", "guest:wrong-secret");
        const result = await runCli(
          "admin.ts",
          ["status", "--url", url, "--queue", queue, "--management", management],
          { flags: [net, env] },
        );
        assertEquals(result.code, 1, result.stderr);
        assertStringIncludes(result.stderr, "refused the login (401)");
        assert(!result.stderr.includes("wrong-secret"), result.stderr);
      });
    } finally {
      await connection.close();
    }
  },
});
