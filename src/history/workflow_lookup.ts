/**
 * A workflow as the history tells it: the records of its steps, found by their ids (a step's id
 * is the workflow's id, its stage and its member: `ID.1.7`, and a later step of a member that
 * is a chain has its index in it: `ID.1.7.2`; the last step's is `ID` itself),
 * in one read from the workflow's time. Steps that have not started yet have no events: they
 * are not listed.
 *
 * @module
 */
import type { Link } from "../broker/link.ts";
import type { QueueNames } from "../broker/topology.ts";
import { clipEvent } from "./clip.ts";
import { eventsOf, type FindOptions, LIST_TEXT_MAX, lookupStart, MISSING_HINT } from "./lookup.ts";
import { type SkippedMessages, SkipTally } from "./skipped.ts";
import { readUntilNow } from "./stream_reader.ts";
import { applyEvent, isFinished, type TaskRecord } from "./timeline.ts";

/** One step of a workflow, as the history has it. */
export interface WorkflowStep {
  /** The step's id. */
  readonly id: string;
  /** Its stage, or `"end"` for the last step (whose id is the workflow's). */
  readonly stage: number | "end";
  /** Its member's index, in a fan-out or a group. */
  readonly member?: number;
  /** Its index in its member's chain, for a member's later step (from 1). */
  readonly sub?: number;
  /** Its record (texts cut to 2,000 characters), without its events. */
  readonly record: Omit<TaskRecord, "events">;
  /** Milliseconds from its first start to its outcome, once it has one. */
  readonly ms?: number;
}

/** A workflow's steps, ordered by stage then member. */
export interface WorkflowLookup {
  /** The workflow's id. */
  readonly id: string;
  /** Its state: its last step's, or `failed` (dead, expired, cancelled) ended before it. */
  readonly state: "running" | "succeeded" | "failed";
  /** The steps with events in the history. */
  readonly steps: readonly WorkflowStep[];
  /** Events that could not be read, skipped. */
  readonly skipped: SkippedMessages;
}

/** Which step of workflow `id` the message id `stepId` is, if it is one of its steps. */
export function stepOf(
  id: string,
  stepId: string,
): { stage: number | "end"; member?: number; sub?: number } | undefined {
  if (stepId === id) return { stage: "end" };
  if (!stepId.startsWith(`${id}.`)) return undefined;
  const match = /^(\d{1,2})(?:\.(\d{1,6})(?:\.(\d{1,2}))?)?$/.exec(stepId.slice(id.length + 1));
  if (!match) return undefined;
  const stage = Number(match[1]);
  if (match[2] === undefined) return { stage };
  const member = Number(match[2]);
  return match[3] === undefined ? { stage, member } : { stage, member, sub: Number(match[3]) };
}

/**
 * The steps of workflow `id`, read from the history; `undefined` when it has no event of any.
 * Rejects with a `MissingQueueError` when the queue has no history.
 */
export async function findWorkflow(
  link: Link,
  names: QueueNames,
  id: string,
  options: FindOptions = {},
): Promise<WorkflowLookup | undefined> {
  const records = new Map<string, TaskRecord>();
  const started = new Map<string, number>();
  const skipped = new SkipTally();
  const now = Date.now();
  await readUntilNow(link, names.events, (message, offset) => {
    const correlation: unknown = message.properties.correlationId;
    if (typeof correlation === "string" && stepOf(id, correlation) === undefined) return;
    for (const event of eventsOf(message, offset, skipped)) {
      if (stepOf(id, event.id) === undefined) continue;
      if (event.event === "started" && !started.has(event.id)) {
        started.set(event.id, Date.parse(event.at));
      }
      const clipped = clipEvent(event, LIST_TEXT_MAX);
      records.set(event.id, applyEvent(records.get(event.id), clipped, { now }));
    }
  }, { from: lookupStart(id, options.since), missingHint: MISSING_HINT });
  if (records.size === 0) return undefined;
  const steps: WorkflowStep[] = [...records.values()].map((record) => {
    const { events: _events, ...rest } = record;
    const first = started.get(record.id);
    const done = isFinished(record.state);
    return {
      id: record.id,
      ...stepOf(id, record.id)!,
      record: rest,
      ...(done && first !== undefined ? { ms: Date.parse(record.updatedAt) - first } : {}),
    };
  });
  const rank = (step: WorkflowStep) => step.stage === "end" ? Infinity : step.stage;
  steps.sort((a, b) =>
    rank(a) - rank(b) || (a.member ?? -1) - (b.member ?? -1) || (a.sub ?? 0) - (b.sub ?? 0)
  );
  const end = records.get(id)?.state;
  const state = end === undefined || !isFinished(end)
    ? "running"
    : end === "succeeded"
    ? "succeeded"
    : "failed";
  return { id, state, steps, skipped: skipped.summary };
}
