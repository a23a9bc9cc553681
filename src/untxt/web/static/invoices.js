// Invoices and receipts: the filters of GET /v1/invoices, a sortable table of one page,
// cursor paging, and the API's own CSV export of every row the filters keep.
import { ApiError, api, download, el, formatDate, latestOnly, sayError } from "./api.js";

const PAGE_SIZE = 50;
// The API exports at most this many rows a request; a full page means there are more.
const EXPORT_PAGE = 1000;
const TYPES = { invoice: "Invoice", receipt: "Receipt", utility_bill: "Utility bill" };

const form = document.getElementById("filters");
const table = document.getElementById("invoices");
const body = table.querySelector("tbody");
const count = document.getElementById("count");
const empty = document.getElementById("empty");
const listError = document.getElementById("list-error");
const newer = document.getElementById("newer");
const older = document.getElementById("older");

const state = {
  items: [],
  // The cursors that opened each page seen so far: the API pages one way, so going back
  // means asking again with the cursor that led to the previous page.
  cursors: [null],
  next: null,
  sort: { key: null, direction: "ascending" },
};

/** The filters as query parameters, only those given. */
function filters() {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData(form)) {
    const text = String(value).trim();
    if (text) params.set(name, name === "currency" ? text.toUpperCase() : text);
  }
  return params;
}

const nextLoad = latestOnly();

async function load() {
  const params = filters();
  params.set("limit", String(PAGE_SIZE));
  const cursor = state.cursors.at(-1);
  if (cursor) params.set("cursor", cursor);
  const current = nextLoad();
  listError.hidden = true;
  table.setAttribute("aria-busy", "true");
  try {
    const page = await api(`/v1/invoices?${params}`);
    if (!current()) return;
    state.items = page.items;
    state.next = page.next_cursor;
  } catch (error) {
    if (!current()) return;
    // A filter the API refuses (a bad currency code, a reversed range) is said in its words.
    state.items = [];
    state.next = null;
    listError.textContent = error instanceof ApiError ? error.message : String(error);
    listError.hidden = false;
  } finally {
    if (current()) table.removeAttribute("aria-busy");
  }
  render();
}

function compare(a, b, key) {
  const x = a[key];
  const y = b[key];
  // Missing values go last whichever way the column is sorted.
  if (x === null || x === undefined) return y === null || y === undefined ? 0 : 1;
  if (y === null || y === undefined) return -1;
  if (typeof x === "number") return x - y;
  return String(x).localeCompare(String(y), undefined, { sensitivity: "base", numeric: true });
}

function sorted() {
  const { key, direction } = state.sort;
  if (!key) return state.items;
  const sign = direction === "ascending" ? 1 : -1;
  return [...state.items].sort((a, b) => {
    const missingA = a[key] === null || a[key] === undefined;
    const missingB = b[key] === null || b[key] === undefined;
    if (missingA || missingB) return compare(a, b, key);
    return sign * compare(a, b, key);
  });
}

function money(value) {
  if (value === null || value === undefined) return "";
  return value.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

function row(item) {
  return el(
    "tr",
    { dataset: { job: item.job_id } },
    el("td", {}, TYPES[item.document_type] || item.document_type),
    el("td", { class: "name" }, item.vendor || el("span", { class: "muted" }, "not read")),
    el("td", {}, item.date || ""),
    el("td", { class: "num" }, money(item.total)),
    el("td", {}, item.currency || ""),
    el("td", { class: "hide-narrow small muted" }, formatDate(item.updated_at)),
    el(
      "td",
      { class: "actions" },
      el("a", { href: `/jobs/${encodeURIComponent(item.job_id)}`, "aria-label": `Open ${item.vendor || item.job_id}` }, "Open"),
    ),
  );
}

function render() {
  body.replaceChildren(...sorted().map(row));
  const page = state.cursors.length;
  count.textContent = state.items.length
    ? `${state.items.length} shown${page > 1 || state.next ? ` (page ${page})` : ""}`
    : "";
  empty.hidden = state.items.length > 0 || !listError.hidden;
  newer.disabled = state.cursors.length < 2;
  older.disabled = !state.next;
  for (const th of table.querySelectorAll("th[data-key]")) {
    if (th.dataset.key === state.sort.key) th.setAttribute("aria-sort", state.sort.direction);
    else th.removeAttribute("aria-sort");
  }
}

table.querySelector("thead").addEventListener("click", (event) => {
  const th = event.target.closest("th[data-key]");
  if (!th || !event.target.closest("button")) return;
  const key = th.dataset.key;
  const again = state.sort.key === key && state.sort.direction === "ascending";
  state.sort = { key, direction: again ? "descending" : "ascending" };
  render();
});

form.addEventListener("submit", (event) => {
  event.preventDefault();
  state.cursors = [null];
  load();
});

form.addEventListener("reset", () => {
  // The reset clears the fields after this event; load once they are empty.
  setTimeout(() => {
    state.cursors = [null];
    load();
  });
});

older.addEventListener("click", () => {
  if (!state.next) return;
  state.cursors.push(state.next);
  load();
});

newer.addEventListener("click", () => {
  if (state.cursors.length < 2) return;
  state.cursors.pop();
  load();
});

/** Every row the filters keep, in the API's CSV, one request per thousand rows. */
async function exportCsv() {
  const button = document.getElementById("export");
  button.disabled = true;
  try {
    let csv = "";
    let cursor = null;
    for (;;) {
      const params = filters();
      params.set("format", "csv");
      params.set("limit", String(EXPORT_PAGE));
      if (cursor) params.set("cursor", cursor);
      const response = await api(`/v1/invoices?${params}`, { raw: true, headers: { Accept: "text/csv" } });
      const lines = (await response.text()).split("\r\n").filter(Boolean);
      csv += (csv ? lines.slice(1) : lines).map((line) => `${line}\r\n`).join("");
      if (lines.length - 1 < EXPORT_PAGE) break;
      // The list's cursor is its last row's job id, the CSV's first column (ids hold no commas).
      cursor = lines.at(-1).split(",", 1)[0];
    }
    download("invoices.csv", csv, "text/csv");
  } catch (error) {
    sayError(error, "Export failed");
  } finally {
    button.disabled = false;
  }
}

document.getElementById("export").addEventListener("click", exportCsv);

load();
