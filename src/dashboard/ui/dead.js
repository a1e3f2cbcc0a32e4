// Dead letters: the list with the CLI's filters, and replay and purge behind a confirmation.
import { useEffect, useState } from "/assets/preact-hooks.mjs";
import { html } from "/assets/htm-preact.mjs";
import { getJson, postJson, queuePath } from "/assets/api.js";
import { Confirm } from "/assets/confirm.js";
import { QueuePicker, useQueue } from "/assets/schedules.js";

const EMPTY = { task: "", reason: "", id: "", limit: "50" };

function filterOf(fields) {
  const filter = {};
  for (const key of ["task", "reason", "id"]) if (fields[key] !== "") filter[key] = fields[key];
  if (fields.limit !== "") filter.limit = Number(fields.limit);
  return filter;
}

function describe(filter) {
  const parts = ["task", "reason", "id"].filter((k) => filter[k]).map((k) => `${k} ${filter[k]}`);
  return parts.length ? `the dead letters with ${parts.join(", ")}` : "every dead letter";
}

export function DeadLetters({ queues }) {
  const [queue, setQueue] = useQueue(queues);
  const [fields, setFields] = useState(EMPTY);
  const [reasons, setReasons] = useState([]);
  const [list, setList] = useState(null);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);
  const [asking, setAsking] = useState(null);
  const filter = filterOf(fields);

  const load = async () => {
    setError(null);
    try {
      const query = new URLSearchParams(Object.entries(filter).map(([k, v]) => [k, String(v)]));
      setList(await getJson(queuePath(queue, `dead?${query}`)));
    } catch (err) {
      setList(null);
      setError(err.message);
    }
  };
  useEffect(() => {
    getJson("/api/meta").then((meta) => setReasons(meta.reasons), () => {});
  }, []);
  useEffect(() => {
    if (queue) load();
  }, [queue]);

  const answer = async (yes) => {
    const kind = asking;
    setAsking(null);
    if (!yes) return;
    setError(null);
    try {
      if (kind === "replay") {
        const summary = await postJson(queuePath(queue, "dead/replay"), {
          ...filter,
          confirm: `${queue}.dead`,
        });
        setDone(
          `Replayed ${summary.replayed} dead letter(s) to ${summary.to}; ${summary.kept} did not match and stay.`,
        );
      } else {
        const { purged } = await postJson(queuePath(queue, "dead/purge"), {
          confirm: `${queue}.dead`,
        });
        setDone(`Purged ${purged} dead letter(s) from ${queue}.dead.`);
      }
      await load();
    } catch (err) {
      setError(err.message);
    }
  };

  const field = (key, label, attrs = {}) =>
    html`<label>${label} <input id=${`filter-${key}`} value=${fields[key]} ...${attrs}
      onInput=${(e) => setFields({ ...fields, [key]: e.currentTarget.value })} /></label>`;

  return html`
    <section>
      <form class="filters" onSubmit=${(e) => {
        e.preventDefault();
        load();
      }}>
        <${QueuePicker} queues=${queues} queue=${queue} onPick=${setQueue} />
        ${field("task", "task")}
        <label>reason <select id="filter-reason" value=${fields.reason}
          onChange=${(e) => setFields({ ...fields, reason: e.currentTarget.value })}>
          <option value="">any</option>
          ${reasons.map((r) => html`<option value=${r}>${r}</option>`)}
        </select></label>
        ${field("id", "id")}
        ${field("limit", "limit", { type: "number", min: "1", max: "500" })}
        <button id="dead-load" type="submit">Show</button>
      </form>
      ${error ? html`<p class="error" id="dead-error">${error}</p>` : null}
      ${done ? html`<p class="done" id="dead-done">${done}</p>` : null}
      ${list
        ? html`
          <p id="dead-summary">${list.queue}: ${list.total} dead letter(s); showing ${list.messages
            .length}</p>
          <p class="actions">
            <button id="dead-replay" disabled=${list.messages.length === 0}
              onClick=${() => setAsking("replay")}>Replay ${describe(filter)}</button>
            <button id="dead-purge" class="danger" disabled=${list.total === 0}
              onClick=${() => setAsking("purge")}>Purge all ${list.total}</button>
          </p>
          <table id="dead-table">
            <thead>
              <tr>
                <th>when</th>
                <th>task</th>
                <th>id</th>
                <th>reason</th>
                <th>attempts</th>
                <th>worker</th>
                <th>error</th>
              </tr>
            </thead>
            <tbody>${list.messages.map((m) =>
              html`
                <tr data-id=${m.id}>
                  <td class="time">${m.when ?? "–"}</td>
                  <td>${m.task ?? "?"}</td>
                  <td class="id">${m.id}</td>
                  <td>${m.reason ?? "–"}</td>
                  <td>${m.attempts}</td>
                  <td>${m.worker ?? "–"}</td>
                  <td>${m.error ?? ""}</td>
                </tr>
              `
            )}</tbody>
          </table>
        `
        : null}
      ${asking === "replay"
        ? html`
          <${Confirm} action="Replay" onAnswer=${answer}
            message=${`Move ${describe(filter)} (up to ${
              filter.limit ?? "all"
            }) from ${queue}.dead back to ${queue}, to run again from attempt 1?`} />
        `
        : null}
      ${asking === "purge"
        ? html`
          <${Confirm} action="Purge" onAnswer=${answer}
            message=${`Delete every dead letter of ${queue}.dead (${
              list?.total ?? 0
            } now)? This cannot be undone.`} />
        `
        : null}
    </section>
  `;
}
