/* The offline outbox, shared by the pages and the service worker (a classic script for
 * importScripts). Moments wait in IndexedDB until the server acknowledges them; a replay sends
 * each with its client id, so sending twice can never store twice.
 *
 * What is kept on the phone: each queued moment (its words, kinds, time, who was there, how
 * the parent felt, who may see it, and its photos as Blobs, already made smaller), for the
 * signed-in person only, plus the ids and names the offline form needs (the person's id, their
 * family's id, the kinds, the babies' ids). Signing out deletes that person's records.
 *
 * A moment's photos travel in the same request as the moment (multipart: a `moment` part with the
 * JSON body and a `photos` part each), never on their own, so the client id that makes the moment
 * stored once also makes its photos stored once.
 */
(function (scope) {
  "use strict";

  const DB_NAME = "pip-companion";
  const DB_VERSION = 1;
  const OUTBOX = "outbox";
  const CONTEXT = "context";
  const LOCK = "pip-outbox-replay";
  const CURRENT = "current";
  const MAX_BACKOFF_MS = 5 * 60 * 1000;
  const FIRST_BACKOFF_MS = 5 * 1000;

  let opening = null;

  function openDb() {
    if (!opening) {
      opening = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, DB_VERSION);
        request.onupgradeneeded = () => {
          const db = request.result;
          if (!db.objectStoreNames.contains(OUTBOX)) {
            const store = db.createObjectStore(OUTBOX, { keyPath: "clientId" });
            store.createIndex("userId", "userId");
          }
          if (!db.objectStoreNames.contains(CONTEXT)) {
            db.createObjectStore(CONTEXT, { keyPath: "userId" });
          }
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => { opening = null; reject(request.error); };
      });
    }
    return opening;
  }

  async function run(storeName, mode, work) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(storeName, mode);
      const store = transaction.objectStore(storeName);
      let result;
      Promise.resolve(work(store)).then((value) => { result = value; });
      transaction.oncomplete = () => resolve(result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  }

  function requestValue(request) {
    return new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function itemsFor(userId) {
    const items = await run(OUTBOX, "readonly", (store) => requestValue(store.index("userId").getAll(userId)));
    return (items || []).sort((a, b) => a.savedAt - b.savedAt);
  }

  function put(item) {
    return run(OUTBOX, "readwrite", (store) => requestValue(store.put(item)));
  }

  function remove(clientId) {
    return run(OUTBOX, "readwrite", (store) => requestValue(store.delete(clientId)));
  }

  async function get(clientId) {
    return run(OUTBOX, "readonly", (store) => requestValue(store.get(clientId)));
  }

  /**
   * Queue a moment for this person (the payload is the API's NewMoment) with its photos
   * ([{blob, name}]). Rejects when the phone has no room (QuotaExceededError): nothing is kept then.
   */
  function enqueue(userId, payload, photos = []) {
    return put({
      clientId: payload.client_id,
      userId,
      payload,
      photos: photos.map(({ blob, name }) => ({ blob, name })),
      savedAt: Date.now(),
      state: "waiting",
      attempts: 0,
      nextTryAt: 0,
      messages: [],
    });
  }

  /** Forget everything this phone holds for this person (signing out). */
  async function purge(userId) {
    const items = await itemsFor(userId);
    await run(OUTBOX, "readwrite", (store) => Promise.all(items.map((item) => requestValue(store.delete(item.clientId)))));
    await run(CONTEXT, "readwrite", (store) => requestValue(store.delete(userId)));
  }

  function saveContext(context) {
    return run(CONTEXT, "readwrite", (store) => requestValue(store.put(context)));
  }

  function loadContext(userId) {
    return run(CONTEXT, "readonly", (store) => requestValue(store.get(userId)));
  }

  /**
   * The API's NewMoment: the outbox also keeps kind names and the form's address, to show and fix
   * it, and the words about the photos as typed (one line for them all, as the form has it).
   */
  function apiBody(payload, photoCount = 0) {
    const { kind_names: _names, form_url: _formUrl, photo_description: description, ...body } = payload;
    if (photoCount && description) body.photo_descriptions = Array(photoCount).fill(description);
    return body;
  }

  /** The request's body: the JSON of today, or (with photos) that JSON and the photos in one multipart body. */
  function requestBody(item) {
    const photos = item.photos || [];
    const json = JSON.stringify(apiBody(item.payload, photos.length));
    if (!photos.length) return { body: json, headers: { "Content-Type": "application/json" } };
    const form = new FormData();
    form.append("moment", json);
    for (const photo of photos) form.append("photos", photo.blob, photo.name);
    // No Content-Type of our own: the browser writes the multipart boundary into it.
    return { body: form, headers: {} };
  }

  function backoff(attempts) {
    return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.max(0, attempts - 1));
  }

  async function fetchSession() {
    const response = await fetch("/api/v1/csrf", { credentials: "same-origin", cache: "no-store" });
    if (response.status === 401) return null;
    if (!response.ok) throw new Error("csrf " + response.status);
    return response.json();
  }

  async function readProblem(response) {
    try {
      return await response.json();
    } catch (error) {
      return null;
    }
  }

  function problemMessages(problem) {
    if (!problem) return [];
    const fields = (problem.errors || []).map((error) => error.message);
    return fields.length ? fields : [problem.detail || problem.title].filter(Boolean);
  }

  /**
   * Send this person's waiting moments, oldest first. A moment leaves the outbox only when the
   * server answers 200 or 201 for it. Returns {sent, signedOut, failed}.
   */
  async function replayNow(userId, { force = false } = {}) {
    const outcome = { sent: 0, signedOut: false, failed: false };
    const now = Date.now();
    const due = (await itemsFor(userId)).filter(
      (item) => item.state !== "needs-look" && (force || item.nextTryAt <= now),
    );
    if (!due.length) return outcome;
    let session;
    try {
      session = await fetchSession();
    } catch (error) {
      outcome.failed = true;
      return outcome;
    }
    // Only ever send a person's moments under their own sign-in.
    if (!session || String(session.user_id) !== String(userId)) {
      outcome.signedOut = true;
      return outcome;
    }
    for (const item of due) {
      let response;
      try {
        const { body, headers } = requestBody(item);
        response = await fetch("/api/v1/moments", {
          method: "POST",
          credentials: "same-origin",
          headers: { ...headers, "X-CSRFToken": session.csrf_token },
          body,
        });
      } catch (error) {
        // The network failed: the server may or may not have the moment; the client id settles it.
        item.attempts += 1;
        item.nextTryAt = Date.now() + backoff(item.attempts);
        await put(item);
        outcome.failed = true;
        break;
      }
      if (response.status === 200 || response.status === 201) {
        await remove(item.clientId);
        outcome.sent += 1;
      } else if (response.status === 401) {
        outcome.signedOut = true;
        break;
      } else if (response.status === 413) {
        // Too large, from the app or a proxy in front of it: sending it again would not help.
        const problem = await readProblem(response);
        item.state = "needs-look";
        item.tooLarge = true;
        item.messages = problemMessages(problem);
        await put(item);
      } else if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
        const problem = await readProblem(response);
        if (!problem || String(problem.type || "").endsWith("/csrf")) {
          // Not an answer about the moment (an old token, a proxy's page): try again later.
          item.attempts += 1;
          item.nextTryAt = Date.now() + backoff(item.attempts);
          await put(item);
          outcome.failed = true;
          break;
        }
        item.state = "needs-look";
        item.messages = problemMessages(problem);
        await put(item);
      } else {
        item.attempts += 1;
        item.nextTryAt = Date.now() + backoff(item.attempts);
        await put(item);
        outcome.failed = true;
        break;
      }
    }
    return outcome;
  }

  /** Replay, letting only one page or worker do it at a time on this phone. */
  function replay(userId, options) {
    if (scope.navigator && scope.navigator.locks) {
      return scope.navigator.locks.request(LOCK, () => replayNow(userId, options));
    }
    return replayNow(userId, options);
  }

  /** Who is signed in on this phone, for the service worker's background replay. */
  function setCurrentUser(userId) {
    if (userId === null) {
      return run(CONTEXT, "readwrite", (store) => requestValue(store.delete(CURRENT)));
    }
    return run(CONTEXT, "readwrite", (store) => requestValue(store.put({ userId: CURRENT, id: String(userId) })));
  }

  async function currentUser() {
    const record = await run(CONTEXT, "readonly", (store) => requestValue(store.get(CURRENT)));
    return record ? record.id : null;
  }

  scope.PipOutbox = {
    enqueue, itemsFor, get, put, remove, purge, replay, saveContext, loadContext, setCurrentUser, currentUser,
  };
})(self);
