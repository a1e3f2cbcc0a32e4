/**
 * The README and the CLIs' module docs give the same permission flags as the tests run the CLIs
 * with (tests/_helpers/cli.ts), so that they cannot drift apart.
 */
import { assert, assertEquals } from "@std/assert";
import {
  ADMIN_FLAGS,
  PRODUCER_FLAGS,
  rootPath,
  SCHEDULER_FLAGS,
  WORKER_FLAGS,
} from "./_helpers/cli.ts";

const CLIS = [
  ["producer.ts", PRODUCER_FLAGS],
  ["worker.ts", WORKER_FLAGS],
  ["admin.ts", ADMIN_FLAGS],
  ["scheduler.ts", SCHEDULER_FLAGS],
] as const;

/** A `deno run` command line of a text: its permission flags and the script it runs. */
interface RunLine {
  readonly line: string;
  readonly permissions: readonly string[];
  readonly script: string | undefined;
}

/**
 * The `deno run` command lines of `text`, with `\` continuations joined and JSDoc's leading
 * ` * ` removed.
 */
function runLines(text: string): RunLine[] {
  const joined = text.split("\n").map((line) => line.replace(/^\s*\*\s?/, ""))
    .join("\n").replace(/\\\n\s*/g, "");
  return joined.split("\n").map((line) => line.trim())
    .filter((line) => line.startsWith("deno run "))
    .map((line) => {
      const words = line.split(/\s+/);
      return {
        line,
        permissions: words.filter((w) => /^--(allow|deny)-/.test(w) || w === "-A"),
        script: words.find((w) => /\.ts$/.test(w)),
      };
    });
}

Deno.test("runLines() finds deno run lines, joining continuations and JSDoc", () => {
  const lines = runLines(` * \`\`\`sh
 * deno run --allow-net=localhost:5672 --allow-env=AMQP_URL,WARREN_QUEUE \\
 *   producer.ts sum --start 1 --end 10000
 * \`\`\`
echo deno run --allow-all not-this.ts`);
  assertEquals(lines.length, 1);
  assertEquals(lines[0]!.script, "producer.ts");
  assertEquals(lines[0]!.permissions, [
    "--allow-net=localhost:5672",
    "--allow-env=AMQP_URL,WARREN_QUEUE",
  ]);
});

Deno.test("README.md runs each CLI with exactly the flags the tests use", async (t) => {
  const lines = runLines(await Deno.readTextFile(rootPath("README.md")));
  for (const [script, flags] of CLIS) {
    await t.step(`${script}: ${flags.join(" ")}`, () => {
      const runs = lines.filter((l) => l.script === script);
      assert(
        runs.some((l) => l.line.startsWith(`deno run ${flags.join(" ")} ${script}`)),
        `README.md has no line 'deno run ${
          flags.join(" ")
        } ${script} …'; its deno run lines for ${script}:\n${
          runs.map((l) => l.line).join("\n") || "(none)"
        }`,
      );
    });
  }
});

Deno.test("each CLI's module doc runs it with exactly the flags the tests use", async (t) => {
  for (const [script, flags] of CLIS) {
    await t.step(script, async () => {
      const lines = runLines(await Deno.readTextFile(rootPath(script)));
      assert(lines.length > 0, `${script} documents no deno run line`);
      for (const line of lines) {
        assertEquals(line.script, script, line.line);
        assertEquals(line.permissions, [...flags], line.line);
      }
    });
  }
});

/** Type-checks `code` as a module at the repository root (so `./mod.ts` resolves). */
async function typeCheck(code: string): Promise<void> {
  const file = rootPath(`.example_${crypto.randomUUID().slice(0, 8)}.ts`);
  await Deno.writeTextFile(file, code);
  try {
    const { code: status, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", file],
      cwd: rootPath(""),
      stdout: "null",
      stderr: "piped",
    }).output();
    assertEquals(status, 0, new TextDecoder().decode(stderr));
  } finally {
    await Deno.remove(file);
  }
}

// The examples that need a broker are skipped by the doc tests (`ts ignore`); these tests
// type-check them, so that they stay true to the API.
Deno.test("the README's library example type-checks against mod.ts", async () => {
  const readme = await Deno.readTextFile(rootPath("README.md"));
  const section = readme.slice(readme.indexOf("## Library use"));
  const block = /```ts ignore\n([\s\S]*?)```/.exec(section)?.[1];
  assert(block, "README.md has a ts block under '## Library use'");
  assert(block.includes('from "./mod.ts"'), "the example imports ./mod.ts");
  await typeCheck(block);
});

Deno.test("the README's progress example type-checks against mod.ts", async () => {
  const readme = await Deno.readTextFile(rootPath("README.md"));
  const section = readme.slice(readme.indexOf("### Progress"));
  const block = /```ts ignore\n([\s\S]*?)```/.exec(section)?.[1];
  assert(block !== undefined && block.includes("progress("), "a ts block under '### Progress'");
  await typeCheck(block);
});

Deno.test("mod.ts's example with a broker type-checks", async () => {
  const doc = (await Deno.readTextFile(rootPath("mod.ts"))).split("\n")
    .map((line) => line.replace(/^ \* ?/, "")).join("\n");
  const block = /```ts ignore\n([\s\S]*?)```/.exec(doc)?.[1];
  assert(block !== undefined && block.includes("Worker.start"), "mod.ts shows a worker");
  await typeCheck(block);
});
