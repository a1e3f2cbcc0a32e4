import { assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import {
  createLogger,
  LOG_LEVELS,
  type LoggerOptions,
  silentLogger,
} from "../../../src/util/logger.ts";
import { toJsonValue } from "../../../src/util/json.ts";

/** A logger that keeps its lines. */
function capture(options: LoggerOptions = {}) {
  const lines: string[] = [];
  const log = createLogger({ ...options, write: (line) => lines.push(line) });
  return { log, lines };
}

function parse(line: string | undefined): Record<string, unknown> {
  if (line === undefined) throw new Error("no line was written");
  return JSON.parse(line);
}

Deno.test("json lines carry time, level, event and fields, in that order", () => {
  const { log, lines } = capture({ format: "json" });
  const before = Date.now();
  log.info("task.done", { task: "sum", ms: 3, ok: true, tags: ["a"], nested: { n: 1 } });
  const record = parse(lines[0]);
  assertEquals(Object.keys(record), [
    "time",
    "level",
    "event",
    "task",
    "ms",
    "ok",
    "tags",
    "nested",
  ]);
  assertEquals(record.level, "info");
  assertEquals(record.event, "task.done");
  assertEquals(record.task, "sum");
  assertEquals(record.ms, 3);
  assertEquals(record.ok, true);
  assertEquals(record.tags, ["a"]);
  assertEquals(record.nested, { n: 1 });
  assertMatch(String(record.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const time = Date.parse(String(record.time));
  assertEquals(time >= before - 1 && time <= Date.now() + 1, true, `time ${record.time}`);
});

Deno.test("json lines write bigints as strings, exactly", () => {
  const { log, lines } = capture({ format: "json" });
  log.info("task.done", { result: 500000000500000000n, inner: { big: -(2n ** 70n) } });
  const record = parse(lines[0]);
  assertEquals(record.result, "500000000500000000");
  assertEquals(record.inner, { big: "-1180591620717411303424" });
});

Deno.test("json lines write errors as their message and the messages of their causes", () => {
  const { log, lines } = capture({ format: "json" });
  const root = new Error("ECONNREFUSED 127.0.0.1:5672");
  const err = new Error("cannot connect", { cause: root });
  log.error("connection.failed", { error: err, plain: new TypeError("bad type") });
  const record = parse(lines[0]);
  assertEquals(record.error, "cannot connect: ECONNREFUSED 127.0.0.1:5672");
  assertEquals(record.plain, "bad type");
  assertEquals(toJsonValue("k", new Error("a", { cause: "b" })), "a: b");
  assertEquals(toJsonValue("k", 5n), "5");
  assertEquals(toJsonValue("k", "same"), "same");
});

Deno.test("json records stay on one line", () => {
  const { log, lines } = capture({ format: "json" });
  log.warn("odd", { text: "two\nlines", error: new Error("multi\nline") });
  assertEquals(lines.length, 1);
  assertEquals(lines[0]!.includes("\n"), false);
  assertEquals(parse(lines[0]).text, "two\nlines");
});

Deno.test("a field cannot replace a record's time, level or event", () => {
  const { log, lines } = capture({ format: "json" });
  log.child({ level: "bound" }).warn("real.event", { time: "then", event: "fake.event" });
  const record = parse(lines[0]);
  assertEquals(record.level, "warn");
  assertEquals(record.event, "real.event");
  assertEquals(Number.isNaN(Date.parse(String(record.time))), false);
});

Deno.test("text lines read as clock, level, event and key=value pairs", () => {
  const { log, lines } = capture({ format: "text" });
  log.info("task.done", {
    task: "sum",
    id: "a1",
    ms: 3,
    result: 5050n,
    note: "two words",
    quote: 'say "hi"',
    eq: "a=b",
    empty: "",
    obj: { n: 1, big: 2n },
    skipped: undefined,
    none: null,
    error: new Error("outer", { cause: new Error("inner") }),
  });
  const line = lines[0]!;
  assertMatch(line, /^\d\d:\d\d:\d\d\.\d{3} INFO {2}task\.done /);
  assertStringIncludes(
    line,
    ' task.done task=sum id=a1 ms=3 result=5050 note="two words" quote="say \\"hi\\"" eq="a=b" empty="" obj={"n":1,"big":"2"} none=null error="outer: inner"',
  );
  assertEquals(line.includes("skipped"), false, "undefined fields are left out");
  assertEquals(line.includes("\x1b["), false, "no colours unless asked for");
});

Deno.test("text lines pad the level and stay on one line", () => {
  const { log, lines } = capture({ format: "text", level: "debug" });
  log.debug("a");
  log.warn("b", { text: "x\ny" });
  log.error("c");
  assertMatch(lines[0]!, /^\S+ DEBUG a$/);
  assertMatch(lines[1]!, /^\S+ WARN {2}b text="x\\ny"$/);
  assertMatch(lines[2]!, /^\S+ ERROR c$/);
});

Deno.test("colour text wraps the level and event in ANSI codes", () => {
  const { log, lines } = capture({ format: "text", color: true });
  log.error("boom", { n: 1 });
  assertStringIncludes(lines[0]!, "\x1b[31mERROR\x1b[0m");
  assertStringIncludes(lines[0]!, "\x1b[1mboom\x1b[0m n=1");
});

Deno.test("the level filters lower records out", async (t) => {
  const expected: Record<string, string[]> = {
    debug: ["debug", "info", "warn", "error"],
    info: ["info", "warn", "error"],
    warn: ["warn", "error"],
    error: ["error"],
  };
  for (const level of LOG_LEVELS) {
    await t.step(level, () => {
      const { log, lines } = capture({ format: "json", level });
      log.debug("e");
      log.info("e");
      log.warn("e");
      log.error("e");
      assertEquals(lines.map((l) => parse(l).level), expected[level]);
    });
  }
  await t.step("info by default", () => {
    const { log, lines } = capture({ format: "json" });
    log.debug("hidden");
    log.info("shown");
    assertEquals(lines.map((l) => parse(l).event), ["shown"]);
  });
  await t.step("child loggers keep the level", () => {
    const { log, lines } = capture({ format: "json", level: "warn" });
    log.child({ a: 1 }).info("hidden");
    assertEquals(lines, []);
  });
});

Deno.test("child() adds its fields to every record, and call fields win", () => {
  const { log, lines } = capture({ format: "json" });
  const worker = log.child({ worker: "w1", queue: "q" });
  const task = worker.child({ task: "sum", queue: "q2" });
  task.info("task.started", { attempt: 1 });
  task.info("task.done", { task: "override" });
  worker.info("worker.idle");
  log.info("plain");
  const [started, done, idle, plain] = lines.map(parse);
  assertEquals(started, { ...started, worker: "w1", queue: "q2", task: "sum", attempt: 1 });
  assertEquals(done!.task, "override");
  assertEquals(idle, {
    time: idle!.time,
    level: "info",
    event: "worker.idle",
    worker: "w1",
    queue: "q",
  });
  assertEquals(plain, { time: plain!.time, level: "info", event: "plain" });
});

Deno.test("silentLogger drops everything, children included", () => {
  silentLogger.info("x", { a: 1 });
  silentLogger.error("x");
  assertEquals(silentLogger.child({ a: 1 }), silentLogger);
});
