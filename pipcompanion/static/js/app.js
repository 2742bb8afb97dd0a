// Progressive enhancement for every page: the service worker and its "new version" prompt, the
// outbox list with its replays, and signing out (which clears this person's data on the phone).
// Pages work without it; the words shown come from data-* attributes the server translated.

const outbox = self.PipOutbox;
const messages = document.getElementById("pip-messages")?.dataset || {};
const userId = document.querySelector('meta[name="pip-user"]')?.content || null;
// Signed in, but asked to agree to the privacy notice first: the API answers 401 until then, so
// the outbox keeps its moments and neither replays nor refreshes (signing out still clears it).
const agreementNeeded = document.querySelector('meta[name="pip-agreement-needed"]') !== null;
const REPLAY_EVERY_MS = 30 * 1000;

function fill(message, values) {
  for (const [name, value] of Object.entries(values)) message = message.replace(`{${name}}`, value);
  return message;
}

function text(key, values = {}) {
  return fill(messages[key] || "", values);
}

/** A message about `count` things, in the plural form the page's language uses for that number. */
export function counted(key, count, values = {}) {
  let forms = {};
  try { forms = JSON.parse(messages[key] || "{}"); } catch { /* no words: say nothing */ }
  let category = "other";
  try { category = new Intl.PluralRules(document.documentElement.lang).select(count); } catch { /* old browser */ }
  return fill(forms[category] || forms.other || "", { count, ...values });
}

/** Say something in the page's status line (role=status); resolves once it is shown. */
export function announce(message) {
  const status = document.querySelector("[data-outbox-status]");
  if (!status) return Promise.resolve(null);
  status.textContent = "";
  // Emptying it first makes screen readers announce the same message again.
  return new Promise((resolve) => {
    window.setTimeout(() => { status.textContent = message; resolve(status); }, 50);
  });
}

function describe(item) {
  const payload = item.payload;
  const kinds = (payload.kind_names || []).join(", ");
  const words = payload.text ? payload.text.slice(0, 120) : "";
  const photos = (item.photos || []).length;
  const count = photos ? counted("photosWaiting", photos) : "";
  return [kinds, words, count].filter(Boolean).join(" · ") || text("untitled");
}

/** What the server said about a moment it refused (a proxy's "too large" says nothing: say it here). */
export function refusalWords(item) {
  if (item.messages?.length) return item.messages.join(" ");
  return item.tooLarge ? text("photosTooLarge") : "";
}

export async function renderOutbox() {
  const region = document.querySelector("[data-outbox]");
  if (!region || !userId || !outbox) return [];
  const items = await outbox.itemsFor(userId);
  const list = region.querySelector("[data-outbox-list]");
  list.replaceChildren(...items.map((item) => {
    const entry = document.createElement("li");
    entry.className = "outbox__item" + (item.state === "needs-look" ? " outbox__item--look" : "");
    entry.dataset.clientId = item.clientId;
    const summary = document.createElement("p");
    summary.className = "outbox__summary";
    summary.textContent = describe(item);
    const state = document.createElement("p");
    state.className = "outbox__state";
    if (item.state === "needs-look") {
      state.textContent = `${text("needsLook")} ${refusalWords(item)}`;
      const fix = document.createElement("a");
      fix.className = "button button--secondary";
      fix.href = `${item.payload.form_url || "/"}?outbox=${encodeURIComponent(item.clientId)}`;
      fix.textContent = text("fix");
      const discard = document.createElement("button");
      discard.type = "button";
      discard.className = "button button--secondary";
      discard.textContent = text("discard");
      discard.addEventListener("click", async () => {
        if (!window.confirm(text("discardConfirm"))) return;
        await outbox.remove(item.clientId);
        await renderOutbox();
        announce(text("discarded"));
      });
      entry.append(summary, state, fix, discard);
    } else {
      state.textContent = text("savedHere");
      entry.append(summary, state);
    }
    return entry;
  }));
  region.hidden = items.length === 0;
  return items;
}

let replaying = false;

export async function replayOutbox({ force = false } = {}) {
  if (!userId || !outbox || replaying) return null;
  replaying = true;
  try {
    const outcome = await outbox.replay(userId, { force });
    if (outcome.sent) announce(text("sent", { count: outcome.sent }));
    if (outcome.signedOut) announce(text("signInAgain"));
    return outcome;
  } catch (error) {
    return null;
  } finally {
    replaying = false;
    await renderOutbox();
  }
}

export async function askForBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker?.ready;
    await registration?.sync?.register("pip-outbox");
  } catch (error) {
    // No Background Sync here (Safari): the page's own replays cover it.
  }
}

// How long the offline page may offer the form from what an earlier page learnt (kinds can change).
const CONTEXT_FRESH_MS = 6 * 60 * 60 * 1000;

/**
 * Keep what the offline page needs to offer a carer the form (their family, its kinds and babies),
 * from whatever signed-in page was opened last: a parent who opened only the home page and then
 * lost signal can still note a moment. The Add a moment page keeps it too, from its own form.
 */
async function keepOfflineContext() {
  if (!document.querySelector("[data-outbox]")) return; // only people who add moments have an outbox
  try {
    const saved = await outbox.loadContext(userId);
    if (saved?.savedAt && Date.now() - saved.savedAt < CONTEXT_FRESH_MS) return;
    const response = await fetch("/api/v1/me", { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const me = await response.json();
    const family = (me.families || []).find((each) => each.can_log_moments && each.add_moment_url);
    if (!family || String(me.user?.id) !== String(userId)) return;
    await outbox.saveContext({
      userId,
      familyId: family.id,
      kinds: me.kinds.filter((kind) => !kind.hidden).map(({ id, name }) => ({ id, name })),
      visibilities: family.visibility_choices || [],
      babyIds: family.babies.map((baby) => baby.id),
      formUrl: family.add_moment_url,
      savedAt: Date.now(),
    });
  } catch (error) {
    // No signal yet, or storage refused: the next page tries again.
  }
}

function showUpdatePrompt(registration) {
  const prompt = document.querySelector("[data-update-prompt]");
  if (!prompt || !registration.waiting) return;
  prompt.hidden = false;
  prompt.querySelector("button").addEventListener("click", () => {
    registration.waiting?.postMessage({ type: "skip-waiting" });
  }, { once: true });
}

async function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  const hadController = Boolean(navigator.serviceWorker.controller);
  const registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  if (registration.waiting && hadController) showUpdatePrompt(registration);
  registration.addEventListener("updatefound", () => {
    const incoming = registration.installing;
    incoming?.addEventListener("statechange", () => {
      if (incoming.state === "installed" && navigator.serviceWorker.controller) showUpdatePrompt(registration);
    });
  });
  let reloading = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (hadController && !reloading) { reloading = true; window.location.reload(); }
  });
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data?.type !== "outbox-changed") return;
    // The worker sent them (Background Sync, which may beat this page's own replay): say so here too.
    if (event.data.sent) announce(text("sent", { count: event.data.sent }));
    renderOutbox();
  });
}

function guardSignOut() {
  for (const form of document.querySelectorAll("form[data-sign-out]")) {
    form.addEventListener("submit", async (event) => {
      if (!userId || !outbox || form.dataset.cleared) return;
      event.preventDefault();
      const waiting = (await outbox.itemsFor(userId)).length;
      if (waiting && !window.confirm(counted("signOutConfirm", waiting))) return;
      await outbox.purge(userId);
      await outbox.setCurrentUser(null);
      if ("caches" in window) {
        // Nothing personal is cached by the worker, but be sure no page copy outlives the sign-in.
        const names = await caches.keys();
        await Promise.all(names.filter((name) => !name.startsWith("pip-shell-")).map((name) => caches.delete(name)));
      }
      form.dataset.cleared = "1";
      form.submit();
    });
  }
}

/** A page sent back with errors: move focus to the summary so screen readers read it first. */
function focusErrorSummary() {
  const summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
}

/** The offline page is kept by the worker in the language it was fetched in: after a change of
 * language (Settings, or the switcher on the sign-in page), fetch it again in this page's. */
async function keepOfflinePageInLanguage() {
  const offlineUrl = messages.offlineUrl;
  if (!offlineUrl || !("caches" in window) || !navigator.onLine) return;
  const language = document.documentElement.lang;
  const names = (await caches.keys()).filter((name) => name.startsWith("pip-shell-"));
  for (const name of names) {
    const cache = await caches.open(name);
    const kept = await cache.match(offlineUrl);
    if (!kept || kept.headers.get("Content-Language") === language) continue;
    const fresh = await fetch(`${offlineUrl}?fresh=1`, { credentials: "same-origin", cache: "no-store" });
    if (fresh.ok && fresh.headers.get("Content-Language") === language) await cache.put(offlineUrl, fresh);
  }
}

async function start() {
  focusErrorSummary();
  guardSignOut();
  registerWorker().then(keepOfflinePageInLanguage).catch(() => {});
  if (!outbox || !userId || agreementNeeded) return;
  await outbox.setCurrentUser(userId);
  keepOfflineContext();
  await renderOutbox();
  await replayOutbox();
  window.addEventListener("online", () => replayOutbox({ force: true }));
  window.setInterval(() => { if (navigator.onLine) replayOutbox(); }, REPLAY_EVERY_MS);
}

start();
