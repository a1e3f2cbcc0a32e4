import { assertEquals } from "@std/assert";
import { parseArgs } from "../../../compat/std_parse_args.ts";

Deno.test("parseArgs() reads string flags as --name value and --name=value", () => {
  assertEquals(
    parseArgs(["--queue", "jobs", "--url=amqp://h?x=a=b"], { string: ["queue", "url"] }),
    {
      _: [],
      queue: "jobs",
      url: "amqp://h?x=a=b",
    },
  );
  assertEquals(parseArgs(["--queue", "1e3"], { string: ["queue"] }).queue, "1e3", "stays a string");
  assertEquals(parseArgs(["--queue", "-"], { string: ["queue"] }).queue, "-");
  assertEquals(parseArgs(["--json", '{"a":1}'], { string: ["json"] }).json, '{"a":1}');
});

Deno.test("parseArgs() gives a string flag without a value an empty string", () => {
  assertEquals(parseArgs(["--queue"], { string: ["queue"] }).queue, "");
  assertEquals(parseArgs(["--queue="], { string: ["queue"] }).queue, "");
});

Deno.test("parseArgs() takes '-' and negative numbers as values of string flags", () => {
  // Warren's CLIs need these: `--file -` reads standard input, `--start -5` is a payload field.
  // (@std/cli itself would read both as flags and leave the string flag empty.)
  const options = { string: ["file", "start"] };
  assertEquals(parseArgs(["--file", "-"], options), { _: [], file: "-" });
  assertEquals(parseArgs(["--start", "-5"], options), { _: [], start: "-5" });
});

Deno.test("parseArgs() does not let a string flag swallow the next --flag", () => {
  // As in @std/cli: `--queue --help` shows help rather than naming a queue "--help".
  const parsed = parseArgs(["--queue", "--help"], { string: ["queue"], boolean: ["help"] });
  assertEquals(parsed.queue, "");
  assertEquals(parsed.help, true);
});

Deno.test("parseArgs() reads boolean flags, with =true and =false", () => {
  const options = { boolean: ["quiet", "help"] };
  assertEquals(parseArgs(["--quiet"], options).quiet, true);
  assertEquals(parseArgs(["--quiet=true"], options).quiet, true);
  assertEquals(parseArgs(["--quiet=false"], options).quiet, false);
  const parsed = parseArgs(["--quiet", "file.txt"], options);
  assertEquals(parsed.quiet, true);
  assertEquals(parsed._, ["file.txt"], "a boolean flag takes no value from the next argument");
});

Deno.test("parseArgs() sets boolean flags that are not given to false, as @std/cli does", () => {
  assertEquals(parseArgs([], { boolean: ["quiet"] }).quiet, false);
});

Deno.test("parseArgs() maps one-letter aliases to their flag", () => {
  const options = { string: ["queue"], boolean: ["help"], alias: { help: "h", queue: "q" } };
  const parsed = parseArgs(["-h", "-q", "jobs"], options);
  assertEquals(parsed.help, true);
  assertEquals(parsed.queue, "jobs");
});

Deno.test("parseArgs() maps long aliases to their flag", () => {
  const parsed = parseArgs(["--queue-name", "jobs"], {
    string: ["queue"],
    alias: { queue: "queue-name" },
  });
  assertEquals(parsed.queue, "jobs");
});

Deno.test("parseArgs() fills in defaults for flags not given", () => {
  const options = {
    string: ["queue", "url"],
    default: { queue: "task_queue", url: "amqp://localhost" },
  };
  assertEquals(parseArgs([], options), { _: [], queue: "task_queue", url: "amqp://localhost" });
  assertEquals(parseArgs(["--queue", "jobs"], options).queue, "jobs");
});

Deno.test("parseArgs() collects repeated flags into an array", () => {
  const options = { string: ["url"], collect: ["url"] };
  assertEquals(parseArgs(["--url", "a", "--url=b"], options).url, ["a", "b"]);
  assertEquals(parseArgs(["--url", "a"], options).url, ["a"]);
  assertEquals(
    parseArgs(["--queue", "a", "--queue", "b"], { string: ["queue"] }).queue,
    "b",
    "last wins",
  );
});

Deno.test("parseArgs() sets collect flags that are not given to [], as @std/cli does", () => {
  assertEquals(parseArgs([], { string: ["url"], collect: ["url"] }).url, []);
});

Deno.test("parseArgs() asks unknown() about each unknown flag and positional", () => {
  const calls: unknown[][] = [];
  const parsed = parseArgs(["--bogus=1", "-z", "pos", "--queue", "q", "--flag"], {
    string: ["queue"],
    unknown: (...args) => {
      calls.push(args);
      return args[0] === "pos" || args[0] === "--flag";
    },
  });
  assertEquals(calls, [["--bogus", "bogus", "1"], ["-z", "z", true], ["pos"], [
    "--flag",
    "flag",
    true,
  ]]);
  assertEquals(parsed, { _: ["pos"], queue: "q", flag: true });
});

Deno.test("parseArgs() keeps unknown flags when there is no unknown()", () => {
  assertEquals(parseArgs(["--bogus", "--x=abc"]), { _: [], bogus: true, x: "abc" });
});

Deno.test("parseArgs() stops reading flags after --", () => {
  const parsed = parseArgs(["a", "--", "--queue", "b"], { string: ["queue"] });
  assertEquals(parsed._, ["a", "--queue", "b"]);
  assertEquals("queue" in parsed, false);
});
