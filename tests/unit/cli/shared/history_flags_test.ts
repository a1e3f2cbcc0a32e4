import { assertEquals, assertThrows } from "@std/assert";
import { parseFlags } from "../../../../src/cli/shared/args.ts";
import { UsageError } from "../../../../src/cli/shared/exit.ts";
import {
  HISTORY_BOOLEAN_FLAGS,
  HISTORY_STRING_FLAGS,
  historyFlags,
} from "../../../../src/cli/shared/history_flags.ts";
import { resolveHistory } from "../../../../src/history/options.ts";

function parse(args: string[]) {
  const spec = { string: [...HISTORY_STRING_FLAGS], boolean: [...HISTORY_BOOLEAN_FLAGS] };
  return historyFlags(parseFlags(args, spec, "").flags);
}

Deno.test("the history is on by default, in the CLIs and the library", () => {
  assertEquals(parse([]).history, true);
  assertEquals(parse(["--history"]).history, true);
  assertEquals(resolveHistory({}, "start").enabled, true);
});

Deno.test("--no-history and { history: false } turn the history off", () => {
  assertEquals(parse(["--no-history"]).history, false);
  assertEquals(resolveHistory({ history: false }, "start").enabled, false);
});

Deno.test("--history with --no-history is a usage error", () => {
  assertThrows(() => parse(["--history", "--no-history"]), UsageError, "contradict");
});
