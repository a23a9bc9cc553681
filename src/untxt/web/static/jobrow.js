// One row of the jobs table: built once per job, then updated in place as the job moves,
// so that a streaming list neither flickers nor loses the keyboard focus.
import { el, formatDate, formatSeconds, secondsBetween } from "./api.js";

const ACTIVE = new Set(["queued", "processing"]);
const RETRYABLE = new Set(["failed", "cancelled"]);
const FINAL = new Set(["completed", "failed", "cancelled"]);

/** Words for a queued job's place: how many pages the queue hands out before it. */
function place(position) {
  if (position === null || position === undefined) return "";
  if (position === 0) return "next in line";
  return `${position.toLocaleString()} ahead`;
}

/** A new row for `job`; `actions` holds cancel(job), retry(job) and remove(job). */
export function jobRow(job, actions) {
  const name = job.filename || job.document_id;
  const cell = (className) => el("td", { class: className });
  const row = el("tr", { dataset: { job: job.id } });
  const parts = {
    link: el("a", { href: `/jobs/${encodeURIComponent(job.id)}`, title: name }, name),
    badge: el("span", { class: "badge" }),
    place: el("span", { class: "place hint" }),
    reason: el("span", { class: "reason" }),
    progress: el("progress", { max: "1", value: "0", "aria-label": `Pages of ${name} read` }),
    pages: el("span", { class: "pages hint" }),
    engine: cell("hide-narrow engine"),
    when: cell("hide-narrow when"),
    took: cell("hide-narrow num took"),
    cancel: el("button", { type: "button", "aria-label": `Cancel ${name}` }, "Cancel"),
    retry: el("button", { type: "button", "aria-label": `Retry ${name}` }, "Retry"),
    remove: el("button", { type: "button", class: "danger", "aria-label": `Delete ${name}` }, "Delete"),
  };
  // The handlers read the row's current job: it changes as events arrive.
  parts.cancel.addEventListener("click", () => actions.cancel(row.job));
  parts.retry.addEventListener("click", () => actions.retry(row.job));
  parts.remove.addEventListener("click", () => actions.remove(row.job));
  row.append(
    el("td", { class: "name" }, parts.link),
    el("td", { class: "state" }, parts.badge, parts.place, parts.reason),
    el("td", { class: "progress" }, parts.progress, " ", parts.pages),
    parts.engine,
    parts.when,
    parts.took,
    el("td", { class: "actions" }, parts.cancel, parts.retry, parts.remove),
  );
  row.parts = parts;
  updateRow(row, job);
  return row;
}

/** Show `job` in its row, touching only what changed. */
export function updateRow(row, job) {
  const parts = row.parts;
  row.job = job;
  row.dataset.status = job.status;
  set(parts.badge, "className", `badge ${job.status}`);
  set(parts.badge, "textContent", job.status);
  set(parts.place, "textContent", job.status === "queued" ? place(job.queue_position) : "");
  set(parts.reason, "textContent", job.status === "failed" ? job.error || "failed without a reason" : "");
  const total = job.pages_total || 0;
  const done = job.status === "completed" ? total : job.pages_done || 0;
  set(parts.progress, "max", Math.max(total, 1));
  set(parts.progress, "value", total ? done : 0);
  set(parts.pages, "textContent", total ? `${done}/${total}` : "");
  const engine = job.options?.engine || "";
  set(parts.engine, "textContent", engine);
  set(parts.when, "textContent", formatDate(job.created_at));
  const took = FINAL.has(job.status) && job.started_at ? secondsBetween(job.started_at, job.finished_at) : null;
  set(parts.took, "textContent", job.from_cache ? "from cache" : formatSeconds(took));
  parts.cancel.hidden = !ACTIVE.has(job.status);
  parts.retry.hidden = !RETRYABLE.has(job.status);
  parts.remove.hidden = !FINAL.has(job.status);
}

// Writing the same value again still costs a style recalculation: skip it.
function set(node, key, value) {
  if (node[key] !== value) node[key] = value;
}
