/**
 * Line-by-line input for `--file`: a file read as a stream (it can be read again), or standard
 * input read once and kept.
 *
 * @module
 */
import { explainPermission } from "../../util/permissions.ts";
import { UsageError } from "../shared/exit.ts";

/** A source of numbered lines that can be read more than once. */
export type LineSource = () => AsyncIterable<readonly [lineNumber: number, line: string]>;

async function* splitLines(
  chunks: Iterable<string> | AsyncIterable<string>,
): AsyncIterable<readonly [number, string]> {
  let rest = "";
  let number = 0;
  for await (const chunk of chunks) {
    const text = rest + chunk;
    let start = 0;
    for (let end; (end = text.indexOf("\n", start)) >= 0; start = end + 1) {
      yield [++number, text.slice(start, end).replace(/\r$/, "")];
    }
    rest = text.slice(start);
  }
  if (rest !== "") yield [++number, rest.replace(/\r$/, "")];
}

/** Lines of the file at `path`, or of standard input for `-`. */
export async function lineSource(path: string): Promise<LineSource> {
  if (path === "-") {
    const text = await new Response(Deno.stdin.readable).text();
    return () => splitLines([text]);
  }
  await Deno.stat(path).catch((err) => {
    if (err instanceof Deno.errors.NotFound) {
      throw new UsageError(
        `no file at '${path}': give the path of a file of tasks, or - for standard input`,
      );
    }
    throw explainPermission(err, `--allow-read=${path}`, `reading ${path}`);
  });
  return () => ({
    async *[Symbol.asyncIterator]() {
      const file = await Deno.open(path);
      yield* splitLines(file.readable.pipeThrough(new TextDecoderStream()));
    },
  });
}
