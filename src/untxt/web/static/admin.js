// Admin: the whole service at a glance (GET /v1/admin/stats), its users (GET /v1/users)
// and the audit log (GET /v1/audit). The API answers 403 to anyone else; the page says so.
import { ApiError, api, el, formatBytes, formatDate, formatSeconds, sayError } from "./api.js";

const STATUSES = ["queued", "processing", "completed", "failed", "cancelled"];

const dashboard = document.getElementById("dashboard");
const auditBody = document.querySelector("#audit tbody");
const auditFilter = document.getElementById("audit-filter");
const auditNewer = document.getElementById("audit-newer");
const auditOlder = document.getElementById("audit-older");
const moreUsers = document.getElementById("more-users");

const audit = { cursors: [null], next: null };
let usersCursor = null;
let usage = new Map(); // owner id -> their jobs, pages and bytes (GET /v1/admin/activity)

function refuse(error) {
  document.getElementById("refused-words").textContent = error.message;
  document.getElementById("refused").hidden = false;
  dashboard.hidden = true;
}

function table(caption, head, rows) {
  return el(
    "table",
    {},
    el("caption", { class: "small muted" }, caption),
    el("thead", {}, el("tr", {}, head.map((name, i) => el("th", { scope: "col", class: i ? "num" : null }, name)))),
    el("tbody", {}, rows.map((cells) => el("tr", {}, cells.map((cell, i) => el("td", { class: i ? "num" : null }, cell))))),
  );
}

function count(map, key) {
  return String((map && map[key]) || 0);
}

function renderQueue(stats) {
  const parts = [
    table(
      "Jobs, and their pages (the units of work), by status",
      ["Status", "Jobs", "Pages"],
      STATUSES.map((status) => [el("span", { class: `badge ${status}` }, status), count(stats.jobs, status), count(stats.tasks, status)]),
    ),
  ];
  if (stats.expired_leases) {
    parts.push(el("p", { class: "small error" }, `${stats.expired_leases} pages held by a worker whose lease ran out: the reaper returns them.`));
  }
  document.getElementById("queue").replaceChildren(...parts);
}

function renderOldest(stats) {
  const box = document.getElementById("oldest");
  if (!stats.oldest_queued_at) {
    box.replaceChildren(el("p", { class: "muted" }, "Nothing is waiting."));
  } else {
    box.replaceChildren(
      el("p", {}, el("strong", {}, formatSeconds(stats.queue_age_seconds)), " waiting, since ", formatDate(stats.oldest_queued_at)),
    );
  }
  const totals = document.getElementById("totals");
  totals.replaceChildren(
    el("dt", {}, "Documents"), el("dd", {}, String(stats.documents)),
    el("dt", {}, "Admins"), el("dd", {}, count(stats.users, "admin")),
    el("dt", {}, "Users"), el("dd", {}, count(stats.users, "user")),
    el("dt", {}, "Live API keys"), el("dd", {}, String(stats.api_keys)),
  );
}

async function loadStats() {
  const stats = await api("/v1/admin/stats");
  dashboard.hidden = false;
  renderQueue(stats);
  renderOldest(stats);
  const activity = await api("/v1/admin/activity");
  renderDepth(activity.queue);
  renderWaiting(activity.oldest_waiting);
  renderThroughput(activity.throughput);
  renderFailures(activity.failures);
  usage = new Map(activity.usage.map((owner) => [owner.owner, owner]));
  document.getElementById("stats-time").textContent = `As of ${formatDate(activity.generated_at)}`;
  return stats;
}

/** Jobs waiting and running by priority (0-10): which priorities hold the queue up. */
function renderDepth(queue) {
  const live = ["queued", "processing"];
  const priorities = [...new Set(live.flatMap((status) => Object.keys(queue[status] || {})))]
    .map(Number)
    .sort((a, b) => b - a);
  if (!priorities.length) return;
  document.getElementById("queue").append(
    table(
      "Waiting and running jobs by priority (higher runs first)",
      ["Priority", ...live],
      priorities.map((priority) => [String(priority), ...live.map((status) => count(queue[status], priority))]),
    ),
  );
}

function renderWaiting(oldest) {
  if (!oldest) return;
  document.getElementById("oldest").append(
    el(
      "p",
      { class: "small" },
      // Not a link: it may be another owner's job, which even an admin does not open.
      "Job ",
      el("code", {}, oldest.id),
      `, priority ${oldest.priority}.`,
    ),
  );
}

function clock(iso) {
  return new Date(iso).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

/** One bar per bucket, its height the jobs that ended in it (failed ones on top, in red). */
function renderThroughput(throughput) {
  const { buckets, bucket_seconds: width } = throughput;
  const most = Math.max(1, ...buckets.map((b) => b.completed + b.failed));
  const total = buckets.reduce((sum, b) => sum + b.completed, 0);
  const pages = buckets.reduce((sum, b) => sum + b.pages, 0);
  const failed = buckets.reduce((sum, b) => sum + b.failed, 0);
  const bars = el("div", { class: "bars", role: "img", "aria-label": `Jobs finished per ${width / 60} minutes over the last hour` });
  for (const bucket of buckets) {
    const label = `${clock(bucket.start)}: ${bucket.completed} completed (${bucket.pages} pages), ${bucket.failed} failed`;
    bars.append(
      el(
        "div",
        { class: "stack-bar", title: label, dataset: { completed: bucket.completed, failed: bucket.failed } },
        bucket.failed ? el("div", { class: "failed", style: `height: ${(100 * bucket.failed) / most}%` }) : null,
        el("div", { style: `height: ${(100 * bucket.completed) / most}%` }),
      ),
    );
  }
  document.getElementById("throughput").replaceChildren(
    el("p", { id: "throughput-total" }, el("strong", {}, String(total)), ` jobs completed (${pages} pages), ${failed} failed`),
    bars,
    el("div", { class: "bars-axis", "aria-hidden": "true" }, el("span", {}, clock(buckets[0].start)), el("span", {}, "now")),
  );
}

function renderFailures(failures) {
  const box = document.getElementById("failures");
  if (!failures.length) {
    box.replaceChildren(el("p", { class: "muted" }, "No job failed in the last 24 hours."));
    return;
  }
  box.replaceChildren(
    table(
      "Jobs failed in the last 24 hours, by their error",
      ["Reason", "Jobs"],
      failures.map((failure) => [el("span", { class: "reason" }, failure.error || "no reason given"), String(failure.count)]),
    ),
  );
}

function userRow(user) {
  const use = usage.get(user.id) || { jobs: 0, pages: 0, stored_bytes: 0, last_activity_at: null };
  return el(
    "tr",
    { dataset: { user: user.id } },
    el("td", { class: "name" }, user.email),
    el("td", {}, user.role),
    el("td", { class: "num" }, String(use.jobs)),
    el("td", { class: "num" }, String(use.pages)),
    el("td", { class: "num hide-narrow" }, formatBytes(use.stored_bytes)),
    el("td", { class: "hide-narrow small" }, use.last_activity_at ? formatDate(use.last_activity_at) : "never"),
    el("td", { class: "hide-narrow small" }, user.has_password ? "password" : "API keys only"),
  );
}

async function loadUsers({ append = false } = {}) {
  const params = new URLSearchParams({ limit: "50" });
  if (append && usersCursor) params.set("cursor", usersCursor);
  const page = await api(`/v1/users?${params}`);
  const users = document.getElementById("users");
  if (!append) {
    users.querySelector("thead").replaceChildren(
      el(
        "tr",
        {},
        el("th", { scope: "col" }, "E-mail address"),
        el("th", { scope: "col" }, "Role"),
        el("th", { scope: "col", class: "num" }, "Jobs"),
        el("th", { scope: "col", class: "num" }, "Pages"),
        el("th", { scope: "col", class: "num hide-narrow" }, "Stored"),
        el("th", { scope: "col", class: "hide-narrow" }, "Last active"),
        el("th", { scope: "col", class: "hide-narrow" }, "Logs in with"),
      ),
    );
    users.querySelector("tbody").replaceChildren();
  }
  users.querySelector("tbody").append(...page.items.map(userRow));
  if (!append && !page.items.length) {
    // Single-user mode: no accounts, and everything belongs to the owner "local".
    const local = usage.get("local");
    const words = local ? ` The local owner has ${local.jobs} jobs, ${local.pages} pages read, ${formatBytes(local.stored_bytes)} stored.` : "";
    users.querySelector("tbody").append(
      el("tr", {}, el("td", { colspan: "7", class: "muted" }, `No accounts: this server runs in single-user mode.${words}`)),
    );
  }
  usersCursor = page.next_cursor;
  moreUsers.hidden = !usersCursor;
}

function detail(event) {
  if (!event.detail) return "";
  return Object.entries(event.detail)
    .map(([key, value]) => `${key}: ${typeof value === "object" ? JSON.stringify(value) : value}`)
    .join(", ");
}

async function loadAudit() {
  const params = new URLSearchParams({ limit: "50" });
  const action = auditFilter.action.value;
  if (action) params.set("action", action);
  const cursor = audit.cursors.at(-1);
  if (cursor) params.set("cursor", cursor);
  try {
    const page = await api(`/v1/audit?${params}`);
    audit.next = page.next_cursor;
    auditBody.replaceChildren(
      ...page.items.map((event) =>
        el(
          "tr",
          { dataset: { action: event.action } },
          el("td", { class: "small" }, formatDate(event.created_at)),
          el("td", {}, el("code", {}, event.action)),
          el("td", { class: "name" }, event.actor_email || event.actor || "nobody"),
          el("td", { class: "hide-narrow mono small" }, event.target || ""),
          el("td", { class: "hide-narrow small" }, event.ip || ""),
          el("td", { class: "hide-narrow small" }, detail(event)),
        ),
      ),
    );
    if (!page.items.length) auditBody.append(el("tr", {}, el("td", { colspan: "6", class: "muted" }, "Nothing logged.")));
  } catch (error) {
    sayError(error, "Audit log");
  }
  auditNewer.disabled = audit.cursors.length < 2;
  auditOlder.disabled = !audit.next;
}

auditFilter.addEventListener("change", () => {
  audit.cursors = [null];
  loadAudit();
});
auditFilter.addEventListener("submit", (event) => event.preventDefault());
auditOlder.addEventListener("click", () => {
  if (!audit.next) return;
  audit.cursors.push(audit.next);
  loadAudit();
});
auditNewer.addEventListener("click", () => {
  audit.cursors.pop();
  loadAudit();
});
moreUsers.addEventListener("click", () => loadUsers({ append: true }).catch((error) => sayError(error, "Users")));

async function refresh() {
  try {
    await loadStats();
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) refuse(error);
    else if (!(error instanceof ApiError && error.status === 401)) sayError(error, "Statistics");
    return false;
  }
  return true;
}

document.getElementById("refresh").addEventListener("click", async () => {
  if (await refresh()) {
    await loadUsers().catch((error) => sayError(error, "Users"));
    audit.cursors = [null];
    await loadAudit();
  }
});

async function start() {
  if (!(await refresh())) return;
  await Promise.all([loadUsers().catch((error) => sayError(error, "Users")), loadAudit()]);
}

start();
