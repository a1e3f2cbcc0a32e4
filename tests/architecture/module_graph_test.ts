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
