// The jobs page: uploads (upload.js) and the live list of the caller's jobs, one page
// of GET /v1/jobs at a time, kept current by one EventSource on /v1/events.
import { api, el, latestOnly, say, sayError } from "./api.js";
import { jobRow, updateRow } from "./jobrow.js";
import { setUpUploads } from "./upload.js";

const PAGE_SIZE = 25;
// Events come in bursts (a batch finishing); the page is asked again at most this often.
const REFRESH_MS = 700;
const FINAL = new Set(["completed", "failed", "cancelled"]);

const body = document.querySelector("#jobs tbody");
const count = document.getElementById("count");
const empty = document.getElementById("empty");
const listError = document.getElementById("list-error");
const filter = document.getElementById("filter");
const newer = document.getElementById("newer");
const older = document.getElementById("older");
const pageNumber = document.getElementById("page-number");
const live = document.getElementById("live");

const state = {
  // The cursors that opened each page seen: the API pages one way only.
  cursors: [null],
  next: null,
  /** id -> {job, row} of the rows shown, in the order shown. */
  rows: new Map(),
  // Jobs this page submitted: shown on the first page even if the filter would hide them.
  mine: new Set(),
};

function query({ withCount = true } = {}) {
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (filter.status.value) params.set("status", filter.status.value);
  const q = filter.q.value.trim();
  if (q) params.set("q", q);
  const cursor = state.cursors.at(-1);
  if (cursor) params.set("cursor", cursor);
  if (withCount) params.set("count", "true");
  return params;
}

const actions = {
  async cancel(job) {
    try {
      show(await api(`/v1/jobs/${job.id}/cancel`, { method: "POST" }));
      say(`Cancelling ${job.filename}`);
    } catch (error) {
      sayError(error, `Cancel ${job.filename}`);
    }
  },
  async retry(job) {
    try {
      const again = await api("/v1/jobs", { method: "POST", json: { document_id: job.document_id, options: job.options } });
      state.mine.add(again.id);
      if (state.cursors.length === 1) placeFirst(again);
      say(`${job.filename} submitted again`);
    } catch (error) {
      sayError(error, `Retry ${job.filename}`);
    }
  },
  async remove(job) {
    if (!window.confirm(`Delete the job of ${job.filename} and its results?`)) return;
    try {
      await api(`/v1/jobs/${job.id}`, { method: "DELETE" });
      state.rows.get(job.id)?.row.remove();
      state.rows.delete(job.id);
      showEmpty();
      say(`Deleted ${job.filename}`);
    } catch (error) {
      sayError(error, `Delete ${job.filename}`);
    }
  },
};

/** Update the row of `job` in place, if it is shown. */
function show(job) {
  const entry = state.rows.get(job.id);
  if (!entry) return;
  entry.job = job;
  updateRow(entry.row, job);
}

/** Put `job` at the top of the first page (a job just submitted). */
function placeFirst(job) {
  let entry = state.rows.get(job.id);
  if (!entry) {
    entry = { job, row: jobRow(job, actions) };
    state.rows.set(job.id, entry);
  }
  show(job);
  body.prepend(entry.row);
  showEmpty();
}

function showEmpty() {
  empty.hidden = body.children.length > 0;
}

/** Make the table show `jobs` in order, reusing the rows it has (no flicker, no jump). */
function showPage(jobs) {
  const keep = new Map();
  const order = [];
  if (state.cursors.length === 1) {
    // Jobs submitted here that the filter leaves out stay at the top until the list is
    // filtered or paged again, so a drop never seems to vanish.
    const listed = new Set(jobs.map((job) => job.id));
    for (const [id, entry] of state.rows) {
      if (state.mine.has(id) && !listed.has(id)) order.push(entry.job);
    }
  }
  order.push(...jobs);
  for (const job of order) {
    const entry = state.rows.get(job.id) || { job, row: jobRow(job, actions) };
    entry.job = job;
    updateRow(entry.row, job);
    keep.set(job.id, entry);
  }
  // Rows of uploads still on their way, or refused (until dismissed), have no job:
  // keep them first.
  const pending = [...body.querySelectorAll("tr.pending, tr.refused")];
  body.replaceChildren(...pending, ...[...keep.values()].map((entry) => entry.row));
  state.rows = keep;
  showEmpty();
}

const nextLoad = latestOnly();

/** Ask for the current page again; `reset` starts over at the newest page. */
async function load({ reset = false } = {}) {
  if (reset) {
    state.cursors = [null];
    state.mine.clear();
  }
  const current = nextLoad();
  try {
    const page = await api(`/v1/jobs?${query()}`);
    if (!current()) return; // a newer request is on its way
    listError.hidden = true;
    state.next = page.next_cursor;
    showPage(page.items);
    const number = state.cursors.length;
    pageNumber.textContent = number > 1 || state.next ? `Page ${number}` : "";
    newer.disabled = number === 1;
    older.disabled = !state.next;
    if (page.total !== undefined && page.total !== null) {
      count.textContent = `${page.total.toLocaleString()} job${page.total === 1 ? "" : "s"}`;
    }
  } catch (error) {
    if (!current()) return;
    listError.textContent = `The list could not be read: ${error.message}`;
    listError.hidden = false;
  }
}

let refreshTimer = null;
let refreshDue = 0;

/** Refresh the page soon, at most once per REFRESH_MS however many events arrive. */
function refreshSoon() {
  if (refreshTimer) return;
  const wait = Math.max(0, refreshDue - Date.now());
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    refreshDue = Date.now() + REFRESH_MS;
    load();
  }, Math.max(wait, 100));
}

/** One event of the page-wide stream: its row changes at once, the page catches up soon. */
function onEvent(message) {
  let payload;
  try {
    payload = JSON.parse(message.data).data;
  } catch {
    return;
  }
  const entry = state.rows.get(payload.job_id);
  if (entry) {
    const job = { ...entry.job, status: payload.status };
    if (payload.progress) Object.assign(job, payload.progress);
    if (payload.error) job.error = payload.error;
    if (FINAL.has(payload.status)) job.finished_at ??= payload.updated_at;
    if (payload.status !== "queued") job.queue_position = null;
    show(job);
  }
  // Progress moves nothing else; a change of status moves the queue and may add a row.
  if (message.type !== "job.progress") refreshSoon();
}

function follow() {
  const stream = new EventSource("/v1/events");
  for (const type of ["job.queued", "job.processing", "job.progress", "job.completed", "job.failed", "job.cancelled"]) {
    stream.addEventListener(type, onEvent);
  }
  stream.addEventListener("open", () => {
    live.textContent = "Live";
    // Events missed while the stream was down are not replayed (it starts at connection):
    // the page is read again instead.
    refreshSoon();
  });
  stream.addEventListener("error", () => {
    live.textContent = stream.readyState === EventSource.CLOSED ? "Live updates stopped: reload the page" : "Reconnecting…";
  });
}

/** The row of a file on its way up, before the API has answered with its job. */
function pendingRow(file) {
  const status = el("span", { class: "badge queued" }, "uploading");
  const row = el(
    "tr",
    { class: "pending" },
    el("td", { class: "name", title: file.name }, file.name),
    el("td", {}, status),
    el("td", {}, el("progress", { "aria-label": `Upload of ${file.name}` })),
    el("td", { class: "hide-narrow" }),
    el("td", { class: "hide-narrow" }),
    el("td", { class: "hide-narrow" }),
    el("td", { class: "actions" }),
  );
  body.prepend(row);
  showEmpty();
  return { row, status, file };
}

setUpUploads({
  started: pendingRow,
  submitted(handle, job) {
    handle.row.remove();
    state.mine.add(job.id);
    if (state.cursors.length === 1) placeFirst(job);
    else say(`${job.filename} submitted; it is on the first page`);
  },
  refused(handle, words) {
    handle.row.classList.remove("pending");
    handle.row.classList.add("refused");
    handle.status.className = "badge failed";
    handle.status.textContent = "refused";
    handle.row.children[2].replaceChildren(el("span", { class: "reason" }, words));
    const dismiss = el("button", { type: "button", "aria-label": `Dismiss ${handle.file.name}` }, "Dismiss");
    dismiss.addEventListener("click", () => {
      handle.row.remove();
      showEmpty();
    });
    handle.row.lastChild.append(dismiss);
    sayError(words, handle.file.name);
  },
}).catch((error) => sayError(error, "Options"));

let searchTimer = null;
filter.addEventListener("submit", (event) => event.preventDefault());
filter.status.addEventListener("change", () => load({ reset: true }));
filter.q.addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => load({ reset: true }), 250);
});
newer.addEventListener("click", () => {
  state.cursors.pop();
  load();
});
older.addEventListener("click", () => {
  if (!state.next) return;
  state.cursors.push(state.next);
  load();
});

follow();
load({ reset: true });
