// Requests to the dashboard's JSON API. An error carries the API's own message (never a stack).

/** An error the API answered with. */
export class ApiError extends Error {}

async function readJson(response) {
  let body;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    throw new ApiError(body?.error ?? `${response.status} ${response.statusText}`);
  }
  return body;
}

/** GETs `path` as JSON. */
export async function getJson(path) {
  return await readJson(await fetch(path, { headers: { accept: "application/json" } }));
}

/** POSTs `body` as JSON to `path`; the answer as JSON. */
export async function postJson(path, body) {
  return await readJson(
    await fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
    }),
  );
}

/** The API path `rest` of work queue `queue`. */
export function queuePath(queue, rest) {
  return `/api/queues/${encodeURIComponent(queue)}/${rest}`;
}

/** A number as the tables show it: `–` when unknown. */
export function count(value) {
  return value === null || value === undefined ? "–" : String(value);
}

/** A rate as the tables show it. */
export function rate(value) {
  return value === null || value === undefined ? "–" : value.toFixed(1);
}
