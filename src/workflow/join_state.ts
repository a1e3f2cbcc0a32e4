/**
 * What the joiner has gathered of one fan-out or group: each member's outcome once, however
 * often it is reported (a member that ran twice, a checkpoint read beside the members it holds),
 * and what that comes to. Pure: the joiner does the publishing and the acks.
 *
 * @module
 */
import type { MemberOutcome } from "../wire/workflow.ts";

/** What a join's outcomes come to. */
export type JoinVerdict =
  | { readonly kind: "waiting" }
  | { readonly kind: "complete"; readonly outcomes: readonly MemberOutcome[] }
  | {
    readonly kind: "failed";
    readonly member: number;
    readonly reason: string;
    readonly error: string;
  };

/**
 * The outcomes of one stage's members.
 *
 * @example
 * ```ts
 * import { JoinState } from "./join_state.ts";
 *
 * const join = new JoinState(2, "fail", 0);
 * join.add(1, { ok: true, result: 2 });
 * join.add(1, { ok: true, result: 2 }); // counted once
 * join.add(0, { ok: true, result: 1 });
 * join.verdict(); // { kind: "complete", outcomes: [{ ok: true, result: 1 }, { ok: true, result: 2 }] }
 * ```
 */
export class JoinState {
  /** How many members the stage has. */
  readonly members: number;
  /** What a failed member does: end the workflow (`fail`), or wait for the others. */
  readonly onFailure: "fail" | "continue";
  /** When the joiner first heard of the stage (epoch ms), kept across checkpoints. */
  readonly since: number;
  readonly #outcomes = new Map<number, MemberOutcome>();
  #failed: number | undefined;

  /** A join of `members` members. */
  constructor(members: number, onFailure: "fail" | "continue", since: number) {
    this.members = members;
    this.onFailure = onFailure;
    this.since = since;
  }

  /** How many members have reported. */
  get size(): number {
    return this.#outcomes.size;
  }

  /** Records member `member`'s outcome; says whether it was new. The first report stands. */
  add(member: number, outcome: MemberOutcome): boolean {
    if (member < 0 || member >= this.members || this.#outcomes.has(member)) return false;
    this.#outcomes.set(member, outcome);
    if (!outcome.ok && (this.#failed === undefined || member < this.#failed)) this.#failed = member;
    return true;
  }

  /** The outcomes gathered, by member. */
  entries(): Array<[number, MemberOutcome]> {
    return [...this.#outcomes];
  }

  /** What the outcomes come to now. */
  verdict(): JoinVerdict {
    if (this.onFailure === "fail" && this.#failed !== undefined) {
      const outcome = this.#outcomes.get(this.#failed) as Extract<MemberOutcome, { ok: false }>;
      return { kind: "failed", member: this.#failed, reason: outcome.reason, error: outcome.error };
    }
    if (this.#outcomes.size < this.members) return { kind: "waiting" };
    const outcomes: MemberOutcome[] = [];
    for (let i = 0; i < this.members; i++) outcomes.push(this.#outcomes.get(i)!);
    return { kind: "complete", outcomes };
  }
}
