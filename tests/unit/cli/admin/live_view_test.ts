import { assertEquals } from "@std/assert";
import { LiveView } from "../../../../src/cli/admin/live_view.ts";

Deno.test("LiveView rewrites in place on a terminal and appends elsewhere", async (t) => {
  await t.step(
    "in place: cursor up over the previous text (wrapped lines too), clear below",
    () => {
      const out: string[] = [];
      const view = new LiveView({ inPlace: true, write: (s) => out.push(s), columns: () => 10 });
      view.show("a\nb");
      view.show("c\n" + "x".repeat(25)); // 1 line + 3 wrapped lines
      view.show("d");
      assertEquals(out, [
        "a\nb\n",
        "\x1b[2A\r\x1b[Jc\n" + "x".repeat(25) + "\n",
        "\x1b[4A\r\x1b[Jd\n",
      ]);
    },
  );

  await t.step("not a terminal: one text after another, no escape codes", () => {
    const out: string[] = [];
    const view = new LiveView({ inPlace: false, write: (s) => out.push(s) });
    view.show("a");
    view.show("b");
    assertEquals(out, ["a\n", "b\n"]);
  });
});
