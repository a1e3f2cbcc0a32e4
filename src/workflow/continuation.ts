/**
 * What follows a workflow's step, as a value: a pure function of the step's outcome and the
 * workflow's definition. The worker that settles the step publishes it, confirmed, before its
 * ack (so a crash loses nothing: the step runs again, and its members count once at the join).
 *
 * | the step                            | succeeded                       | failed (after retries)          |
 * | ----------------------------------- | ------------------------------- | ------------------------------- |
 * | the last one                        | nothing: its outcome is the end | nothing: its outcome is the end |
 * | a single step before others         | the next stage's tasks          | the workflow's end, failed      |
 * | a member's step before its last     | the member's next step          | the member's outcome to `Q.join` |
 * | a member's last step (or only one)  | the member's outcome to `Q.join` | the member's outcome to `Q.join` |
 *
 * A mapping that throws, or a payload the next task's schema refuses, ends the workflow failed
 * (reason `invalid-payload`), naming the stage; within a member's chain, it fails the member.
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import type { QueueNames } from "../broker/topology.ts";
import type { Options } from "../deps/amqplib.ts";
import { describeError } from "../errors/describe.ts";
import { ValidationError } from "../errors/validation_error.ts";
import { prepareTask } from "../task/prepare.ts";
import { decodeResult } from "../task/results.ts";
import { boundText, eventText, HEADER_TEXT_BYTES } from "../util/bounds.ts";
import { type DeadReason, isDeadReason } from "../wire/dead_reasons.ts";
import type { NewHistoryEvent } from "../wire/events.ts";
import {
  encodeJoinMessage,
  encodeStepTag,
  MAX_MEMBERS,
  type MemberOutcome,
  stepId,
  type StepTag,
  WORKFLOW_HEADER,
} from "../wire/workflow.ts";
import { type AnyWorkflow, memberSteps, type Stage, type StepSpec } from "./definition.ts";

/** A message to publish, confirmed, through the default exchange. */
export interface Outgoing {
  /** The queue. */
  readonly queue: string;
  /** The body. */
  readonly body: Buffer;
  /** The properties. */
  readonly properties: Options.Publish;
}

/** What follows a step: messages to publish and, when the workflow ends here, its end. */
export interface Continuation {
  /** Published, confirmed, before the step's ack. */
  readonly publish: readonly Outgoing[];
  /** The workflow's end as a history event, when it ended failed before its last stage. */
  readonly end?: NewHistoryEvent;
}

/** What the continuation needs from the worker. */
export interface ContinueSettings {
  /** The work queue's names. */
  readonly names: QueueNames;
  /** The largest message body. */
  readonly maxBytes: number;
  /** The worker's id, for the end's event. */
  readonly worker: string;
  /** The time now (epoch ms). */
  readonly now: number;
}

const NOTHING: Continuation = { publish: [] };

/**
 * What follows the step `tag` of `workflow` (absent: this worker has no such workflow), that
 * ended with `outcome` (its result in wire form).
 *
 * @example The step before a fan-out
 * ```ts
 * import { z } from "zod";
 * import { assertEquals } from "@std/assert";
 * import { defineCatalog, defineTask } from "../../mod.ts";
 * import { queueNames } from "../broker/topology.ts";
 * import { defineWorkflow } from "./definition.ts";
 * import { continueAfter } from "./continuation.ts";
 *
 * const catalog = defineCatalog(
 *   defineTask({ name: "split", schema: z.object({ n: z.number() }), result: z.array(z.number()) }),
 *   defineTask({ name: "square", schema: z.object({ x: z.number() }), result: z.number() }),
 *   defineTask({
 *     name: "total",
 *     schema: z.object({ xs: z.array(z.number()) }),
 *     result: z.number(),
 *   }),
 * );
 * const flow = defineWorkflow(catalog, "squares").start("split").each("square", (x) => ({ x }))
 *   .join("total", (xs) => ({ xs }));
 * const next = continueAfter(
 *   flow,
 *   { id: "w1", name: "squares", stage: 0 },
 *   { ok: true, result: [1, 2, 3] },
 *   { names: queueNames("jobs"), maxBytes: 1 << 20, worker: "w", now: 0 },
 * );
 * assertEquals(next.publish.map((m) => m.properties.messageId), ["w1.1.0", "w1.1.1", "w1.1.2"]);
 * ```
 */
export function continueAfter(
  workflow: AnyWorkflow | undefined,
  tag: StepTag,
  outcome: MemberOutcome,
  settings: ContinueSettings,
): Continuation {
  if (workflow === undefined || workflow.name !== tag.name) {
    return {
      publish: [],
      end: workflowEnd(
        undefined,
        tag,
        "failed",
        `this worker (${settings.worker}) has no workflow named '${tag.name}': give every worker of the queue the workflows their producers start`,
        settings,
      ),
    };
  }
  const stage = workflow.stages[tag.stage];
  const fanned = stage?.kind === "each" || stage?.kind === "group";
  const chain = stage && tag.member !== undefined ? memberSteps(stage, tag.member) : [];
  if (
    stage === undefined || fanned !== (tag.member !== undefined) ||
    (tag.member !== undefined && (tag.sub ?? 0) >= chain.length)
  ) {
    return {
      publish: [],
      end: workflowEnd(
        workflow,
        tag,
        "failed",
        `its step names stage ${tag.stage}${
          tag.member === undefined ? "" : ` member ${tag.member}`
        }${
          tag.sub === undefined ? "" : ` step ${tag.sub}`
        }, which workflow '${workflow.name}' does not have as such (a producer and a worker with different definitions?)`,
        settings,
      ),
    };
  }
  if (tag.member !== undefined) {
    const sub = tag.sub ?? 0;
    let reported = outcome;
    if (outcome.ok && sub < chain.length - 1) {
      // The member is a chain, and goes on: it reports to the join from its last step.
      const at: StepTag = { ...tag, sub: sub + 1 };
      try {
        const input = decodeResult(workflow.catalog.get(chain[sub]!.task)!, outcome.result);
        return { publish: [stepMessage(workflow, chain[sub + 1]!, input, at, settings)] };
      } catch (err) {
        reported = {
          ok: false,
          reason: err instanceof ValidationError ? "invalid-payload" : "failed",
          error: `the payload of step ${stepLabel(workflow, at)} could not be made: ${
            describeError(err)
          }`,
        };
      }
    }
    return { publish: [joinMessage(tag, reported, settings)] };
  }
  const last = tag.stage === workflow.stages.length - 1;
  if (last) return NOTHING;
  if (!outcome.ok) {
    return {
      publish: [],
      end: workflowEnd(
        workflow,
        tag,
        outcome.reason,
        `step ${stepLabel(workflow, tag)} failed: ${outcome.error}`,
        settings,
      ),
    };
  }
  const task = (stage as { step: StepSpec }).step.task;
  return advance(
    workflow,
    tag.id,
    tag.stage + 1,
    () => decodeResult(workflow.catalog.get(task)!, outcome.result),
    settings,
  );
}

/**
 * The messages that start stage `stage` of `workflow` (id `id`) on `value` (the previous
 * stage's result, or the members' results for a join), or the workflow's end when they cannot
 * be made.
 */
export function advance(
  workflow: AnyWorkflow,
  id: string,
  stage: number,
  value: () => unknown,
  settings: ContinueSettings,
): Continuation {
  const spec = workflow.stages[stage];
  const tag: StepTag = { id, name: workflow.name, stage };
  if (spec === undefined) return NOTHING;
  try {
    return { publish: messagesOf(workflow, spec, tag, value(), settings) };
  } catch (err) {
    const reason: DeadReason = err instanceof ValidationError ? "invalid-payload" : "failed";
    return {
      publish: [],
      end: workflowEnd(
        workflow,
        tag,
        reason,
        `the payload of step ${stepLabel(workflow, tag)} could not be made: ${describeError(err)}`,
        settings,
      ),
    };
  }
}

/** The message that tells the join that member `tag` ended with `outcome`. */
function joinMessage(tag: StepTag, outcome: MemberOutcome, settings: ContinueSettings): Outgoing {
  const joined = (reported: MemberOutcome) =>
    encodeJoinMessage({
      v: 1,
      kind: "member",
      id: tag.id,
      name: tag.name,
      stage: tag.stage,
      members: tag.members!,
      member: tag.member!,
      outcome: reported.ok ? reported : { ...reported, error: eventText(reported.error) },
    });
  let body = joined(outcome);
  if (body.length > settings.maxBytes) {
    // The join could not take it, and a join that never hears of a member never ends.
    body = joined({
      ok: false,
      reason: "too-large",
      error:
        `its result takes ${body.length} bytes with the join's message, over maxMessageBytes (${settings.maxBytes}): return a smaller result, or raise maxMessageBytes`,
    });
  }
  return {
    queue: settings.names.join,
    body,
    properties: {
      persistent: true,
      contentType: "application/json",
      messageId: stepId(tag.id, 0, tag.stage, tag.member),
    },
  };
}

/** The task message of `step` of `workflow`, at `at`, on `input` (through the step's map). */
function stepMessage(
  workflow: AnyWorkflow,
  step: StepSpec,
  input: unknown,
  at: StepTag,
  settings: ContinueSettings,
): Outgoing {
  const payload = step.map ? (step.map as (value: unknown) => unknown)(input) : input;
  const message = prepareTask(workflow.catalog, step.task, payload as never, {
    id: stepId(at.id, workflow.stages.length, at.stage, at.member, at.sub),
    headers: { [WORKFLOW_HEADER]: encodeStepTag(at) },
    maxBytes: settings.maxBytes,
    now: settings.now,
    ...(step.options?.delay ? { delay: step.options.delay } : {}),
    ...(step.options?.expires === undefined ? {} : { expires: step.options.expires }),
  });
  return { queue: settings.names.main, body: message.body, properties: message.properties };
}

function messagesOf(
  workflow: AnyWorkflow,
  spec: Stage,
  tag: StepTag,
  value: unknown,
  settings: ContinueSettings,
): Outgoing[] {
  const one = (step: StepSpec, input: unknown, at: StepTag): Outgoing =>
    stepMessage(workflow, step, input, at, settings);
  switch (spec.kind) {
    case "task":
    case "join":
      return [one(spec.step, value, tag)];
    case "group":
      return spec.members.map((step, member) =>
        one(step, value, { ...tag, member, members: spec.members.length })
      );
    case "each": {
      if (!Array.isArray(value)) {
        throw new Error(`a fan-out needs a list, and the previous result is ${typeOf(value)}`);
      }
      if (value.length > MAX_MEMBERS) {
        throw new Error(
          `a fan-out holds at most ${MAX_MEMBERS} members, and this one ${value.length}`,
        );
      }
      if (value.length === 0) {
        // No member will report: the join starts at once, on no results.
        const join = workflow.stages[tag.stage + 1];
        if (join?.kind !== "join") throw new Error("a fan-out must be followed by a join");
        return messagesOf(
          workflow,
          join,
          { id: tag.id, name: tag.name, stage: tag.stage + 1 },
          [],
          settings,
        );
      }
      return value.map((element, member) =>
        one(spec.step, element, { ...tag, member, members: value.length })
      );
    }
  }
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** `2 (sum #3, of 10)`: a step as errors name it. */
export function stepLabel(workflow: AnyWorkflow | undefined, tag: StepTag): string {
  const stage = workflow?.stages[tag.stage];
  let task = "?";
  if (stage && tag.member !== undefined) {
    task = memberSteps(stage, tag.member)[tag.sub ?? 0]?.task ?? "?";
  } else if (stage && stage.kind !== "group") task = stage.step.task;
  const member = tag.member === undefined ? "" : ` #${tag.member} of ${tag.members}`;
  const sub = tag.sub === undefined ? "" : `, its step ${tag.sub + 1}`;
  return `${tag.stage} (${task}${member}${sub}, id ${
    stepId(tag.id, workflow?.stages.length ?? 0, tag.stage, tag.member, tag.sub)
  })`;
}

/**
 * The history event that ends workflow `tag.id` failed: its id is the workflow's, its task the
 * last stage's, so that the workflow's outcome reads as its last step's would.
 */
export function workflowEnd(
  workflow: AnyWorkflow | undefined,
  tag: StepTag,
  reason: string,
  error: string,
  settings: Pick<ContinueSettings, "worker">,
): NewHistoryEvent {
  const lastStage = workflow?.stages[workflow.stages.length - 1];
  const task = lastStage && lastStage.kind !== "group" ? lastStage.step.task : tag.name;
  const about = {
    id: tag.id,
    task: boundText(task, HEADER_TEXT_BYTES),
    worker: boundText(settings.worker, HEADER_TEXT_BYTES),
  };
  const text = eventText(`workflow '${tag.name}' ${tag.id}: ${error}`);
  if (reason === "cancelled") return { event: "cancelled", ...about, stage: "queued" };
  if (reason === "expired") return { event: "expired", ...about, error: text };
  return { event: "dead", ...about, reason: isDeadReason(reason) ? reason : "failed", error: text };
}
