// The dashboard's page: a header with the pages, and the page shown (from the URL's hash:
// `#/tasks`, or with a queue and an id, `#/tasks/QUEUE/ID` for a task and `#/workflow/QUEUE/ID`
// for a workflow). Snapshots of the queues arrive over server-sent events, at most one per
// refresh interval.
import { render } from "/assets/preact.mjs";
import { useEffect, useState } from "/assets/preact-hooks.mjs";
import { html } from "/assets/htm-preact.mjs";
import { getJson } from "/assets/api.js";
import { DeadLetters } from "/assets/dead.js";
import { Overview } from "/assets/overview.js";
import { Schedules } from "/assets/schedules.js";
import { Tasks } from "/assets/tasks.js";
import { Workflow } from "/assets/workflow.js";

const PAGES = [
  ["overview", "Overview", Overview],
  ["tasks", "Tasks", Tasks],
  ["dead", "Dead letters", DeadLetters],
  ["schedules", "Schedules", Schedules],
];

/** Points each queue's chart keeps (as the server does). */
const HISTORY = 600;

/** Pages reached by a link only, and the page of the header they belong to. */
const SUBPAGES = [["workflow", "tasks", Workflow]];

/** A part of the hash, decoded; `undefined` when it does not decode. */
function decoded(part) {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/**
 * The page a hash names, and what it is about: `{ name, queue?, id? }`. A queue and an id come
 * together (`#/tasks/QUEUE/ID`); a workflow's page needs both.
 */
function routeOf(hash) {
  const [name = "", ...rest] = hash.replace(/^#\/?/, "").split("/");
  const [queue, id] = rest.length === 2 ? rest.map(decoded) : [];
  const target = queue && id ? { queue, id } : {};
  if (name === "workflow") return target.id ? { name, ...target } : { name: "tasks" };
  return PAGES.some(([n]) => n === name) ? { name, ...target } : { name: "overview" };
}

function withPoints(history, snapshot) {
  const t = Date.parse(snapshot.at) / 1000;
  const next = { ...history };
  for (const q of snapshot.queues) {
    const points = next[q.queue] ?? [];
    if (points.at(-1)?.t === t) continue;
    const point = {
      t,
      ready: q.ready,
      delayed: q.delayed,
      dead: q.dead,
      publishRate: q.publishRate,
      deliverRate: q.deliverRate,
    };
    next[q.queue] = [...points, point].slice(-HISTORY);
  }
  return next;
}

function useLive() {
  const [live, setLive] = useState({ snapshot: null, history: {}, connected: false, error: null });
  useEffect(() => {
    let open = true;
    getJson("/api/history").then(
      (history) => open && setLive((s) => ({ ...s, history: { ...history, ...s.history } })),
      (err) => open && setLive((s) => ({ ...s, error: err.message })),
    );
    const events = new EventSource("/api/events");
    events.addEventListener("snapshot", (event) => {
      const snapshot = JSON.parse(event.data);
      setLive((s) => ({
        snapshot,
        history: withPoints(s.history, snapshot),
        connected: true,
        error: null,
      }));
    });
    events.addEventListener("error", () => setLive((s) => ({ ...s, connected: false })));
    return () => {
      open = false;
      events.close();
    };
  }, []);
  return live;
}

function App() {
  const [route, setRoute] = useState(routeOf(location.hash));
  useEffect(() => {
    const follow = () => setRoute(routeOf(location.hash));
    addEventListener("hashchange", follow);
    return () => removeEventListener("hashchange", follow);
  }, []);
  const live = useLive();
  const queues = live.snapshot?.queues.map((q) => q.queue) ?? [];
  useEffect(() => {
    if (live.snapshot) document.body.dataset.ready = "1";
  }, [live.snapshot !== null]);
  const sub = SUBPAGES.find(([name]) => name === route.name);
  const page = sub ? sub[1] : route.name;
  const Page = sub ? sub[2] : PAGES.find(([name]) => name === page)[2];
  return html`
    <header>
      <h1>Warren</h1>
      <nav>
        ${PAGES.map(([name, title]) =>
          html`<a id=${`nav-${name}`} href=${`#/${name}`} class=${
            name === page ? "active" : ""
          }>${title}</a>`
        )}
      </nav>
      <span id="live" class=${live.connected ? "live on" : "live off"}>
        ${live.connected ? `live, ${live.snapshot?.at.slice(11, 19) ?? ""}` : "connecting…"}
      </span>
    </header>
    <main>
      ${live.error ? html`<p class="error">${live.error}</p>` : null}
      <${Page} live=${live} queues=${queues} route=${route} />
    </main>
  `;
}

render(html`<${App} />`, document.getElementById("root"));
