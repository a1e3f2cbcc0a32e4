/**
 * Running a CLI with a pseudo-terminal on its standard input and output, through util-linux's
 * `script`, so that tests can answer prompts and see terminal-only output (ANSI codes).
 *
 * @module
 */
import { rootPath } from "./cli.ts";
import { commandSucceeds } from "./commands.ts";

/** Whether `script` (util-linux) is installed. */
export function scriptInstalled(): Promise<boolean> {
  return commandSucceeds("script", ["--version"]);
}

/** Quotes `arg` for `sh`. */
const quote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;

/** What a run in a terminal printed (stdout and stderr mixed, `\r\n` line ends) and its code. */
export interface TerminalResult {
  /** Exit code. */
  readonly code: number;
  /** Everything the terminal showed, the typed input echoed, with `\r\n` turned into `\n`. */
  readonly output: string;
}

/** Options of {@linkcode runInTerminal}. */
export interface TerminalOptions {
  /** Permission flags of `deno run`. */
  readonly flags: readonly string[];
  /** What is typed (written to the terminal at once; the CLI reads it when it asks). */
  readonly input?: string;
  /** Ends the run after this many ms by a SIGINT to `script`'s process group. */
  readonly interruptAfterOutput?: (output: string) => boolean;
}

/** Runs `deno run <flags> <script> <args>` in a pseudo-terminal until it exits. */
export async function runInTerminal(
  script: string,
  args: readonly string[],
  options: TerminalOptions,
): Promise<TerminalResult> {
  // `script` runs the command with `$SHELL -c`. `exec` puts the CLI in the shell's place, so
  // that a Ctrl-C reaches the CLI alone: dash, unlike bash, stays as the parent and dies of it.
  const command = "exec " +
    [Deno.execPath(), "run", "--quiet", ...options.flags, rootPath(script), ...args]
      .map(quote).join(" ");
  const child = new Deno.Command("script", {
    args: ["--quiet", "--return", "--command", command, "/dev/null"],
    cwd: rootPath(""),
    env: { NO_COLOR: "1", TERM: "xterm" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  if (options.input !== undefined) await writer.write(new TextEncoder().encode(options.input));
  let output = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    output += decoder.decode(chunk, { stream: true });
    if (options.interruptAfterOutput?.(output)) {
      // Ctrl-C typed into the terminal: the line discipline sends SIGINT to the CLI.
      await writer.write(new Uint8Array([0x03]));
      options = { ...options, interruptAfterOutput: () => false };
    }
  }
  await writer.close().catch(() => {});
  const [status] = await Promise.all([child.status, new Response(child.stderr).text()]);
  return { code: status.code, output: output.replaceAll("\r\n", "\n") };
}
