/**
 * A settlement as a value: what carrying out a delivery's disposition comes to, built by a pure
 * function of the delivery, what it is, its disposition and the worker's settings. The
 * `OutcomeWriter` carries any plan out in one order, whatever its kind: every publish (the
 * copy, the history event, the reply) confirmed together, then the ack, then the log event.
 *
 * | disposition | copy                                   | event                      | reply |
 * | ----------- | -------------------------------------- | -------------------------- | ----- |
 * | `done`      | none                                   | `succeeded`                | ok    |
 * | `retry`     | to the delay levels, attempts counted  | `retried`                  | none  |
 * | `dead`      | to `Q.dead`, with the reason           | `dead`/`expired`/`cancelled` | dead |
 * | `requeue`   | to the end of `Q`                      | `returned`                 | none  |
 * | `wait`      | to the delay levels, nothing counted   | none                       | none  |
 * | `drop`      | none                                   | `cancelled`, `dropped`     | none  |
 *
 * Everything written is bounded (`util/bounds.ts`): a text copied into a header (the error, the
 * worker's id) is cut at 1 KiB, into an event, a reply or a log line at 16 KiB, a task name at
 * 1 KiB; the dead letter's body is the original body, whole. Each plan also holds its
 * `fallback`: a minimal dead letter (Warren's headers only, the body cut to fit) that the
 * writer publishes instead of a copy the broker cannot take.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { QueueNames } from "../broker/topology.ts";
import type { MessageProperties, Options } from "../deps/amqplib.ts";
import { boundText, eventText, HEADER_TEXT_BYTES, headerText, utf8Bytes } from "../util/bounds.ts";
import { copyProperties } from "../wire/copies.ts";
import type { DeadReason } from "../wire/dead_reasons.ts";
import type { NewHistoryEvent } from "../wire/events.ts";
import { HEADERS } from "../wire/headers.ts";
import { notBeforeHeaders } from "../wire/not_before.ts";
import { encodeOutcome, type TaskOutcome } from "../wire/outcome_codec.ts";
import type { Disposition } from "./disposition.ts";
import type { TaskEvent } from "./events.ts";

/** The most bytes of a dead letter's body when its full copy could not be published: 64 KiB. */
export const FALLBACK_BODY_BYTES = 64 * 1024;

/** What a settlement reads of the delivered message. */
export interface SettledMessage {
  /** Its body. */
  readonly content: Buffer;
  /** Its properties. */
  readonly properties: Partial<MessageProperties>;
}

/** What the delivery is, as far as its outcome goes. */
export interface Subject {
  /** The message id. */
  readonly id: string;
  /** The task's name, when the body named one. */
  readonly task: string | undefined;
  /** The handler's result in its wire form, for a `done` disposition. */
  readonly result?: unknown;
}

/** The worker's side of a settlement. */
export interface SettlementSettings {
  /** The work queue's names. */
  readonly names: QueueNames;
  /** The worker's id, for the headers of its copies and its events. */
  readonly workerId: string;
  /** Whether the outcome is written to the history (`Q.events`). */
  readonly history: boolean;
  /** The time now, in epoch milliseconds. */
  readonly now: number;
  /** Milliseconds the worker spent on the delivery, for the log event. */
  readonly ms: number;
}

/** Where a copy goes: a queue (through the default exchange) or the delay levels. */
export type CopyTarget =
  | { readonly queue: string }
  | {
    /** Milliseconds the copy waits in the delay levels before it reaches the work queue. */
    readonly delay: number;
  };

/** A copy of the delivery to publish, confirmed, before the ack. */
export interface PlannedCopy {
  /** What it is, for the log. */
  readonly what: "retry" | "dead letter" | "requeue" | "wait";
  /** Where it goes. */
  readonly to: CopyTarget;
  /** Its body: the original body (cut in a fallback only). */
  readonly body: Buffer;
  /** Its properties. */
  readonly properties: Options.Publish;
}

/** The outcome sent to the producer that asked for it (`reply_to`). */
export interface PlannedReply {
  /** The reply address. */
  readonly to: string;
  /** The encoded outcome. */
  readonly body: Buffer;
  /** Its properties: the task's id as `correlationId`. */
  readonly properties: Options.Publish;
}

/** What settling a delivery comes to; see the module documentation. */
export interface SettlementPlan {
  /** The disposition carried out. */
  readonly kind: Exclude<Disposition["kind"], "run">;
  /** The copy to publish before the ack, if any. */
  readonly copy?: PlannedCopy;
  /** The history event, when the history is on. */
  readonly event?: NewHistoryEvent;
  /** The reply, when the producer asked for one (`done` and `dead` only). */
  readonly reply?: PlannedReply;
  /** The event reported (logged, and heard by listeners) after the ack. */
  readonly log: TaskEvent;
  /**
   * With a `copy`: the minimal dead letter published instead of it when the broker cannot take
   * it, with the log event that then goes with it.
   */
  readonly fallback?: { readonly copy: PlannedCopy; readonly log: TaskEvent };
}

/** The task name as Warren writes it: at most 1 KiB. */
function taskName(subject: Subject): { task?: string } {
  return subject.task === undefined ? {} : { task: boundText(subject.task, HEADER_TEXT_BYTES) };
}

/** Where the delivery asks for its outcome to go (`reply_to`), if it does. */
export function replyAddress(message: SettledMessage): string | undefined {
  const replyTo: unknown = message.properties.replyTo;
  return typeof replyTo === "string" && replyTo !== "" && utf8Bytes(replyTo) <= 255
    ? replyTo
    : undefined;
}

/** The headers of a failed task's copy: the error, when and where it failed, all bounded. */
function failureHeaders(
  message: SettledMessage,
  error: string,
  settings: SettlementSettings,
): Record<string, unknown> {
  const now = new Date(settings.now).toISOString();
  const first: unknown = message.properties.headers?.[HEADERS.firstFailure];
  return {
    [HEADERS.error]: headerText(error),
    [HEADERS.firstFailure]: typeof first === "string" && first.length <= 64 ? first : now,
    [HEADERS.lastFailure]: now,
    [HEADERS.worker]: headerText(settings.workerId),
    [HEADERS.queue]: settings.names.main,
  };
}

/** The history event of a dead letter: `expired`, `cancelled`, or `dead`. */
function deadEvent(
  about: { id: string; task?: string; worker: string },
  dead: Extract<Disposition, { kind: "dead" }>,
): NewHistoryEvent {
  if (dead.reason === "expired") {
    return { event: "expired", ...about, error: eventText(dead.error) };
  }
  if (dead.reason === "cancelled") {
    return { event: "cancelled", ...about, stage: dead.stage ?? "queued" };
  }
  return {
    event: "dead",
    ...about,
    reason: dead.reason,
    error: eventText(dead.error),
    ...(dead.attempts === undefined ? {} : { attempts: dead.attempts }),
  };
}

/** The reply of `outcome` to `message`'s `reply_to`, when it asks for one. */
function replyOf(message: SettledMessage, outcome: TaskOutcome): PlannedReply | undefined {
  const to = replyAddress(message);
  if (to === undefined) return undefined;
  return {
    to,
    body: encodeOutcome(outcome),
    properties: { correlationId: outcome.id, contentType: "application/json" },
  };
}

/**
 * A minimal dead letter of `message`: Warren's headers only (reason, error, worker, queue,
 * attempts), the original properties that are safe, and the body whole when it fits in
 * {@linkcode FALLBACK_BODY_BYTES}, else its start (the header `x-warren-body-bytes` then says
 * how long the whole was).
 */
export function minimalDeadLetter(
  message: SettledMessage,
  subject: Subject,
  dead: { readonly reason: DeadReason; readonly error: string; readonly attempts?: number },
  settings: SettlementSettings,
): PlannedCopy {
  const cut = message.content.length > FALLBACK_BODY_BYTES;
  const headers: Record<string, unknown> = {
    ...failureHeaders(
      { ...message, properties: { ...message.properties, headers: {} } },
      dead.error,
      settings,
    ),
    [HEADERS.reason]: dead.reason,
    ...(dead.attempts === undefined ? {} : { [HEADERS.attempts]: dead.attempts }),
    ...(cut ? { [HEADERS.bodyBytes]: message.content.length } : {}),
  };
  const properties: Options.Publish = { persistent: true, headers };
  if (utf8Bytes(subject.id) <= 255) properties.messageId = subject.id;
  const type = message.properties.type;
  if (typeof type === "string" && utf8Bytes(type) <= 255) properties.type = type;
  const contentType = message.properties.contentType;
  if (typeof contentType === "string" && utf8Bytes(contentType) <= 255) {
    properties.contentType = contentType;
  }
  return {
    what: "dead letter",
    to: { queue: settings.names.dead },
    body: cut ? message.content.subarray(0, FALLBACK_BODY_BYTES) : message.content,
    properties,
  };
}

/**
 * What settling `message` as `disposition` comes to; see the module documentation. Pure: the
 * time and the elapsed milliseconds come in `settings`.
 *
 * @example A failed attempt with attempts left: a copy through the delay levels
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { Buffer } from "node:buffer";
 * import { queueNames } from "../broker/topology.ts";
 * import { planSettlement } from "./settlement.ts";
 *
 * const plan = planSettlement(
 *   { content: Buffer.from('{"task":"sum"}'), properties: { headers: {} } },
 *   { id: "t1", task: "sum" },
 *   { kind: "retry", attempt: 1, delay: 1000, error: "boom" },
 *   { names: queueNames("jobs"), workerId: "w1", history: false, now: 0, ms: 5 },
 * );
 * assertEquals(plan.copy?.to, { delay: 1000 });
 * assertEquals(plan.copy?.properties.headers?.["x-warren-attempts"], 1);
 * assertEquals(plan.log.event, "task.failed");
 * ```
 */
export function planSettlement(
  message: SettledMessage,
  subject: Subject,
  disposition: Exclude<Disposition, { kind: "run" }>,
  settings: SettlementSettings,
): SettlementPlan {
  const { id } = subject;
  const task = taskName(subject);
  const worker = headerText(settings.workerId);
  const about = { id, ...task, worker };
  const ms = settings.ms;
  const history = settings.history;
  const fallbackFor = (
    dead: { reason: DeadReason; error: string; attempts?: number },
  ): NonNullable<SettlementPlan["fallback"]> => {
    const error = `${dead.error} (published as a minimal dead letter: its full copy was refused)`;
    return {
      copy: minimalDeadLetter(message, subject, { ...dead, error }, settings),
      log: {
        event: "task.dead",
        ...task,
        id,
        ...(dead.attempts === undefined ? {} : { attempt: dead.attempts }),
        ms,
        error: eventText(error),
        reason: dead.reason,
      },
    };
  };
  switch (disposition.kind) {
    case "done": {
      const { attempt } = disposition;
      const result = subject.result === undefined ? {} : { result: subject.result };
      const reply = replyOf(message, {
        id,
        task: task.task ?? "",
        ok: true,
        result: subject.result,
      });
      return {
        kind: "done",
        ...(history ? { event: { event: "succeeded", ...about, attempt, ms, ...result } } : {}),
        ...(reply ? { reply } : {}),
        log: { event: "task.done", task: task.task ?? "", id, attempt, ms, result: subject.result },
      };
    }
    case "retry": {
      const { attempt, delay } = disposition;
      const error = eventText(disposition.error);
      return {
        kind: "retry",
        copy: {
          what: "retry",
          to: { delay },
          body: message.content,
          properties: copyProperties(message, id, {
            ...failureHeaders(message, disposition.error, settings),
            [HEADERS.attempts]: attempt,
            [HEADERS.redeliveries]: 0,
            // The worker that takes it checks the time itself: the broker's clock may run fast.
            ...notBeforeHeaders(settings.now + delay),
          }),
        },
        ...(history
          ? {
            event: {
              event: "retried",
              ...about,
              attempt,
              error,
              next: new Date(settings.now + delay).toISOString(),
            },
          }
          : {}),
        log: {
          event: "task.failed",
          task: task.task ?? "",
          id,
          attempt,
          ms,
          error,
          retryIn: delay,
        },
        fallback: fallbackFor({
          reason: "failed",
          error:
            `attempt ${attempt} failed and its retry could not be published: ${disposition.error}`,
          attempts: attempt,
        }),
      };
    }
    case "dead": {
      const error = eventText(disposition.error);
      const attempts = disposition.attempts === undefined ? {} : { attempts: disposition.attempts };
      const reply = replyOf(message, { id, ...task, ok: false, reason: disposition.reason, error });
      return {
        kind: "dead",
        copy: {
          what: "dead letter",
          to: { queue: settings.names.dead },
          body: message.content,
          properties: copyProperties(message, id, {
            ...failureHeaders(message, disposition.error, settings),
            [HEADERS.reason]: disposition.reason,
            ...(disposition.attempts === undefined
              ? {}
              : { [HEADERS.attempts]: disposition.attempts }),
          }),
        },
        ...(history ? { event: deadEvent(about, disposition) } : {}),
        ...(reply ? { reply } : {}),
        log: {
          event: "task.dead",
          ...task,
          id,
          ...(disposition.attempts === undefined ? {} : { attempt: disposition.attempts }),
          ms,
          error,
          reason: disposition.reason,
        },
        fallback: fallbackFor({
          reason: disposition.reason,
          error: disposition.error,
          ...attempts,
        }),
      };
    }
    case "requeue": {
      const reason = eventText(disposition.reason);
      return {
        kind: "requeue",
        copy: {
          what: "requeue",
          to: { queue: settings.names.main },
          body: message.content,
          properties: copyProperties(message, id, { ...disposition.headers }),
        },
        ...(history ? { event: { event: "returned", ...about, reason } } : {}),
        log: { event: "task.returned", ...task, id, reason },
        fallback: fallbackFor({
          reason: "worker-died",
          error: `it was to go back to its queue (${disposition.reason}), and its copy was refused`,
        }),
      };
    }
    case "wait": {
      const { early } = disposition;
      return {
        kind: "wait",
        copy: {
          what: "wait",
          to: { delay: early },
          body: message.content,
          properties: copyProperties(message, id, { ...disposition.headers }),
        },
        log: { event: "task.early", task: task.task ?? "", id, early },
        fallback: fallbackFor({
          reason: "worker-died",
          error: `it came ${early} ms before its not-before (${
            new Date(disposition.notBefore).toISOString()
          }) and was to wait again in the delay levels, and its copy was refused`,
        }),
      };
    }
    case "drop": {
      const error = eventText(`${disposition.error} (dropped: no dead letter)`);
      return {
        kind: "drop",
        ...(history
          ? { event: { event: "cancelled", ...about, stage: disposition.stage, dropped: true } }
          : {}),
        log: { event: "task.dead", ...task, id, ms, error, reason: "cancelled" },
      };
    }
  }
}
