import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import {
  choiceFlag,
  durationFlag,
  type FlagSpec,
  integerFlag,
  parseFlags,
  sinceFlag,
  stringFlag,
} from "../../../../src/cli/shared/args.ts";
import { UsageError } from "../../../../src/cli/shared/exit.ts";

const spec: FlagSpec = {
  string: ["queue", "prefetch", "grace"],
  boolean: ["help", "quiet", "bare"],
  alias: { help: "h" },
};

Deno.test("parseFlags() reads string and boolean flags, aliases and positionals", () => {
  const parsed = parseFlags(
    ["sum", "--queue", "jobs", "--prefetch=4", "-h", "--quiet", "10"],
    spec,
    "for warren",
  );
  assertEquals(parsed.positionals, ["sum", "10"]);
  assertEquals(parsed.flags.queue, "jobs");
  assertEquals(parsed.flags.prefetch, "4");
  assertEquals(parsed.flags.help, true);
  assertEquals(parsed.flags.quiet, true);
  assertEquals("_" in parsed.flags, false);
  assertEquals("bare" in parsed.flags, false, "a boolean flag not given is absent");
});

Deno.test("parseFlags() refuses a flag with a value given twice, showing both values", () => {
  const twice = assertThrows(
    () => parseFlags(["--queue", "a", "--queue=b"], spec, ""),
    UsageError,
  );
  assertEquals(twice.message, "--queue was given 2 times ('a', 'b'): give it once");
  // A switch given twice says the same thing twice: nothing to choose between.
  assertEquals(parseFlags(["--quiet", "--quiet", "-h", "--help"], spec, "").flags, {
    quiet: true,
    help: true,
  });
});

Deno.test("parseFlags() refuses unknown flags, naming each one and the context", async (t) => {
  await t.step("one unknown flag", () => {
    const err = assertThrows(
      () => parseFlags(["--queue", "q", "--qeue", "x"], spec, "for task 'sum'"),
      UsageError,
    );
    assertEquals(err.message, "unknown option --qeue for task 'sum'");
  });
  await t.step("several, with values and short ones", () => {
    const err = assertThrows(
      () => parseFlags(["--bogus=1", "-z", "--other"], spec, "for warren"),
      UsageError,
    );
    assertStringIncludes(err.message, "unknown option --bogus, -z, --other");
    assertEquals(err.message.includes("=1"), false, "the value is not part of the name");
  });
});

Deno.test("stringFlag() returns the value, undefined when absent, and refuses an empty value", () => {
  assertEquals(stringFlag({ queue: "q" }, "queue"), "q");
  assertEquals(stringFlag({}, "queue"), undefined);
  const empty = parseFlags(["--queue="], spec, "");
  const err = assertThrows(() => stringFlag(empty.flags, "queue"), UsageError);
  assertEquals(err.message, "--queue needs a value");
  assertThrows(() => stringFlag({ queue: true }, "queue"), UsageError, "--queue needs a value");
});

Deno.test("integerFlag() reads integers within a range", () => {
  assertEquals(integerFlag({}, "prefetch", 1, 1), 1, "the fallback when absent");
  assertEquals(integerFlag({ prefetch: "8" }, "prefetch", 1, 1), 8);
  assertEquals(integerFlag({ prefetch: "+8" }, "prefetch", 1, 1), 8);
  assertEquals(integerFlag({ prefetch: "65_535" }, "prefetch", 1, 1, 65_535), 65_535);
  assertEquals(integerFlag({ retries: "0" }, "retries", 3, 0), 0);
  // The same number forms as every other flag, task fields included.
  assertEquals(integerFlag({ count: "1e9" }, "count", 1, 1), 1e9);
  assertEquals(integerFlag({ count: " 5 " }, "count", 1, 1), 5);
  assertEquals(integerFlag({ count: "2.0e1" }, "count", 1, 1), 20);
});

Deno.test("integerFlag() refuses values out of range or not integers, naming the flag and range", async (t) => {
  await t.step("with a maximum", () => {
    for (const text of ["0", "65536", "1.5", "-1", "abc", "1e5", "0x10", "1,000"]) {
      const err = assertThrows(
        () => integerFlag({ prefetch: text }, "prefetch", 1, 1, 65_535),
        UsageError,
      );
      assertEquals(err.message, `--prefetch must be an integer from 1 to 65535: got '${text}'`);
    }
  });
  await t.step("without a maximum", () => {
    const err = assertThrows(() => integerFlag({ count: "0" }, "count", 1, 1), UsageError);
    assertEquals(err.message, "--count must be an integer of 1 or more: got '0'");
    assertThrows(
      () => integerFlag({ count: "9007199254740993" }, "count", 1, 1),
      UsageError,
      "--count must be an integer of 1 or more",
    );
  });
  await t.step("underscores alone are not a number", () => {
    for (const text of ["_", "__"]) {
      assertThrows(() => integerFlag({ retries: text }, "retries", 3, 0), UsageError, "--retries");
    }
  });
});

Deno.test("choiceFlag() accepts one of its choices, or refuses naming them", () => {
  const types = ["classic", "quorum"] as const;
  assertEquals(choiceFlag({}, "queue-type", types, "classic"), "classic");
  assertEquals(choiceFlag({ "queue-type": "quorum" }, "queue-type", types, "classic"), "quorum");
  for (const text of ["stream", "Quorum", "classic "]) {
    const err = assertThrows(
      () => choiceFlag({ "queue-type": text }, "queue-type", types, "classic"),
      UsageError,
    );
    assertEquals(err.message, `--queue-type must be one of classic, quorum: got '${text}'`);
  }
});

Deno.test("durationFlag() reads ms, s, m, h, d, and plain seconds", () => {
  const cases: Array<[string, number]> = [
    ["500ms", 500],
    ["30s", 30_000],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["3d", 259_200_000],
    ["10", 10_000],
    ["1.5s", 1500],
    ["0.25", 250],
    ["0", 0],
    [" 30s ", 30_000],
  ];
  for (const [text, ms] of cases) assertEquals(durationFlag({ grace: text }, "grace", 1), ms, text);
  assertEquals(durationFlag({}, "grace", 30_000), 30_000, "the fallback when absent");
});

Deno.test("durationFlag() refuses other text, with examples of what it takes", () => {
  for (const text of ["abc", "-1s", "1w", "30 s", "1e3", "s", "1.s", "5sec"]) {
    const err = assertThrows(() => durationFlag({ grace: text }, "grace", 1), UsageError);
    assertEquals(
      err.message,
      `--grace must be a duration such as 30s, 500ms, 2m, 1h or 3d (a plain number means seconds): got '${text}'`,
    );
  }
});

Deno.test("sinceFlag() reads a duration back from now or an ISO time, and refuses others", () => {
  const now = Date.parse("2026-12-01T12:00:00.000Z");
  const since = (text: string | undefined) =>
    sinceFlag(text === undefined ? {} : { since: text }, "since", 3_600_000, now).toISOString();
  assertEquals(since(undefined), "2026-12-01T11:00:00.000Z");
  assertEquals(since("30m"), "2026-12-01T11:30:00.000Z");
  assertEquals(since("2d"), "2026-11-29T12:00:00.000Z");
  assertEquals(since("2026-12-01T09:00:00Z"), "2026-12-01T09:00:00.000Z");
  const error = assertThrows(() => since("yesterday"), UsageError);
  assertStringIncludes(error.message, "--since must be a duration back from now");
});
