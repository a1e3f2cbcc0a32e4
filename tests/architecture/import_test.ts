/**
 * Another Deno project imports Warren's `mod.ts` by absolute path, and by http URL, with no
 * configuration of its own (no import map entry for Warren's dependencies, no workspace), and
 * both `deno check` and a real run pass: a contract, handlers run in a thread (the thread pool
 * loads the project's handlers module, as the README says), a producer, and a typed result.
 */
import { assertEquals } from "@std/assert";
import { rawClient, TEST_URL, uniqueQueue } from "../_helpers/broker.ts";
import { rootPath } from "../_helpers/cli.ts";

/** The project's files, for Warren at `warren` (a path or a URL of mod.ts). */
function project(warren: string): Record<string, string> {
  return {
    "tasks.ts": `import { z } from "npm:zod@^4";
import { defineCatalog, defineTask } from "${warren}";

export const square = defineTask({
  name: "square",
  schema: z.object({ n: z.int() }),
  result: z.object({ squared: z.int(), thread: z.boolean() }),
  cpu: true,
});
export const catalog = defineCatalog(square);
`,
    "handlers.ts": `import { defineHandlers } from "${warren}";
import { catalog } from "./tasks.ts";

export const handlers = defineHandlers(catalog, {
  square: ({ n }) => ({ squared: n * n, thread: "WorkerGlobalScope" in globalThis }),
});
`,
    "main.ts": `import { Producer, Worker } from "${warren}";
import { handlers } from "./handlers.ts";
import { catalog } from "./tasks.ts";

const [url, queue] = Deno.args as [string, string];
const worker = await Worker.start(handlers, {
  url,
  queue,
  threads: { size: 1, module: new URL("./handlers.ts", import.meta.url) },
});
const producer = await Producer.connect(catalog, { url, queue, results: true });
const receipt = await producer.enqueue("square", { n: 12 }, { result: true });
const outcome = await producer.result(receipt, { timeout: 20_000 });
// Typed by the contract: a compile error if the result schema did not say squared is a number.
const squared: number = outcome.ok ? outcome.result.squared : -1;
console.log(JSON.stringify({ squared, thread: outcome.ok && outcome.result.thread }));
await producer.close();
await worker.close();
`,
  };
}

async function run(cwd: string, args: readonly string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [...args],
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

/** Writes the project for `warren` in a new folder outside the repository, checks and runs it. */
async function checkAndRun(warren: string, permissions: readonly string[]): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "warren-user-" });
  const queue = uniqueQueue("warren_import");
  await using client = await rawClient();
  client.track(queue);
  try {
    for (const [name, text] of Object.entries(project(warren))) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    const check = await run(dir, ["check", "--quiet", ...permissions.filter(isImport), "main.ts"]);
    assertEquals(check.code, 0, check.stderr);
    const started = await run(dir, [
      "run",
      "--quiet",
      ...permissions,
      "--allow-net=localhost:5672",
      `--allow-read=${dir},${rootPath("")}`,
      "main.ts",
      TEST_URL,
      queue,
    ]);
    assertEquals(started.code, 0, started.stderr);
    assertEquals(JSON.parse(started.stdout), { squared: 144, thread: true });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const isImport = (flag: string) => flag.startsWith("--allow-import");

Deno.test("a project outside the repository imports mod.ts by absolute path", async () => {
  await checkAndRun(rootPath("mod.ts"), []);
});

Deno.test("a project imports mod.ts by http URL, the repository served on loopback", async () => {
  const root = rootPath("");
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const path = decodeURIComponent(new URL(request.url).pathname);
      if (path.includes("..")) return new Response("no", { status: 400 });
      try {
        const body = await Deno.readFile(root + path.slice(1));
        return new Response(body, { headers: { "content-type": "application/typescript" } });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  const host = `127.0.0.1:${server.addr.port}`;
  await checkAndRun(`http://${host}/mod.ts`, [`--allow-import=${host}`]);
});
