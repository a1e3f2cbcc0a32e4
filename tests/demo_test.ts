import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { rawClient } from "./_helpers/broker.ts";
import { rootPath } from "./_helpers/cli.ts";
import { queueDepth } from "./_helpers/probe.ts";

const DEMO_QUEUES = [
  "warren_demo",
  "warren_demo.dead",
  "warren_demo.events",
  "warren_demo.control",
];

/** Whether `name` exists on the broker; fails on any error but the broker's 404 NOT_FOUND. */
async function queueExists(name: string): Promise<boolean> {
  await using client = await rawClient();
  return (await queueDepth(client, name)) !== undefined;
}

Deno.test("deno task demo runs 30 tasks on 3 workers, checks every result and cleans up", async (t) => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "demo"],
    cwd: rootPath(""),
    env: { NO_COLOR: "1", AMQP_URL: "amqp://localhost:5672" },
    stdin: "null",
  }).output();
  const out = new TextDecoder().decode(stdout);
  const err = new TextDecoder().decode(stderr);

  await t.step("it exits 0", () => {
    assertEquals(code, 0, `${out}\n${err}`);
  });

  await t.step("each of the 3 workers starts and prints its results, one line per task", () => {
    for (const worker of ["w1", "w2", "w3"]) {
      assertStringIncludes(out, `${worker} consumes from 'warren_demo'`);
    }
    const results = out.split("\n").filter((line) =>
      /^ {2}w[123] {2}(sum|primes|sha256|sleep) /.test(line)
    );
    assertEquals(results.length, 30, out);
    assert(results.some((line) => line.includes("= 500000000500000000")), "sum 1..10^9");
    assert(results.some((line) => line.includes("148933 primes")), "primes up to 2*10^6");
  });

  await t.step("the summary says every result matched and the workers exited 0", () => {
    assertStringIncludes(out, "all 30 tasks ok");
    assertMatch(out, /wall time: \d+\.\d\d s/);
    for (const worker of ["w1", "w2", "w3"]) {
      assertStringIncludes(out, `${worker} exited with code 0`);
    }
  });

  await t.step("the demo's queues are gone, so a second run starts clean", async () => {
    assertStringIncludes(out, `Deleted the demo's queues: ${DEMO_QUEUES.join(", ")}`);
    for (const queue of DEMO_QUEUES) assertEquals(await queueExists(queue), false, queue);
  });
});
