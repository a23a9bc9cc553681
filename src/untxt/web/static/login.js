// The login form: a browser session (HttpOnly cookie plus a CSRF cookie) from the API.
import { ApiError, api } from "./api.js";

const form = document.getElementById("login");
const error = document.getElementById("login-error");

/** Where to go once logged in: only a path on this server, never another site. */
function next() {
  const target = new URLSearchParams(location.search).get("next") || "/";
  return target.startsWith("/") && !target.startsWith("//") ? target : "/";
}

// In single-user mode nobody logs in: straight on.
api("/v1/auth/me", { quiet401: true })
  .then((who) => {
    if (who.via === "local") location.replace(next());
  })
  .catch(() => null);

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    await api("/v1/auth/login", {
      method: "POST",
      json: { email: form.email.value, password: form.password.value },
      quiet401: true,
    });
    location.assign(next());
  } catch (failure) {
    error.textContent = failure instanceof ApiError ? failure.message : String(failure);
    error.hidden = false;
    form.password.select();
  } finally {
    button.disabled = false;
  }
});
