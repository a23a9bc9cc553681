// The UI's only way to the server: the public API, with the browser's session cookie.
// Shared by every page: requests, problem+json errors, the menu, small DOM helpers.

const CSRF_COOKIE = "untxt_csrf";
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** An API answer that was not a success; `detail` is the server's own words. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

function cookie(name) {
  for (const part of document.cookie.split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return decodeURIComponent(value.join("="));
  }
  return null;
}

/** Go to the login page, coming back here afterwards. */
export function toLogin() {
  const next = location.pathname + location.search;
  location.assign(`/login?next=${encodeURIComponent(next)}`);
}

/**
 * Call the API. `json` sends a JSON body, `form` a FormData; the answer's JSON is
 * returned (null for 204), or the Response itself with `raw`. A 401 leads to the login
 * page unless `quiet401`; any other failure throws an ApiError with the server's words.
 */
export async function api(path, { method = "GET", json, form, headers = {}, raw = false, quiet401 = false, signal } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin", signal };
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (form !== undefined) {
    init.body = form;
  }
  if (UNSAFE.has(method)) {
    const token = cookie(CSRF_COOKIE);
    if (token) init.headers["X-CSRF-Token"] = token;
  }
  const response = await fetch(path, init);
  if (response.status === 401 && !quiet401) {
    toLogin();
    throw new ApiError(401, { detail: "please log in" });
  }
  if (!response.ok) {
    let problem = { title: response.statusText };
    try {
      problem = await response.json();
    } catch {
      // Not JSON (a proxy's page): the status text will do.
    }
    throw new ApiError(response.status, problem);
  }
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

/**
 * Requests of which only the latest counts: each call starts one and returns a check,
 * true while no newer one has started. An answer that comes after a newer request's
 * (a filter changed meanwhile) is dropped rather than shown over the newer one's.
 */
export function latestOnly() {
  let generation = 0;
  return () => {
    const mine = ++generation;
    return () => mine === generation;
  };
}

let whoami = null;

/** Who the server takes us to be (`/v1/auth/me`), asked once per page. */
export function me() {
  whoami ??= api("/v1/auth/me");
  return whoami;
}

/**
 * Build an element: `el("a", {href, class: "x", onclick}, "text", child)`. Text is always
 * set as text, never parsed as HTML, so nothing a document holds can run in the page.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElementNS(
    props.svg ? "http://www.w3.org/2000/svg" : "http://www.w3.org/1999/xhtml",
    tag,
  );
  for (const [key, value] of Object.entries(props)) {
    if (key === "svg" || value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Say something in the page's live region (read out by screen readers). */
export function say(message, kind = "info") {
  const toast = document.getElementById("toast");
  if (!toast) return;
  toast.textContent = message;
  toast.dataset.kind = kind;
  toast.classList.add("shown");
  clearTimeout(say.timer);
  say.timer = setTimeout(() => toast.classList.remove("shown"), kind === "error" ? 8000 : 4000);
}

/** Report a failed call in words; returns nothing so it can end a `catch`. */
export function sayError(error, doing) {
  const words = error instanceof ApiError ? error.message : String(error);
  say(doing ? `${doing}: ${words}` : words, "error");
}

export function formatDate(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return date.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}

export function formatSeconds(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Seconds between two ISO times (to now when `end` is missing). */
export function secondsBetween(start, end) {
  if (!start) return null;
  return ((end ? new Date(end) : new Date()) - new Date(start)) / 1000;
}

/** Start a download of `text` as a file, without a round trip. */
export function download(name, text, type = "text/plain") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = el("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Fill the menu: who is signed in, the admin entry for admins, the logout button. */
async function shell() {
  if (document.body.dataset.page === "login") return;
  let who;
  try {
    who = await me();
  } catch {
    return; // a 401 has already led to the login page
  }
  const name = document.getElementById("who");
  if (name) name.textContent = who.via === "local" ? "single-user mode" : who.email || who.owner;
  if (who.role === "admin") {
    for (const item of document.querySelectorAll("[data-admin-only]")) item.hidden = false;
  }
  const logout = document.getElementById("logout");
  if (logout && who.via === "session") {
    logout.hidden = false;
    logout.addEventListener("click", async () => {
      await api("/v1/auth/logout", { method: "POST", quiet401: true }).catch(() => null);
      location.assign("/login");
    });
  }
}

shell();
