// Tasks: the live feed of a queue's latest tasks (from its task history, Q.events), one task's
// timeline (attempts, progress, result or error), and cancelling it behind a confirmation. A
// queue without a history has no feed: a task can then be found only as a dead letter.
import { useEffect, useState } from "/assets/preact-hooks.mjs";
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
          <th>detail</th>
        </tr>
      </thead>
      <tbody>${feed.tasks.map((t) =>
        html`
          <tr data-id=${t.id} data-state=${t.state} class="pick" onClick=${() => onPick(t.id)}>
            <td>${t.updatedAt}</td>
            <td>${t.task ?? "?"}</td>
            <td class="id">${t.id}</td>
            <td>${t.state}</td>
            <td>${t.attempts}</td>
            <td>${t.detail}</td>
          </tr>
        `
      )}</tbody>
    </table>
    ${feed.tasks.length === 0
      ? html`<p class="note">No task events in the last 15 minutes.</p>`
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
                  <td>${e.at}</td>
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

export function Tasks({ queues }) {
  const [queue, setQueue] = useQueue(queues);
  const [state, setState] = useState("");
  const [feed, setFeed] = useState(null);
  const [id, setId] = useState("");
  const [found, setFound] = useState(null);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);
  const [asking, setAsking] = useState(false);
  const [states, setStates] = useState([]);
  useEffect(() => {
    getJson("/api/meta").then((meta) => setStates(meta.states), () => {});
  }, []);

  const lookup = async (taskId) => {
    setError(null);
    try {
      setFound(await getJson(queuePath(queue, `tasks/${encodeURIComponent(taskId)}`)));
    } catch (err) {
      setFound(null);
      setError(err.message);
    }
  };

  // Another queue: another task.
  useEffect(() => {
    setFound(null);
    setDone(null);
  }, [queue]);
  // The feed, and the timeline shown while its task runs, refresh every 2 s.
  useEffect(() => {
    if (!queue) return undefined;
    const load = async () => {
      try {
        setFeed(await getJson(queuePath(queue, `tasks${state ? `?state=${state}` : ""}`)));
      } catch (err) {
        setError(err.message);
      }
    };
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => clearInterval(timer);
  }, [queue, state]);
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
      </form>
      ${error ? html`<p class="error" id="task-error">${error}</p>` : null}
      ${done ? html`<p class="done" id="task-done">${done}</p>` : null}
      ${found
        ? html`<${Timeline} found=${found} queue=${queue} onCancel=${() => setAsking(true)} />`
        : null}
      <h2>Latest tasks</h2>
      <${Feed} feed=${feed} onPick=${pick} />
      ${asking
        ? html`
          <${Confirm} action="Cancel task" onAnswer=${answer}
            message=${`Cancel task ${found?.id} of ${queue}? A queued or delayed task will never run; a running one has its signal fired. It is dead-lettered with reason cancelled.`} />
        `
        : null}
    </section>
  `;
}
