/**
 * Workflows: several tasks of one catalog run as one job, held by the broker. A workflow is a
 * list of stages, defined once in the module the producer and the workers share (beside the
 * catalog), and typed from one stage to the next:
 *
 * - `start(task)`: the first step; the workflow's input is its payload;
 * - `then(task, map?)`: a chain; the previous result, through `map`, is the step's payload;
 * - `each(task, map?)`: a fan-out; the previous result is a list, and the task runs once per
 *   element (`map` turns an element into a payload); the list's length is known at run time;
 * - `group(m => [m.task(a, map?), m.task(b, map?)])`: steps in parallel on the previous result;
 * - `join(task, map?)` after `each` or `group`: the callback (a chord), that gets every member's
 *   result in member order; `joinSettled(task, map)` gets them settled (`{ ok, result }` or
 *   `{ ok: false, reason, error }`) and runs even when members failed.
 *
 * A member of a group or a fan-out may be a chain of its own: `m.task(a, map?).then(b, map?)`
 * in a group, `each(m => m.task(a, map?).then(b, map?))` for a fan-out. Its result is its last
 * step's; a step of it that fails is the member failing.
 *
 * `map` may be left out only where the previous result's type is the next payload's type: a
 * mismatch does not compile, and a workflow built from data (its types cast away) is refused
 * when it is built, where the schemas tell a mismatch for certain (`./schema_fit.ts`). At run
 * time the payload is checked by the task's schema, as any enqueued payload is, and a workflow
 * whose mapped payload is refused ends failed, saying so.
 *
 * @module
 */
import { ConfigError } from "../errors/config_error.ts";
import { z } from "../deps/zod.ts";
import type { Catalog, TaskInput, TaskName, TaskResult } from "../task/catalog.ts";
import { misfit } from "./schema_fit.ts";

/** What a mapping turns a value into; runs on the worker that finished the previous stage. */
export type Mapper = (value: never) => unknown;

/** One task of a stage: its name and how its payload is made. */
export interface StepSpec {
  /** The task's name. */
  readonly task: string;
  /** Makes the payload from the previous result (or an element of it); absent: as it is. */
  readonly map?: Mapper;
  /** When the step's task may start, and until when: see {@linkcode StepOptions}. */
  readonly options?: StepOptions;
  /** In a member of a group or a fan-out: the steps that follow this one, each on the result of the one before. */
  readonly next?: readonly StepSpec[];
}

/** When a step's tasks may run, as an enqueue's `delay` and `expires` say for a task. */
export interface StepOptions {
  /**
   * Milliseconds the step's tasks wait, from when the stage before ended, before they may start
   * (held by the broker's delay levels).
   * @default {0: at once}
   */
  readonly delay?: number;
  /**
   * Milliseconds after the stage before ended past which the step's tasks may no longer start:
   * one that a worker gets later is not run, and ends the workflow, expired.
   * @default {the task's contract's `expires`, else never}
   */
  readonly expires?: number;
}

/** A stage of a workflow, as data; see the module documentation. */
export type Stage =
  | { readonly kind: "task"; readonly step: StepSpec }
  | { readonly kind: "each"; readonly step: StepSpec }
  | { readonly kind: "group"; readonly members: readonly StepSpec[] }
  | {
    readonly kind: "join";
    readonly step: StepSpec;
    /** `fail`: the first failed member ends the workflow; `continue`: the callback runs. */
    readonly onFailure: "fail" | "continue";
  };

/** A member's outcome, as `joinSettled` gives it. */
export type Settled<R> =
  | { readonly ok: true; readonly result: R }
  | { readonly ok: false; readonly reason: string; readonly error: string };

/** The optional or required mapping from `From` to `To`: optional when `From` fits `To`. */
export type MapArgs<From, To> = [From] extends [To] ? [map?: (value: From) => To]
  : [map: (value: From) => To];

/** The element type of a list type; `never` for anything else. */
export type ElementOf<T> = T extends readonly (infer E)[] ? E : never;

/** A member of a group or a fan-out, made by {@linkcode MemberMaker.task}; `R` is its result type. */
export interface GroupMember<R> {
  /** The member's first step; the steps after it are its `next`. */
  readonly step: StepSpec;
  /** Type only: the member's result. */
  readonly result?: R;
}

/**
 * A member that is a chain: `task`, then each `then` on the result of the step before. Its
 * result is its last step's.
 *
 * @example A fan-out whose member is a chain
 * ```ts
 * import { z } from "zod";
 * import { defineCatalog, defineTask } from "../../mod.ts";
 * import { defineWorkflow } from "./definition.ts";
 *
 * const catalog = defineCatalog(
 *   defineTask({ name: "list", schema: z.object({}), result: z.array(z.string()) }),
 *   defineTask({ name: "fetch", schema: z.object({ url: z.string() }), result: z.string() }),
 *   defineTask({ name: "size", schema: z.object({ page: z.string() }), result: z.number() }),
 *   defineTask({ name: "sum", schema: z.object({ xs: z.array(z.number()) }), result: z.number() }),
 * );
 * const sizes = defineWorkflow(catalog, "sizes")
 *   .start("list")
 *   .each((m) => m.task("fetch", (url) => ({ url })).then("size", (page) => ({ page })))
 *   .join("sum", (xs) => ({ xs }));
 * ```
 */
export class MemberChain<C extends Catalog, R> implements GroupMember<R> {
  /** The member's first step; the steps after it are its `next`. */
  readonly step: StepSpec;
  /** Type only: the member's result. */
  declare readonly result?: R;
  readonly #catalog: C;
  readonly #workflow: string;

  /** A member of `step`, in workflow `workflow`; use {@linkcode MemberMaker.task}. */
  constructor(catalog: C, workflow: string, step: StepSpec) {
    this.#catalog = catalog;
    this.#workflow = workflow;
    this.step = step;
  }

  /** Then, within this member, `task` on the previous step's result through `map`. */
  then<N extends TaskName<C>>(
    task: N,
    ...map: MapArgs<R, TaskInput<C, N>>
  ): MemberChain<C, TaskResult<C, N>> {
    const given = resultGiven(this.#catalog, chainOf(this.step).at(-1)!.task);
    const step = stepOf(this.#catalog, task, map[0], { workflow: this.#workflow, given });
    const next = [...(this.step.next ?? []), step];
    if (next.length >= MAX_STAGES) {
      throw new ConfigError(
        `Cannot chain task '${task}': a member holds at most ${MAX_STAGES} steps`,
      );
    }
    return new MemberChain(this.#catalog, this.#workflow, { ...this.step, next });
  }
}

/** Makes the members of a group, or a fan-out's member, on a previous result of type `Prev`. */
export interface MemberMaker<C extends Catalog, Prev> {
  /**
   * A member that runs `task` with the previous result, through `map`, as its payload; `then`
   * makes it a chain.
   */
  task<N extends TaskName<C>>(
    task: N,
    ...map: MapArgs<Prev, TaskInput<C, N>>
  ): MemberChain<C, TaskResult<C, N>>;
}

/** The results of a group's members, in member order. */
export type ResultsOf<M extends readonly GroupMember<unknown>[]> = {
  -readonly [K in keyof M]: M[K] extends GroupMember<infer R> ? R : never;
};

/** The settled outcomes of a fan-out's members, in member order. */
export type SettledOf<Rs extends readonly unknown[]> = {
  -readonly [K in keyof Rs]: Settled<Rs[K]>;
};

/** The most stages a workflow holds. */
export const MAX_STAGES = 64;

/** The most members of one group. */
export const MAX_GROUP_MEMBERS = 256;

/** What a workflow's name may be: letters, digits, `_`, `-` and `.`, 1 to 64 of them. */
const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/**
 * A workflow of catalog `C`: its input is `In` (the first step's payload), its result `Out` (the
 * last step's result). Immutable: each method returns a new workflow.
 *
 * @example A chain
 * ```ts
 * import { z } from "zod";
 * import { defineCatalog, defineTask } from "../../mod.ts";
 * import { defineWorkflow } from "./definition.ts";
 *
 * const catalog = defineCatalog(
 *   defineTask({ name: "words", schema: z.object({ text: z.string() }), result: z.array(z.string()) }),
 *   defineTask({ name: "count", schema: z.object({ words: z.array(z.string()) }), result: z.number() }),
 * );
 * const flow = defineWorkflow(catalog, "count-words")
 *   .start("words")
 *   .then("count", (words) => ({ words }));
 * flow.stages.length; // 2
 * ```
 */
export class Workflow<C extends Catalog, In, Out> {
  /** The workflow's name, which its messages carry. */
  readonly name: string;
  /** The catalog of its tasks. */
  readonly catalog: C;
  /** Its stages, first to last. */
  readonly stages: readonly Stage[];
  /** Type only: the input. */
  declare readonly input?: In;
  /** Type only: the result. */
  declare readonly output?: Out;

  /** A workflow of `stages`; use {@linkcode defineWorkflow}. */
  constructor(catalog: C, name: string, stages: readonly Stage[]) {
    this.catalog = catalog;
    this.name = name;
    this.stages = stages;
  }

  /** Then `task`, whose payload is this workflow's result through `map`. */
  then<N extends TaskName<C>>(
    task: N,
    ...map: MapArgs<Out, TaskInput<C, N>>
  ): Workflow<C, In, TaskResult<C, N>> {
    const step = stepOf(this.catalog, task, map[0], { workflow: this.name, given: this.#given() });
    return this.#add({ kind: "task", step });
  }

  /** Then `task` once per element of this workflow's result (a list), through `map`. */
  each<N extends TaskName<C>>(
    task: N,
    ...map: [Out] extends [readonly unknown[]] ? MapArgs<ElementOf<Out>, TaskInput<C, N>>
      : [notAList: never]
  ): FanOut<C, In, TaskResult<C, N>[]>;
  /**
   * Then the member made by `member` (a chain, `m => m.task(a).then(b)`) once per element of
   * this workflow's result (a list).
   */
  each<R>(
    member: [Out] extends [readonly unknown[]]
      ? (maker: MemberMaker<C, ElementOf<Out>>) => GroupMember<R>
      : never,
  ): FanOut<C, In, R[]>;
  each(task: unknown, ...map: unknown[]): FanOut<C, In, unknown[]> {
    const list = this.#given();
    const wrong = list && misfit(list.schema, z.array(z.unknown()));
    if (wrong) {
      throw new ConfigError(
        `Cannot define workflow '${this.name}': a fan-out needs a list, and ${list.what} is not one (${wrong})`,
      );
    }
    const element = list && list.schema instanceof z.ZodArray
      ? { what: `an element of ${list.what}`, schema: list.schema.element as z.ZodType }
      : undefined;
    const step = typeof task === "function"
      ? madeStep(this.name, (task as MakeMember)(this.#maker(element)))
      : stepOf(this.catalog, task as string, map[0], { workflow: this.name, given: element });
    return new FanOut(this.#add({ kind: "each", step }));
  }

  /** Then every member made by `members`, in parallel, on this workflow's result. */
  group<const M extends readonly GroupMember<unknown>[]>(
    members: (maker: MemberMaker<C, Out>) => M,
  ): FanOut<C, In, ResultsOf<M>> {
    const made = members(this.#maker(this.#given()) as MemberMaker<C, Out>);
    if (!Array.isArray(made) || made.length === 0 || made.length > MAX_GROUP_MEMBERS) {
      throw new ConfigError(
        `Cannot define workflow '${this.name}': a group holds 1 to ${MAX_GROUP_MEMBERS} members`,
      );
    }
    const steps = made.map((member: unknown) => madeStep(this.name, member));
    return new FanOut(this.#add({ kind: "group", members: steps }));
  }

  #maker(given: Given | undefined): MemberMaker<C, never> {
    const { catalog, name } = this;
    return {
      task: (task, ...map) =>
        new MemberChain(catalog, name, stepOf(catalog, task, map[0], { workflow: name, given })),
    } as MemberMaker<C, never>;
  }

  /** What the next stage is given: the last stage's result. */
  #given(): Given | undefined {
    const last = this.stages.at(-1);
    return last?.kind === "task" || last?.kind === "join"
      ? resultGiven(this.catalog, last.step.task)
      : undefined;
  }

  /**
   * The last stage's tasks (each member of a fan-out or a group) wait `options.delay`
   * milliseconds before they may start, and may start no later than `options.expires`
   * milliseconds after the stage before ended. The first step's are given to
   * `Producer.start`.
   *
   * @example A reminder a day after the signup's mail
   * ```ts ignore
   * defineWorkflow(catalog, "onboarding").start("welcome")
   *   .then("reminder", (sent) => ({ to: sent.to })).timing({ delay: 86_400_000 });
   * ```
   */
  timing(options: StepOptions): Workflow<C, In, Out> {
    const last = this.stages.length - 1;
    if (last === 0) {
      throw new ConfigError(
        `Cannot time the first step of workflow '${this.name}': give its delay and expiry to Producer.start`,
      );
    }
    const checked = checkStepOptions(this.name, options);
    const stage = this.stages[last]!;
    const timed = (step: StepSpec): StepSpec => ({ ...step, options: checked });
    const next: Stage = stage.kind === "group"
      ? { ...stage, members: stage.members.map(timed) }
      : { ...stage, step: timed(stage.step) };
    return new Workflow(this.catalog, this.name, [...this.stages.slice(0, last), next]);
  }

  #add<R>(stage: Stage): Workflow<C, In, R> {
    if (this.stages.length >= MAX_STAGES) {
      throw new ConfigError(
        `Cannot define workflow '${this.name}': it holds at most ${MAX_STAGES} stages`,
      );
    }
    return new Workflow(this.catalog, this.name, [...this.stages, stage]);
  }
}

/**
 * A workflow that ends in a fan-out or a group, whose members' results `Rs` a callback must
 * join: only `join` and `joinSettled` go on from here.
 */
export class FanOut<C extends Catalog, In, Rs extends readonly unknown[]> {
  readonly #before: Workflow<C, In, unknown>;

  /** The fan-out at the end of `before`; use `each` or `group`. */
  constructor(before: Workflow<C, In, unknown>) {
    this.#before = before;
  }

  /**
   * Then `task`, the callback, with every member's result in member order, through `map`. The
   * first member that fails (after its retries) ends the workflow failed, and cancels the
   * members that have not finished.
   */
  join<N extends TaskName<C>>(
    task: N,
    ...map: MapArgs<Rs, TaskInput<C, N>>
  ): Workflow<C, In, TaskResult<C, N>> {
    return this.#join(task, map[0], "fail");
  }

  /**
   * Then `task`, the callback, once every member has finished, failed or not: `map` gets each
   * member's outcome in member order, `{ ok: true, result }` or `{ ok: false, reason, error }`.
   */
  joinSettled<N extends TaskName<C>>(
    task: N,
    map: (outcomes: SettledOf<Rs>) => TaskInput<C, N>,
  ): Workflow<C, In, TaskResult<C, N>> {
    return this.#join(task, map, "continue");
  }

  #join<R>(task: string, map: Mapper | undefined, onFailure: "fail" | "continue") {
    const before = this.#before;
    const step = stepOf(before.catalog, task, map, {
      workflow: before.name,
      given: this.#results(),
    });
    return new Workflow<C, In, R>(before.catalog, before.name, [
      ...before.stages,
      { kind: "join", step, onFailure },
    ]);
  }

  /** What a join without a mapping is given: the members' results, in member order. */
  #results(): Given | undefined {
    const { catalog, stages } = this.#before;
    const fanned = stages.at(-1)!;
    const last = (member: number) => {
      const task = memberSteps(fanned, member).at(-1)!.task;
      return catalog.get(task)!.result as z.ZodType;
    };
    if (fanned.kind === "each") {
      return { what: "the members' results", schema: z.array(last(0)) };
    }
    if (fanned.kind !== "group") return undefined;
    const results = fanned.members.map((_, member) => last(member));
    return { what: "the members' results", schema: z.tuple(results as [z.ZodType]) };
  }
}

/** Starts defining workflow `name` over `catalog`. */
export interface WorkflowStart<C extends Catalog> {
  /** The first step: `task`, whose payload is the workflow's input. */
  start<N extends TaskName<C>>(task: N): Workflow<C, TaskInput<C, N>, TaskResult<C, N>>;
}

/**
 * Defines workflow `name` over `catalog`: `start` names its first task, and the chain goes on
 * from there (see the module documentation). Define it where the catalog is, so that producers
 * and workers share it; workers are given it in their `workflows` option.
 *
 * @example A fan-out and its callback
 * ```ts
 * import { z } from "zod";
 * import { defineCatalog, defineTask } from "../../mod.ts";
 * import { defineWorkflow } from "./definition.ts";
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
 * const squares = defineWorkflow(catalog, "squares")
 *   .start("split")
 *   .each("square", (x) => ({ x }))
 *   .join("total", (xs) => ({ xs }));
 * ```
 */
export function defineWorkflow<C extends Catalog>(catalog: C, name: string): WorkflowStart<C> {
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new ConfigError(
      `Cannot define workflow ${
        JSON.stringify(name)
      }: a name is a letter then up to 63 letters, digits, '_', '-' or '.'`,
    );
  }
  return {
    start: (task) =>
      new Workflow(catalog, name, [{ kind: "task", step: stepOf(catalog, task, undefined) }]),
  };
}

function checkStepOptions(name: string, options: StepOptions): StepOptions {
  const checked: { delay?: number; expires?: number } = {};
  for (const key of ["delay", "expires"] as const) {
    const value = options?.[key];
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new ConfigError(
        `Cannot time a step of workflow '${name}': '${key}' must be a number of milliseconds, 0 or more`,
      );
    }
    checked[key] = value;
  }
  if (checked.expires !== undefined && checked.expires <= (checked.delay ?? 0)) {
    throw new ConfigError(
      `Cannot time a step of workflow '${name}': it would expire before it may start ('expires' must be over 'delay')`,
    );
  }
  return checked;
}

/** A member maker's callback, as `each` and `group` are given it. */
type MakeMember = (maker: MemberMaker<Catalog, never>) => unknown;

/** The step of a member that a maker made, or a `ConfigError` when it is not one. */
function madeStep(name: string, member: unknown): StepSpec {
  if (!(member instanceof MemberChain)) {
    throw new ConfigError(
      `Cannot define workflow '${name}': a member must be made by the maker it is given (m => m.task(...))`,
    );
  }
  return member.step;
}

/** The steps of member `member` of `stage` (a group or a fan-out), first to last. */
export function memberSteps(stage: Stage, member: number): readonly StepSpec[] {
  const first = stage.kind === "group"
    ? stage.members[member]
    : stage.kind === "each"
    ? stage.step
    : undefined;
  return first === undefined ? [] : chainOf(first);
}

/** Every step of `stage`, members' chains included. */
export function stageSteps(stage: Stage): readonly StepSpec[] {
  return (stage.kind === "group" ? stage.members : [stage.step]).flatMap(chainOf);
}

/** `first` and the steps that follow it in its member's chain. */
function chainOf(first: StepSpec): StepSpec[] {
  return [first, ...(first.next ?? [])];
}

/** What a step without a mapping is given as its payload: a value of `schema`, named `what`. */
interface Given {
  /** How the value is named in an error. */
  readonly what: string;
  /** Its schema. */
  readonly schema: z.ZodType;
}

/** Task `task`'s result, as a later step is given it. */
function resultGiven(catalog: Catalog, task: string): Given | undefined {
  const contract = catalog.get(task);
  return contract && { what: `${task}'s result`, schema: contract.result as z.ZodType };
}

/**
 * The step of `task` through `map`. A step without a mapping is given the value `from.given` as
 * its payload: a value that would not fit its schema is refused now, as the type checker refuses
 * it in a typed workflow (for a workflow built from data).
 */
function stepOf(
  catalog: Catalog,
  task: string,
  map: unknown,
  from?: { readonly workflow: string; readonly given: Given | undefined },
): StepSpec {
  if (!catalog.get(task)) {
    throw new ConfigError(
      `Cannot use task '${task}' in a workflow: the catalog has no such task (it has ${
        catalog.names.join(", ")
      })`,
    );
  }
  if (map !== undefined && typeof map !== "function") {
    throw new ConfigError(`Cannot use task '${task}' in a workflow: its mapping is not a function`);
  }
  const given = map === undefined ? from?.given : undefined;
  const wrong = given && misfit(given.schema, catalog.get(task)!.schema);
  if (wrong) {
    throw new ConfigError(
      `Cannot use task '${task}' in workflow '${
        from!.workflow
      }' without a mapping: ${given.what} does not fit its payload (${wrong}); give a mapping`,
    );
  }
  return map === undefined ? { task } : { task, map: map as Mapper };
}

/** Any workflow, as workers hold them. */
export type AnyWorkflow = Workflow<Catalog, unknown, unknown>;
