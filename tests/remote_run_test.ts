/**
 * Warren runs from a URL, as the README says: `deno run --import-map=<base>/deno.json
 * <base>/producer.ts`. The repository is served over loopback HTTP for the test.
 */
import { assertEquals, assertMatch } from "@std/assert";
import { rawClient, uniqueQueue } from "./_helpers/broker.ts";
import { PRODUCER_FLAGS, rootPath } from "./_helpers/cli.ts";

Deno.test("the producer runs from a URL with the import map from the same place", async () => {
  const root = rootPath("");
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const path = decodeURIComponent(new URL(request.url).pathname);
      if (path.includes("..")) return new Response("no", { status: 400 });
      try {
        const body = await Deno.readFile(root + path.slice(1));
        const type = path.endsWith(".json") ? "application/json" : "application/typescript";
        return new Response(body, { headers: { "content-type": type } });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  const queue = uniqueQueue();
  await using client = await rawClient();
  client.track(queue);
  const cache = await Deno.makeTempDir({ prefix: "warren-remote-" });
  // The repository's lock, copied (the run adds the served modules to it): npm packages resolve
  // to the versions `deno task cache` cached, so the test runs offline too.
  await Deno.copyFile(rootPath("deno.lock"), `${cache}/deno.lock`);
  try {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        `--allow-import=127.0.0.1:${server.addr.port}`,
        `--import-map=${base}/deno.json`,
        "--lock=deno.lock",
        ...PRODUCER_FLAGS,
        `${base}/producer.ts`,
        "sum",
        "--start",
        "1",
        "--end",
        "10",
        "--queue",
        queue,
      ],
      cwd: cache,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder();
    assertEquals(code, 0, text.decode(stderr));
    assertMatch(text.decode(stdout), /^enqueued sum [A-Za-z0-9_-]{22}\n$/);
    const { messageCount } = await client.channel.checkQueue(queue);
    assertEquals(messageCount, 1);
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});
