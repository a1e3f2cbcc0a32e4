/**
 * The executor of settlement plans against a stand-in session: one order for every kind (all
 * publishes, then the ack, then the log event), and a refused copy that ends without a
 * reconnect.
 */
import { assertEquals, assertRejects } from "@std/assert";
import { Buffer } from "node:buffer";
import type { DelayLevels } from "../../../src/broker/delays.ts";
import { queueNames } from "../../../src/broker/topology.ts";
import type { ConsumeMessage } from "../../../src/deps/amqplib.ts";
import { PublishError } from "../../../src/errors/publish_error.ts";
import { silentLogger } from "../../../src/util/logger.ts";
import type { ConsumerSession } from "../../../src/worker/consumer_session.ts";
import type { TaskEvent } from "../../../src/worker/events.ts";
import {
  type Delivery,
  MAX_SETTLE_FAILURES,
  OutcomeWriter,
} from "../../../src/worker/outcome_writer.ts";

const names = queueNames("jobs");

/** A session that records what is done to it, in order, and refuses what `refuse` says. */
function fakeSession(refuse: (queue: string) => PublishError | undefined = () => undefined) {
  const steps: string[] = [];
  const session = {
    live: true,
    link: {},
    publish(to: string | { routingKey: string }, _body: Buffer, _properties: unknown) {
      const queue = typeof to === "string" ? to : to.routingKey;
      steps.push(`publish ${queue}`);
      const failure = refuse(queue);
      return failure ? Promise.reject(failure) : Promise.resolve();
    },
    ack() {
      steps.push("ack");
      return true;
    },
    flush() {
      steps.push("flush");
    },
    reject(_message: unknown, requeue: boolean) {
      steps.push(`reject ${requeue ? "requeue" : "drop"}`);
    },
  };
  return { steps, session: session as unknown as ConsumerSession };
}

function writer(steps: string[]) {
  const events: TaskEvent[] = [];
  const outcomes = new OutcomeWriter({
    names,
    workerId: "w1",
    delays: {
      route: (_link: unknown, ms: number) =>
        Promise.resolve({ exchange: "jobs.delay.0", routingKey: `delay ${ms}`, level: 0 }),
    } as unknown as DelayLevels,
    emit: (event) => {
      steps.push(`log ${event.event}`);
      events.push(event);
    },
    ackNow: () => true,
    history: true,
    log: silentLogger,
  });
  return { outcomes, events };
}

function delivery(session: ConsumerSession, replyTo?: string): Delivery {
  const message = {
    content: Buffer.from('{"task":"sum"}'),
    fields: { deliveryTag: 1 },
    properties: { headers: {}, messageId: "t1", ...(replyTo ? { replyTo } : {}) },
  } as unknown as ConsumeMessage;
  return { message, session, started: performance.now(), cancel: new AbortController() };
}

const subject = { id: "t1", task: "sum" };

Deno.test("OutcomeWriter carries out every kind in one order: publishes, ack, log, acks out", async () => {
  const kinds = [
    { kind: "done", attempt: 1 },
    { kind: "retry", attempt: 1, delay: 100, error: "boom" },
    { kind: "dead", reason: "failed", error: "boom", attempts: 2 },
    { kind: "requeue", reason: "stopping", headers: {} },
    { kind: "drop", error: "cancelled", stage: "queued" },
    { kind: "wait", early: 560, notBefore: 1, headers: {} },
  ] as const;
  const seen: Record<string, string[]> = {};
  for (const disposition of kinds) {
    const { steps, session } = fakeSession();
    await writer(steps).outcomes.write(
      delivery(session, "amq.rabbitmq.reply-to.x"),
      subject,
      disposition,
    );
    seen[disposition.kind] = steps;
  }
  // Alone in flight (`ackNow`), the history event goes at once; with others, at the end of the
  // turn in one message with theirs: either way before the ack.
  assertEquals(seen, {
    done: [
      "publish jobs.events",
      "publish amq.rabbitmq.reply-to.x",
      "ack",
      "log task.done",
      "flush",
    ],
    retry: ["publish jobs.events", "publish delay 100", "ack", "log task.failed", "flush"],
    dead: [
      "publish jobs.dead",
      "publish jobs.events",
      "publish amq.rabbitmq.reply-to.x",
      "ack",
      "log task.dead",
      "flush",
    ],
    requeue: ["publish jobs", "publish jobs.events", "ack", "log task.returned", "flush"],
    drop: ["publish jobs.events", "ack", "log task.dead", "flush"],
    wait: ["publish delay 560", "ack", "log task.early", "flush"],
  });
});

Deno.test("OutcomeWriter: a refused history event or reply holds back no ack", async () => {
  const { steps, session } = fakeSession((queue) =>
    queue === "jobs.dead" ? undefined : new PublishError("unroutable", "t1", "no queue")
  );
  await writer(steps).outcomes.write(delivery(session, "amq.rabbitmq.reply-to.x"), subject, {
    kind: "dead",
    reason: "failed",
    error: "boom",
  });
  assertEquals(steps.slice(-3), ["ack", "log task.dead", "flush"]);
});

Deno.test("OutcomeWriter: a copy too large goes as a minimal dead letter, then the ack", async () => {
  let first = true;
  const { steps, session } = fakeSession((queue) => {
    if (queue !== "jobs.dead" || !first) return undefined;
    first = false;
    return new PublishError("too-large", "t1", "headers too large");
  });
  const { outcomes, events } = writer(steps);
  await outcomes.write(delivery(session), subject, { kind: "dead", reason: "failed", error: "x" });
  assertEquals(steps, [
    "publish jobs.dead",
    "publish jobs.events",
    "publish jobs.dead",
    "ack",
    "log task.dead",
    "flush",
  ]);
  assertEquals(
    events[0]?.event === "task.dead" && events[0].error.includes("minimal dead letter"),
    true,
  );
});

Deno.test("OutcomeWriter: a copy refused again and again is put back, then given up, never looped", async () => {
  const { steps, session } = fakeSession((queue) =>
    queue === "jobs.dead" ? new PublishError("unroutable", "t1", "no queue") : undefined
  );
  const { outcomes } = writer(steps);
  const dead = { kind: "dead", reason: "failed", error: "x" } as const;
  for (let i = 0; i <= MAX_SETTLE_FAILURES; i++) {
    steps.length = 0;
    await outcomes.write(delivery(session), subject, dead);
    if (i < MAX_SETTLE_FAILURES) assertEquals(steps.at(-1), "reject requeue");
  }
  assertEquals(steps.filter((step) => step.startsWith("publish jobs.dead")).length, 2);
  assertEquals(steps.at(-1), "reject drop");
});

Deno.test("OutcomeWriter: a closed channel leaves the delivery to the broker", async () => {
  const { steps, session } = fakeSession((queue) =>
    queue === "jobs.dead" ? new PublishError("closed", "t1", "channel closed") : undefined
  );
  const { outcomes, events } = writer(steps);
  await outcomes.write(delivery(session), subject, { kind: "dead", reason: "failed", error: "x" });
  assertEquals(steps.includes("ack"), false);
  assertEquals(steps.some((step) => step.startsWith("reject")), false);
  assertEquals(events.map((e) => e.event), ["task.returned"]);
});

Deno.test("OutcomeWriter: a copy that loses its channel each time goes minimal in the end", async () => {
  let closes = 0;
  const { steps, session } = fakeSession((queue) => {
    if (queue !== "jobs.dead") return undefined;
    if (closes > MAX_SETTLE_FAILURES) return undefined; // the minimal dead letter goes through
    closes++;
    return new PublishError("closed", "t1", "channel closed");
  });
  const { outcomes, events } = writer(steps);
  const dead = { kind: "dead", reason: "failed", error: "x" } as const;
  for (let i = 0; i <= MAX_SETTLE_FAILURES; i++) {
    await outcomes.write(delivery(session), subject, dead);
  }
  assertEquals(events.map((e) => e.event), Array(MAX_SETTLE_FAILURES + 1).fill("task.returned"));
  await outcomes.write(delivery(session), subject, dead);
  const last = events.at(-1)!;
  assertEquals(last.event === "task.dead" && last.error.includes("minimal dead letter"), true);
});

Deno.test("OutcomeWriter: an event that cannot be encoded rejects, never throws", async () => {
  const { steps, session } = fakeSession();
  const { outcomes } = writer(steps);
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  const event = {
    event: "succeeded",
    id: "t1",
    task: "sum",
    worker: "w1",
    attempt: 1,
    ms: 1,
    result: cycle,
  } as const;
  let thrown: unknown;
  let recorded: Promise<void> | undefined;
  try {
    recorded = outcomes.record(delivery(session), event);
  } catch (err) {
    thrown = err;
  }
  assertEquals(thrown, undefined);
  await assertRejects(() => recorded!, TypeError);
  assertEquals(steps, []);
});
