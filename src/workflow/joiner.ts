/**
 * The joiner: where the members of workflows' fan-outs and groups meet their callback. It runs
 * in every worker given workflows, on the join queue `Q.join` (one per work queue, whatever the
 * number of workflows), as its single active consumer: one worker joins, the others stand by.
 *
 * Its state is held by the broker alone. Each member's outcome comes as a message, which the
 * joiner holds unacked; every {@linkcode CHECKPOINT_MS} it publishes, for each join that heard
 * something new, a checkpoint (every outcome gathered, one message), and once the broker
 * confirmed it, acks what the checkpoint holds (the members' messages, the older checkpoint).
 * So the queue always holds each outcome, in a message unacked or ready, and a joiner that dies
 * gives them all back to the next one, which gathers them again: a member reported twice counts
 * once (by its index). A join whose members are all in publishes its callback, confirmed, then
 * acks the lot; with `join` (not `joinSettled`) the first failed member ends the workflow
 * failed instead, and cancels the rest of it.
 *
 * A checkpoint held longer than half the consumer timeout is published again, so that no
 * delivery outlives it. A message that is not a join message is dead-lettered, named.
 *
 * @module
 */
import { declareQueues } from "../broker/declare.ts";
import type { Link } from "../broker/link.ts";
import {
  joinQueueOptions,
  type QueueNames,
  type QueueType,
  type StreamRetention,
} from "../broker/topology.ts";
import type { ConsumeMessage } from "../deps/amqplib.ts";
import { describeError } from "../errors/describe.ts";
import { EventWriter } from "../history/event_writer.ts";
import { requestCancels } from "../history/cancels.ts";
import { decodeResult } from "../task/results.ts";
import { headerText } from "../util/bounds.ts";
import type { Logger } from "../util/logger.ts";
import { finishesWithin } from "../util/deadline.ts";
import { parseBoundedJson } from "../wire/bounded_json.ts";
import { HEADERS } from "../wire/headers.ts";
import {
  encodeJoinMessage,
  type JoinMessage,
  type MemberOutcome,
  readJoinMessage,
} from "../wire/workflow.ts";
import { ConsumerSession } from "../worker/consumer_session.ts";
import { advance, type Continuation, stepLabel, workflowEnd } from "./continuation.ts";
import { type AnyWorkflow, memberSteps, type Settled } from "./definition.ts";
import { JoinState } from "./join_state.ts";

/** Milliseconds between checkpoints of the joins that heard something new. */
export const CHECKPOINT_MS = 200;

/** The joiner's prefetch: the most messages it holds unacked (AMQP's largest). */
export const JOIN_PREFETCH = 65_535;

/**
 * The longest one step of the joiner (a message, a checkpoint round, a callback) may take: a
 * step that hangs (a broker that never confirms) would hold every join behind it. Past it the
 * joiner starts over on a new link, gathering again what it held.
 */
export const JOIN_STEP_MS = 30_000;

/**
 * The longest a join waits for its members, from the first one heard: 7 days (as long as the
 * history keeps events by default). Past it the workflow ends, expired, and what the join held
 * is acked: nothing waits forever.
 */
export const JOIN_MAX_WAIT_MS = 7 * 24 * 3_600_000;

/** How many finished joins the joiner remembers, to ack at once what still comes for them. */
const FINISHED_REMEMBERED = 100_000;

/** What the joiner needs from its worker. */
export interface JoinerOptions {
  /** The work queue's names. */
  readonly names: QueueNames;
  /** The work queue's type, which the join queue takes. */
  readonly queueType: QueueType;
  /** The workflows by name. */
  readonly workflows: ReadonlyMap<string, AnyWorkflow>;
  /** The largest message body. */
  readonly maxBytes: number;
  /** The worker's id. */
  readonly worker: string;
  /** The broker's consumer timeout, as the worker was told it (ms). */
  readonly consumerTimeout: number;
  /** How `Q.control` is declared when a cancel is the first to write it. */
  readonly controlRetention: StreamRetention;
  /** Where the joiner logs. */
  readonly log: Logger;
}

/** One join being gathered, and the messages that hold its outcomes. */
interface Gathering {
  readonly message: Pick<JoinMessage, "id" | "name" | "stage" | "members">;
  readonly state: JoinState;
  /** Messages not yet acked: members, and checkpoints. */
  held: ConsumeMessage[];
  /** The held checkpoint that holds every outcome gathered, if one does. */
  whole: ConsumeMessage | undefined;
  /** When `whole` came (epoch ms). */
  wholeAt: number;
}

/** The joiner of one worker; see the module documentation. */
export class Joiner {
  readonly #options: JoinerOptions;
  #session: ConsumerSession | undefined;
  #events: EventWriter | undefined;
  #link: Link | undefined;
  readonly #joins = new Map<string, Gathering>();
  readonly #finished = new Set<string>();
  #chain: Promise<void> = Promise.resolve();
  /** Counts the links attached: a step of an older one does not run. */
  #generation = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** A joiner for one worker. */
  constructor(options: JoinerOptions) {
    this.#options = options;
  }

  /** How many joins are being gathered. */
  get gathering(): number {
    return this.#joins.size;
  }

  /** Declares `Q.join` on `link` and consumes it (as the single active consumer, or standing by). */
  async attach(link: Link): Promise<void> {
    const { names, queueType, log, maxBytes } = this.#options;
    this.#retire();
    // What the old link held goes back to the queue: nothing of it waits in line before the new.
    this.#generation++;
    this.#chain = Promise.resolve();
    await declareQueues(link, [[names.join, joinQueueOptions(queueType)]], log);
    const session = await ConsumerSession.open(link, JOIN_PREFETCH, {
      onDelivery: (message, from) => this.#enqueue(() => this.#onMessage(message, from)),
      onCancelled: (from) => from.link.restart("the broker cancelled the joiner's consumer"),
      flushLog: () => log.flush?.(),
      log,
    }, maxBytes);
    this.#session = session;
    this.#link = link;
    this.#events = new EventWriter((body, properties) =>
      session.publish(names.events, body, properties)
    );
    await session.consume(names.join);
    this.#timer = setInterval(() => this.#enqueue(() => this.#checkpoint()), CHECKPOINT_MS);
    Deno.unrefTimer(this.#timer as unknown as number);
  }

  /**
   * Stops joining: the step under way ends first (within `timeoutMs`), so that a callback
   * published is acked with the messages of its join, not published again by the next joiner;
   * what it held besides goes back to the queue when its channel closes (the next joiner
   * gathers it again).
   */
  async close(timeoutMs: number): Promise<void> {
    const session = this.#session;
    const deadline = Date.now() + timeoutMs;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#generation++; // the steps not yet begun do not run
    await finishesWithin(this.#chain, timeoutMs);
    this.#retire();
    await session?.close(Math.max(0, deadline - Date.now()));
  }

  /** Forgets the session's joins: its deliveries are the broker's again. */
  #retire(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#session?.retire();
    this.#session = undefined;
    this.#joins.clear();
  }

  #enqueue(step: () => Promise<void> | void): void {
    const generation = this.#generation;
    const { log } = this.#options;
    this.#chain = this.#chain.then(async () => {
      if (generation !== this.#generation) return;
      const done = Promise.resolve().then(step);
      done.catch(() => {}); // reported below
      if (!(await finishesWithin(done, JOIN_STEP_MS))) {
        log.warn("join_stalled", {
          detail:
            `a step of the joiner did not finish within ${JOIN_STEP_MS} ms; starting over on a new connection`,
        });
        this.#session?.link.restart("a step of the joiner hung");
        return;
      }
      await done;
    }).catch((err) => {
      log.error("join_error", { error: describeError(err) });
    });
  }

  async #onMessage(message: ConsumeMessage, session: ConsumerSession): Promise<void> {
    if (session !== this.#session || !session.live) return;
    const { maxBytes } = this.#options;
    const parsed = parseBoundedJson(message.content, { maxBytes, maxDepth: 64 });
    const read = parsed.ok
      ? readJoinMessage(parsed.value)
      : { ok: false as const, error: `${parsed.problem}: ${parsed.detail}` };
    if (!read.ok) return await this.#deadLetter(message, session, read.error);
    const join = read.message;
    const key = `${join.id}/${join.stage}`;
    if (this.#finished.has(key)) {
      session.ack(message, true);
      return;
    }
    const workflow = this.#options.workflows.get(join.name);
    const stage = workflow?.stages[join.stage + 1];
    let gathering = this.#joins.get(key);
    if (!gathering) {
      const onFailure = stage?.kind === "join" ? stage.onFailure : "fail";
      const since = join.kind === "checkpoint" ? join.since : Date.now();
      gathering = {
        message: join,
        state: new JoinState(join.members, onFailure, since),
        held: [],
        whole: undefined,
        wholeAt: 0,
      };
      this.#joins.set(key, gathering);
    }
    gathering.held.push(message);
    let added = 0;
    if (join.kind === "member") {
      if (gathering.state.add(join.member, join.outcome)) added++;
    } else {
      for (const [member, outcome] of join.outcomes) {
        if (gathering.state.add(member, outcome)) added++;
      }
      if (join.outcomes.length === gathering.state.size) {
        // This checkpoint holds all there is: the older messages can go at the next round.
        gathering.whole = message;
        gathering.wholeAt = Date.now();
      }
    }
    if (added > 0 || !workflow || stage?.kind !== "join") {
      await this.#decide(key, gathering, workflow);
    }
  }

  /** Ends the join when its outcomes say so: the callback, or the workflow failed. */
  async #decide(
    key: string,
    gathering: Gathering,
    workflow: AnyWorkflow | undefined,
  ): Promise<void> {
    const { message } = gathering;
    const settings = {
      names: this.#options.names,
      maxBytes: this.#options.maxBytes,
      worker: this.#options.worker,
      now: Date.now(),
    };
    const tag = { id: message.id, name: message.name, stage: message.stage };
    const join = workflow?.stages[message.stage + 1];
    if (!workflow || join?.kind !== "join") {
      const why = workflow
        ? `stage ${
          message.stage + 1
        } of workflow '${message.name}' is not a join (a producer and a worker with different definitions?)`
        : `this worker (${settings.worker}) joins for no workflow named '${message.name}': give every worker of the queue the workflows their producers start`;
      return await this.#finish(key, gathering, {
        publish: [],
        end: workflowEnd(workflow, tag, "failed", why, settings),
      });
    }
    const verdict = gathering.state.verdict();
    if (verdict.kind === "waiting") return;
    if (verdict.kind === "failed") {
      const member = { ...tag, member: verdict.member, members: message.members };
      const end = workflowEnd(
        workflow,
        tag,
        verdict.reason,
        `step ${stepLabel(workflow, member)} failed: ${verdict.error}`,
        settings,
      );
      await this.#finish(key, gathering, { publish: [], end }, true);
      return;
    }
    const fanned = workflow.stages[message.stage];
    const taskOf = (member: number) =>
      fanned === undefined ? "" : memberSteps(fanned, member).at(-1)?.task ?? "";
    const results = () =>
      verdict.outcomes.map((outcome, member): unknown => {
        const contract = workflow.catalog.get(taskOf(member));
        const value = (o: Extract<MemberOutcome, { ok: true }>) =>
          contract ? decodeResult(contract, o.result) : o.result;
        if (join.onFailure === "fail") {
          return value(outcome as Extract<MemberOutcome, { ok: true }>);
        }
        const settled: Settled<unknown> = outcome.ok
          ? { ok: true, result: value(outcome) }
          : { ok: false, reason: outcome.reason, error: outcome.error };
        return settled;
      });
    await this.#finish(
      key,
      gathering,
      advance(workflow, message.id, message.stage + 1, results, settings),
    );
  }

  /** Publishes what ends the join (confirmed), then acks what held it. */
  async #finish(
    key: string,
    gathering: Gathering,
    next: Continuation,
    cancel = false,
  ): Promise<void> {
    const session = this.#session;
    if (!session?.live) return;
    const { names, log } = this.#options;
    try {
      await Promise.all([
        ...next.publish.map((m) => session.publish(m.queue, m.body, m.properties)),
        ...(next.end ? [this.#events!.write(next.end, { now: true })] : []),
        ...(cancel && this.#link
          ? [
            requestCancels(this.#link, names, [gathering.message.id], {
              retention: this.#options.controlRetention,
              logger: log,
              by: `warren joiner ${this.#options.worker}`,
              drop: true,
            }),
          ]
          : []),
      ]);
    } catch (err) {
      // Nothing acked: the next joiner (or this one, on its next link) gathers it again.
      log.warn("join_unfinished", {
        id: gathering.message.id,
        stage: gathering.message.stage,
        error: describeError(err),
      });
      session.link.restart("a join's callback could not be published");
      return;
    }
    for (const message of gathering.held) session.ack(message, true);
    this.#joins.delete(key);
    this.#finished.add(key);
    if (this.#finished.size > FINISHED_REMEMBERED) {
      this.#finished.delete(this.#finished.values().next().value!);
    }
    log.info(next.end ? "failed" : "joined", {
      id: gathering.message.id,
      stage: gathering.message.stage + 1,
      members: gathering.message.members,
      ...(next.end && "error" in next.end ? { error: next.end.error } : {}),
    });
  }

  /** Publishes a checkpoint of each join that heard something new, then acks what it holds. */
  async #checkpoint(): Promise<void> {
    const session = this.#session;
    if (!session?.live) return;
    const refreshMs = Math.max(CHECKPOINT_MS, this.#options.consumerTimeout / 2);
    const now = Date.now();
    const rounds: Promise<void>[] = [];
    for (const [key, gathering] of this.#joins) {
      if (now - gathering.state.since > JOIN_MAX_WAIT_MS) {
        rounds.push(this.#giveUp(key, gathering));
        continue;
      }
      const stale = gathering.whole !== undefined && now - gathering.wholeAt > refreshMs;
      const settled = gathering.held.length === 1 && gathering.whole === gathering.held[0];
      // Nothing held: its checkpoint is on its way back.
      if (gathering.held.length === 0 || (settled && !stale)) continue;
      rounds.push(this.#checkpointOne(session, key, gathering, now));
    }
    await Promise.all(rounds);
  }

  /**
   * Ends a join that waited longer than {@linkcode JOIN_MAX_WAIT_MS}, expired: its members will
   * not all come (or it is what still came of a join that ended before this joiner started).
   */
  async #giveUp(key: string, gathering: Gathering): Promise<void> {
    const { message } = gathering;
    const workflow = this.#options.workflows.get(message.name);
    const tag = { id: message.id, name: message.name, stage: message.stage };
    const end = workflowEnd(
      workflow,
      tag,
      "expired",
      `its join of stage ${
        message.stage + 1
      } waited over ${JOIN_MAX_WAIT_MS} ms for its members (${gathering.state.size} of ${message.members} came)`,
      { worker: this.#options.worker },
    );
    await this.#finish(key, gathering, { publish: [], end }, true);
  }

  async #checkpointOne(
    session: ConsumerSession,
    key: string,
    gathering: Gathering,
    now: number,
  ): Promise<void> {
    const { message, state } = gathering;
    const body = encodeJoinMessage({
      v: 1,
      kind: "checkpoint",
      id: message.id,
      name: message.name,
      stage: message.stage,
      members: message.members,
      since: state.since,
      outcomes: state.entries(),
    });
    if (body.length > this.#options.maxBytes) {
      const workflow = this.#options.workflows.get(message.name);
      const tag = { id: message.id, name: message.name, stage: message.stage };
      const end = workflowEnd(
        workflow,
        tag,
        "too-large",
        `the results gathered at the join of stage ${
          message.stage + 1
        } take ${body.length} bytes, over maxMessageBytes (${this.#options.maxBytes}): return smaller results, or raise maxMessageBytes`,
        { worker: this.#options.worker },
      );
      return await this.#finish(key, gathering, { publish: [], end }, true);
    }
    const held = [...gathering.held];
    try {
      await session.publish(this.#options.names.join, body, {
        persistent: true,
        contentType: "application/json",
        messageId: `${message.id}.${message.stage}`,
      });
    } catch (err) {
      this.#options.log.warn("checkpoint_unwritten", { id: message.id, error: describeError(err) });
      return;
    }
    if (this.#joins.get(key) !== gathering) return; // finished meanwhile: its messages are acked
    for (const m of held) session.ack(m, true);
    gathering.held = gathering.held.slice(held.length);
    gathering.whole = undefined;
    gathering.wholeAt = now;
  }

  /** Dead-letters a message of `Q.join` that is not a join message, then acks it. */
  async #deadLetter(
    message: ConsumeMessage,
    session: ConsumerSession,
    error: string,
  ): Promise<void> {
    const { names, log, worker } = this.#options;
    log.warn("join_unreadable", { error, detail: `dead-lettered to ${names.dead}` });
    try {
      await session.publish(names.dead, message.content, {
        persistent: true,
        headers: {
          [HEADERS.reason]: "invalid-payload",
          [HEADERS.error]: headerText(`not a join message: ${error}`),
          [HEADERS.queue]: names.join,
          [HEADERS.worker]: headerText(worker),
        },
      });
    } catch (err) {
      log.warn("join_unsettled", { error: describeError(err) });
      session.reject(message, false);
      return;
    }
    session.ack(message, true);
  }
}
