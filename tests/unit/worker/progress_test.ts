import { assertEquals, assertThrows } from "@std/assert";
import { ProgressThrottle } from "../../../src/worker/progress.ts";

Deno.test("ProgressThrottle sends the first report at once, then the latest once per interval", async () => {
  let now = 0;
  const sent: Array<[number, string | undefined]> = [];
  const flushed = Promise.withResolvers<void>();
  const throttle = new ProgressThrottle(
    (fraction, note) => {
      sent.push([fraction, note]);
      if (sent.length === 2) flushed.resolve();
    },
    20,
    () => now,
  );
  throttle.report(0.1, "first");
  now = 5;
  throttle.report(0.2);
  throttle.report(0.3, "latest");
  assertEquals(sent, [[0.1, "first"]]);
  now = 20;
  await flushed.promise;
  assertEquals(sent, [[0.1, "first"], [0.3, "latest"]]);
  throttle.stop();
});

Deno.test("ProgressThrottle drops a held report when the attempt ends", () => {
  let now = 0;
  const sent: number[] = [];
  const throttle = new ProgressThrottle((fraction) => sent.push(fraction), 1000, () => now);
  throttle.report(0.5);
  now = 1;
  throttle.report(0.9);
  throttle.stop();
  throttle.report(1);
  assertEquals(sent, [0.5]);
});

Deno.test("ProgressThrottle refuses a fraction outside 0 to 1, and a note that is not text", () => {
  const throttle = new ProgressThrottle(() => {});
  for (const bad of [-0.1, 1.5, Number.NaN]) {
    assertThrows(() => throttle.report(bad), RangeError, "takes a fraction from 0 to 1");
  }
  assertThrows(
    () => throttle.report(0.5, 7 as unknown as string),
    TypeError,
    "takes a note of text",
  );
  throttle.stop();
});
