// Tasks: the live feed of a queue's latest tasks (from its task history, Q.events), one task's
// timeline (attempts, progress, result or error, and a link to its workflow when it is a step
// of one), and cancelling it behind a confirmation. A queue without a history has no feed: a
// task can then be found only as a dead letter. `#/tasks/QUEUE/ID` opens task ID of QUEUE.
import { useEffect, useRef, useState } from "/assets/preact-hooks.mjs";
import { html } from "/assets/htm-preact.mjs";
import { getJson, postJson, queuePath } from "/assets/api.js";
import { Confirm } from "/assets/confirm.js";
import { QueuePicker, useQueue } from "/assets/schedules.js";

const REFRESH_MS = 2000;

function describeCancel(report) {
  if (report.outcome === "requested") return `Cancel requested for ${report.id}.`;
  if (report.outcome === "finished") {
    return `${report.id} had already finished (${report.state}): nothing to cancel.`;
  }
  return `${report.id} is not in the history: nothing was cancelled.`;
}

/** A duration in words: `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 03 min`; `so far` while it runs. */
export function formatDuration(duration) {
  if (!duration) return "";
  const { ms, ongoing } = duration;
  const s = Math.floor(ms / 1000);
  const text = ms < 1000
    ? `${ms} ms`
    : ms < 60_000
    ? `${(ms / 1000).toFixed(1)} s`
    : ms < 3_600_000
    ? `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`
    : `${Math.floor(s / 3600)} h ${String(Math.floor(s / 60) % 60).padStart(2, "0")} min`;
  return ongoing ? `${text} so far` : text;
}

/** A task's state as a coloured badge (the colours are the style sheet's, by `data-state`). */
export function StateBadge({ state }) {
  return html`<span class="state" data-state=${state}>${state}</span>`;
}

/** The page address of task `id` of `queue`. */
export function taskHref(queue, id) {
  return `#/tasks/${encodeURIComponent(queue)}/${encodeURIComponent(id)}`;
}

/** The page address of workflow `id` of `queue`. */
export function workflowHref(queue, id) {
  return `#/workflow/${encodeURIComponent(queue)}/${encodeURIComponent(id)}`;
}

/** The tasks of the last hour, per state and per task; a task's name filters the feed. */
function Counts({ counts, task, onTask }) {
  if (!counts) return null;
  const states = Object.keys(counts.byState);
  const cells = (byState) =>
    states.map((s) => html`<td class="num" data-state=${s}>${byState[s] ?? 0}</td>`);
  return html`
    <p class="note"
      id="tasks-window">${counts.tasks} task(s) updated since <span class="time">${counts
        .since}</span>${counts.complete ? "" : " (the latest the dashboard keeps)"}.</p>
    ${counts.tasks === 0 ? null : html`
      <table id="tasks-counts">
        <thead>
          <tr><th>task</th><th class="num">tasks</th>${states.map((s) =>
            html`<th class="num">${s}</th>`
          )}</tr>
        </thead>
        <tbody>
          ${counts.byTask.map((row) =>
            html`
              <tr data-task=${row.task} class=${row.task === task ? "pick picked" : "pick"}
                onClick=${() => onTask(row.task === task ? "" : row.task)}>
                <td>${row.task}</td>
                <td class="num">${row.tasks}</td>
                ${cells(row.byState)}
              </tr>
            `
          )}
          <tr data-task="" class="total"><td>all</td><td class="num">${counts.tasks}</td>${cells(
            counts.byState,
          )}</tr>
        </tbody>
      </table>
    `}
  `;
}

/** The rows of the tally that are no task's name, and filter nothing. */
const OTHER_TASKS = "(other tasks)";
const UNNAMED_TASK = "?";

/** Whether `name` is a task's name that the feed can be filtered by. */
function isTaskName(name) {
  return name !== OTHER_TASKS && name !== UNNAMED_TASK && name !== "";
}

/** A run time in milliseconds, as `850 ms` or `12.3 s`; empty when there is none. */
function runTime(ms) {
  return ms === undefined ? "" : formatDuration({ ms, ongoing: false });
}

/** Every event of the last hour per task, and how long successes ran; a name filters the feed. */
function Hour({ hour, reading, task, onTask }) {
  if (!hour) return null;
  // Events no task had in the hour are left out, except the three every task has.
  const shown = hour.events.filter((e) =>
    ["enqueued", "started", "succeeded"].includes(e) || hour.total.events[e] !== undefined
  );
  // A partial row's counts are at least these (a minute had too many names to count it apart).
  const at = (r) => r.partial ? "≥ " : "";
  const row = (r, attributes) =>
    html`
      <tr data-task=${r.task} ...${attributes}>
        <td>${r.task === "" ? "all" : r.task}</td>
        ${shown.map((e) => html`<td class="num" data-event=${e}>${at(r)}${r.events[e] ?? 0}</td>`)}
        <td class="num" data-run="p50">${runTime(r.runTimes?.p50Ms)}</td>
        <td class="num" data-run="p95">${runTime(r.runTimes?.p95Ms)}</td>
        <td class="num" data-run="max">${runTime(r.runTimes?.maxMs)}</td>
      </tr>
    `;
  return html`
    <p class="note"
      id="tasks-hour-window">Every event since <span class="time">${hour
        .since}</span>${hour.complete || reading
        ? ""
        : " (the dashboard began reading later)"}; run times of successful attempts.</p>
    ${hour.byTask.some((r) => r.partial)
      ? html`
        <p class="note" id="tasks-hour-partial">≥: some minutes had more task names than are
          counted apart (200, of which 100 new in that minute); the events of the rest are counted
          under ${OTHER_TASKS}.</p>
      `
      : null}
    ${reading
      ? html`
        <p class="note" id="tasks-reading">Reading the last hour of the history: the counts and the
          feed grow until it is read.</p>
      `
      : null}
    ${hour.byTask.length === 0 ? null : html`
      <table id="tasks-hour">
        <thead>
          <tr><th>task</th>${shown.map((e) => html`<th class="num">${e}</th>`)}<th
            class="num">run p50</th><th class="num">run p95</th><th class="num">longest</th></tr>
        </thead>
        <tbody>
          ${hour.byTask.map((r) =>
            !isTaskName(r.task) ? row(r, {}) : row(r, {
              class: r.task === task ? "pick picked" : "pick",
              onClick: () => onTask(r.task === task ? "" : r.task),
            })
          )}
          ${row({ ...hour.total, task: "" }, { class: "total" })}
        </tbody>
      </table>
    `}
  `;
}

function Feed({ feed, onPick }) {
  if (!feed) return null;
  if (!feed.history) return html`<p class="note" id="tasks-no-history">${feed.note}</p>`;
  return html`
    <table id="tasks-feed">
      <thead>
        <tr>
          <th>updated</th>
          <th>task</th>
          <th>id</th>
          <th>state</th>
          <th>attempts</th>
          <th class="num">duration</th>
          <th>detail</th>
        </tr>
      </thead>
      <tbody>${feed.tasks.map((t) =>
        html`
          <tr data-id=${t.id} data-state=${t.state} class="pick" onClick=${() => onPick(t.id)}>
            <td class="time">${t.updatedAt}</td>
            <td>${t.task ?? "?"}</td>
            <td class="id">${t.id}</td>
            <td>
              <${StateBadge} state=${t.state} />
            </td>
            <td>${t.attempts}</td>
            <td class="num duration">${formatDuration(t.duration)}</td>
            <td>${t.detail}</td>
          </tr>
        `
      )}</tbody>
    </table>
    ${feed.tasks.length === 0
      ? html`<p class="note">No task events in the last hour${
        feed.filtered ? " that match the filter" : ""
      }.</p>`
      : null}
    ${feed.skipped?.count > 0
      ? html`
        <p class="note"
          id="tasks-skipped">${feed.skipped
            .count} event(s) of the history could not be read (too large, too deep or malformed) and
                were skipped.</p>
      `
      : null}
  `;
}

function Timeline({ found, queue, onCancel }) {
  const { record, deadLetter: letter } = found;
  return html`
    <div id="task-found">
      ${record
        ? html`
          <p id="task-state" data-state=${record.state}>Task ${record.id} (${record.task ??
            "?"}): ${record.summary}</p>
          ${record.state === "succeeded"
            ? html`<p>result: <code id="task-result">${JSON.stringify(record.result)}</code></p>`
            : null}
          ${record.workflow
            ? html`
              <p
                id="task-workflow">A step of workflow <a id="task-workflow-link" href=${workflowHref(
                  queue,
                  record.workflow,
                )}>${record.workflow}</a>.</p>
            `
            : null}
          ${record.finished ? null : record.cancelRequest
            ? html`
              <p
                id="task-cancel-requested">Cancel requested at ${record.cancelRequest
                  .at} by ${record.cancelRequest
                  .by}: the worker that gets (or runs) it carries it out.</p>
            `
            : html`
              <p class="actions"><button id="task-cancel" class="danger" onClick=${onCancel}>
                Cancel this task</button></p>
            `}
          <table id="task-timeline">
            <thead>
              <tr>
                <th>time</th>
                <th>event</th>
                <th>attempt</th>
                <th>worker</th>
                <th>detail</th>
              </tr>
            </thead>
            <tbody>${record.events.map((e) =>
              html`
                <tr data-event=${e.event}>
                  <td class="time">${e.at}</td>
                  <td>${e.event}</td>
                  <td>${e.attempt ?? ""}</td>
                  <td>${e.worker ?? ""}</td>
                  <td>${e.detail}</td>
                </tr>
              `
            )}</tbody>
          </table>
          ${record.skipped?.count > 0
            ? html`
              <p class="note"
                id="task-skipped">${record.skipped
                  .count} event(s) of this task could not be read and were skipped.</p>
            `
            : null}
          ${record.cut
            ? html`
              <p
                class="note">Long texts are cut (…[cut: …]): <a id="task-full" href=${queuePath(
                  queue,
                  `tasks/${encodeURIComponent(record.id)}?full=1`,
                )} target="_blank" rel="noopener">the whole record, as JSON</a>.</p>
            `
            : null}
        `
        : found.history
        ? html`<p>No task ${found.id} in the history of ${queue}.</p>`
        : null}
      ${letter
        ? html`
          <p>Task ${letter.id} (${letter.task ?? "?"}) is a dead letter in ${queue}.dead:
            ${letter.reason ?? "no reason"} after ${letter.attempts} attempt(s), ${letter.when ??
              ""}.</p>
          <p class="error">${letter.error ?? ""}</p>
          <pre>${letter.body}</pre>
        `
        : record || found.history
        ? null
        : html`<p>Task ${found.id} is not among the dead letters of ${queue}.</p>`}
      <p class="note">${found.note}</p>
    </div>
  `;
}

export function Tasks({ queues, route }) {
  const [queue, setQueue] = useQueue(queues);
  const [state, setState] = useState("");
  const [task, setTask] = useState("");
  const [feed, setFeed] = useState(null);
  const [id, setId] = useState("");
  const [found, setFound] = useState(null);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);
  const [asking, setAsking] = useState(false);
  const [states, setStates] = useState([]);
  const shownQueue = useRef(queue);
  shownQueue.current = queue;
  useEffect(() => {
    getJson("/api/meta").then((meta) => setStates(meta.states), () => {});
  }, []);

  const lookup = async (taskId) => {
    setError(null);
    const asked = shownQueue.current;
    try {
      const answer = await getJson(queuePath(asked, `tasks/${encodeURIComponent(taskId)}`));
      // (The queue read at the time of the call: an answer for another queue is not shown.)
      if (asked === shownQueue.current) setFound(answer);
    } catch (err) {
      if (asked !== shownQueue.current) return;
      setFound(null);
      setError(err.message);
    }
  };

  // Another queue: none of this queue's tasks, ids or task names stay shown.
  useEffect(() => {
    setFound(null);
    setDone(null);
    setAsking(false);
    setId("");
    setTask("");
    setFeed(null);
  }, [queue]);
  // The feed, and the timeline shown while its task runs, refresh every 2 s. An answer that
  // arrives after the queue or the filter changed is dropped.
  useEffect(() => {
    if (!queue) return undefined;
    let current = true;
    const query = new URLSearchParams();
    if (state) query.set("state", state);
    if (task) query.set("task", task);
    const search = query.size > 0 ? `?${query}` : "";
    const load = async () => {
      try {
        const answer = await getJson(queuePath(queue, `tasks${search}`));
        if (current) setFeed({ ...answer, queue, filtered: Boolean(state || task) });
      } catch (err) {
        if (current) setError(err.message);
      }
    };
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [queue, state, task]);
  // An address that names a task (`#/tasks/QUEUE/ID`, a link of a workflow's page) opens it,
  // once: its queue is picked first (which clears what the page showed), then the task.
  const routed = useRef(null);
  useEffect(() => {
    if (!route?.id || routed.current === route || queues.length === 0) return;
    if (!queues.includes(route.queue)) {
      routed.current = route;
      setError(`The dashboard does not show a work queue '${route.queue}'`);
      return;
    }
    if (queue !== route.queue) {
      setQueue(route.queue);
      return;
    }
    routed.current = route;
    pick(route.id);
  }, [route, queue, queues.join(",")]);
  // A task that finishes while the cancel dialog is open: the dialog closes and says so.
  useEffect(() => {
    const record = found?.record;
    if (!asking || !record?.finished) return;
    setAsking(false);
    setDone(`${record.id} finished meanwhile (${record.state}): nothing to cancel.`);
  }, [found, asking]);
  useEffect(() => {
    const record = found?.record;
    if (!record || record.finished) return undefined;
    const timer = setInterval(() => lookup(record.id), REFRESH_MS);
    return () => clearInterval(timer);
  }, [found]);

  const pick = (taskId) => {
    setId(taskId);
    setDone(null);
    lookup(taskId);
  };
  const answer = async (yes) => {
    setAsking(false);
    if (!yes || !found) return;
    setError(null);
    try {
      const report = await postJson(
        queuePath(queue, `tasks/${encodeURIComponent(found.id)}/cancel`),
        { confirm: found.id },
      );
      setDone(describeCancel(report));
      await lookup(found.id);
    } catch (err) {
      setError(err.message);
    }
  };

  // Only this queue's feed is shown, whatever answer came last.
  const shown = feed?.queue === queue ? feed : null;
  return html`
    <section>
      <form class="filters" onSubmit=${(e) => {
        e.preventDefault();
        pick(id.trim());
      }}>
        <${QueuePicker} queues=${queues} queue=${queue} onPick=${setQueue} />
        <label>task id <input id="task-id" value=${id} required
          onInput=${(e) => setId(e.currentTarget.value)} /></label>
        <button id="task-search" type="submit">Find</button>
        <label>feed <select id="tasks-state" value=${state}
          onChange=${(e) => setState(e.currentTarget.value)}>
          <option value="">every state</option>
          ${states.map((s) => html`<option value=${s}>${s}</option>`)}
        </select></label>
        <label>task <select id="tasks-task" value=${task}
          onChange=${(e) => setTask(e.currentTarget.value)}>
          <option value="">every task</option>
          ${[
            ...new Set([
              ...(shown?.hour?.byTask ?? []).map((row) => row.task).filter(isTaskName),
              ...(shown?.counts?.byTask ?? []).map((row) => row.task).filter(isTaskName),
              task,
            ]),
          ]
            .filter(Boolean)
            .map((name) => html`<option value=${name}>${name}</option>`)}
        </select></label>
      </form>
      ${error ? html`<p class="error" id="task-error">${error}</p>` : null}
      ${done ? html`<p class="done" id="task-done">${done}</p>` : null}
      ${found
        ? html`<${Timeline} found=${found} queue=${queue} onCancel=${() => setAsking(true)} />`
        : null}
      <h2>Last hour: events</h2>
      <${Hour} hour=${shown?.hour} reading=${shown?.reading} task=${task} onTask=${setTask} />
      <h2>Last hour: tasks by state</h2>
      <${Counts} counts=${shown?.counts} task=${task} onTask=${setTask} />
      <h2>Latest tasks${task
        ? html`
          of <span id="tasks-of">${task}</span>
        `
        : ""}</h2>
      <${Feed} feed=${shown} onPick=${pick} />
      ${asking
        ? html`
          <${Confirm} action="Cancel task" dismiss="Keep it running" onAnswer=${answer}
            message=${`Cancel task ${found?.id} of ${queue}? A queued or delayed task will never run; a running one has its signal fired. It is dead-lettered with reason cancelled.`} />
        `
        : null}
    </section>
  `;
}
