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

interface Dependency {
  readonly code?: { readonly specifier: string };
  readonly isDynamic?: boolean;
}

interface ModuleInfo {
  readonly specifier: string;
  readonly dependencies?: readonly Dependency[];
}

/**
 * The graph of `entry`; with `staticOnly`, only the modules that loading it loads: reached by
 * static imports of code, not by dynamic imports (nor by type-only imports).
 */
async function graphOf(entry: string, config?: string, staticOnly = false): Promise<Graph> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", ...(config ? ["--config", config] : []), entry],
    cwd: rootPath(""),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  assertEquals(code, 0, text.decode(stderr));
  const info = JSON.parse(text.decode(stdout)) as {
    roots: string[];
    modules: ModuleInfo[];
    redirects: Record<string, string>;
  };
  const root = new URL(rootPath(""), "file://").href;
  const specifiers = staticOnly ? staticClosure(info) : info.modules.map((m) => m.specifier);
  return {
    local: specifiers.filter((s) => s.startsWith(root)).map((s) => s.slice(root.length)).sort(),
    npm: specifiers.filter((s) => s.startsWith("npm:")).map((s) => s.slice("npm:/".length)).sort(),
  };
}

/** The modules reached from the roots by static imports of code. */
function staticClosure(
  info: { roots: string[]; modules: ModuleInfo[]; redirects: Record<string, string> },
): string[] {
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const resolve = (specifier: string) => info.redirects[specifier] ?? specifier;
  const seen = new Set<string>();
  const pending = info.roots.map(resolve);
  while (pending.length > 0) {
    const specifier = pending.pop()!;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const dependency of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (dependency.code && !dependency.isDynamic) {
        pending.push(resolve(dependency.code.specifier));
      }
    }
  }
  return [...seen];
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

Deno.test("the admin CLI loads the dashboard only for its dashboard command", async (t) => {
  for (const entry of ["src/cli/admin/main.ts", "admin.ts"]) {
    await t.step(entry, async () => {
      const loaded = await graphOf(entry, undefined, true);
      assertEquals(packages(loaded).filter((name) => DASHBOARD_NPM.includes(name)), []);
      assertEquals(loaded.local.filter((path) => path.startsWith("src/dashboard/")), []);
      assert(loaded.local.includes("src/cli/admin/status.ts"), "the other commands are loaded");
      const reachable = await graphOf(entry);
      assert(
        reachable.local.includes("src/dashboard/server.ts"),
        "the dashboard stays reachable by a literal dynamic import (which deno compile bundles)",
      );
    });
  }
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
