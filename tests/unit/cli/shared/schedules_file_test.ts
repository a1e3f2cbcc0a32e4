import { assertEquals, assertRejects } from "@std/assert";
import { UsageError } from "../../../../src/cli/shared/exit.ts";
import { readSchedulesFile } from "../../../../src/cli/shared/schedules_file.ts";
import { catalog } from "../../../../tasks/mod.ts";

/** Runs `body` with a temporary file holding `text`. */
async function withFile(text: string, body: (path: string) => Promise<void>): Promise<void> {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(path, text);
    await body(path);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("readSchedulesFile() reads the issue's example, durations as milliseconds", async () => {
  const text = JSON.stringify([
    {
      name: "nightly-report",
      task: "sum",
      payload: { start: 1, end: 10 },
      cron: "0 2 * * *",
      tz: "Europe/Berlin",
      missed: "once",
    },
    { name: "tick", task: "sleep", payload: { ms: 1 }, every: "1s", missed: "skip" },
    { name: "ten", task: "sleep", payload: { ms: 1 }, every: 10_000 },
  ]);
  await withFile(text, async (path) => {
    const schedules = await readSchedulesFile(catalog, path);
    assertEquals(schedules.map((s) => [s.name, s.every ?? s.cron]), [
      ["nightly-report", "0 2 * * *"],
      ["tick", 1_000],
      ["ten", 10_000],
    ]);
  });
});

Deno.test("readSchedulesFile() names the file, the entry and the field of a mistake", async () => {
  const cases: [string, string][] = [
    ["{", "is not JSON: "],
    [`{"name": "tick"}`, `must hold a JSON array of schedules`],
    [`[1]`, ": entry 1 is not a JSON object"],
    [
      `[{"name": "a", "task": "sleep", "payload": {"ms": 1}, "every": "1s"}, {"name": "b", "task": "sleep", "every": "soon"}]`,
      `: entry 2 ("b"): every: `,
    ],
    [
      `[{"name": "a", "task": "sleep", "payload": {"ms": 1}, "every": "1s"}, {"name": "b", "task": "resize", "every": "1s"}]`,
      `: schedule 2 ("b"): task: must be a task of the catalog`,
    ],
    [
      `[{"name": "a", "task": "sum", "payload": {"start": "one", "end": 2}, "every": "1s"}]`,
      `: schedule 1 ("a"): payload: `,
    ],
    [
      `[{"name": "a", "task": "sum", "payload": {"start": 1, "end": 2}, "cron": "0 2 * * *", "tz": "Berlin"}]`,
      `: schedule 1 ("a"): tz: unknown time zone "Berlin"`,
    ],
  ];
  for (const [text, message] of cases) {
    await withFile(text, async (path) => {
      const err = await assertRejects(() => readSchedulesFile(catalog, path), UsageError);
      assertEquals(err.message.startsWith(path), true, err.message);
      assertEquals(err.message.includes(message), true, `${err.message} should say ${message}`);
    });
  }
});

Deno.test("readSchedulesFile() says when the file is not there", async () => {
  await assertRejects(
    () => readSchedulesFile(catalog, "/nonexistent/schedules.json"),
    UsageError,
    "no schedules file at '/nonexistent/schedules.json'",
  );
});
