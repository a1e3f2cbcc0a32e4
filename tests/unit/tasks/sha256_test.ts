import { createHash } from "node:crypto";
import { assert, assertEquals, assertRejects, assertStrictEquals } from "@std/assert";
import { silentLogger } from "../../../src/util/logger.ts";
import { iteratedSha256 } from "../../../tasks/handlers/sha256.ts";
import { MAX_ROUNDS, sha256Schema } from "../../../tasks/contracts/sha256.ts";
import { handlers } from "../../../tasks/handlers/mod.ts";

const hex = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");
const raw = (data: string | Uint8Array) => createHash("sha256").update(data).digest();

Deno.test("iteratedSha256() with 1 round is the plain SHA-256 of the text", async () => {
  assertEquals(
    await iteratedSha256("", 1),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  assertEquals(
    await iteratedSha256("abc", 1),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  for (const text of ["hello", "héllo ✓ 🐇", "x".repeat(10_000)]) {
    assertEquals(await iteratedSha256(text, 1), hex(text), text.slice(0, 20));
  }
});

Deno.test("iteratedSha256() hashes the raw 32-byte digest in each further round", async () => {
  assertEquals(await iteratedSha256("abc", 2), hex(raw("abc")));
  assertEquals(await iteratedSha256("abc", 3), hex(raw(raw("abc"))));
  let digest = raw("warren");
  for (let round = 2; round < 25_000; round++) digest = raw(digest);
  assertEquals(await iteratedSha256("warren", 25_000), hex(digest), "across checkpoints");
});

Deno.test("iteratedSha256() stops at a checkpoint when its signal fires", async () => {
  const controller = new AbortController();
  const reason = new Error("time is up");
  controller.abort(reason);
  const err = await assertRejects(() => iteratedSha256("abc", MAX_ROUNDS, controller.signal));
  assertStrictEquals(err, reason);
});

Deno.test("the sha256 schema defaults rounds to 1 and bounds it", () => {
  assertEquals(sha256Schema.parse({ text: "abc" }), { text: "abc", rounds: 1 });
  assertEquals(sha256Schema.parse({ text: "", rounds: MAX_ROUNDS }), {
    text: "",
    rounds: MAX_ROUNDS,
  });
  for (
    const payload of [{ text: "a", rounds: 0 }, { text: "a", rounds: 1.5 }, {
      text: "a",
      rounds: MAX_ROUNDS + 1,
    }]
  ) {
    const parsed = sha256Schema.safeParse(payload);
    assert(!parsed.success, JSON.stringify(payload));
    assertEquals(parsed.error.issues[0]?.path, ["rounds"]);
  }
  const missing = sha256Schema.safeParse({ rounds: 2 });
  assert(!missing.success);
  assertEquals(missing.error.issues[0]?.path, ["text"]);
});

Deno.test("the sha256 handler hashes with the parsed payload", async () => {
  const context = {
    signal: new AbortController().signal,
    attempt: 1,
    id: "t",
    task: "sha256",
    log: silentLogger,
    progress: () => {},
  };
  const payload = sha256Schema.parse({ text: "abc" });
  assertEquals(await handlers.get("sha256")!.handler(payload, context), hex("abc"));
  assertEquals(
    await handlers.get("sha256")!.handler({ text: "abc", rounds: 2 }, context),
    hex(raw("abc")),
  );
});
