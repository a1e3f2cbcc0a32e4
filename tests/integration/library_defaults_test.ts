/**
 * What a library user meets without reading further than the README's example: handlers'
 * `context.log` lines on standard error with no logger given, Ctrl-C draining a worker that
 * called `closeOnSignals()`, and `Producer.cancel` saying what it did.
 */
import { Buffer } from "node:buffer";
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { Producer } from "../../mod.ts";
import { catalog } from "../../tasks/mod.ts";
import { rawClient, TEST_URL, uniqueQueue } from "../_helpers/broker.ts";
import { rootPath } from "../_helpers/cli.ts";

/** Collects a stream's text, and waits until it holds some text. */
function collect(stream: ReadableStream<Uint8Array<ArrayBuffer>>) {
  let text = "";
  const done = (async () => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) text += chunk;
  })();
  return {
    get text() {
      return text;
    },
    done,
    async until(what: string, timeoutMs = 30_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!text.includes(what)) {
        if (Date.now() > deadline) throw new Error(`no '${what}' in ${timeoutMs} ms: ${text}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

Deno.test("a library worker without a logger prints its handlers' log lines on stderr, and drains on Ctrl-C", async () => {
  const queue = uniqueQueue("warren_library");
  await using client = await rawClient();
  client.track(queue);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-net=localhost:5672",
      "--allow-env",
      "--allow-sys=hostname",
      rootPath("tests/fixtures/library_worker.ts"),
      queue,
    ],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  try {
    await stdout.until("ready");
    client.channel.sendToQueue(queue, Buffer.from('{"task":"pause","ms":1500}'), {
      persistent: true,
      messageId: "lib-1",
    });
    await stderr.until("pause.started");
    // Ctrl-C while the task runs: the worker finishes it, then closes and exits 0.
    child.kill("SIGINT");
    const status = await child.status;
    await Promise.all([stdout.done, stderr.done]);
    assertEquals(status.code, 0, stderr.text);
    assertStringIncludes(stdout.text, "closed");
    assert(/INFO\s+pause\.started task=pause id=lib-1 ms=1500/.test(stderr.text), stderr.text);
    assertStringIncludes(stderr.text, "pause.finished task=pause id=lib-1 aborted=false");
    // Warren's own lines start at warn: a task done is not printed.
    assert(!stderr.text.includes("task.done"), stderr.text);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // exited
    }
    await child.status;
  }
});

Deno.test("Producer.cancel() resolves to the task's state in the history", async () => {
  const queue = uniqueQueue("warren_library");
  await using client = await rawClient();
  client.track(queue);
  const producer = await Producer.connect(catalog, {
    url: TEST_URL,
    queue,
    history: true,
    logger: null,
  });
  try {
    const { id } = await producer.enqueue("sum", { start: 1, end: 2 }, { delay: 60_000 });
    assertEquals(await producer.cancel(id), { id, checked: true, state: "delayed" });
  } finally {
    await producer.close();
  }
  const blind = await Producer.connect(catalog, {
    url: TEST_URL,
    queue,
    history: false,
    logger: null,
  });
  try {
    assertEquals(await blind.cancel("no-such-task"), { id: "no-such-task", checked: false });
  } finally {
    await blind.close();
  }
});
