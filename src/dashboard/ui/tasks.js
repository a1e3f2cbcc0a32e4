// Tasks: look a task up by id. What the broker holds of a task today is its dead letter, if it
// has one; a task's whole timeline (and a live feed, and cancelling) needs the task history,
// which this version of Warren does not record yet: the page says so instead of guessing.
import { useState } from "/assets/preact-hooks.mjs";
import { html } from "/assets/htm-preact.mjs";
import { getJson, queuePath } from "/assets/api.js";
import { QueuePicker, useQueue } from "/assets/schedules.js";

export function Tasks({ queues }) {
  const [queue, setQueue] = useQueue(queues);
  const [id, setId] = useState("");
  const [found, setFound] = useState(null);
  const [error, setError] = useState(null);
  const search = async (e) => {
    e.preventDefault();
    setError(null);
    setFound(null);
    try {
      setFound(await getJson(queuePath(queue, `tasks/${encodeURIComponent(id.trim())}`)));
    } catch (err) {
      setError(err.message);
    }
  };
  const letter = found?.deadLetter;
  return html`
    <section>
      <form class="filters" onSubmit=${search}>
        <${QueuePicker} queues=${queues} queue=${queue} onPick=${setQueue} />
        <label>task id <input id="task-id" value=${id} required
          onInput=${(e) => setId(e.currentTarget.value)} /></label>
        <button id="task-search" type="submit">Find</button>
      </form>
      ${error ? html`<p class="error" id="task-error">${error}</p>` : null}
      ${found
        ? html`<div id="task-found">
        ${
          letter
            ? html`
              <p>Task ${letter.id} (${letter.task ?? "?"}) is a dead letter in ${queue}.dead:
                            ${letter.reason ?? "no reason"} after ${letter
                              .attempts} attempt(s), ${letter.when ?? ""}.</p>
              <p class="error">${letter.error ?? ""}</p>
              <pre>${letter.body}</pre>
            `
            : html`<p>Task ${found.id} is not among the dead letters of ${queue}.</p>`
        }
        <p class="note">${found.note}</p>
      </div>`
        : null}
      <p class="note">A live feed of task events, each task's timeline (attempts, progress, result)
        and cancelling a task need Warren's task history, which this version does not record.</p>
    </section>
  `;
}
