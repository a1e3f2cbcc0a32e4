/**
 * What each entry point loads, read from `deno info --json`: the library (`mod.ts`) loads no
 * CLI code and no CLI-only dependency, the CLI functions (`./cli`) do not load the demo
 * catalog, and the mailer's producer loads its contracts but none of its mail code.
 */
import { assert, assertEquals } from "@std/assert";
import { rootPath } from "../_helpers/cli.ts";

interface Graph {
  /** Local modules, as paths relative to the repository. */
  readonly local: string[];
  /** npm packages reached (name@version). */
  readonly npm: string[];
}

async function graphOf(entry: string, config?: string): Promise<Graph> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", ...(config ? ["--config", config] : []), entry],
    cwd: rootPath(""),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  assertEquals(code, 0, text.decode(stderr));
  const info = JSON.parse(text.decode(stdout)) as { modules: Array<{ specifier: string }> };
  const root = new URL(rootPath(""), "file://").href;
  const specifiers = info.modules.map((m) => m.specifier);
  return {
    local: specifiers.filter((s) => s.startsWith(root)).map((s) => s.slice(root.length)).sort(),
    npm: specifiers.filter((s) => s.startsWith("npm:")).map((s) => s.slice("npm:/".length)).sort(),
  };
}

Deno.test("mod.ts loads no CLI code and no CLI-only dependency: only amqplib and zod", async () => {
  const { local, npm } = await graphOf("mod.ts");
  assertEquals(local.filter((path) => path.startsWith("src/cli/")), []);
  assertEquals(local.filter((path) => path.startsWith("tasks/")), [], "no demo catalog");
  assertEquals(npm.map((name) => name.replace(/@[^@]+$/, "")), ["amqplib", "zod"]);
  console.log(`mod.ts: ${local.length} local modules, npm packages ${npm.join(", ")}`);
});

Deno.test("the CLI functions (./cli) load the CLI but not the demo catalog", async () => {
  const { local } = await graphOf("src/cli/mod.ts");
  assert(local.includes("src/cli/worker/main.ts"));
  assertEquals(local.filter((path) => path.startsWith("tasks/")), []);
});

/** The npm packages of the dashboard and of the producer's progress bar. */
const DASHBOARD_NPM = ["hono", "preact", "htm", "uplot"];
const PROGRESS_NPM = ["cli-progress"];

/** The package names of a graph's npm packages, without versions. */
function packages(graph: Graph): string[] {
  return graph.npm.map((name) => name.replace(/@[^@]+$/, "").replace(/\/.*$/, ""));
}

Deno.test("each CLI's entry loads only what it runs", async (t) => {
  const cases = [
    ["src/cli/worker/main.ts", [...DASHBOARD_NPM, ...PROGRESS_NPM], "src/dashboard/"],
    ["worker.ts", [...DASHBOARD_NPM, ...PROGRESS_NPM], "src/dashboard/"],
    ["src/cli/producer/main.ts", [...DASHBOARD_NPM, "croner"], "src/dashboard/"],
    ["src/cli/scheduler/main.ts", [...DASHBOARD_NPM, ...PROGRESS_NPM], "src/dashboard/"],
  ] as const;
  for (const [entry, absent, folder] of cases) {
    await t.step(entry, async () => {
      const graph = await graphOf(entry);
      assertEquals(packages(graph).filter((name) => absent.includes(name as never)), []);
      assertEquals(graph.local.filter((path) => path.startsWith(folder)), []);
    });
  }
  await t.step("examples/mailer/worker.ts (warren/cli/worker)", async () => {
    const graph = await graphOf("examples/mailer/worker.ts", "examples/mailer/deno.json");
    const loaded = packages(graph).filter((name) =>
      [...DASHBOARD_NPM, ...PROGRESS_NPM].includes(name)
    );
    assertEquals(loaded, []);
    assertEquals(graph.local.filter((path) => path.startsWith("src/cli/admin/")), []);
  });
});

Deno.test("the other export paths load neither the CLI nor the demo catalog", async () => {
  for (const entry of ["src/admin/mod.ts", "src/wire/mod.ts", "src/metrics/mod.ts"]) {
    const { local } = await graphOf(entry);
    const outside = local.filter((path) =>
      path.startsWith("src/cli/") || path.startsWith("tasks/")
    );
    assertEquals(outside, [], entry);
  }
});

Deno.test("the demo producer loads the contracts of the tasks, not their handlers", async () => {
  const { local } = await graphOf("producer.ts");
  assert(local.includes("tasks/contracts/primes.ts"));
  assertEquals(local.filter((path) => path.startsWith("tasks/handlers/")), []);
});

Deno.test("examples/mailer's producer loads its contracts and no mail code", async () => {
  const config = "examples/mailer/deno.json";
  const { local } = await graphOf("examples/mailer/producer.ts", config);
  const example = local.filter((path) => path.startsWith("examples/"));
  assertEquals(example, ["examples/mailer/producer.ts", "examples/mailer/tasks.ts"]);
  const worker = await graphOf("examples/mailer/worker.ts", config);
  assert(worker.local.includes("examples/mailer/mail.ts"), "the worker does load it");
});
