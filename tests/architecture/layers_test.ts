/**
 * The layers of `src/`, as the README's architecture section draws them: data flows from the
 * top down and no module imports from a layer above its own. The export barrels (`mod.ts` of a
 * folder) are entry points, not layers, and may gather from anywhere.
 */
import { assertEquals } from "@std/assert";
import { rootPath } from "../_helpers/cli.ts";

/** Each folder of `src/` and its rank: a module may import from its own rank or below. */
const RANKS: Readonly<Record<string, number>> = {
  "cli": 7,
  "admin": 6,
  "metrics": 6,
  "dashboard": 6,
  "producer": 5,
  "scheduler": 5,
  "worker": 5,
  "workflow": 5,
  "history": 4,
  "flow": 4,
  "broker": 3,
  "task": 2,
  "wire": 1,
  "errors": 0,
  "util": 0,
  "deps": 0,
};

/** Every `.ts` file under `dir`, as paths relative to the repository. */
async function sources(dir: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(rootPath(dir))) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) files.push(...await sources(path));
    else if (entry.name.endsWith(".ts")) files.push(path);
  }
  return files;
}

/** The `src/` folder a repository path is in, or `undefined` outside `src/`. */
function layerOf(path: string): string | undefined {
  return /^src\/([^/]+)\//.exec(path)?.[1];
}

Deno.test("no module of src/ imports from a layer above its own", async () => {
  const upward: string[] = [];
  for (const file of await sources("src")) {
    if (file.endsWith("/mod.ts")) continue;
    const from = layerOf(file)!;
    const text = await Deno.readTextFile(rootPath(file));
    for (const [, specifier] of text.matchAll(/(?:from|import)\s+"(\.[^"]+)"/g)) {
      const target = new URL(specifier!, `file:///${file}`).pathname.slice(1);
      const to = layerOf(target);
      if (to === undefined) continue;
      if (RANKS[to]! > RANKS[from]!) upward.push(`${file} imports ${target}`);
    }
  }
  assertEquals(upward, []);
});

Deno.test("every folder of src/ has a layer, and the README draws each one", async () => {
  const folders: string[] = [];
  for await (const entry of Deno.readDir(rootPath("src"))) {
    if (entry.isDirectory) folders.push(entry.name);
  }
  assertEquals(folders.sort(), Object.keys(RANKS).sort());
  const readme = await Deno.readTextFile(rootPath("README.md"));
  const section = readme.slice(readme.indexOf("## Architecture"));
  const diagram = /```text\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  const drawn = [...diagram.matchAll(/^src\/([a-z]+)\//gm)].map((m) => m[1]!);
  assertEquals(drawn.sort(), folders.sort(), "the README's diagram names each folder of src/");
});
