/**
 * The worker: consumes a work queue with manual acknowledgement and a prefetch limit, runs each
 * task's handler, and ends every delivery in exactly one outcome. It coordinates named parts:
 * its resolved options, a {@linkcode ConsumerSession} per link (channels, unacked deliveries,
 * batched acks, the live-channel check), the pure {@linkcode decide} (what happens to a
 * delivery), the {@linkcode TaskRunner} (one attempt, in a {@linkcode ThreadPool} for CPU-heavy
 * tasks), the {@linkcode OutcomeWriter} (doing what was decided, and reporting it) and the
 * {@linkcode CancelList} (the cancel requests it follows in `Q.control`).
 *
 * @module
 */
import { BrokerConnection } from "../broker/connection.ts";
import type { Link } from "../broker/link.ts";
import { declareQueues } from "../broker/declare.ts";
import { DelayLevels } from "../broker/delays.ts";
import { brokerFeatures } from "../broker/features.ts";
import {
  consumerArguments,
  deadQueueOptions,
  mainQueueOptions,
  streamOptions,
} from "../broker/topology.ts";
import { CancelList, CATCH_UP_MS } from "../history/cancels.ts";
import type { CancelRequest } from "../wire/control.ts";
import { messageId, replayedAt } from "../wire/task_codec.ts";
import type { ConsumeMessage } from "../deps/amqplib.ts";
import { describeError } from "../errors/describe.ts";
import type { Catalog } from "../task/catalog.ts";
import { decodeTask } from "../task/decode.ts";
import type { Handlers } from "../task/handlers.ts";
import { eventText } from "../util/bounds.ts";
import { finishesWithin, pause } from "../util/deadline.ts";
import { type FlowPlan, flowPlan, flowQueues } from "../flow/plan.ts";
import { flowRoute, isFlowControlled } from "../flow/route.ts";
import { type LimitReading, Refiller } from "../flow/refiller.ts";
import { TokenGate } from "../flow/token_gate.ts";
import type { DecodedTask } from "../task/decode.ts";
import { Emitter } from "../util/emitter.ts";
import { Gate } from "../util/gate.ts";
import { type Logger, prefixEvents } from "../util/logger.ts";
import { ConsumerSession } from "./consumer_session.ts";
import { type CancelFacts, decide, type DeliveryFacts, deliveryFacts } from "./disposition.ts";
import { checkProgress, ProgressThrottle } from "./progress.ts";
import { logTaskEvent, type TaskEvent } from "./events.ts";
import { onStopSignals } from "../util/signals.ts";
import { type ResolvedWorkerOptions, resolveWorkerOptions, type WorkerOptions } from "./options.ts";
import { type Delivery, OutcomeWriter, type Subject } from "./outcome_writer.ts";
import { planSettlement } from "./settlement.ts";
import { TaskRunner } from "./task_runner.ts";
import { ThreadPool } from "./threads/pool.ts";
import { type Continuation, continueAfter } from "../workflow/continuation.ts";
import { Joiner } from "../workflow/joiner.ts";
import { readStepTag, type StepRead, type StepTag } from "../wire/workflow.ts";
import type { Disposition } from "./disposition.ts";

/** How long a closing worker waits for the broker to confirm an outcome, or to close a channel. */
const SETTLE_TIMEOUT_MS = 5_000;

/**
 * Consumes a work queue and runs the handlers of a catalog. Start one with
 * {@linkcode Worker.start}; close it with {@linkcode Worker.close}.
 *
 * @example Run tasks until told to stop
 * ```ts ignore
 * import { handlers } from "../../tasks/handlers/mod.ts";
 * import { Worker } from "./worker.ts";
 *
 * const worker = await Worker.start(handlers, { queue: "task_queue", prefetch: 1 });
 * worker.on("task.done", (event) => console.log(event.id, event.result));
 * worker.closeOnSignals(); // Ctrl-C or SIGTERM: drain, then close
 * await worker.closed;
 * ```
 */
export class Worker<C extends Catalog> extends Emitter<TaskEvent> {
  readonly #handlers: Handlers<C>;
  readonly #options: ResolvedWorkerOptions;
  readonly #log: Logger;
  readonly #inFlight = new Set<Delivery>();
  readonly #idle = new Gate(true);
  readonly #closed = Promise.withResolvers<void>();
  readonly #writer: OutcomeWriter;
  readonly #warnedVersions = new Set<string>();
  readonly #cancels: CancelList | undefined;
  #connection: BrokerConnection | undefined;
  /** The connection that reads the cancels, apart: its stream's troubles stop no task. */
  #control: Promise<BrokerConnection | undefined> | undefined;
  /** Resolves once the cancels were first read (or could not be). */
  readonly #cancelsRead = Promise.withResolvers<void>();
  /** Set when the worker failed to start or is closing: a late control connection is closed. */
  #stopped = false;
  #pool: ThreadPool | undefined;
  #runner: TaskRunner;
  #session: ConsumerSession | undefined;
  /**
   * Links whose setup completed: the first one is the start, the others resumes. (A link's
   * generation counts every connection made, also one whose setup failed: a worker started while
   * the broker recovers may only consume on its second.)
   */
  #setups = 0;
  #closing: Promise<void> | undefined;
  /** The flow control of the catalog (keys, rate limits). */
  readonly #flow: FlowPlan;
  /** The session of the key partitions on the live link, if some task is keyed. */
  #partitions: ConsumerSession | undefined;
  /** The rate-limited tasks' sessions, gates and refillers on the live link. */
  #limited: LimitedPart[] = [];
  /** Sessions whose deliveries are keyed (partitions). */
  readonly #keyedSessions = new WeakSet<ConsumerSession>();
  /** The joiner of workflows' fan-outs, when the worker has workflows. */
  readonly #joiner: Joiner | undefined;
  /** Sessions of flow queues: their tasks are not forwarded again. */
  readonly #flowSessions = new WeakSet<ConsumerSession>();

  private constructor(handlers: Handlers<C>, options: WorkerOptions) {
    super();
    this.#handlers = handlers;
    this.#options = resolveWorkerOptions(handlers.catalog, options);
    this.#log = this.#options.logger;
    const { names, queueType, id } = this.#options;
    this.#flow = flowPlan(handlers.catalog, names, this.#options.partitions);
    this.#writer = new OutcomeWriter({
      names,
      workerId: id,
      delays: new DelayLevels(names, queueType, this.#log),
      emit: (event) => this.#report(event),
      ackNow: () => this.#inFlight.size <= 1,
      history: this.#options.history.enabled,
      log: this.#log,
      // Even without workflows: a step that comes to a worker not given its workflow ends the
      // workflow, failed and saying so, rather than leave it waiting for what never follows.
      follow: (delivery, subject, disposition) => this.#follow(delivery, subject, disposition),
    });
    this.#joiner = this.#options.workflows.size === 0 ? undefined : new Joiner({
      names,
      queueType,
      workflows: this.#options.workflows,
      maxBytes: this.#options.maxMessageBytes,
      worker: id,
      consumerTimeout: this.#options.consumerTimeout,
      controlRetention: this.#options.history.control,
      log: prefixEvents(this.#log, "workflow."),
    });
    const { cancelWindow } = this.#options;
    this.#cancels = cancelWindow === undefined
      ? undefined
      : new CancelList(cancelWindow, (request) => this.#onCancelRequest(request), this.#log);
    this.#runner = new TaskRunner(
      handlers,
      this.#options.handlerLogger,
      undefined,
      this.#options.maxMessageBytes,
    );
    this.#closed.promise.catch(() => {});
    if (options.onEvent) this.on("*", options.onEvent);
  }

  /** Checks the options, connects, declares the queues and starts consuming. */
  static async start<C extends Catalog>(
    handlers: Handlers<C>,
    options: WorkerOptions = {},
  ): Promise<Worker<C>> {
    const worker = new Worker(handlers, options);
    const { threads, urls, id, heartbeat } = worker.#options;
    worker.#control = worker.#openControl();
    if (threads) {
      const handlerLogger = worker.#options.handlerLogger;
      worker.#pool = await ThreadPool.start({ ...threads, logger: handlerLogger });
      worker.#runner = new TaskRunner(
        handlers,
        handlerLogger,
        worker.#pool,
        worker.#options.maxMessageBytes,
      );
    }
    try {
      worker.#connection = await BrokerConnection.open({
        urls,
        name: `warren worker ${id}`,
        logger: worker.#log,
        ...(heartbeat === undefined ? {} : { heartbeat }),
      }, (link) => worker.#setup(link));
    } catch (err) {
      worker.#pool?.close();
      worker.#stopped = true;
      worker.#cancels?.abandon();
      await finishesWithin(
        worker.#control.then((control) => control?.close()),
        SETTLE_TIMEOUT_MS,
      );
      throw err;
    }
    worker.#connection.onLost((err) => worker.#onLost(err));
    worker.#connection.onFailed((err) => {
      worker.#pool?.close();
      worker.#closed.reject(err);
    });
    return worker;
  }

  /** The worker's id. */
  get id(): string {
    return this.#options.id;
  }

  /** How many deliveries are being worked on. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Whether the worker is connected and consuming (what a health check asks). */
  get consuming(): boolean {
    return this.#session?.consuming === true && this.#closing === undefined;
  }

  /** How many times the worker connected again after losing its connection. */
  get reconnects(): number {
    return Math.max(0, this.#setups - 1);
  }

  /**
   * The rate limits this worker refills, with what it last read of them: the tokens in the
   * bucket and the tasks waiting for one. The other workers' lists leave those limits out.
   */
  get limits(): LimitReading[] {
    return this.#limited.flatMap((part) => part.refiller.reading ?? []);
  }

  /** Resolves when the worker has closed; rejects if its connection failed for good. */
  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  /**
   * Closes the worker on SIGINT (Ctrl-C) or SIGTERM, as the worker CLI does: the first signal
   * stops taking tasks and lets running ones finish within the grace period (see
   * {@linkcode Worker.close}); a second one exits the process at once with code 1 (the broker
   * requeues what was running). A SIGTERM within 0.5 s of the first is not a second one but its
   * echo (a supervisor that signals the process group, and `deno task`, which passes SIGTERM on,
   * deliver it twice). Listening stops when the worker has closed, or when the
   * function returned is called. Without it, Ctrl-C ends the process without draining.
   *
   * @example Run until Ctrl-C or SIGTERM, then drain
   * ```ts ignore
   * const worker = await Worker.start(handlers, { queue: "jobs" });
   * worker.closeOnSignals();
   * await worker.closed;
   * ```
   */
  closeOnSignals(): () => void {
    let signals = 0;
    const stop = onStopSignals(() => {
      if (++signals > 1) Deno.exit(1);
      this.close().catch(() => {}); // a failure shows in `closed`
    });
    this.#closed.promise.then(stop, stop);
    return stop;
  }

  /**
   * Stops taking tasks, lets running ones finish within the grace period (milliseconds; the
   * `grace` option by default), returns the rest to the queue, and closes the connection.
   */
  close(grace: number = this.#options.grace): Promise<void> {
    this.#closing ??= this.#shutdown(grace);
    return this.#closing;
  }

  async #shutdown(grace: number): Promise<void> {
    const worker = this.#options.id;
    this.#log.info("worker.stopping", { worker, inFlight: this.#inFlight.size, grace });
    // Every wait on the broker is bounded: a blocked connection (memory or disk alarm) never
    // answers, and a SIGTERM must still end the worker within its grace period.
    const graceEnds = Date.now() + grace;
    await this.#session?.stopConsuming(graceEnds - Date.now());
    await this.#joiner?.close(Math.max(0, Math.min(SETTLE_TIMEOUT_MS, graceEnds - Date.now())));
    await this.#stopFlow(graceEnds - Date.now());
    await finishesWithin(this.#idle.wait(), graceEnds - Date.now());
    for (const delivery of this.#inFlight) {
      delivery.cancel.abort(new Error("the worker is stopping and its grace period is over"));
    }
    // Aborted tasks end at once; their copies back to the queue still need the broker's confirm.
    const settled = await finishesWithin(this.#idle.wait(), SETTLE_TIMEOUT_MS);
    const session = this.#session;
    const flowSessions = [this.#partitions, ...this.#limited.map((part) => part.session)];
    if (settled) {
      await session?.close(SETTLE_TIMEOUT_MS);
      for (const flow of flowSessions) await flow?.close(SETTLE_TIMEOUT_MS);
    } else {
      for (const s of [session, ...flowSessions]) {
        s?.flush();
        s?.retire(); // from here on nothing is acked: the broker requeues the rest
      }
      this.#log.warn("worker.unsettled", {
        worker,
        inFlight: this.#inFlight.size,
        detail:
          "the broker did not confirm their outcome in time; closing the connection returns them to the queue",
      });
    }
    // Closing the connection ends the cancel reader's consumer; asking first could hang on a
    // blocked connection.
    this.#stopped = true;
    this.#cancels?.abandon();
    await finishesWithin(this.#control!.then((control) => control?.close()), SETTLE_TIMEOUT_MS);
    await this.#connection?.close();
    await this.#idle.wait();
    this.#pool?.close();
    this.#log.info("worker.stopped", { worker });
    this.#closed.resolve();
  }

  /**
   * Opens the connection that follows `Q.control` (when cancels are on): it declares the stream
   * and reads the cancels of the window on each of its links, and reconnects by itself. A worker
   * whose cancels cannot be read still runs its tasks, and says so.
   */
  async #openControl(): Promise<BrokerConnection | undefined> {
    const cancels = this.#cancels;
    if (!cancels) {
      this.#cancelsRead.resolve();
      return undefined;
    }
    const { urls, id, heartbeat, names, history } = this.#options;
    try {
      const connection = await BrokerConnection.open({
        urls,
        name: `warren worker ${id} cancels`,
        logger: prefixEvents(this.#log, "cancels."),
        ...(heartbeat === undefined ? {} : { heartbeat }),
      }, async (link) => {
        await declareQueues(link, [[names.control, streamOptions(history.control)]], this.#log);
        await cancels.attach(link, names);
        this.#cancelsRead.resolve();
      });
      if (!this.#stopped) return connection;
      await connection.close();
      return undefined;
    } catch (err) {
      this.#log.warn("cancels.unavailable", {
        stream: names.control,
        error: describeError(err),
        detail: "this worker runs its tasks, and cannot cancel them",
      });
      this.#cancelsRead.resolve();
      return undefined;
    }
  }

  /** Logs a task event, then tells the listeners. */
  #report(event: TaskEvent): void {
    logTaskEvent(this.#log, event);
    this.emit(event);
  }

  async #setup(link: Link): Promise<void> {
    const { names, queueType, prefetch, id, maxPriority, history } = this.#options;
    const features = brokerFeatures(link.serverVersion);
    await declareQueues(
      link,
      [
        [names.main, mainQueueOptions(names, queueType, maxPriority)],
        [names.dead, deadQueueOptions(queueType, features)],
        ...(history.enabled ? [[names.events, streamOptions(history.events)] as const] : []),
      ],
      this.#log,
    );
    // Every cancel made until now is known before the first task is taken (or, should the
    // cancels be slow to read, a cancel read later stops its task).
    const first = this.#setups === 0;
    if (first) await finishesWithin(this.#cancelsRead.promise, 2 * CATCH_UP_MS);
    const session = await ConsumerSession.open(link, prefetch, {
      onDelivery: (message, from) => this.#onDelivery(message, from),
      onCancelled: (from) => this.#onCancelled(from),
      flushLog: () => this.#log.flush?.(),
      log: this.#log,
    }, this.#options.maxMessageBytes);
    this.#session?.retire();
    this.#session = session;
    if (this.#closing) return;
    await session.consume(
      names.main,
      consumerArguments(queueType, features, this.#options.consumerTimeout),
    );
    await this.#startFlow(link);
    await this.#joiner?.attach(link);
    this.#setups++;
    this.#log.info(first ? "worker.started" : "worker.resumed", {
      worker: id,
      queue: names.main,
      prefetch,
      tasks: this.#handlers.catalog.names.join(","),
      ...(this.#pool ? { threads: this.#pool.size } : {}),
    });
  }

  /**
   * The broker cancelled the consumer: its queue was deleted, or (RabbitMQ 4.3, quorum queue) a
   * delivery outlived the consumer timeout, and the broker took it back. Either way the worker
   * starts over on a new connection, which declares the queue again and consumes anew: the
   * cancelled consumer may still hold deliveries on the broker's side, and a delivery to a
   * consumer amqplib forgot would close the channel anyway.
   */
  #onCancelled(session: ConsumerSession): void {
    this.#log.warn("consumer.cancelled", {
      queue: this.#options.names.main,
      detail:
        "the broker cancelled the consumer (the queue was deleted, or a task outlived the consumer timeout of a RabbitMQ 4.3 quorum queue); reconnecting to declare the queue and consume again",
    });
    session.link.restart("the broker cancelled the consumer");
  }

  #onLost(err: Error): void {
    this.#session?.retire();
    this.#partitions?.retire();
    for (const part of this.#limited) part.session.retire();
    for (const delivery of this.#inFlight) delivery.cancel.abort(err);
  }

  #onDelivery(message: ConsumeMessage, session: ConsumerSession): void {
    const delivery: Delivery = {
      message,
      session,
      started: performance.now(),
      cancel: new AbortController(),
    };
    this.#inFlight.add(delivery);
    this.#idle.shut();
    this.#process(delivery)
      .catch((err) => this.#unsettled(delivery, err))
      .finally(() => {
        this.#inFlight.delete(delivery);
        if (this.#inFlight.size === 0) this.#idle.open();
      });
  }

  async #process(delivery: Delivery): Promise<void> {
    const { message } = delivery;
    const { maxRedeliveries, overrides, onVersionMismatch, maxMessageBytes } = this.#options;
    const settings = { maxRedeliveries, overrides, onVersionMismatch };
    const keyed = this.#keyedSessions.has(delivery.session);
    const facts = keyedFacts(deliveryFacts(message), keyed);
    const decoded = decodeTask(message, this.#handlers.catalog, maxMessageBytes);
    const subject = { id: decoded.id, task: decoded.ok ? decoded.contract.name : decoded.task };
    const cancelled = decoded.ok ? this.#cancelOf(delivery, decoded.id) : undefined;
    const admission = decide({
      delivery: facts,
      decoded,
      settings,
      now: Date.now(),
      ...cancelFacts(cancelled),
    });
    if (admission.kind !== "run" || !decoded.ok) {
      if (admission.kind === "run") throw new Error("a delivery that did not decode cannot run");
      return await this.#writer.write(delivery, subject, admission);
    }
    const { contract, id } = decoded;
    if (!this.#flowSessions.has(delivery.session) && isFlowControlled(contract)) {
      return await this.#forward(delivery, subject, decoded);
    }
    if (admission.versionMismatch) this.#warnVersion(contract.name, admission.versionMismatch);
    if (admission.notBeforeIgnored) {
      this.#log.warn("task.not_before_ignored", { id, error: admission.notBeforeIgnored });
    }
    // Came a few milliseconds before its not-before: those are waited here, not in the levels.
    if (admission.hold && decoded.notBefore !== undefined) await reach(decoded.notBefore);
    let attempt = admission.attempt;
    let current: DecodedTask = decoded;
    const task = contract.name;
    const worker = this.#options.id;
    // A keyed task's retries run here, holding the delivery, so that its key's later tasks
    // wait behind it: its partition delivers nothing else until it is settled.
    for (;;) {
      this.#report({ event: "task.started", task, id, attempt });
      // Without a history, a progress report is only checked: nothing is built or written.
      const history = this.#options.history.enabled;
      // Lazy: a task that ends within a few milliseconds has it written with its outcome.
      if (history) {
        const step = this.#stepOf(delivery);
        const workflow = step.ok && step.tag ? { workflow: step.tag.id } : {};
        this.#record(delivery, { event: "started", id, task, worker, attempt, ...workflow }, {
          lazy: true,
        });
      }
      const progress = history
        ? new ProgressThrottle((fraction, note) =>
          this.#record(delivery, {
            event: "progress",
            id,
            task,
            worker,
            attempt,
            fraction,
            ...(note === undefined ? {} : { note }),
          })
        )
        : undefined;
      const { verdict, result } = await this.#runner
        .run(
          current,
          attempt,
          delivery.cancel.signal,
          progress ? (fraction, note) => progress.report(fraction, note) : checkProgress,
        )
        .finally(() => progress?.stop());
      // What this attempt's verdict settles to, now (a cancel may come while a retry waits).
      const settle = () =>
        decide({
          delivery: facts,
          decoded: current,
          attempt: verdict,
          settings,
          now: Date.now(),
          ...cancelFacts(delivery.cancelled),
        });
      const final = settle();
      if (final.kind === "run") throw new Error("a task that ran cannot be run again");
      if (keyed && final.kind === "retry") {
        // Bounded as the settlement bounds a retry's error (a handler's error can be huge).
        const error = eventText(final.error);
        this.#report({
          event: "task.failed",
          task,
          id,
          attempt,
          ms: Math.round(performance.now() - delivery.started),
          error,
          retryIn: final.delay,
        });
        if (history) {
          const next = new Date(Date.now() + final.delay).toISOString();
          this.#record(delivery, {
            event: "retried",
            id,
            task,
            worker,
            attempt,
            error,
            next,
          });
        }
        await pause(final.delay, delivery.cancel.signal);
        if (!delivery.cancel.signal.aborted) {
          current = { ...current, attempts: final.attempt };
          attempt = final.attempt + 1;
          continue;
        }
        if (!delivery.cancelled) return this.#giveBack(delivery, subject);
        const cancelled = settle();
        if (cancelled.kind === "run") throw new Error("a task that ran cannot be run again");
        return await this.#writer.write(delivery, subject, cancelled);
      }
      if (this.#takenBack(delivery, id)) return;
      if (keyed && final.kind === "requeue") return this.#giveBack(delivery, subject);
      return await this.#writer.write(delivery, { ...subject, result }, final);
    }
  }

  /**
   * Gives a keyed delivery back to the head of its partition (a reject with requeue), so that
   * its key's order holds: a closing worker holds what the partition delivers next until its
   * channel closes, and the broker then gives the partition to another worker.
   */
  #giveBack(delivery: Delivery, subject: Subject): void {
    if (!delivery.session.live) return this.#writer.returned(subject);
    delivery.session.reject(delivery.message, true);
    this.#report({
      event: "task.returned",
      id: subject.id,
      reason: "given up by a closing worker; back at the head of its key's partition",
      ...(subject.task === undefined ? {} : { task: subject.task }),
    });
  }

  /**
   * Forwards a keyed or rate-limited task that came through the work queue (a delayed task, a
   * retry, one sent by a plain producer) to its flow queue: a confirmed copy, then the ack. A
   * keyed task whose payload gives no key is dead-lettered (`invalid-payload`).
   */
  async #forward(delivery: Delivery, subject: Subject, decoded: DecodedTask): Promise<void> {
    const { names, id: workerId } = this.#options;
    let queue: string;
    try {
      queue = flowRoute(decoded.contract, decoded.payload, this.#flow.names, this.#flow.partitions)!
        .queue;
    } catch (err) {
      return await this.#writer.write(delivery, subject, {
        kind: "dead",
        reason: "invalid-payload",
        error: describeError(err),
      });
    }
    const plan = planSettlement(
      delivery.message,
      subject,
      { kind: "requeue", reason: `forwarded to ${queue}`, headers: {} },
      {
        names,
        workerId,
        history: false,
        now: Date.now(),
        ms: performance.now() - delivery.started,
      },
    );
    await this.#writer.execute(delivery, subject, {
      ...plan,
      copy: { ...plan.copy!, to: { queue } },
    });
  }

  /**
   * Declares the flow queues and consumes them on `link`: every key partition (prefetch 1 each;
   * single active consumer), and for each rate-limited task its bucket, through a
   * {@linkcode TokenGate}, and its refiller's baton.
   */
  async #startFlow(link: Link): Promise<void> {
    const flow = this.#flow;
    if (!flow.keyed && flow.limited.length === 0) return;
    const { names, queueType, maxMessageBytes, prefetch } = this.#options;
    await declareQueues(link, flowQueues(flow, names, queueType), this.#log);
    const hooks = (onDelivery: (message: ConsumeMessage, from: ConsumerSession) => void) => ({
      onDelivery,
      onCancelled: (from: ConsumerSession) => this.#onCancelled(from),
      flushLog: () => this.#log.flush?.(),
      log: this.#log,
    });
    if (flow.keyed) {
      const session = await ConsumerSession.open(
        link,
        1,
        hooks((message, from) => {
          // A closing worker holds what comes: its channel's close gives it back at the head.
          if (!this.#closing) this.#onDelivery(message, from);
        }),
        maxMessageBytes,
      );
      this.#keyedSessions.add(session);
      this.#flowSessions.add(session);
      this.#partitions?.retire();
      this.#partitions = session;
      // Partitions are quorum queues: on RabbitMQ 4.3 their consumers carry the timeout too.
      const args = consumerArguments(
        "quorum",
        brokerFeatures(link.serverVersion),
        this.#options.consumerTimeout,
      );
      for (let i = 0; i < flow.partitions; i++) {
        await session.consume(flow.names.partition(i), args);
      }
    }
    const parts: LimitedPart[] = [];
    // A token or the baton held unacknowledged goes back well before the consumer timeout.
    const holdMs = Math.max(1_000, Math.floor(this.#options.consumerTimeout / 2));
    for (const task of flow.limited) {
      const refiller = await Refiller.start(link, {
        task: task.contract.name,
        limit: task.limit,
        tokens: task.tokens,
        baton: task.refill,
        limited: task.limited,
        log: this.#log,
        holdMs,
      });
      const gate: { current?: TokenGate<[ConsumeMessage, ConsumerSession]> } = {};
      const session = await ConsumerSession.open(
        link,
        prefetch,
        hooks((message, from) => gate.current!.offer([message, from])),
        maxMessageBytes,
      );
      this.#flowSessions.add(session);
      gate.current = new TokenGate(await link.channel(), session, {
        tokens: task.tokens,
        limited: task.limited,
        run: ([message, from]) => this.#onDelivery(message, from),
        log: this.#log,
        holdMs,
        onCancelled: () => link.restart(`the consumer of ${task.tokens} was cancelled`),
      });
      await gate.current.start();
      parts.push({ session, gate: gate.current, refiller, link });
    }
    for (const part of this.#limited) part.session.retire();
    this.#limited = parts;
  }

  /**
   * Stops taking flow-controlled tasks on close: the gates stop, the partitions with nothing
   * running stop at once; a partition whose task runs keeps its consumer until the worker's
   * channels close, so that no other worker starts that key's next task meanwhile.
   */
  async #stopFlow(timeoutMs: number): Promise<void> {
    await Promise.all(this.#limited.map(async (part) => {
      await finishesWithin(part.gate.stop(), timeoutMs);
      await finishesWithin(part.refiller.close(part.link), timeoutMs);
    }));
    const busy = new Set<string>();
    for (const delivery of this.#inFlight) {
      if (delivery.session === this.#partitions) busy.add(delivery.message.fields.consumerTag);
    }
    await this.#partitions?.stopConsuming(timeoutMs, (tag) => busy.has(tag));
  }

  /**
   * Whether the broker took `delivery` back while its task ran: on a quorum queue of RabbitMQ
   * 4.3 a delivery held past the consumer's timeout (`x-consumer-timeout`, which the worker set)
   * goes back to the queue and the consumer is cancelled, while the channel stays open; an
   * outcome settled then would only make the broker deliver again to the consumer it cancelled.
   * The worker starts over on a new connection instead (the broker redelivers the task, counted
   * in `x-acquired-count`). The check keeps a margin: the broker's clock starts first.
   */
  #takenBack(delivery: Delivery, id: string): boolean {
    const { queueType, consumerTimeout } = this.#options;
    const { session } = delivery;
    const quorum = queueType === "quorum" || this.#keyedSessions.has(session); // partitions are
    if (!quorum || !brokerFeatures(session.link.serverVersion).quorumConsumerTimeout) {
      return false;
    }
    const held = performance.now() - delivery.started;
    if (held < consumerTimeout - Math.min(1_000, consumerTimeout / 10)) return false;
    this.#log.warn("task.taken_back", {
      id,
      held: Math.round(held),
      consumerTimeout,
      detail:
        "the task outlived the consumer timeout, and the broker gave it back to the queue: reconnecting, without settling it",
    });
    if (session.live) session.link.restart("a task outlived the consumer timeout");
    return true;
  }

  /** Writes a history event of a running task; a failure is logged, never thrown. */
  #record(
    delivery: Delivery,
    event: Parameters<OutcomeWriter["record"]>[1],
    options: { readonly lazy?: boolean } = {},
  ): void {
    this.#writer.record(delivery, event, options).catch((err) =>
      this.#log.warn("history.unwritten", {
        id: event.id,
        event: event.event,
        error: describeError(err),
      })
    );
  }

  /** What `delivery`'s workflow header says, read on first use and kept with the delivery. */
  #stepOf(delivery: Delivery): StepRead {
    return delivery.step ??= readStepTag(delivery.message.properties.headers);
  }

  /** The cancel that applies to `delivery`: of its id, or of its workflow's. */
  #cancelOf(delivery: Delivery, id: string): CancelRequest | undefined {
    const cancels = this.#cancels;
    if (!cancels) return undefined;
    const replayed = replayedAt(delivery.message);
    const own = cancels.get(id, replayed);
    if (own || this.#options.workflows.size === 0) return own;
    const step = this.#stepOf(delivery);
    return step.ok && step.tag ? cancels.get(step.tag.id, replayed) : undefined;
  }

  /**
   * What follows a delivery's outcome when it is a workflow's step: the next stage, its outcome
   * to the join queue, or the workflow's end. A step whose header cannot be read is run and
   * settled as a task (with a warning): nothing follows it.
   */
  #follow(
    delivery: Delivery,
    subject: Subject,
    disposition: Exclude<Disposition, { kind: "run" }>,
  ): Continuation | undefined {
    const kind = disposition.kind;
    if (kind !== "done" && kind !== "dead" && kind !== "drop") return undefined;
    const step = this.#stepOf(delivery);
    if (!step.ok) {
      this.#log.warn("workflow.unreadable", { id: subject.id, error: step.error });
      return undefined;
    }
    const tag: StepTag | undefined = step.tag;
    if (tag === undefined) return undefined;
    const outcome = kind === "done"
      ? { ok: true as const, result: subject.result }
      : kind === "dead"
      ? { ok: false as const, reason: disposition.reason, error: disposition.error }
      : { ok: false as const, reason: "cancelled", error: disposition.error };
    const next = continueAfter(this.#options.workflows.get(tag.name), tag, outcome, {
      names: this.#options.names,
      maxBytes: this.#options.maxMessageBytes,
      worker: this.#options.id,
      now: Date.now(),
    });
    if (next.end && !this.#options.history.enabled) {
      // Without the history its end cannot be written: said here, where it is known.
      this.#log.error("workflow.end_unwritten", {
        id: tag.id,
        error: "error" in next.end ? next.end.error : `workflow ${tag.id} was ${next.end.event}`,
        detail: "this worker runs with the history off: the workflow's end is not recorded",
      });
    }
    return next;
  }

  /** Fires the signal of the running task that `request` cancels, if this worker runs it. */
  #onCancelRequest(request: CancelRequest): void {
    for (const delivery of this.#inFlight) {
      if (delivery.cancel.signal.aborted) continue;
      if (messageId(delivery.message) !== request.id && !this.#inWorkflow(delivery, request.id)) {
        continue;
      }
      // A cancel older than the replay that brought this copy back does not apply to it.
      const replayed = replayedAt(delivery.message);
      if (replayed !== undefined && request.at <= replayed) continue;
      delivery.cancelled = request;
      this.#log.info("task.cancelling", { id: request.id, by: request.by });
      delivery.cancel.abort(new Error(`cancelled by ${request.by} at ${request.at}`));
    }
  }

  /** Whether `delivery` is a step of workflow `id`. */
  #inWorkflow(delivery: Delivery, id: string): boolean {
    if (this.#options.workflows.size === 0) return false;
    const step = this.#stepOf(delivery);
    return step.ok && step.tag?.id === id;
  }

  #warnVersion(task: string, mismatch: { sent: string; expected: string }): void {
    const key = `${task}@${mismatch.sent}`;
    if (this.#warnedVersions.has(key)) return;
    this.#warnedVersions.add(key);
    this.#log.warn("task.version_mismatch", {
      task,
      sent: mismatch.sent,
      expected: mismatch.expected,
      detail:
        "a producer enqueued this task with another version of its contract; it runs here all the same (logged once per task and version; --on-version-mismatch dead dead-letters such tasks instead)",
    });
  }

  /**
   * A delivery whose processing threw (a fault of Warren's: the writer itself never rejects):
   * logged, and put back in its queue by a reject, never by a reconnect. The redelivery cap
   * ends it if it keeps failing.
   */
  #unsettled(delivery: Delivery, err: unknown): void {
    this.#log.error("task.unsettled", {
      id: delivery.message.properties.messageId,
      error: describeError(err),
      detail: "could not settle it; it goes back to its queue",
    });
    delivery.session.reject(delivery.message, true);
  }
}

/** Resolves once `Date.now()` has reached `time` (a timer may fire a millisecond early). */
async function reach(time: number): Promise<void> {
  for (let left = time - Date.now(); left > 0; left = time - Date.now()) {
    await new Promise((resolve) => setTimeout(resolve, left));
  }
}

/** A rate-limited task's part of a worker on one link. */
interface LimitedPart {
  /** The session that consumes its waiting queue. */
  readonly session: ConsumerSession;
  /** The gate that consumes it only with a token. */
  readonly gate: TokenGate<[ConsumeMessage, ConsumerSession]>;
  /** The worker's part in refilling its bucket. */
  readonly refiller: Refiller;
  /** The link they are on. */
  readonly link: Link;
}

/**
 * A keyed delivery's facts: on a classic partition (no broker count), a redelivery runs where
 * it is, at the head of its partition, since a copy at the end would break its key's order.
 */
function keyedFacts(facts: DeliveryFacts, keyed: boolean): DeliveryFacts {
  return keyed && facts.deliveryCount === undefined ? { ...facts, redelivered: false } : facts;
}

/** The disposition's view of a cancel request, as a spreadable option. */
function cancelFacts(request: CancelRequest | undefined): { cancelled?: CancelFacts } {
  if (!request) return {};
  return { cancelled: { drop: request.drop === true, by: request.by, at: request.at } };
}
