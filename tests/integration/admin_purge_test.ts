/**
 * `admin.ts purge` and `admin.ts dead purge` as subprocesses against the shared broker: refused
 * without confirmation, asked on a terminal, done with --yes.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { queueNames } from "../../src/broker/topology.ts";
import { rawClient, uniqueQueue } from "../_helpers/broker.ts";
import { ADMIN_FLAGS, runCli } from "../_helpers/cli.ts";
import { queueDepth } from "../_helpers/probe.ts";
import { runInTerminal, scriptInstalled } from "../_helpers/terminal.ts";

const terminal = await scriptInstalled();
if (!terminal) {
  console.warn("admin_purge_test: util-linux 'script' is not installed; terminal steps skipped");
}

Deno.test("admin purge and dead purge empty their queue only when confirmed", async (t) => {
  const queue = uniqueQueue("warren_admin");
  const names = queueNames(queue);
  await using client = await rawClient();
  client.track(queue);
  const q = ["--queue", queue];
  const produced = await runCli("producer.ts", [
    "sleep",
    "--ms",
    "1",
    "--count",
    "4",
    "--quiet",
    ...q,
  ]);
  assertEquals(produced.code, 0, produced.stderr);
  await client.channel.assertQueue(names.dead, { durable: true });
  for (const id of ["d1", "d2"]) {
    client.channel.sendToQueue(names.dead, Buffer.from('{"task":"sum"}'), { messageId: id });
  }
  assertEquals(await queueDepth(client, queue), 4);
  assertEquals(await queueDepth(client, names.dead), 2);

  await t.step("without --yes and stdin not a terminal: exit 2, saying to add --yes", async () => {
    for (const args of [["purge"], ["dead", "purge"]]) {
      // Even "yes" on a pipe does not count: only a person at a terminal can confirm.
      const result = await runCli("admin.ts", [...args, ...q], { stdin: "yes\n" });
      assertEquals(result.code, 2, result.stderr);
      assertEquals(result.stdout, "");
      assertStringIncludes(result.stderr, "not a terminal");
      assertStringIncludes(result.stderr, "add --yes");
    }
    assertEquals(await queueDepth(client, queue), 4);
    assertEquals(await queueDepth(client, names.dead), 2);
  });

  await t.step({
    name: "on a terminal: asks with the count; any answer but yes changes nothing (exit 2)",
    ignore: !terminal,
    fn: async () => {
      const result = await runInTerminal("admin.ts", ["dead", "purge", ...q], {
        flags: ADMIN_FLAGS,
        input: "no\n",
      });
      assertEquals(result.code, 2, result.output);
      assertStringIncludes(result.output, `Type yes to purge 2 messages from ${names.dead}: `);
      assertStringIncludes(result.output, "not confirmed: nothing was changed");
      assertEquals(await queueDepth(client, names.dead), 2);
    },
  });

  await t.step({
    name: "on a terminal: typing yes purges",
    ignore: !terminal,
    fn: async () => {
      const result = await runInTerminal("admin.ts", ["dead", "purge", ...q], {
        flags: ADMIN_FLAGS,
        input: "yes\n",
      });
      assertEquals(result.code, 0, result.output);
      assertStringIncludes(result.output, `purged 2 message(s) from ${names.dead}`);
      assertEquals(await queueDepth(client, names.dead), 0);
      assertEquals(await queueDepth(client, queue), 4, "the work queue is untouched");
    },
  });

  await t.step("--yes purges the work queue; the dead-letter queue is untouched", async () => {
    if (!terminal) {
      // The terminal steps did not run: empty the dead-letter queue with --yes instead.
      const dead = await runCli("admin.ts", ["dead", "purge", "--yes", ...q]);
      assertEquals(dead.code, 0, dead.stderr);
    }
    client.channel.sendToQueue(names.dead, Buffer.from("{}"), { messageId: "d3" });
    const result = await runCli("admin.ts", ["purge", "--yes", ...q]);
    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.stdout, `purged 4 message(s) from ${queue}\n`);
    assertEquals(await queueDepth(client, queue), 0);
    assertEquals(await queueDepth(client, names.dead), 1);
  });

  await t.step("dead purge --yes; an empty queue is purged of nothing, and says so", async () => {
    const result = await runCli("admin.ts", ["dead", "purge", "--yes", ...q]);
    assertEquals(result.stdout, `purged 1 message(s) from ${names.dead}\n`);
    assertEquals(await queueDepth(client, names.dead), 0);
    const empty = await runCli("admin.ts", ["purge", ...q]);
    assert(empty.code === 2, "still refused without --yes, before looking at the queue");
    const emptyYes = await runCli("admin.ts", ["purge", "--yes", ...q]);
    assertEquals(emptyYes.code, 0, emptyYes.stderr);
    assertEquals(emptyYes.stdout, `purged 0 messages: ${queue} is empty\n`);
  });

  await t.step("a queue that does not exist: exit 2 naming it", async () => {
    const missing = uniqueQueue("warren_admin_none");
    const result = await runCli("admin.ts", ["purge", "--yes", "--queue", missing]);
    assertEquals(result.code, 2, result.stderr);
    assertStringIncludes(result.stderr, `Queue '${missing}' does not exist`);
  });
});
