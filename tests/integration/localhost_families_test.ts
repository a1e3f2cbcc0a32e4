/**
 * The README's permission flags on a host whose `localhost` is both 127.0.0.1 and ::1 (Debian's
 * and macOS's default): with the broker on IPv4 only, on IPv6 only, and nowhere. The CLIs run
 * in a mount namespace of their own (`unshare -m`) with such an /etc/hosts bound over the
 * machine's; the IPv6-only broker is the shared broker behind a TCP relay that listens on
 * [::1] alone.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { rawClient, uniqueQueue } from "../_helpers/broker.ts";
import { enqueuedIds, PRODUCER_FLAGS, rootPath } from "../_helpers/cli.ts";
import { commandSucceeds } from "../_helpers/commands.ts";
import { freePort } from "../_helpers/ports.ts";

const HOSTS = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";

/** Runs the producer CLI where `localhost` is 127.0.0.1 and ::1, with the README's flags. */
async function producer(
  hosts: string,
  args: readonly string[],
  flags: readonly string[] = PRODUCER_FLAGS,
  resolvConf?: string,
) {
  const quote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;
  const command = [Deno.execPath(), "run", "--quiet", ...flags, rootPath("producer.ts"), ...args]
    .map(quote).join(" ");
  const started = performance.now();
  const { code, stdout, stderr } = await new Deno.Command("unshare", {
    args: [
      "-m",
      "sh",
      "-c",
      `mount --bind ${quote(hosts)} /etc/hosts && ${
        resolvConf === undefined ? "" : `mount --bind ${quote(resolvConf)} /etc/resolv.conf && `
      }exec ${command}`,
    ],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return {
    code,
    stdout: text.decode(stdout),
    stderr: text.decode(stderr),
    ms: performance.now() - started,
  };
}

/** Relays connections made to [::1]:port to the shared broker on 127.0.0.1:5672. */
function ipv6Relay(port: number): Deno.Listener & AsyncDisposable {
  const listener = Deno.listen({ hostname: "::1", port });
  (async () => {
    for await (const client of listener) {
      Deno.connect({ hostname: "127.0.0.1", port: 5672 }).then((broker) => {
        client.readable.pipeTo(broker.writable).catch(() => {});
        broker.readable.pipeTo(client.writable).catch(() => {});
      }, () => client.close());
    }
  })().catch(() => {});
  return Object.assign(listener, {
    [Symbol.asyncDispose]: () => Promise.resolve(listener.close()),
  });
}

/** Whether this machine lets the test bind an /etc/hosts of its own, and listen on ::1. */
async function canTest(hosts: string): Promise<string | undefined> {
  if (!await commandSucceeds("unshare", ["-m", "mount", "--bind", hosts, "/etc/hosts"])) {
    return "unshare -m with a bind mount is not allowed here (needs root)";
  }
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
  } catch (err) {
    return `no IPv6 loopback here (${(err as Error).message})`;
  }
  return undefined;
}

Deno.test("the README's flags work where localhost is 127.0.0.1 and ::1", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "warren-hosts-" });
  const hosts = `${dir}/hosts`;
  await Deno.writeTextFile(hosts, HOSTS);
  try {
    const why = await canTest(hosts);
    if (why !== undefined) {
      // deno-lint-ignore no-console
      console.log(`localhost_families_test: skipped, ${why}`);
      t.step({ name: "IPv4, IPv6 and no broker", ignore: true, fn: () => {} });
      return;
    }
    const queue = uniqueQueue("warren_families");
    await using client = await rawClient();
    client.track(queue);
    const sum = ["sum", "--start", "1", "--end", "2", "--queue", queue];

    await t.step("broker on IPv4 only: --allow-net=localhost:5672 is enough", async () => {
      const result = await producer(hosts, sum);
      assertEquals(result.code, 0, result.stderr);
      assertEquals(enqueuedIds(result.stdout).length, 1);
    });

    await t.step("broker on IPv6 only: --allow-net=localhost:PORT is enough", async () => {
      const port = freePort();
      await using _relay = ipv6Relay(port);
      const result = await producer(hosts, [...sum, "--url", `amqp://localhost:${port}`], [
        `--allow-net=localhost:${port}`,
        "--allow-env=AMQP_URL,WARREN_QUEUE",
      ]);
      assertEquals(result.code, 0, result.stderr);
      assertEquals(enqueuedIds(result.stdout).length, 1);
    });

    await t.step("no broker: a one-line error, at once, nothing uncaught", async () => {
      const port = freePort();
      const result = await producer(hosts, [...sum, "--url", `amqp://localhost:${port}`], [
        `--allow-net=localhost:${port}`,
        "--allow-env=AMQP_URL,WARREN_QUEUE",
      ]);
      assertEquals(result.code, 1, result.stderr);
      assert(!result.stderr.includes("Uncaught"), result.stderr);
      assert(!result.stderr.includes("NotCapable"), result.stderr);
      const errors = result.stderr.split("\n").filter((line) => line.startsWith("error: "));
      assertEquals(errors.length, 1, result.stderr);
      assertMatch(errors[0]!, /ECONNREFUSED 127\.0\.0\.1:\d+; over IPv6: .*ECONNREFUSED ::1:\d+/);
      assert(result.ms < 10_000, `failed in ${Math.round(result.ms)} ms`);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("where localhost has no IPv6 address and DNS does not answer, the IPv4 refusal is reported", async () => {
  const dir = await Deno.makeTempDir({ prefix: "warren-hosts-" });
  const hosts = `${dir}/hosts`;
  const resolv = `${dir}/resolv.conf`;
  // No ::1 line, and a name server that refuses: the IPv6 lookup of localhost fails with
  // EAI_AGAIN (as in many containers), after the IPv4 connection was refused.
  await Deno.writeTextFile(hosts, "127.0.0.1\tlocalhost\n");
  await Deno.writeTextFile(resolv, "nameserver 127.0.0.9\n");
  try {
    const why = await canTest(hosts);
    if (why !== undefined) {
      // deno-lint-ignore no-console
      console.log(`localhost_families_test: skipped, ${why}`);
      return;
    }
    const port = freePort();
    const result = await producer(
      hosts,
      ["sum", "--start", "1", "--end", "2", "--url", `amqp://localhost:${port}`],
      [`--allow-net=localhost:${port}`, "--allow-env=AMQP_URL,WARREN_QUEUE"],
      resolv,
    );
    assertEquals(result.code, 1, result.stderr);
    const errors = result.stderr.split("\n").filter((line) => line.startsWith("error: "));
    assertEquals(errors.length, 1, result.stderr);
    assertMatch(
      errors[0]!,
      /over IPv4: connect ECONNREFUSED 127\.0\.0\.1:\d+; over IPv6: no IPv6 address for localhost \(getaddrinfo E[A-Z_]+ localhost\)/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
