/**
 * Starting a workflow: its first step, as a task message that carries the workflow's header,
 * and the receipt that its outcome is asked with.
 *
 * @module
 */
import { ConfigError } from "../errors/config_error.ts";
import type { Catalog } from "../task/catalog.ts";
import { prepareTask } from "../task/prepare.ts";
import { utf8Bytes } from "../util/bounds.ts";
import type { EncodedTask } from "../wire/task_codec.ts";
import { newTaskId } from "../wire/task_id.ts";
import { encodeStepTag, MAX_WORKFLOW_ID_BYTES, stepId, WORKFLOW_HEADER } from "../wire/workflow.ts";
import { stageSteps, type Workflow } from "./definition.ts";

/** How a workflow starts. */
export interface StartOptions {
  /**
   * The workflow's id (its steps' ids start with it, and its last step's id is it): printable,
   * at most 128 bytes, without `.`.
   * @default {a new random id of 22 characters}
   */
  id?: string;
  /**
   * Start its first step no sooner than this many milliseconds from now.
   * @default {0: at once}
   */
  delay?: number;
  /**
   * When its first step may no longer start (milliseconds from now, or a time): a workflow
   * whose first step expires ends, expired.
   * @default {the first task's `expires`, else never}
   */
  expires?: number | Date;
}

/** What a started workflow is asked about with: its id, and (type only) its result's type. */
export interface WorkflowReceipt<Out = unknown> {
  /** The workflow's id. */
  readonly id: string;
  /** The workflow's name. */
  readonly workflow: string;
  /** Type only: the result. */
  readonly output?: Out;
}

// deno-lint-ignore no-control-regex -- control characters are what it refuses
const ID = /^[^.\s\u0000-\u001f\u007f]+$/;

/**
 * Whether `id` may be a workflow's id: 1 to {@linkcode MAX_WORKFLOW_ID_BYTES} bytes of printable
 * characters, without `.` or spaces.
 */
export function isWorkflowId(id: unknown): id is string {
  return typeof id === "string" && id.length <= MAX_WORKFLOW_ID_BYTES && ID.test(id) &&
    utf8Bytes(id) <= MAX_WORKFLOW_ID_BYTES;
}

/**
 * The first step of `workflow` on `input`, ready to publish, and its receipt. Throws a
 * `ValidationError` when the first task's schema refuses `input`, a `ConfigError` for a bad id.
 */
export function prepareWorkflow<C extends Catalog, In, Out>(
  catalog: C,
  workflow: Workflow<C, In, Out>,
  input: In,
  options: StartOptions & { readonly maxBytes?: number } = {},
): { message: EncodedTask; receipt: WorkflowReceipt<Out> } {
  const id = options.id ?? newTaskId();
  if (!isWorkflowId(id)) {
    throw new ConfigError(
      `Cannot start workflow '${workflow.name}' with id ${
        JSON.stringify(id)
      }: an id is 1 to ${MAX_WORKFLOW_ID_BYTES} bytes of printable characters, without '.' or spaces`,
    );
  }
  const first = workflow.stages[0];
  if (first?.kind !== "task") {
    throw new ConfigError(`Cannot start workflow '${workflow.name}': it has no first step`);
  }
  for (const stage of workflow.stages) {
    for (const step of stageSteps(stage)) {
      if (!catalog.get(step.task)) {
        throw new ConfigError(
          `Cannot start workflow '${workflow.name}': its task '${step.task}' is not in this producer's catalog`,
        );
      }
    }
  }
  const tag = { id, name: workflow.name, stage: 0 };
  const message = prepareTask(catalog, first.step.task, input as never, {
    id: stepId(id, workflow.stages.length, 0),
    headers: { [WORKFLOW_HEADER]: encodeStepTag(tag) },
    ...(options.delay === undefined ? {} : { delay: options.delay }),
    ...(options.expires === undefined ? {} : { expires: options.expires }),
    ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
  });
  return { message, receipt: { id, workflow: workflow.name } };
}
