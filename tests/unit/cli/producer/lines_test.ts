import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { UsageError } from "../../../../src/cli/shared/exit.ts";
import { type LineSource, lineSource } from "../../../../src/cli/producer/lines.ts";

async function collect(source: LineSource): Promise<Array<readonly [number, string]>> {
  const lines: Array<readonly [number, string]> = [];
  for await (const line of source()) lines.push(line);
  return lines;
}

/** Writes `text` to a temporary file, runs `fn` on its path, and removes the file. */
async function withFile<T>(
  text: string | Uint8Array,
  fn: (path: string) => Promise<T>,
): Promise<T> {
  const path = await Deno.makeTempFile({ prefix: "warren_lines_", suffix: ".jsonl" });
  try {
    if (typeof text === "string") await Deno.writeTextFile(path, text);
    else await Deno.writeFile(path, text);
    return await fn(path);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("lineSource() numbers the lines of a file", async (t) => {
  const cases: Array<[string, string, Array<[number, string]>]> = [
    ["LF", "a\nb\n", [[1, "a"], [2, "b"]]],
    ["CRLF", "a\r\nb\r\n", [[1, "a"], [2, "b"]]],
    ["last line without a newline", "a\nb", [[1, "a"], [2, "b"]]],
    ["last line without a newline, CRLF before", "a\r\nb", [[1, "a"], [2, "b"]]],
    ["empty lines count in the numbering", "a\n\n\nb\n", [[1, "a"], [2, ""], [3, ""], [4, "b"]]],
    ["a blank CRLF line", "a\r\n\r\nb", [[1, "a"], [2, ""], [3, "b"]]],
    ["an empty file", "", []],
    ["a single newline", "\n", [[1, ""]]],
    ["a lone CR inside a line is kept", "a\rb\n", [[1, "a\rb"]]],
    ["UTF-8 text", '{"text":"héllo ✓ 🐇"}\n', [[1, '{"text":"héllo ✓ 🐇"}']]],
  ];
  for (const [label, text, expected] of cases) {
    await t.step(label, async () => {
      await withFile(
        text,
        async (path) => assertEquals(await collect(await lineSource(path)), expected),
      );
    });
  }
});

Deno.test("lineSource() joins lines that cross read chunks", async () => {
  // Far more than one read chunk (64 KiB), with CRLF and multi-byte characters at random places.
  const lines = Array.from(
    { length: 20_000 },
    (_, i) => `{"task":"sum","start":${i},"end":${i * 7},"note":"é✓${"x".repeat(i % 13)}"}`,
  );
  const text = lines.join("\r\n") + "\r\n";
  await withFile(text, async (path) => {
    const read = await collect(await lineSource(path));
    assertEquals(read.length, 20_000);
    assertEquals(read.map(([n]) => n), lines.map((_, i) => i + 1));
    assertEquals(read.map(([, line]) => line), lines);
  });
});

Deno.test("lineSource() can be read twice, from the start", async () => {
  await withFile("1\n2\n3", async (path) => {
    const source = await lineSource(path);
    const first = await collect(source);
    const second = await collect(source);
    assertEquals(first, [[1, "1"], [2, "2"], [3, "3"]]);
    assertEquals(second, first);
  });
});

Deno.test({
  name: "lineSource() closes the file when reading stops early",
  // The resource sanitizer (off by default) fails the test if the file stays open.
  sanitizeResources: true,
  sanitizeOps: true,
}, async () => {
  // Large enough that the file is not read to its end (which would close it anyway).
  await withFile("a\n".repeat(200_000), async (path) => {
    const source = await lineSource(path);
    let first: [number, string] | undefined;
    for await (const [number, line] of source()) {
      first = [number, line];
      break;
    }
    assertEquals(first, [1, "a"]);
  });
});

Deno.test("lineSource() of a missing file is a usage error naming the path", async () => {
  const path = `${await Deno.makeTempDir()}/missing.jsonl`;
  const err = await assertRejects(() => lineSource(path), UsageError);
  assertStringIncludes(err.message, `no file at '${path}'`);
  assertStringIncludes(err.message, "or - for standard input");
  await Deno.remove(path.slice(0, path.lastIndexOf("/")));
});
