/**
 * What follows a workflow's step (pure), a join's state, and the workflow header and join
 * messages read as an attacker would write them.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { Buffer } from "node:buffer";
import { queueNames } from "../../../src/broker/topology.ts";
import { defineWorkflow } from "../../../src/workflow/definition.ts";
import { advance, continueAfter } from "../../../src/workflow/continuation.ts";
import { JoinState } from "../../../src/workflow/join_state.ts";
import {
  encodeStepTag,
  MAX_MEMBERS,
  readJoinMessage,
  readStepTag,
  WORKFLOW_HEADER,
} from "../../../src/wire/workflow.ts";
import { catalog } from "./definition_test.ts";

const settings = { names: queueNames("jobs"), maxBytes: 1 << 20, worker: "w1", now: 0 };
const flow = defineWorkflow(catalog, "pipeline")
  .start("split")
  .each("sum")
  .join("total", (sums) => ({ sums }))
  .then("label", (total) => ({ text: `total ${total}` }));
const body = (b: Buffer) => JSON.parse(b.toString());

Deno.test("a step's success starts the next stage: its members, with ids and headers", () => {
  const next = continueAfter(flow, { id: "w", name: "pipeline", stage: 0 }, {
    ok: true,
    result: [{ from: 1, to: 2 }, { from: 3, to: 4 }],
  }, settings);
  assertEquals(next.end, undefined);
  assertEquals(next.publish.map((m) => [m.queue, m.properties.messageId]), [
    ["jobs", "w.1.0"],
    ["jobs", "w.1.1"],
  ]);
  assertEquals(readStepTag(next.publish[1]!.properties.headers), {
    ok: true,
    tag: { id: "w", name: "pipeline", stage: 1, member: 1, members: 2 },
  });
  assertEquals(body(next.publish[1]!.body), { task: "sum", from: 3, to: 4 });
});

Deno.test("a member's outcome goes to the join queue; the last step's outcome is the end", () => {
  const member = continueAfter(
    flow,
    { id: "w", name: "pipeline", stage: 1, member: 0, members: 2 },
    {
      ok: false,
      reason: "failed",
      error: "boom",
    },
    settings,
  );
  assertEquals(member.publish.map((m) => m.queue), ["jobs.join"]);
  assertEquals(body(member.publish[0]!.body).outcome, {
    ok: false,
    reason: "failed",
    error: "boom",
  });
  const last = continueAfter(flow, { id: "w", name: "pipeline", stage: 3 }, {
    ok: true,
    result: "total 3",
  }, settings);
  assertEquals(last, { publish: [] });
  // The join's own step (stage 2) goes on to the last, whose id is the workflow's.
  const join = continueAfter(flow, { id: "w", name: "pipeline", stage: 2 }, {
    ok: true,
    result: 10,
  }, settings);
  assertEquals(join.publish.map((m) => m.properties.messageId), ["w"]);
  assertEquals(body(join.publish[0]!.body), { task: "label", text: "total 10" });
});

Deno.test("a failed step, a refused payload, a missing workflow: each ends the workflow, saying why", () => {
  const failed = continueAfter(flow, { id: "w", name: "pipeline", stage: 0 }, {
    ok: false,
    reason: "non-retryable",
    error: "no",
  }, settings);
  assertEquals(failed.publish, []);
  assertEquals(failed.end?.event, "dead");
  assertEquals(failed.end?.id, "w");
  assertStringIncludes(JSON.stringify(failed.end), "step 0 (split, id w.0) failed: no");
  const notAList = continueAfter(flow, { id: "w", name: "pipeline", stage: 0 }, {
    ok: true,
    result: "ranges",
  }, settings);
  assertStringIncludes(JSON.stringify(notAList.end), "does not match its result schema");
  const refused = advance(flow, "w", 1, () => [{ from: "one" }], settings); // sum wants integers
  assertEquals(refused.end?.event === "dead" && refused.end.reason, "invalid-payload");
  const throws = advance(flow, "w", 3, () => {
    throw new Error("mapping broke");
  }, settings);
  assertStringIncludes(JSON.stringify(throws.end), "mapping broke");
  const unknown = continueAfter(undefined, { id: "w", name: "other", stage: 0 }, {
    ok: true,
    result: 1,
  }, settings);
  assertStringIncludes(JSON.stringify(unknown.end), "has no workflow named 'other'");
  const cancelled = continueAfter(flow, { id: "w", name: "pipeline", stage: 0 }, {
    ok: false,
    reason: "cancelled",
    error: "by me",
  }, settings);
  assertEquals(cancelled.end?.event, "cancelled");
});

Deno.test("an empty fan-out starts its join at once, on no results", () => {
  const next = continueAfter(flow, { id: "w", name: "pipeline", stage: 0 }, {
    ok: true,
    result: [],
  }, settings);
  assertEquals(next.publish.map((m) => m.properties.messageId), ["w.2"]);
  assertEquals(body(next.publish[0]!.body), { task: "total", sums: [] });
});

Deno.test("a payload over maxBytes ends the workflow instead of stalling the queue", () => {
  const next = advance(flow, "w", 3, () => 1, { ...settings, maxBytes: 10 });
  assert(next.end !== undefined);
  assertEquals(next.publish, []);
});

Deno.test("a join counts each member once, and the first failure wins in fail mode", () => {
  const join = new JoinState(3, "fail", 0);
  assertEquals(join.add(2, { ok: true, result: 3 }), true);
  assertEquals(join.add(2, { ok: true, result: 99 }), false); // a member that ran twice
  assertEquals(join.add(3, { ok: true, result: 1 }), false); // no such member
  assertEquals(join.verdict(), { kind: "waiting" });
  join.add(1, { ok: false, reason: "failed", error: "b" });
  assertEquals(join.verdict(), { kind: "failed", member: 1, reason: "failed", error: "b" });
  const settled = new JoinState(2, "continue", 0);
  settled.add(0, { ok: false, reason: "failed", error: "a" });
  assertEquals(settled.verdict(), { kind: "waiting" });
  settled.add(1, { ok: true, result: 2 });
  assertEquals(settled.verdict().kind, "complete");
});

Deno.test("hostile workflow headers are refused, not thrown: huge, deep, not JSON, out of range", () => {
  const read = (value: unknown) => readStepTag({ [WORKFLOW_HEADER]: value });
  assertEquals(read(undefined), { ok: true, tag: undefined });
  for (
    const value of [
      "x".repeat(2_000),
      "[".repeat(10_000),
      "{not json",
      42,
      encodeStepTag({ id: "w", name: "p", stage: 0, member: 3, members: 2 }),
      encodeStepTag({ id: "w", name: "p", stage: 0, member: 0 } as never),
      encodeStepTag({ id: "", name: "p", stage: 0 }),
      encodeStepTag({ id: "w", name: "p", stage: 999 }),
      JSON.stringify({ id: "w", name: "p", stage: 0, members: MAX_MEMBERS + 1, member: 0 }),
    ]
  ) {
    assertEquals(read(value).ok, false, String(value).slice(0, 40));
  }
  assertEquals(read(Buffer.from(encodeStepTag({ id: "w", name: "p", stage: 1 }))).ok, true);
});

Deno.test("hostile join messages are refused with a reason", () => {
  const good = {
    v: 1,
    kind: "member",
    id: "w",
    name: "p",
    stage: 1,
    members: 2,
    member: 1,
    outcome: { ok: true, result: 1 },
  };
  assertEquals(readJoinMessage(good).ok, true);
  for (
    const bad of [
      { ...good, member: 2 },
      { ...good, v: 2 },
      { ...good, kind: "other" },
      { ...good, outcome: { ok: false } },
      { ...good, id: "i".repeat(200) },
      null,
      [],
    ]
  ) {
    const read = readJoinMessage(bad);
    assertEquals(read.ok, false);
    assert(!read.ok && read.error.startsWith("not a join message"));
  }
});

Deno.test("a member's result too large for the join is reported as the member's failure, not lost", () => {
  const member = continueAfter(
    flow,
    { id: "w", name: "pipeline", stage: 1, member: 0, members: 2 },
    { ok: true, result: "x".repeat(5_000) },
    { ...settings, maxBytes: 1_000 },
  );
  const outcome = body(member.publish[0]!.body).outcome;
  assertEquals(outcome.ok, false);
  assertEquals(outcome.reason, "too-large");
  assertStringIncludes(outcome.error, "over maxMessageBytes (1000)");
  assert(member.publish[0]!.body.length < 1_000);
});

Deno.test("a timed stage's tasks carry its delay and expiry, from when the stage before ended", () => {
  const timed = defineWorkflow(catalog, "timed").start("double").then("double")
    .timing({ delay: 1_000, expires: 5_000 });
  const next = continueAfter(timed, { id: "t", name: "timed", stage: 0 }, {
    ok: true,
    result: { x: 2 },
  }, { ...settings, now: 10_000 });
  const headers = next.publish[0]!.properties.headers!;
  assertEquals(headers["x-warren-expires"], 15_000);
  assertEquals(headers["x-warren-not-before"], 11_000);
});

Deno.test("a member that is a chain goes on within its member, and reports to the join from its last step", () => {
  const chains = defineWorkflow(catalog, "chains")
    .start("split")
    .each((m) => m.task("sum").then("double", (sum) => ({ x: sum })))
    .join("total", (doubled) => ({ sums: doubled.map((d) => d.x) }));
  const tag = { id: "w", name: "chains", stage: 1, member: 3, members: 5 };
  const first = continueAfter(chains, tag, { ok: true, result: 7 }, settings);
  assertEquals(first.publish.map((m) => [m.queue, m.properties.messageId]), [["jobs", "w.1.3.1"]]);
  assertEquals(readStepTag(first.publish[0]!.properties.headers), {
    ok: true,
    tag: { ...tag, sub: 1 },
  });
  assertEquals(body(first.publish[0]!.body), { task: "double", x: 7 });
  const last = continueAfter(chains, { ...tag, sub: 1 }, { ok: true, result: { x: 14 } }, settings);
  assertEquals(last.publish.map((m) => [m.queue, m.properties.messageId]), [[
    "jobs.join",
    "w.1.3",
  ]]);
  assertEquals(body(last.publish[0]!.body).outcome, { ok: true, result: { x: 14 } });
  // A failed first step is the member's failure: nothing more of its chain runs.
  const failed = continueAfter(chains, tag, { ok: false, reason: "failed", error: "no" }, settings);
  assertEquals(failed.publish.map((m) => m.queue), ["jobs.join"]);
  // A payload its next step's schema refuses fails the member, naming the step.
  const refused = continueAfter(chains, tag, { ok: true, result: 1.5 }, settings);
  assertEquals(refused.publish.map((m) => m.queue), ["jobs.join"]);
  const outcome = body(refused.publish[0]!.body).outcome;
  assertEquals([outcome.ok, outcome.reason], [false, "invalid-payload"]);
  assertStringIncludes(outcome.error, "step 1 (double #3 of 5, its step 2, id w.1.3.1)");
  // A step past the member's chain is a definition the worker does not share.
  const beyond = continueAfter(chains, { ...tag, sub: 2 }, { ok: true, result: 1 }, settings);
  assertStringIncludes(beyond.end?.event === "dead" ? beyond.end.error : "", "member 3 step 2");
  // The header refuses a sub on a step that is not a member's.
  assertEquals(
    readStepTag({ [WORKFLOW_HEADER]: JSON.stringify({ id: "w", name: "x", stage: 1, sub: 1 }) }).ok,
    false,
  );
});
