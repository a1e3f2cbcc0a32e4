/**
 * Warren's CLIs over TLS (`amqps://`): a private RabbitMQ node with a TLS listener whose
 * certificate a throwaway CA signed, and the ways a user tells Deno to trust that CA. amqplib
 * opens `amqps://` connections with `node:tls`, which trusts what Deno trusts: the CA given by
 * `deno run --cert FILE` or `DENO_CERT=FILE`, or, with `DENO_TLS_CA_STORE=system`, the operating
 * system's store. `--unsafely-ignore-certificate-errors` does not reach `node:tls`.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { sumRange } from "../../tasks/handlers/sum.ts";
import { uniqueQueue } from "../_helpers/broker.ts";
import { runCli, type RunResult, WorkerProcess } from "../_helpers/cli.ts";
import { makeTestPki, opensslVersion } from "../_helpers/pki.ts";
import { freePort } from "../_helpers/ports.ts";
import { until } from "../_helpers/probe.ts";
import { rabbitmqInstalled, type RabbitNode, startRabbitNode } from "../_helpers/rabbit_node.ts";

const missing = [
  ...(await opensslVersion()) === undefined ? ["openssl"] : [],
  ...(await rabbitmqInstalled()) ? [] : ["rabbitmq-server"],
];
if (missing.length > 0) {
  // deno-lint-ignore no-console
  console.warn(`tls_test: ${missing.join(" and ")} not installed; skipping the TLS tests`);
}

/** A private node with a TLS listener on `tlsPort` (loopback only) using the given files. */
async function startTlsNode(
  pki: { caCert: string; serverCert: string; serverKey: string },
): Promise<{ node: RabbitNode; tlsPort: number }> {
  for (let attempt = 1;; attempt++) {
    const tlsPort = freePort();
    try {
      const node = await startRabbitNode({
        prefix: "warren-tls",
        config: [
          `listeners.ssl.1 = 127.0.0.1:${tlsPort}`,
          `ssl_options.cacertfile = ${pki.caCert}`,
          `ssl_options.certfile = ${pki.serverCert}`,
          `ssl_options.keyfile = ${pki.serverKey}`,
          "ssl_options.verify = verify_none",
          "ssl_options.fail_if_no_peer_cert = false",
        ],
      });
      return { node, tlsPort };
    } catch (err) {
      // The TLS port may be taken between freePort() and the node's bind (the helper retries
      // its own ports, not this one).
      if (attempt >= 3 || !(err instanceof Error && err.name === "PortInUseError")) throw err;
    }
  }
}

/**
 * Asserts the CLI failed on the broker (exit 1) with exactly one `error:` line, last on stderr,
 * and printed no stack trace and no `secret`; returns the error line. (The worker logs its
 * retries on stdout, the producer on stderr.)
 */
function assertOneLineError(result: RunResult, secret: string): string {
  assertEquals(result.code, 1, result.stderr);
  const lines = result.stderr.trimEnd().split("\n");
  const errors = lines.filter((line) => line.startsWith("error: "));
  assertEquals(errors.length, 1, result.stderr);
  assertEquals(lines.at(-1), errors[0], "the error line comes last");
  const output = `${result.stdout}\n${result.stderr}`;
  assert(!/^\s+at /m.test(output), `a stack trace was printed:\n${output}`);
  assert(!output.includes(secret), `the password was printed:\n${output}`);
  return errors[0]!;
}

Deno.test({
  name: "producer and worker run tasks over amqps:// once Deno is told to trust the broker's CA",
  ignore: missing.length > 0,
  async fn(t) {
    await using pki = await makeTestPki();
    const { node, tlsPort } = await startTlsNode(pki);
    await using _node = node;
    const queue = uniqueQueue("warren_tls"); // on the private node, deleted with it
    const url = `amqps://guest:guest@localhost:${tlsPort}`;
    const allowNet = `--allow-net=localhost:${tlsPort}`;
    const ca = await Deno.readTextFile(pki.caCert);
    /** The producer's arguments for a sum task of 1..`end`. */
    const sumArgs = (end: number) => ["sum", "--start", "1", "--end", String(end)];
    /** The arguments that point a CLI at `queue` via `brokerUrl`. */
    const on = (brokerUrl: string) => ["--url", brokerUrl, "--queue", queue];

    await t.step(
      "the node completes TLS handshakes for localhost with the CA's certificate",
      async () => {
        // The listener starts in the boot step that opens the AMQP port startRabbitNode waited for.
        let last: unknown;
        const handshake = async () => {
          try {
            const conn = await Deno.connectTls({
              hostname: "localhost",
              port: tlsPort,
              caCerts: [ca],
            });
            try {
              await conn.handshake();
              return true;
            } finally {
              conn.close();
            }
          } catch (err) {
            last = err;
            return false;
          }
        };
        await until(handshake, `a TLS handshake on localhost:${tlsPort}`, 10_000).catch((err) => {
          throw new Error(`${err.message}; last error: ${last}`, { cause: err });
        });
      },
    );

    await t.step("without the CA, the producer fails with one clear line, exit 1", async () => {
      // The TLS handshake fails before the login, so any password shows whether it leaks.
      const secret = "tls-secret-pw";
      const result = await runCli(
        "producer.ts",
        [...sumArgs(10), ...on(`amqps://guest:${secret}@localhost:${tlsPort}`)],
        { flags: [allowNet] },
      );
      assertEquals(result.stdout, "");
      const line = assertOneLineError(result, secret);
      assertEquals(
        line,
        `error: Cannot connect to RabbitMQ at amqps://guest:***@localhost:${tlsPort} over TLS: ` +
          "self-signed certificate in certificate chain. If a private CA signed the broker's " +
          "certificate, trust it: deno run --cert ca.pem, or DENO_CERT=ca.pem",
      );
      assertEquals(result.stderr, `${line}\n`, "no retries");
    });

    await t.step("without the CA, the worker fails the same way, exit 1", async () => {
      const secret = "tls-secret-pw";
      const result = await runCli(
        "worker.ts",
        on(`amqps://guest:${secret}@localhost:${tlsPort}`),
        { flags: [allowNet] },
      );
      const line = assertOneLineError(result, secret);
      assertStringIncludes(line, "self-signed certificate in certificate chain");
    });

    await t.step("DENO_TLS_CA_STORE=system alone does not trust a private CA", async () => {
      const result = await runCli("producer.ts", [...sumArgs(10), ...on(url)], {
        flags: [allowNet],
        env: { DENO_TLS_CA_STORE: "system" },
      });
      assertStringIncludes(assertOneLineError(result, "guest:guest"), "self-signed certificate");
    });

    await t.step("with the CA trusted, sum tasks go through end to end", async (t) => {
      const worker = new WorkerProcess(on(url), {
        flags: [allowNet, "--cert", pki.caCert],
      });
      let exit: Awaited<ReturnType<WorkerProcess["exit"]>>;
      try {
        await worker.started(15_000);
        /** Checks the worker logged task.done for the one id the producer printed. */
        const assertDone = async (stdout: string, end: number, verb: "enqueued" | "done") => {
          const [line, ...rest] = stdout.trim().split("\n");
          assertEquals(rest, [], stdout);
          const match = new RegExp(`^${verb} sum (\\S+)`).exec(line ?? "");
          assert(match?.[1] !== undefined, `unexpected producer output: ${stdout}`);
          const id = match[1];
          await worker.waitFor(
            (lines) => lines.some((l) => l.event === "task.done" && l.id === id),
            `task.done for ${id}`,
            15_000,
          );
          const done = worker.events("task.done").find((l) => l.id === id);
          assertEquals(String(done?.result), sumRange(1, end).toString());
          return id;
        };

        await t.step("producer with deno run --cert ca.pem (and --wait)", async () => {
          const result = await runCli("producer.ts", [...sumArgs(10_000), "--wait", ...on(url)], {
            flags: [allowNet, "--cert", pki.caCert],
          });
          assertEquals(result.code, 0, result.stderr);
          const id = await assertDone(result.stdout, 10_000, "done");
          assertEquals(result.stdout, `done sum ${id} 50005000\n`);
        });

        await t.step("producer with DENO_CERT=ca.pem", async () => {
          const result = await runCli("producer.ts", [...sumArgs(20_000), ...on(url)], {
            flags: [allowNet],
            env: { DENO_CERT: pki.caCert },
          });
          assertEquals(result.code, 0, result.stderr);
          await assertDone(result.stdout, 20_000, "enqueued");
        });

        await t.step(
          "producer with DENO_TLS_CA_STORE=system, the CA in the system store",
          async () => {
            // SSL_CERT_FILE stands in for a CA installed in the OS store (update-ca-certificates):
            // Deno's system store honours it on Linux. It replaces the OS bundle, so do not use it
            // to add a CA for real: install the CA, or use --cert / DENO_CERT.
            const result = await runCli("producer.ts", [...sumArgs(30_000), ...on(url)], {
              flags: [allowNet],
              env: { DENO_TLS_CA_STORE: "system", SSL_CERT_FILE: pki.caCert },
            });
            assertEquals(result.code, 0, result.stderr);
            await assertDone(result.stdout, 30_000, "enqueued");
          },
        );

        assertEquals(worker.events("task.failed"), []);
        assertEquals(worker.events("task.dead"), []);
        const up = worker.events("connection.up");
        assertEquals(up.map((l) => l.url), [`amqps://guest:***@localhost:${tlsPort}`]);
      } finally {
        // Only stop the worker here: an assertion in `finally` would replace the failure of
        // the steps above with its own.
        worker.kill("SIGTERM");
        exit = await worker.exit();
      }
      assertEquals(exit.code, 0, exit.stderr);
      assertEquals(worker.events("worker.stopped").length, 1, exit.stderr);
    });
  },
});
