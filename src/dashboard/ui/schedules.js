// Schedules: each schedule's last and next fire, and which scheduler is active; and the queue
// picker the pages share.
import { useEffect, useState } from "/assets/preact-hooks.mjs";
import { html } from "/assets/htm-preact.mjs";
import { getJson, queuePath } from "/assets/api.js";

/** The queue a page shows: the first one until another is picked. */
export function useQueue(queues) {
  const [queue, setQueue] = useState(null);
  // A function of the current value: a queue picked before this effect runs is kept.
  useEffect(() => {
    if (queues.length > 0) setQueue((current) => current ?? queues[0]);
  }, [queues.join(",")]);
  return [queue, setQueue];
}

/** A select of the work queues. */
export function QueuePicker({ queues, queue, onPick }) {
  return html`<label>queue <select id="queue" value=${queue ?? ""}
    onChange=${(e) => onPick(e.currentTarget.value)}>
    ${queues.map((q) => html`<option value=${q}>${q}</option>`)}
  </select></label>`;
}

export function Schedules({ queues }) {
  const [queue, setQueue] = useQueue(queues);
  const [report, setReport] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    if (!queue) return;
    let open = true;
    const read = () =>
      getJson(queuePath(queue, "schedules")).then(
        (r) => open && (setReport(r), setError(null)),
        (err) => open && setError(err.message),
      );
    read();
    const timer = setInterval(read, 5_000);
    return () => {
      open = false;
      clearInterval(timer);
    };
  }, [queue]);
  const who = (r) =>
    r.active
      ? `Active scheduler: ${r.leader ?? "?"} (leading since ${r.leaderSince ?? "?"}).`
      : r.leader === null
      ? "No scheduler is active, and none has run on this queue."
      : `No scheduler is active (the last one was ${r.leader}, state written ${r.written}).`;
  return html`
    <section>
      <p class="filters"><${QueuePicker} queues=${queues} queue=${queue} onPick=${setQueue} /></p>
      ${error ? html`<p class="error">${error}</p>` : null}
      ${report
        ? html`
          <p id="scheduler">${who(report)}</p>
          <table id="schedules-table">
            <thead>
              <tr>
                <th>schedule</th>
                <th>task</th>
                <th>when</th>
                <th>missed</th>
                <th>last fire</th>
                <th>next fire</th>
              </tr>
            </thead>
            <tbody>${report.schedules.map((s) =>
              html`
                <tr data-schedule=${s.name}>
                  <td>${s.name}</td>
                  <td>${s.task}</td>
                  <td>${s.timing}</td>
                  <td>${s.missed}</td>
                  <td class="time">${s.lastFire ?? "–"}</td>
                  <td class="time">${s.nextFire ?? "–"}</td>
                </tr>
              `
            )}</tbody>
          </table>
        `
        : null}
    </section>
  `;
}
