// Add a moment, offline first: the moment goes into the phone's outbox at once, is shown as
// "saved on this phone", and is sent through the API with its client id. Without JavaScript the
// same form posts to the server as it is.
import { announce, askForBackgroundSync, counted, refusalWords, renderOutbox, replayOutbox } from "./app.js";
import { enhancePhotoInputs, photoPickerOf } from "./photos.js";

const outbox = self.PipOutbox;
const userId = document.querySelector('meta[name="pip-user"]')?.content || null;
const messages = document.getElementById("pip-messages")?.dataset || {};

function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function checked(form, name) {
  return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((input) => Number(input.value));
}

function localDate(dayText, timeText, fallbackTime) {
  const [year, month, day] = dayText.split("-").map(Number);
  const [hours, minutes] = (timeText || fallbackTime).split(":").map(Number);
  return new Date(year, month - 1, day, hours, minutes);
}

function isoDay(date) {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;
}

/** When the moment happened, from the form's When choices, in this phone's time. */
function occurredAt(form, now) {
  const when = form.querySelector('input[name="when"]:checked')?.value || "now";
  const time = form.elements.at_time?.value || "";
  if (when === "now") return now;
  if (when === "earlier") {
    if (time) return localDate(isoDay(now), time);
    const hourAgo = new Date(now.getTime() - 60 * 60 * 1000);
    return hourAgo.getDate() === now.getDate() ? hourAgo : localDate(isoDay(now), "00:00");
  }
  if (when === "yesterday") {
    const yesterday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1);
    return localDate(isoDay(yesterday), time, "12:00");
  }
  const day = form.elements.day?.value;
  return day ? localDate(day, time, "12:00") : null;
}

function payloadFrom(form) {
  const kindIds = checked(form, "kinds");
  const feeling = form.elements.feeling?.value;
  const when = occurredAt(form, new Date());
  return {
    client_id: form.elements.client_id.value,
    family_id: Number(form.dataset.familyId),
    text: form.elements.text?.value || "",
    kind_ids: kindIds,
    kind_names: kindIds.map((id) => form.querySelector(`label[for="kinds-${id}"]`)?.textContent || ""),
    occurred_at: when ? when.toISOString() : "invalid",
    carer_ids: form.querySelector('input[name="carers"]') ? checked(form, "carers") : [Number(userId)],
    baby_ids: form.querySelector('input[name="babies"]')
      ? checked(form, "babies") : JSON.parse(form.dataset.babyIds || "[]"),
    feeling: feeling ? Number(feeling) : null,
    visibility: form.querySelector('input[name="visibility"]:checked')?.value || "therapist",
    // Written on a page in this language (the server keeps it with the words).
    lang: document.documentElement.lang || null,
    photo_description: form.elements.photo_description?.value.trim() || "",
    form_url: form.dataset.formUrl,
  };
}

// The counter shows once fewer than this many characters are left: no noise for a few words.
const COUNT_FROM_LEFT = 200;
const CLOCK_SKEW_MS = 5 * 60 * 1000;

function message(key, values = {}) {
  let text = messages[key] || "";
  for (const [name, value] of Object.entries(values)) text = text.replace(`{${name}}`, value);
  return text;
}

/** How many characters are over the box's limit (0 when within it). */
function charactersOver(textarea) {
  const limit = Number(textarea?.dataset.limit || 0);
  return limit && textarea ? Math.max(0, textarea.value.length - limit) : 0;
}

/** A live count under the words box near its limit: nothing is ever cut, the person shortens it. */
function countCharacters(counter) {
  const textarea = document.getElementById(counter.dataset.charCount);
  const limit = Number(textarea?.dataset.limit || 0);
  if (!textarea || !limit) return;
  const update = () => {
    const left = limit - textarea.value.length;
    counter.hidden = left > COUNT_FROM_LEFT;
    counter.classList.toggle("field__count--over", left < 0);
    counter.textContent = left < 0
      ? counted("charactersOver", -left)
      : message("charactersLeft", { count: left });
  };
  textarea.addEventListener("input", update);
  update();
}

/** Show why the form was not saved, in the error style, and move focus there. */
function showFormError(form, text) {
  const box = form.querySelector("[data-form-error]");
  if (!box) { announce(text); return; }
  box.querySelector("[data-form-error-text]").textContent = text;
  box.hidden = false;
  box.focus();
}

function clearFormError(form) {
  const box = form.querySelector("[data-form-error]");
  if (box) box.hidden = true;
}

/** Why this moment cannot be saved as it is, or null: the same rules the server keeps. */
function refusal(form, payload, now) {
  if (!payload.text.trim() && payload.kind_ids.length === 0) return message("pickSomething");
  if (charactersOver(form.elements.text)) {
    return counted("charactersOver", charactersOver(form.elements.text));
  }
  if (payload.occurred_at === "invalid") return message("whichDay");
  if (new Date(payload.occurred_at).getTime() > now.getTime() + CLOCK_SKEW_MS) return message("inTheFuture");
  return null;
}

/** "Which day?" only for another day, "About what time?" only when it is not just now. */
function showWhenFieldsThatApply(form) {
  const parts = [...form.querySelectorAll("[data-shown-when]")];
  if (!parts.length) return;
  const update = () => {
    const when = form.querySelector('input[name="when"]:checked')?.value || "now";
    for (const part of parts) part.hidden = !part.dataset.shownWhen.split(" ").includes(when);
  };
  for (const input of form.querySelectorAll('input[name="when"]')) input.addEventListener("change", update);
  form.addEventListener("reset", () => window.setTimeout(update));
  update();
}

function resetForm(form) {
  form.reset();
  for (const input of form.querySelectorAll("input[data-default-checked]")) input.checked = true;
  form.elements.client_id.value = newClientId();
}

async function fillFromOutbox(form) {
  const clientId = new URLSearchParams(window.location.search).get("outbox");
  if (!clientId) return;
  const item = await outbox.get(clientId);
  if (!item || item.userId !== userId) return;
  const payload = item.payload;
  form.elements.client_id.value = payload.client_id;
  if (form.elements.text) form.elements.text.value = payload.text;
  if (form.elements.photo_description) form.elements.photo_description.value = payload.photo_description || "";
  for (const input of form.querySelectorAll('input[type="checkbox"]')) {
    const list = { kinds: payload.kind_ids, carers: payload.carer_ids, babies: payload.baby_ids }[input.name] || [];
    input.checked = list.includes(Number(input.value));
  }
  const visibility = form.querySelector(`input[name="visibility"][value="${payload.visibility}"]`);
  if (visibility) visibility.checked = true;
  if (form.elements.feeling) form.elements.feeling.value = payload.feeling ? String(payload.feeling) : "";
  const when = new Date(payload.occurred_at);
  if (!Number.isNaN(when.getTime()) && form.elements.day) {
    const another = form.querySelector('input[name="when"][value="date"]');
    another.checked = true;
    another.dispatchEvent(new Event("change")); // shows "Which day?"
    form.elements.day.value = isoDay(when);
    form.elements.at_time.value = `${String(when.getHours()).padStart(2, "0")}:${String(when.getMinutes()).padStart(2, "0")}`;
  }
  photoPickerOf(form)?.load(item.photos);
  const details = form.querySelector("details");
  if (details) details.open = true;
  announce(`${messages.needsLook || ""} ${refusalWords(item)}`);
}

function saveContext(form) {
  const kinds = [...form.querySelectorAll('input[name="kinds"]')].map((input) => ({
    id: Number(input.value),
    name: form.querySelector(`label[for="${input.id}"]`)?.textContent || "",
  }));
  const visibilities = [...form.querySelectorAll('input[name="visibility"]')].map((input) => ({
    value: input.value,
    label: input.closest("label")?.textContent.trim() || "",
  }));
  return outbox.saveContext({
    userId,
    familyId: Number(form.dataset.familyId),
    kinds,
    visibilities,
    babyIds: JSON.parse(form.dataset.babyIds || "[]"),
    formUrl: form.dataset.formUrl,
    savedAt: Date.now(),
  });
}

async function enhance(form) {
  if (!outbox || !userId || !window.indexedDB) return;
  for (const input of form.querySelectorAll("input:checked")) input.dataset.defaultChecked = "1";
  // Listen first, so even a tap before the phone's storage has answered goes to the outbox.
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const payload = payloadFrom(form);
    const refused = refusal(form, payload, new Date());
    if (refused) {
      showFormError(form, refused);
      return;
    }
    clearFormError(form);
    // Photos still being made smaller are waited for: they go with the moment, never after it.
    const photos = (await photoPickerOf(form)?.ready()) || [];
    // Replacing an entry that needed a look keeps its client id: it was never stored.
    await outbox.remove(payload.client_id);
    try {
      await outbox.enqueue(userId, payload, photos);
    } catch (error) {
      // The phone's storage is full (or refused): nothing was kept, and everything stays in the form.
      showFormError(form, message(photos.length ? "photosNoRoom" : "noRoom"));
      return;
    }
    // Not awaited: on a first visit the worker may still be installing, and sending must not wait for it.
    askForBackgroundSync();
    if (navigator.onLine) {
      // Online: say what the server said. A refusal is shown as an error with the words still in
      // the form (and kept in the outbox, "needs a look"), never as "saved on this phone".
      await replayOutbox({ force: true });
      const left = await outbox.get(payload.client_id);
      if (left?.state === "needs-look") {
        showFormError(form, `${message("notSaved")} ${refusalWords(left)}`);
        return;
      }
      if (!left) {
        resetForm(form);
        // replayOutbox said "Sent" in the status line: focus it, so a screen reader says so.
        document.querySelector("[data-outbox-status]")?.focus();
        return;
      }
    }
    // Offline, or the network failed on the way: the moment is safe on this phone.
    resetForm(form);
    await renderOutbox();
    // Focus moves to the status line, so a screen reader says the moment is safe.
    (await announce(messages.savedHere || ""))?.focus();
  });
  if (form.dataset.context !== "offline") {
    await saveContext(form);
    await fillFromOutbox(form);
  }
}

async function buildOfflineForm(form) {
  if (!outbox || !userId) return;
  const context = await outbox.loadContext(userId);
  if (!context) return;
  form.dataset.familyId = String(context.familyId);
  form.dataset.babyIds = JSON.stringify(context.babyIds);
  form.dataset.formUrl = context.formUrl;
  const list = form.querySelector("[data-kind-list]");
  list.replaceChildren(...context.kinds.map((kind) => {
    const option = document.createElement("span");
    option.className = "chip-option";
    const input = Object.assign(document.createElement("input"), {
      type: "checkbox", name: "kinds", value: String(kind.id), id: `kinds-${kind.id}`, className: "chip__input",
    });
    const label = Object.assign(document.createElement("label"), { className: "chip", htmlFor: input.id, textContent: kind.name });
    option.append(input, label);
    return option;
  }));
  // Who can see it, naming the people, as the Add a moment page offers it ("Me, Tom and Sam").
  const choices = context.visibilities || [];
  const fieldset = form.querySelector("[data-visibility-choices]");
  if (fieldset && choices.length) {
    fieldset.querySelector("[data-visibility-list]").replaceChildren(...choices.map((choice) => {
      const label = Object.assign(document.createElement("label"), { className: "radio-option" });
      const input = Object.assign(document.createElement("input"), {
        type: "radio", name: "visibility", value: choice.value, checked: choice.value === "therapist",
      });
      label.append(input, ` ${choice.label}`);
      return label;
    }));
    fieldset.hidden = false;
  }
  form.elements.client_id.value = newClientId();
  form.hidden = false;
  await enhance(form);
}

for (const counter of document.querySelectorAll("[data-char-count]")) countCharacters(counter);
// Before the outbox's own handlers, so a save waits for photos still being made smaller.
enhancePhotoInputs();
for (const form of document.querySelectorAll("form.moment-form")) showWhenFieldsThatApply(form);
for (const form of document.querySelectorAll("form[data-moment-form]")) enhance(form);
for (const form of document.querySelectorAll("form[data-offline-form]")) buildOfflineForm(form);
