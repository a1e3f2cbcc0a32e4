/**
 * Reading a subprocess's output line by line.
 *
 * @module
 */

/** The lines of `stream`, trimmed, without the empty ones. */
export async function* lines(
  stream: ReadableStream<Uint8Array<ArrayBuffer>>,
): AsyncIterable<string> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    rest += chunk;
    let end: number;
    while ((end = rest.indexOf("\n")) >= 0) {
      const line = rest.slice(0, end).trim();
      rest = rest.slice(end + 1);
      if (line !== "") yield line;
    }
  }
  if (rest.trim() !== "") yield rest.trim();
}
