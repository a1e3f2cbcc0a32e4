/**
 * The producer: publishes tasks as persistent messages on a confirm channel and resolves each
 * publish only when the broker confirmed it. Messages are mandatory, so a message that reaches
 * no queue is reported, not lost. It coordinates three parts: the {@linkcode PublishWindow} of
 * unconfirmed publishes (sent again after a lost connection: at least once), the
 * {@linkcode ProducerChannel}, and the {@linkcode ResultWaiters} of outcomes asked for.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { BrokerConnection } from "../broker/connection.ts";
import { DEFAULT_MAX_BODY_BYTES } from "../broker/confirmed_publisher.ts";
import type { Link } from "../broker/link.ts";
import { declareQueues } from "../broker/declare.ts";
import { DelayLevels, type DelayRoute, delayRoute } from "../broker/delays.ts";
import { brokerFeatures } from "../broker/features.ts";
import { checkPriority, type PrioritySupport, prioritySupport } from "../broker/priorities.ts";
import { mainQueueOptions, streamOptions } from "../broker/topology.ts";
import { type CancelOptions, requestCancels } from "../history/cancels.ts";
import { enqueuedEvent } from "../history/enqueued.ts";
import { findTask } from "../history/lookup.ts";
import { OutcomeFollower } from "../history/outcome_follower.ts";
import { MissingQueueError } from "../errors/missing_queue_error.ts";
import { encodeEvents, eventJson } from "../wire/events.ts";
import { jsonTextDepth, MAX_JSON_DEPTH } from "../util/bounds.ts";
import type { ConfirmChannel } from "../deps/amqplib.ts";
import { ConfigError } from "../errors/config_error.ts";
import { describeError } from "../errors/describe.ts";
import { PublishError } from "../errors/publish_error.ts";
import { ValidationError } from "../errors/validation_error.ts";
import type { Catalog, TaskInput, TaskName, TaskResult } from "../task/catalog.ts";
import { prepareTask } from "../task/prepare.ts";
import { decodeResult } from "../task/results.ts";
import type { TaskOutcome } from "../wire/outcome_codec.ts";
import type { EncodedTask } from "../wire/task_codec.ts";
import {
  DEFAULT_RESULT_TIMEOUT_MS,
  type EnqueueOptions,
  type ProducerOptions,
  type ResolvedProducerOptions,
  resolveProducerOptions,
  type ResultOptions,
} from "./options.ts";
import { DIRECT_REPLY_TO, ProducerChannel } from "./producer_channel.ts";
import {
  type ConfirmListener,
  type PendingPublish,
  PublishWindow,
  type Receipt,
} from "./publish_window.ts";
import { feed, type PublishSummary } from "./feed.ts";
import type { CancelResult } from "./cancel_result.ts";
import { ReplyLostError, ResultWaiters } from "./result_waiters.ts";
import { destinationQueues, type FlowPlan, flowPlan } from "../flow/plan.ts";
import { flowRoute } from "../flow/route.ts";
import type { Workflow } from "../workflow/definition.ts";
import { prepareWorkflow, type StartOptions, type WorkflowReceipt } from "../workflow/start.ts";

export type { PublishSummary };

/**
 * Nacks in a row after which a producer on a quorum queue publishes on a new channel. RabbitMQ
 * 3.10 picks a channel's quorum queue leader from the queue record when the channel first
 * publishes; when that leader's node has just gone down, every publish on the channel is nacked
 * until the channel closes, even after a new leader was elected. A new channel asks again.
 */
export const NACKS_BEFORE_NEW_CHANNEL = 3;

/** The most bytes of `enqueued` events a producer writes in one message. */
const EVENT_BATCH_BYTES = 256 * 1024;

/** A task held until the end of the turn, to go after its `enqueued` event. */
interface Outgoing {
  readonly pending: PendingPublish;
  readonly channel: ConfirmChannel;
  readonly route: DelayRoute;
}

/**
 * Publishes tasks of a catalog to a work queue. Create one with {@linkcode Producer.connect}.
 *
 * @example Enqueue a task and wait for the broker's confirm
 * ```ts ignore
 * import { catalog } from "../../tasks/mod.ts";
 * import { Producer } from "./producer.ts";
 *
 * const producer = await Producer.connect(catalog, { queue: "task_queue" });
 * const { id } = await producer.enqueue("sum", { start: 1, end: 10_000 });
 * await producer.close();
 * ```
 */
export class Producer<C extends Catalog, R extends boolean = boolean> {
  readonly #catalog: C;
  readonly #options: ResolvedProducerOptions;
  readonly #window: PublishWindow;
  /** Tasks held for the end of the turn, to go after their `enqueued` events. */
  #outbox: Outgoing[] = [];
  #outboxScheduled = false;
  readonly #results: ResultWaiters | undefined;
  readonly #channel: ProducerChannel;
  readonly #levels: DelayLevels;
  readonly #flow: FlowPlan;
  /** The flow queue of each keyed or rate-limited message being published. */
  readonly #flowQueues = new WeakMap<EncodedTask, string>();
  /** Follows the history for the outcomes awaited there (one stream consumer for them all). */
  #follower: OutcomeFollower | undefined;
  #priorities: PrioritySupport = { ok: false, why: "the producer is not connected yet" };
  #connection: BrokerConnection | undefined;
  #closed = false;

  private constructor(catalog: C, options: ProducerOptions) {
    this.#catalog = catalog;
    this.#options = resolveProducerOptions(options);
    this.#window = new PublishWindow(this.#options.window);
    this.#results = this.#options.results
      ? new ResultWaiters(DEFAULT_RESULT_TIMEOUT_MS)
      : undefined;
    const { names, queueType, logger } = this.#options;
    this.#levels = new DelayLevels(names, queueType, logger);
    this.#flow = flowPlan(catalog, names, this.#options.partitions);
    this.#channel = new ProducerChannel({
      log: this.#options.logger,
      results: this.#results,
      onOpen: (channel) => this.#resend(channel),
      maxBodyBytes: Math.max(DEFAULT_MAX_BODY_BYTES, this.#options.maxMessageBytes),
    });
  }

  /**
   * Connects to the broker, declares the work queue and opens a confirm channel; with
   * `results: true`, it listens for outcomes, and `enqueue(…, { result: true })` compiles.
   */
  static connect<C extends Catalog>(
    catalog: C,
    options: ProducerOptions & { results: true },
  ): Promise<Producer<C, true>>;
  /** Connects a producer that does not listen for results (`result: true` does not compile). */
  static connect<C extends Catalog>(
    catalog: C,
    options?: ProducerOptions & { results?: false },
  ): Promise<Producer<C, false>>;
  /** Connects a producer that listens for results when `options.results` says so. */
  static connect<C extends Catalog>(
    catalog: C,
    options?: ProducerOptions,
  ): Promise<Producer<C, boolean>>;
  static async connect<C extends Catalog>(
    catalog: C,
    options: ProducerOptions = {},
  ): Promise<Producer<C, boolean>> {
    const producer = new Producer<C, boolean>(catalog, options);
    const { urls, logger } = producer.#options;
    producer.#connection = await BrokerConnection.open(
      { urls, name: "warren producer", logger },
      (link) => producer.#setup(link),
    );
    producer.#connection.onFailed((err) => {
      producer.#channel.fail(err);
      producer.#window.failAll("closed", err);
    });
    // A default priority that the queue would ignore is refused at start.
    for (const name of catalog.names) {
      const priority = catalog.get(name)!.priority;
      if (priority === undefined) continue;
      try {
        checkPriority(name, priority, producer.#priorities);
      } catch (err) {
        await producer.#connection.close();
        throw err;
      }
    }
    return producer;
  }

  /** The work queue's name. */
  get queue(): string {
    return this.#options.names.main;
  }

  /** How many published messages wait for the broker's confirm. */
  get unconfirmed(): number {
    return this.#window.count;
  }

  /**
   * Validates the payload of task `name`, publishes it and resolves when the broker confirmed
   * it (a delayed task is then held by the broker, in the delay levels). Rejects with
   * `ValidationError` (nothing published), `UnknownTaskError`, `ConfigError` (a bad delay,
   * expiry or priority) or `PublishError`.
   */
  enqueue<N extends TaskName<C>>(
    name: N,
    payload: TaskInput<C, N>,
    options: EnqueueOptions<R> = {},
  ): Promise<Receipt<N>> {
    let message: EncodedTask;
    try {
      const { result, ...encode } = options;
      message = prepareTask(this.#catalog, name, payload, {
        ...encode,
        maxBytes: this.#options.maxMessageBytes,
        ...(result ? { replyTo: DIRECT_REPLY_TO } : {}),
      });
    } catch (err) {
      return Promise.reject(err);
    }
    return this.publish(message) as Promise<Receipt<N>>;
  }

  /**
   * Starts `workflow` (of this producer's catalog) on `input`, its first task's payload:
   * publishes the first step and resolves to the workflow's receipt once the broker confirmed
   * it. The workers of the queue run the rest (they must be given the workflow). Rejects with
   * `ValidationError` (nothing published), `ConfigError` (a bad id; the history off) or
   * `PublishError`.
   *
   * @example
   * ```ts ignore
   * const run = await producer.start(pipeline, { n: 10 });
   * const outcome = await producer.result(run); // typed by the workflow's last task
   * ```
   */
  async start<In, Out>(
    workflow: Workflow<C, In, Out>,
    input: In,
    options: StartOptions = {},
  ): Promise<WorkflowReceipt<Out>> {
    if (!this.#options.history.enabled) {
      throw new ConfigError(
        `Cannot start workflow '${workflow.name}': this producer reads no history (it was created with { history: false }), where a workflow's outcome is read`,
      );
    }
    const { message, receipt } = prepareWorkflow(this.#catalog, workflow, input, {
      ...options,
      maxBytes: this.#options.maxMessageBytes,
    });
    await this.publish(message);
    return receipt;
  }

  /**
   * The outcome of a task: its result, decoded by the task's result schema (so typed by it when
   * given the task's receipt), or why it was dead-lettered. A task enqueued with
   * `{ result: true }` is answered by its worker's reply; with `history` on, any task's outcome
   * (enqueued by this producer or another, before or after a lost connection) is read from the
   * history, at once when it has finished. Rejects with `ResultTimeoutError` after
   * `options.timeout`, and with a `ConfigError` when neither way can give it.
   */
  result<N extends TaskName<C>>(
    task: Receipt<N>,
    options?: ResultOptions,
  ): Promise<TaskOutcome<TaskResult<C, N>>>;
  /** The outcome of a workflow: its last step's, or how it failed. */
  result<Out>(
    workflow: WorkflowReceipt<Out>,
    options?: ResultOptions,
  ): Promise<TaskOutcome<Out>>;
  /** The outcome of task `id`. */
  result(task: string, options?: ResultOptions): Promise<TaskOutcome>;
  async result(
    task: Receipt | WorkflowReceipt | string,
    options: ResultOptions = {},
  ): Promise<TaskOutcome> {
    const id = typeof task === "string" ? task : task.id;
    const timeout = options.timeout ?? DEFAULT_RESULT_TIMEOUT_MS;
    const started = Date.now();
    const history = this.#options.history.enabled;
    const direct = this.#results?.wait(id, timeout);
    const fromHistory = async (signal?: AbortSignal) => {
      this.#follower ??= new OutcomeFollower(
        () => this.#connection!.ready(this.#options.connectTimeout),
        this.#options.names,
      );
      return await this.#follower.wait(id, {
        timeout: Math.max(0, timeout - (Date.now() - started)),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(signal ? { signal } : {}),
      });
    };
    // A reply that can no longer come is read from the history, when there is one.
    const replied = direct?.catch((err) => {
      if (err instanceof ReplyLostError && history) return fromHistory();
      throw err;
    });
    replied?.catch(() => {}); // awaited below, unless the history answers first
    let outcome: TaskOutcome;
    if (replied && history && options.onProgress) {
      // Progress is only in the history: follow it while the reply is awaited.
      const stop = new AbortController();
      const followed = fromHistory(stop.signal);
      followed.catch(() => {});
      try {
        outcome = await Promise.race([replied, followed]);
      } finally {
        stop.abort(new Error("the outcome came"));
      }
    } else if (replied) {
      outcome = await replied;
    } else if (history) {
      outcome = await fromHistory();
    } else {
      throw new ConfigError(
        `Cannot wait for the result of task ${id}: it was not enqueued with { result: true } (or was, and its result was not asked for within ${DEFAULT_RESULT_TIMEOUT_MS} ms, after which it is no longer awaited), and this producer reads no history (it was created with { history: false })`,
      );
    }
    if (!outcome.ok) return outcome;
    const contract = this.#catalog.get(outcome.task);
    return contract ? { ...outcome, result: decodeResult(contract, outcome.result) } : outcome;
  }

  /**
   * Asks every worker not to run task `id`, or to stop running it: a queued or delayed task is
   * dead-lettered with reason `cancelled` when it comes (or dropped, with `drop`), and a
   * running one has its signal fired. Resolves when the broker confirmed the request (in
   * `Q.control`, where workers started later read it too), to the task's state as the history
   * had it (read while the request is made, so that it does not delay it), as `admin.ts
   * cancel` reports it. Cancelling a finished task changes nothing.
   */
  async cancel(id: string, options: CancelOptions = {}): Promise<CancelResult> {
    if (this.#closed) throw new PublishError("closed", id, "Cannot cancel: the producer is closed");
    const link = await this.#connection!.ready(this.#options.connectTimeout);
    const lookup = this.#options.history.enabled
      ? findTask(link, this.#options.names, id).then(
        (record) => ({ record, checked: true }),
        (err) => {
          if (err instanceof MissingQueueError) return { record: undefined, checked: false };
          throw err;
        },
      )
      : Promise.resolve({ record: undefined, checked: false });
    lookup.catch(() => {}); // awaited below, after the request
    await requestCancels(link, this.#options.names, [id], {
      ...options,
      retention: this.#options.history.control,
      logger: this.#options.logger,
    });
    const { record, checked } = await lookup;
    return { id, checked, ...(record === undefined ? {} : { state: record.state }) };
  }

  /** Publishes a message made by `prepareTask`; resolves when the broker confirmed it. */
  async publish(message: EncodedTask): Promise<Receipt> {
    const { promise, resolve, reject } = Promise.withResolvers<Receipt>();
    await this.#submit(message, (outcome) => {
      if (outcome instanceof PublishError) reject(outcome);
      else resolve(outcome);
    });
    return promise;
  }

  /**
   * Publishes each message of `messages` with at most `window` unconfirmed at a time, and
   * resolves when all are confirmed or failed. `onConfirm` hears of each one as it ends.
   */
  publishAll(
    messages: Iterable<EncodedTask> | AsyncIterable<EncodedTask>,
    onConfirm?: ConfirmListener,
  ): Promise<PublishSummary> {
    return feed(messages, (message, listener) => this.#submit(message, listener), onConfirm);
  }

  /** Waits for every outstanding confirm (up to `timeoutMs`), then closes the connection. */
  async close(timeoutMs = 30_000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#window.emptiesWithin(timeoutMs);
    this.#window.failAll("timeout", new Error(`not confirmed within ${timeoutMs} ms of closing`));
    this.#channel.fail(new PublishError("closed", "", "the producer is closed"));
    this.#results?.clear();
    await this.#connection?.close();
  }

  async #setup(link: Link): Promise<void> {
    const { names, queueType, logger, maxPriority, history } = this.#options;
    const adopted = await declareQueues(
      link,
      [
        [names.main, mainQueueOptions(names, queueType, maxPriority)],
        ...(history.enabled ? [[names.events, streamOptions(history.events)] as const] : []),
        ...destinationQueues(this.#flow, names, queueType),
      ],
      logger,
    );
    this.#priorities = prioritySupport(names.main, queueType, {
      maxPriority,
      features: brokerFeatures(link.serverVersion),
      adopted: adopted.has(names.main),
    });
    // What waits to be sent again may need delay levels this link has not declared.
    const now = Date.now();
    const levels = this.#window.all().map((p) =>
      delayRoute(names, (p.message.notBefore ?? 0) - now)
    );
    await this.#levels.ensure(link, Math.max(-1, ...levels.map((route) => route.level)));
    await this.#channel.open(link);
  }

  /**
   * Sends on a new channel every message not yet confirmed. The outcomes of the others were to
   * come back on the old channel: their waiters turn to the history.
   */
  #resend(channel: ConfirmChannel): void {
    const pending = this.#window.all();
    this.#results?.orphan(new Set(pending.map((p) => p.message.id)));
    if (pending.length > 0) this.#options.logger.info("publish.resend", { count: pending.length });
    for (const publish of pending) this.#transmit(publish, channel);
  }

  /**
   * Publishes `message` at once when the window has room, a channel is open and no drain is
   * awaited (and returns nothing); otherwise returns a promise that does so when it can. Fails
   * (throws or rejects) when the producer is closed or no connection comes in time.
   */
  #submit(message: EncodedTask, onConfirm: ConfirmListener): Promise<void> | undefined {
    if (this.#closed) {
      throw new PublishError("closed", message.id, "Cannot publish: the producer is closed");
    }
    const { priority } = message.properties;
    if (priority !== undefined) checkPriority(message.task, priority, this.#priorities);
    const { maxMessageBytes } = this.#options;
    if (message.body.length > maxMessageBytes) {
      throw new ValidationError(message.task, [{
        path: "",
        message:
          `the message body is ${message.body.length} bytes, over the producer's maxMessageBytes of ${maxMessageBytes}`,
      }]);
    }
    if (jsonTextDepth(message.body.toString("utf8"), MAX_JSON_DEPTH).tooDeep) {
      throw new ValidationError(message.task, [{
        path: "",
        message:
          `the payload nests over ${MAX_JSON_DEPTH} levels deep: workers read no deeper (they would dead-letter it as too-large)`,
      }]);
    }
    this.#routeFlow(message);
    // The history's event is made before anything is held: one that cannot be made fails the
    // publish here, with nothing pending.
    const event = this.#options.history.enabled ? this.#enqueuedEvent(message) : undefined;
    if (message.properties.replyTo) {
      if (!this.#results) {
        throw new ConfigError(
          "Cannot ask for a task's result as the producer does not listen for results: create it with { results: true }",
        );
      }
      this.#results.expect(message.id);
    }
    const channel = this.#channel.current;
    if (channel && this.#window.hasRoom && !this.#channel.draining) {
      this.#transmit(this.#window.add(message, onConfirm, event), channel);
      return undefined;
    }
    return this.#submitLater(message, onConfirm, event);
  }

  /**
   * Notes the flow queue of a keyed or rate-limited task (its key's partition, or where it
   * waits for a token); throws a `ValidationError` when its payload gives no key.
   */
  #routeFlow(message: EncodedTask): void {
    const contract = this.#catalog.get(message.task);
    if (!contract || (contract.key === undefined && contract.rateLimit === undefined)) return;
    const payload = JSON.parse(message.body.toString("utf8")) as Record<string, unknown>;
    const route = flowRoute(contract, payload, this.#flow.names, this.#flow.partitions);
    if (route) this.#flowQueues.set(message, route.queue);
  }

  /** The `enqueued` event of `message` as JSON; throws a `ValidationError` when it cannot be. */
  #enqueuedEvent(message: EncodedTask): string {
    try {
      return eventJson(enqueuedEvent(message, this.#options.historyPayloads));
    } catch (err) {
      throw new ValidationError(message.task, [{
        path: "",
        message: `its history event cannot be encoded: ${describeError(err)}`,
      }]);
    }
  }

  async #submitLater(
    message: EncodedTask,
    onConfirm: ConfirmListener,
    event: string | undefined,
  ): Promise<void> {
    await this.#window.waitForRoom();
    await this.#channel.waitForDrain();
    let channel: ConfirmChannel;
    try {
      channel = await this.#channel.next(this.#options.connectTimeout);
    } catch (err) {
      throw new PublishError("closed", message.id, describeError(err), { cause: err });
    }
    this.#transmit(this.#window.add(message, onConfirm, event), channel);
  }

  #transmit(pending: PendingPublish, channel: ConfirmChannel): void {
    this.#window.cancelRetry(pending);
    const { message } = pending;
    // A delayed task waits what is left of its delay (after a reconnect, less than at first).
    let route = delayRoute(this.#options.names, (message.notBefore ?? 0) - Date.now());
    // A keyed or limited task due now goes to its flow queue; a delayed one reaches the work
    // queue, and a worker forwards it there.
    const flowQueue = this.#flowQueues.get(message);
    if (route.level === -1 && flowQueue !== undefined) {
      route = { exchange: "", routingKey: flowQueue, level: -1 };
    }
    const link = this.#channel.link;
    if (link && route.level > this.#levels.declaredOn(link)) {
      pending.channel = undefined;
      this.#levels.ensure(link, route.level).then(
        () => this.#channel.current === channel && this.#transmit(pending, channel),
        (err) => link.restart(`could not declare the delay levels: ${describeError(err)}`),
      );
      return;
    }
    pending.channel = channel;
    if (pending.event !== undefined) {
      // With the history on, the task waits for the end of the turn: its `enqueued` event goes
      // first, in one message with the events of every task sent in the same turn.
      this.#outbox.push({ pending, channel, route });
      if (!this.#outboxScheduled) {
        this.#outboxScheduled = true;
        setImmediate(() => this.#flushOutbox());
      }
      return;
    }
    // mandatory: a message that reaches no queue comes back, and fails as unroutable
    this.#channel.publish(channel, route, message, message.properties, (failure) => {
      this.#onConfirm(pending, channel, failure);
    });
  }

  /**
   * Sends the tasks held for the end of the turn: first their `enqueued` events, several to a
   * message (within {@linkcode EVENT_BATCH_BYTES}), on the same channel, so that they reach
   * the stream before any worker can write that a task started; then the tasks. A task's
   * confirm counts once its event's message was answered too. A refused event is logged, and
   * fails no task. Tasks whose channel closed meanwhile wait to be sent again.
   */
  #flushOutbox(): void {
    this.#outboxScheduled = false;
    const outbox = this.#outbox.filter(({ pending, channel }) =>
      pending.channel === channel && this.#window.holds(pending)
    );
    this.#outbox = [];
    let start = 0;
    while (start < outbox.length) {
      let end = start;
      let bytes = 0;
      const channel = outbox[start]!.channel;
      while (
        end < outbox.length && outbox[end]!.channel === channel &&
        (end === start || bytes + outbox[end]!.pending.event!.length <= EVENT_BATCH_BYTES)
      ) {
        bytes += outbox[end]!.pending.event!.length + 1;
        end++;
      }
      this.#sendBatch(channel, outbox.slice(start, end));
      start = end;
    }
  }

  #sendBatch(channel: ConfirmChannel, batch: readonly Outgoing[]): void {
    const events = batch.map(({ pending }) => ({
      id: pending.message.id,
      json: pending.event!,
    }));
    const { body, properties } = encodeEvents(events);
    const recorded = new Promise<void>((resolve) => {
      const route = { exchange: "", routingKey: this.#options.names.events };
      this.#channel.publish(channel, route, { body }, properties, (failure) => {
        if (failure) {
          for (const { id } of events) {
            this.#options.logger.warn("history.unwritten", {
              id,
              event: "enqueued",
              error: describeError(failure),
            });
          }
        }
        resolve();
      });
    });
    for (const { pending, route } of batch) {
      const { message } = pending;
      // mandatory: a message that reaches no queue comes back, and fails as unroutable
      this.#channel.publish(channel, route, message, message.properties, (failure) => {
        recorded.then(() => this.#onConfirm(pending, channel, failure));
      });
    }
  }

  #onConfirm(pending: PendingPublish, channel: ConfirmChannel, failure?: PublishError): void {
    if (pending.channel !== channel || !this.#window.holds(pending)) return;
    const { id, task } = pending.message;
    const closedChannel = failure?.reason === "closed";
    if (closedChannel && !this.#closed) return; // sent again once a new channel is open
    const nacked = failure?.reason === "nacked";
    const nacksInRow = this.#channel.count(channel, nacked);
    if (nacked && !this.#closed) {
      const delay = this.#window.retryNacked(pending, this.#options.nackRetries, () => {
        const current = this.#channel.current;
        if (current) this.#transmit(pending, current);
      });
      if (delay !== undefined) {
        this.#options.logger.warn("publish.nacked", { id, task, retry: pending.nacks, delay });
        if (this.#options.queueType === "quorum" && nacksInRow >= NACKS_BEFORE_NEW_CHANNEL) {
          this.#channel.renew(channel, { queue: this.queue }).catch(() => {});
        }
        return;
      }
    }
    this.#window.finish(pending, failure ? this.#failure(failure, id, task) : { id, task });
  }

  /** The error a publish of task `task` (`id`) fails with, by why it failed. */
  #failure(failure: PublishError, id: string, task: string): PublishError {
    const text = {
      nacked:
        `The broker refused task '${task}' (${id}): the queue '${this.queue}' may be full or the broker out of resources`,
      closed: `The channel closed before the broker confirmed task '${task}' (${id})`,
      unroutable:
        `Task '${task}' (${id}) reached no queue: the queue '${this.queue}' does not exist (was it deleted?)`,
      timeout: `Task '${task}' (${id}) was not confirmed in time`,
      "too-large": `Cannot publish task '${task}' (${id}): ${failure.message}`,
      invalid: `Cannot publish task '${task}' (${id}): ${failure.message}`,
    }[failure.reason];
    return new PublishError(failure.reason, id, text, { cause: failure });
  }
}
