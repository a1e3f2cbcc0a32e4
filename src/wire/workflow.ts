/**
 * The wire format of workflows (a public contract).
 *
 * A step of a workflow is an ordinary task message with one more header, `x-warren-workflow`:
 * a JSON object `{"id", "name", "stage", "member"?, "members"?, "sub"?}`, at most 1 KiB. `id`
 * is the workflow's id, `name` its definition's name, `stage` the index of the step's stage, and
 * a member of a fan-out or a group has `member` (its index) and `members` (how many there are);
 * a step after the first of a member that is a chain has `sub`, its index in that chain (from 1).
 * A step's message id is `ID.STAGE` (`ID.STAGE.MEMBER` for a member, `ID.STAGE.MEMBER.SUB` for
 * a member's later step), but the last stage's, which is the workflow's id itself: the
 * workflow's outcome is that step's outcome.
 *
 * The join queue `Q.join` holds UTF-8 JSON objects of two kinds, `{"v": 1, "kind": "member",
 * "id", "name", "stage", "members", "member", "outcome"}` (a member finished; `outcome` is
 * `{"ok": true, "result"}` or `{"ok": false, "reason", "error"}`) and `{"v": 1, "kind":
 * "checkpoint", "id", "name", "stage", "members", "since", "outcomes": [[MEMBER, OUTCOME], ...]}`
 * (what the joiner had gathered of one stage).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { z } from "../deps/zod.ts";
import { parseBoundedJson, utf8Bytes } from "../util/bounds.ts";
import { stringifyJson } from "../util/json.ts";

/** The header of a workflow's step. */
export const WORKFLOW_HEADER = "x-warren-workflow";

/** The most bytes of a workflow header. */
export const MAX_WORKFLOW_HEADER_BYTES = 1024;

/** The most bytes of a workflow's id. */
export const MAX_WORKFLOW_ID_BYTES = 128;

/** The most members of one fan-out. */
export const MAX_MEMBERS = 100_000;

const index = z.number().int().min(0);

/**
 * A workflow's id as messages and events carry it: 1 to {@linkcode MAX_WORKFLOW_ID_BYTES} bytes
 * (its characters are counted first, so a huge string is refused before its bytes are).
 */
export const workflowIdSchema = z.string().min(1).max(MAX_WORKFLOW_ID_BYTES).refine(
  (id) => utf8Bytes(id) <= MAX_WORKFLOW_ID_BYTES,
  { message: `at most ${MAX_WORKFLOW_ID_BYTES} bytes` },
);

const headerSchema = z.object({
  id: workflowIdSchema,
  name: z.string().min(1).max(64),
  stage: index.max(63),
  member: index.max(MAX_MEMBERS - 1).optional(),
  members: z.number().int().min(1).max(MAX_MEMBERS).optional(),
  sub: z.number().int().min(1).max(63).optional(),
}).refine((h) => (h.member === undefined) === (h.members === undefined), {
  message: "member and members go together",
}).refine((h) => h.member === undefined || h.member < h.members!, {
  message: "member must be below members",
}).refine((h) => h.sub === undefined || h.member !== undefined, {
  message: "only a member has sub",
});

/** What the header of a workflow's step says. */
export interface StepTag {
  /** The workflow's id. */
  readonly id: string;
  /** Its definition's name. */
  readonly name: string;
  /** The stage's index. */
  readonly stage: number;
  /** A member's index, in a fan-out or a group. */
  readonly member?: number;
  /** How many members the stage has. */
  readonly members?: number;
  /** In a member that is a chain, the step's index in it; absent for its first step. */
  readonly sub?: number;
}

/** The header value of `tag`. */
export function encodeStepTag(tag: StepTag): string {
  return JSON.stringify(tag);
}

/** What a workflow header says: the step it is (none for a task), or why it cannot be read. */
export type StepRead = { ok: true; tag: StepTag | undefined } | { ok: false; error: string };

/**
 * The workflow step that `headers` name, `undefined` when they name none, or why the header
 * cannot be read.
 */
export function readStepTag(headers: Record<string, unknown> | undefined): StepRead {
  const raw = headers?.[WORKFLOW_HEADER];
  if (raw === undefined) return { ok: true, tag: undefined };
  const text = typeof raw === "string" ? raw : Buffer.isBuffer(raw) ? raw.toString() : undefined;
  if (text === undefined) return { ok: false, error: `${WORKFLOW_HEADER} is not a string` };
  if (utf8Bytes(text) > MAX_WORKFLOW_HEADER_BYTES) {
    return { ok: false, error: `${WORKFLOW_HEADER} is over ${MAX_WORKFLOW_HEADER_BYTES} bytes` };
  }
  const value = parseBoundedJson(text, 4);
  if (value === undefined) return { ok: false, error: `${WORKFLOW_HEADER} is not JSON` };
  const parsed = headerSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      error: `${WORKFLOW_HEADER} is malformed: ${issue?.path.join(".") || "value"}: ${
        issue?.message ?? "invalid"
      }`,
    };
  }
  const { member, members, sub, ...rest } = parsed.data;
  if (member === undefined) return { ok: true, tag: rest };
  return {
    ok: true,
    tag: sub === undefined ? { ...rest, member, members: members! } : {
      ...rest,
      member,
      members: members!,
      sub,
    },
  };
}

/**
 * The message id of the step at `stage` (and `member`, and `sub` in a member's chain) of
 * workflow `id`, of `stages`.
 */
export function stepId(
  id: string,
  stages: number,
  stage: number,
  member?: number,
  sub?: number,
): string {
  if (member !== undefined) {
    return sub ? `${id}.${stage}.${member}.${sub}` : `${id}.${stage}.${member}`;
  }
  return stage === stages - 1 ? id : `${id}.${stage}`;
}

/** A member's outcome, as the join queue carries it. */
export type MemberOutcome =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly reason: string; readonly error: string };

/** What the join queue holds: a member's outcome, or a joiner's checkpoint. */
export type JoinMessage =
  | {
    readonly v: 1;
    readonly kind: "member";
    readonly id: string;
    readonly name: string;
    readonly stage: number;
    readonly members: number;
    readonly member: number;
    readonly outcome: MemberOutcome;
  }
  | {
    readonly v: 1;
    readonly kind: "checkpoint";
    readonly id: string;
    readonly name: string;
    readonly stage: number;
    readonly members: number;
    /** When the joiner first heard of the stage (epoch ms). */
    readonly since: number;
    readonly outcomes: ReadonlyArray<readonly [number, MemberOutcome]>;
  };

const outcomeSchema = z.union([
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({ ok: z.literal(false), reason: z.string().max(64), error: z.string() }),
]);

const joinBase = {
  v: z.literal(1),
  id: workflowIdSchema,
  name: z.string().min(1).max(64),
  stage: index.max(63),
  members: z.number().int().min(1).max(MAX_MEMBERS),
};

const joinSchema = z.discriminatedUnion("kind", [
  z.object({
    ...joinBase,
    kind: z.literal("member"),
    member: index.max(MAX_MEMBERS - 1),
    outcome: outcomeSchema,
  }),
  z.object({
    ...joinBase,
    kind: z.literal("checkpoint"),
    since: z.number().int().min(0),
    outcomes: z.array(z.tuple([index.max(MAX_MEMBERS - 1), outcomeSchema])).max(MAX_MEMBERS),
  }),
]);

/** The body of a join message. */
export function encodeJoinMessage(message: JoinMessage): Buffer {
  return Buffer.from(stringifyJson(message));
}

/** Reads a join message (already parsed as bounded JSON), or says what is wrong with it. */
export function readJoinMessage(
  value: unknown,
): { ok: true; message: JoinMessage } | { ok: false; error: string } {
  const parsed = joinSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      error: `not a join message: ${issue?.path.join(".") || "value"}: ${issue?.message}`,
    };
  }
  const message = parsed.data as JoinMessage;
  if (message.kind === "member" && message.member >= message.members) {
    return { ok: false, error: "not a join message: member must be below members" };
  }
  return { ok: true, message };
}
