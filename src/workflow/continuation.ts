/**
 * What follows a workflow's step, as a value: a pure function of the step's outcome and the
 * workflow's definition. The worker that settles the step publishes it, confirmed, before its
 * ack (so a crash loses nothing: the step runs again, and its members count once at the join).
 *
 * | the step                     | succeeded                           | failed (after retries)       |
 * | ---------------------------- | ----------------------------------- | ---------------------------- |
 * | the last one                 | nothing: its outcome is the end     | nothing: its outcome is the end |
 * | a single step before others  | the next stage's tasks              | the workflow's end, failed   |
 * | a member of a fan-out/group  | its outcome to `Q.join`             | its outcome to `Q.join`      |
 *
 * A mapping that throws, or a payload the next task's schema refuses, ends the workflow failed
 * (reason `invalid-payload`), naming the stage.
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
import type { AnyWorkflow, Stage, StepSpec } from "./definition.ts";

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
  if (stage === undefined || fanned !== (tag.member !== undefined)) {
    return {
      publish: [],
      end: workflowEnd(
        workflow,
        tag,
        "failed",
        `its step names stage ${tag.stage}${
          tag.member === undefined ? "" : ` member ${tag.member}`
        }, which workflow '${workflow.name}' does not have as such (a producer and a worker with different definitions?)`,
        settings,
      ),
    };
  }
  if (tag.member !== undefined) {
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
      publish: [{
        queue: settings.names.join,
        body,
        properties: {
          persistent: true,
          contentType: "application/json",
          messageId: stepId(tag.id, 0, tag.stage, tag.member),
        },
      }],
    };
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

function messagesOf(
  workflow: AnyWorkflow,
  spec: Stage,
  tag: StepTag,
  value: unknown,
  settings: ContinueSettings,
): Outgoing[] {
  const stages = workflow.stages.length;
  const one = (step: StepSpec, input: unknown, at: StepTag): Outgoing => {
    const payload = step.map ? (step.map as (value: unknown) => unknown)(input) : input;
    const message = prepareTask(workflow.catalog, step.task, payload as never, {
      id: stepId(at.id, stages, at.stage, at.member),
      headers: { [WORKFLOW_HEADER]: encodeStepTag(at) },
      maxBytes: settings.maxBytes,
      now: settings.now,
      ...(step.options?.delay ? { delay: step.options.delay } : {}),
      ...(step.options?.expires === undefined ? {} : { expires: step.options.expires }),
    });
    return { queue: settings.names.main, body: message.body, properties: message.properties };
  };
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
  if (stage?.kind === "group" && tag.member !== undefined) {
    task = stage.members[tag.member]?.task ?? "?";
  } else if (stage && stage.kind !== "group") task = stage.step.task;
  const member = tag.member === undefined ? "" : ` #${tag.member} of ${tag.members}`;
  return `${tag.stage} (${task}${member}, id ${
    stepId(tag.id, workflow?.stages.length ?? 0, tag.stage, tag.member)
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
