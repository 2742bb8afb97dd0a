// Photos on a moment, in the browser. Each photo chosen is made smaller on the phone before it is
// sent (longest side 1,600 px, a JPEG without the camera's metadata, so its location never leaves
// the phone), shown as a small preview with a Remove button, and counted. The file input then holds
// the smaller photos, so a form posted as it is sends those; the outbox takes them from here.
// Without JavaScript the plain file input posts the originals and the server makes them smaller.

export const LONGEST_SIDE = 1600;
export const JPEG_QUALITY = 0.8;
// The server's PHOTOS_PER_MOMENT_MAX, for the offline page's input; the form's own input says it (data-max).
const PHOTOS_MAX = 3;
// Phones' own format: a browser that cannot read it sends it as it is, and the server decides.
const HEIF_TYPES = new Set(["image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence"]);
const HEIF_NAME = /\.(heic|heif)$/i;

const messages = () => document.getElementById("pip-messages")?.dataset || {};

function message(key, values = {}) {
  let text = messages()[key] || "";
  for (const [name, value] of Object.entries(values)) text = text.replace(`{${name}}`, value);
  return text;
}

function isHeif(file) {
  return HEIF_TYPES.has((file.type || "").toLowerCase()) || HEIF_NAME.test(file.name || "");
}

// The server takes no GIF (often a moving picture): here too, so a GIF is never quietly made a still.
const MOVING_TYPES = new Set(["image/gif"]);

/** False for a file that says it is something else (a PDF, a video); one that says nothing is tried. */
function mayBeImage(file) {
  const type = (file.type || "").toLowerCase();
  return !type || type.startsWith("image/") || isHeif(file);
}

function jpegName(name) {
  const stem = (name || "photo").replace(/\.[^./\\]+$/, "") || "photo";
  return `${stem}.jpg`;
}

async function encodeJpeg(bitmap, width, height, quality) {
  const canvas = typeof OffscreenCanvas === "function"
    ? new OffscreenCanvas(width, height)
    : Object.assign(document.createElement("canvas"), { width, height });
  const context = canvas.getContext("2d");
  // A photo with transparent parts (a PNG) gets white behind them, not JPEG's black.
  context.fillStyle = "#fff";
  context.fillRect(0, 0, width, height);
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = "high";
  context.drawImage(bitmap, 0, 0, width, height);
  const blob = canvas.convertToBlob
    ? await canvas.convertToBlob({ type: "image/jpeg", quality })
    : await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
  canvas.width = 0; // let a cheap phone have the memory back at once
  return blob;
}

/**
 * This photo made smaller, turned the way the camera held it: {blob, name, width, height}, or null
 * when this browser cannot read it (not an image, a damaged file, or a format it does not know).
 */
export async function downscale(file, { longestSide = LONGEST_SIDE, quality = JPEG_QUALITY } = {}) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch (error) {
    return null;
  }
  try {
    const scale = Math.min(1, longestSide / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const blob = await encodeJpeg(bitmap, width, height, quality);
    if (!blob || blob.type !== "image/jpeg") return null;
    return { blob, name: jpegName(file.name), width, height };
  } finally {
    bitmap.close();
  }
}

const pickers = new WeakMap();

/** The photo picker of this form, or null when it has none. */
export function photoPickerOf(form) {
  return pickers.get(form) || null;
}

/**
 * Enhances a form's `photos` file input: previews with Remove, the count, and a message for a file
 * that is not a photo or cannot be read. Whatever happens to a photo, the words in the form stay.
 */
class PhotoPicker {
  constructor(form, input) {
    this.form = form;
    this.input = input;
    this.photos = []; // {blob, name, url} in the order chosen; url is null when it cannot be shown here
    this.working = Promise.resolve();
    this.pending = 0;
    this.build();
    input.addEventListener("change", () => {
      // Chosen again before the last ones were ready: these wait their turn (the count stays right).
      const files = [...input.files];
      this.pending += 1;
      this.working = this.working.then(() => this.take(files)).finally(() => { this.pending -= 1; });
    });
    form.addEventListener("reset", () => window.setTimeout(() => this.clear()));
    for (const box of form.querySelectorAll('input[name="remove_photo"]')) {
      box.addEventListener("change", () => this.render());
    }
    // A form posted as it is (changing a moment) waits until its photos are ready.
    form.addEventListener("submit", (event) => {
      if (!this.pending) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      this.working.then(() => form.requestSubmit(event.submitter));
    });
  }

  build() {
    const field = this.input.closest(".field") || this.input.parentElement;
    this.count = Object.assign(document.createElement("p"), { className: "photo-picker__count" });
    this.count.setAttribute("role", "status");
    this.count.setAttribute("data-photo-count", "");
    this.problem = Object.assign(document.createElement("p"), { className: "field__error photo-picker__problem" });
    this.problem.setAttribute("role", "alert");
    this.problem.setAttribute("data-photo-problem", "");
    this.problem.hidden = true;
    this.list = Object.assign(document.createElement("ul"), { className: "photo-picker__list" });
    this.list.setAttribute("aria-label", message("photosChosen"));
    field.append(this.problem, this.list, this.count);
    this.render();
  }

  /** Changing a moment: the photos it has already (each with its "Remove photo N" box). */
  existing() {
    return [...this.form.querySelectorAll('input[name="remove_photo"]')];
  }

  /** How many this moment may have chosen here: existing photos not marked to be removed count too. */
  room() {
    const kept = this.existing().filter((box) => !box.checked).length;
    const most = Number(this.input.dataset.max || PHOTOS_MAX);
    return Math.max(0, most - kept);
  }

  async take(files) {
    this.count.textContent = message("photosPreparing");
    const problems = [];
    let leftOut = 0;
    for (const file of files) {
      if (this.photos.length >= this.room()) { leftOut += 1; continue; }
      if (!mayBeImage(file)) {
        problems.push(message("photoNotAnImage", { name: file.name }));
        continue;
      }
      if (MOVING_TYPES.has((file.type || "").toLowerCase())) {
        problems.push(message("photoMoving", { name: file.name }));
        continue;
      }
      // A phone short of memory can fail to draw a big photo: that is "could not be read", never a lost form.
      const smaller = await downscale(file).catch(() => null);
      if (smaller) {
        this.photos.push({ blob: smaller.blob, name: smaller.name, url: URL.createObjectURL(smaller.blob) });
      } else if (isHeif(file)) {
        this.photos.push({ blob: file, name: file.name, url: null });
        problems.push(message("photoSentAsItIs", { name: file.name }));
      } else {
        problems.push(message("photoUnreadable", { name: file.name }));
      }
    }
    if (leftOut) problems.push(message("photosTooMany"));
    this.render(problems);
  }

  /** Put the photos into the file input too, so a form posted as it is sends these. */
  syncInput() {
    try {
      const files = new DataTransfer();
      for (const photo of this.photos) files.items.add(new File([photo.blob], photo.name, { type: photo.blob.type }));
      this.input.files = files.files;
    } catch (error) {
      // No DataTransfer here: a form posted as it is sends the originals, and the server makes them smaller.
    }
  }

  render(problems = []) {
    this.syncInput();
    // Numbered after the photos the moment has already, whose boxes say "Remove photo 1" and so on.
    const first = this.existing().length + 1;
    this.list.replaceChildren(...this.photos.map((photo, index) => {
      const item = Object.assign(document.createElement("li"), { className: "photo-picker__item" });
      const label = message("photoNumber", { number: first + index });
      if (photo.url) {
        item.append(Object.assign(document.createElement("img"), {
          className: "photo-picker__preview", src: photo.url, alt: label,
        }));
      } else {
        item.append(Object.assign(document.createElement("p"), {
          className: "photo-picker__preview photo-picker__preview--none", textContent: `${label}: ${photo.name}`,
        }));
      }
      const remove = Object.assign(document.createElement("button"), {
        type: "button", className: "button button--secondary photo-picker__remove", textContent: message("photoRemove"),
      });
      remove.setAttribute("aria-label", message("photoRemoveNumber", { number: first + index }));
      remove.addEventListener("click", () => this.remove(index));
      item.append(remove);
      return item;
    }));
    this.list.hidden = this.photos.length === 0;
    this.problem.textContent = problems.join(" ");
    this.problem.hidden = problems.length === 0;
    const most = this.room();
    this.count.textContent = this.photos.length
      ? message("photosCount", { count: this.photos.length, most })
      : "";
  }

  remove(index) {
    const [gone] = this.photos.splice(index, 1);
    if (gone?.url) URL.revokeObjectURL(gone.url);
    this.render();
    const buttons = this.list.querySelectorAll("button");
    (buttons[Math.min(index, buttons.length - 1)] || this.input).focus();
  }

  clear() {
    for (const photo of this.photos) if (photo.url) URL.revokeObjectURL(photo.url);
    this.photos = [];
    this.render();
  }

  /** The photos ready to send ({blob, name}), once every chosen one has been made smaller. */
  async ready() {
    await this.working;
    return this.photos.map(({ blob, name }) => ({ blob, name }));
  }

  /** Show these photos again (a moment from the outbox, opened to be changed). */
  load(photos) {
    this.clear();
    this.photos = (photos || []).map(({ blob, name }) => ({
      blob, name, url: blob.type === "image/jpeg" ? URL.createObjectURL(blob) : null,
    }));
    this.render();
  }
}

/** Enhance every form's photo input on this page. */
export function enhancePhotoInputs(root = document) {
  if (typeof createImageBitmap !== "function") return; // the server makes them smaller
  for (const input of root.querySelectorAll('input[type="file"][name="photos"]')) {
    if (!input.form || pickers.has(input.form)) continue;
    pickers.set(input.form, new PhotoPicker(input.form, input));
  }
}
