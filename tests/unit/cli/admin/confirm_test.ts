import { assertEquals } from "@std/assert";
import { confirmAction, type ConfirmIo, readLine } from "../../../../src/cli/admin/confirm.ts";

/** A terminal (or not) whose person answers `answer`; records what was asked. */
function fakeIo(isTerminal: boolean, answer: string | null): ConfirmIo & { asked: string[] } {
  const asked: string[] = [];
  return {
    isTerminal,
    asked,
    write: (text) => asked.push(text),
    readLine: () => Promise.resolve(answer),
  };
}

Deno.test("confirmAction() goes on only on --yes or a typed yes", async (t) => {
  await t.step("--yes asks nothing", async () => {
    const io = fakeIo(false, null);
    assertEquals(await confirmAction("purge 3 messages from q", { yes: true, io }), "confirmed");
    assertEquals(io.asked, []);
  });

  await t.step("on a terminal it asks, and yes confirms", async () => {
    const io = fakeIo(true, " yes ");
    assertEquals(
      await confirmAction("purge 12 messages from task_queue.dead", { io }),
      "confirmed",
    );
    assertEquals(io.asked, ["Type yes to purge 12 messages from task_queue.dead: "]);
  });

  await t.step("any other answer, or end of input, declines", async () => {
    for (const answer of ["y", "YES", "no", "", null]) {
      assertEquals(await confirmAction("purge q", { io: fakeIo(true, answer) }), "declined");
    }
  });

  await t.step("without a terminal nobody is asked", async () => {
    const io = fakeIo(false, "yes");
    assertEquals(await confirmAction("purge q", { io }), "cannot-ask");
    assertEquals(io.asked, []);
  });
});

Deno.test("readLine() reads up to the newline and no further", async () => {
  const bytes = new TextEncoder().encode("yes\r\nmore\n");
  let offset = 0;
  const reader = {
    read(buffer: Uint8Array): Promise<number | null> {
      if (offset >= bytes.length) return Promise.resolve(null);
      buffer[0] = bytes[offset++]!;
      return Promise.resolve(1);
    },
  };
  assertEquals(await readLine(reader), "yes");
  assertEquals(await readLine(reader), "more");
  assertEquals(await readLine(reader), null);
});
