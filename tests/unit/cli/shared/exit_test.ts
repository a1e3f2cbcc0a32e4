import { assertEquals } from "@std/assert";
import {
  EXIT_BROKER,
  EXIT_OK,
  EXIT_USAGE,
  exitCodeFor,
  fatal,
  UsageError,
} from "../../../../src/cli/shared/exit.ts";
import { ConfigError } from "../../../../src/errors/config_error.ts";
import { ConnectionError } from "../../../../src/errors/connection_error.ts";
import { NonRetryableError } from "../../../../src/errors/non_retryable_error.ts";
import { PermissionError } from "../../../../src/errors/permission_error.ts";
import { PublishError } from "../../../../src/errors/publish_error.ts";
import { TaskTimeoutError } from "../../../../src/errors/task_timeout_error.ts";
import { UnknownTaskError } from "../../../../src/errors/unknown_task_error.ts";
import { ValidationError } from "../../../../src/errors/validation_error.ts";

Deno.test("exit codes are 0 for success, 1 for the broker, 2 for usage", () => {
  assertEquals([EXIT_OK, EXIT_BROKER, EXIT_USAGE], [0, 1, 2]);
});

Deno.test("exitCodeFor() gives 2 for bad usage, configuration, input or permissions", () => {
  const errors = [
    new UsageError("unknown option --x"),
    new ConfigError("bad url"),
    new ValidationError("sum", [{ path: "end", message: "required" }]),
    new UnknownTaskError("summ", ["sum"]),
    new PermissionError("run with --allow-net"),
  ];
  for (const err of errors) assertEquals(exitCodeFor(err), 2, err.name);
});

Deno.test("exitCodeFor() gives 1 for everything else", () => {
  const errors: unknown[] = [
    new ConnectionError("no broker"),
    new PublishError("nacked", "id", "refused"),
    new TaskTimeoutError("sleep", 5),
    new NonRetryableError("x"),
    new Error("plain"),
    new TypeError("oops"),
    "a string",
    undefined,
  ];
  for (const err of errors) assertEquals(exitCodeFor(err), 1, String(err));
});

/** Runs `fn` with console.error captured; returns what it printed. */
function captureStderr(fn: () => void): string[] {
  const printed: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => printed.push(args.map(String).join(" "));
  try {
    fn();
  } finally {
    console.error = original;
  }
  return printed;
}

Deno.test("fatal() prints the error, a help hint for usage errors, and returns the code", async (t) => {
  await t.step("usage error", () => {
    let code: number | undefined;
    const printed = captureStderr(() =>
      code = fatal(new UsageError("unknown option --x"), "worker.ts")
    );
    assertEquals(code, 2);
    assertEquals(printed, ["error: unknown option --x\nRun 'worker.ts --help' for usage."]);
  });
  await t.step("broker error with its causes", () => {
    let code: number | undefined;
    const err = new ConnectionError("cannot connect", { cause: new Error("ECONNREFUSED") });
    const printed = captureStderr(() => code = fatal(err, "worker.ts"));
    assertEquals(code, 1);
    assertEquals(printed, ["error: cannot connect: ECONNREFUSED"]);
  });
  await t.step("validation error: its message, then the help to read", () => {
    let code: number | undefined;
    const err = new ValidationError("sum", [{ path: "end", message: "required" }], {
      cause: new Error("zod details"),
    });
    const printed = captureStderr(() => code = fatal(err, "producer.ts"));
    assertEquals(code, 2);
    assertEquals(printed, [
      "error: Invalid payload for task 'sum': end: required\nRun 'producer.ts --help' for usage.",
    ]);
  });
});
