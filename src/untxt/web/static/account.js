// Account: who the server takes you for, logging out, and API keys (create, copy once,
// list, revoke), all through /v1/auth and /v1/api-keys.
import { ApiError, api, el, formatDate, me, say, sayError } from "./api.js";

const form = document.getElementById("new-key");
const keyError = document.getElementById("key-error");
const shown = document.getElementById("new-key-shown");
const shownValue = document.getElementById("new-key-value");
const body = document.querySelector("#keys tbody");
const noKeys = document.getElementById("no-keys");
const more = document.getElementById("more-keys");

let nextCursor = null;

function showWho(who) {
  const facts = document.getElementById("me");
  const fact = (term, value) => value && facts.append(el("dt", {}, term), el("dd", {}, value));
  if (who.via === "local") document.getElementById("single-user").hidden = false;
  fact("E-mail address", who.email);
  fact("Role", who.role);
  fact("Owner id", el("code", {}, who.owner));
  fact("Signed in with", { local: "nothing (single-user mode)", key: "an API key", session: "a browser session" }[who.via]);
  if (who.via === "session") document.getElementById("session-actions").hidden = false;
}

function state(key) {
  if (key.revoked_at) return el("span", { class: "badge failed" }, "revoked");
  if (key.expires_at && new Date(key.expires_at) <= new Date()) return el("span", { class: "badge cancelled" }, "expired");
  return el("span", { class: "badge completed" }, "active");
}

function row(key) {
  const live = !key.revoked_at && !(key.expires_at && new Date(key.expires_at) <= new Date());
  return el(
    "tr",
    { dataset: { key: key.id } },
    el("td", { class: "name" }, key.name),
    el("td", { class: "mono small" }, `untxt_${key.prefix}_…`),
    el("td", { class: "hide-narrow small" }, formatDate(key.created_at)),
    el("td", { class: "small" }, key.expires_at ? formatDate(key.expires_at) : "never"),
    el("td", { class: "hide-narrow small" }, key.last_used_at ? formatDate(key.last_used_at) : "never"),
    el("td", {}, state(key)),
    el(
      "td",
      { class: "actions" },
      live ? el("button", { type: "button", class: "danger", "aria-label": `Revoke ${key.name}`, onclick: () => revoke(key) }, "Revoke") : null,
    ),
  );
}

async function loadKeys({ append = false } = {}) {
  const params = new URLSearchParams({ limit: "50" });
  if (append && nextCursor) params.set("cursor", nextCursor);
  try {
    const page = await api(`/v1/api-keys?${params}`);
    const rows = page.items.map(row);
    if (append) body.append(...rows);
    else body.replaceChildren(...rows);
    nextCursor = page.next_cursor;
  } catch (error) {
    sayError(error, "API keys");
  }
  noKeys.hidden = body.children.length > 0;
  more.hidden = !nextCursor;
}

async function revoke(key) {
  if (!window.confirm(`Revoke the key “${key.name}” (untxt_${key.prefix}_…)? Programs using it stop working at once.`)) return;
  try {
    await api(`/v1/api-keys/${encodeURIComponent(key.id)}`, { method: "DELETE" });
    say(`Key “${key.name}” revoked.`);
  } catch (error) {
    sayError(error, "Revoking");
  }
  await loadKeys();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  keyError.hidden = true;
  const json = {};
  const name = form.name.value.trim();
  if (name) json.name = name;
  if (form.expires.value) {
    // The end of the chosen day in the browser's time zone, sent with its offset (UTC).
    json.expires_at = new Date(`${form.expires.value}T23:59:59`).toISOString();
  }
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const created = await api("/v1/api-keys", { method: "POST", json });
    shownValue.value = created.key;
    shown.hidden = false;
    shownValue.focus();
    shownValue.select();
    form.reset();
    await loadKeys();
  } catch (error) {
    keyError.textContent = error instanceof ApiError ? error.message : String(error);
    keyError.hidden = false;
  } finally {
    button.disabled = false;
  }
});

document.getElementById("copy-key").addEventListener("click", async () => {
  try {
    // The clipboard API needs a secure context (https or localhost) and the page's focus.
    if (!navigator.clipboard) throw new Error("no clipboard");
    await navigator.clipboard.writeText(shownValue.value);
    say("Key copied.");
  } catch {
    shownValue.focus();
    shownValue.select();
    say("The key is selected: copy it with Ctrl+C (⌘C).");
  }
});

document.getElementById("hide-key").addEventListener("click", () => {
  // Gone from the page for good: the server cannot show it again either.
  shownValue.value = "";
  shown.hidden = true;
  form.name.focus();
});

document.getElementById("account-logout").addEventListener("click", async () => {
  await api("/v1/auth/logout", { method: "POST", quiet401: true }).catch(() => null);
  location.assign("/login");
});

more.addEventListener("click", () => loadKeys({ append: true }));

async function start() {
  let who;
  try {
    who = await me();
  } catch {
    return; // a 401 has already led to the login page
  }
  showWho(who);
  if (who.user_id === null) {
    // Keys belong to users; with no accounts (single-user mode) there is nobody to own one.
    const words = document.getElementById("keys-unavailable");
    words.textContent = "API keys belong to users, and this server has none yet (single-user mode): nobody needs a key here. Create the first admin with untxt users create EMAIL --admin, then log in as them to make keys.";
    words.hidden = false;
    document.getElementById("keys").hidden = true;
    return;
  }
  form.hidden = false;
  await loadKeys();
}

start();
