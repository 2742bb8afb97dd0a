// A moment's photo full screen: a link to the photo (which works without JavaScript, opening the
// picture itself) opens it in a modal dialog instead. Enter or a tap opens it; Escape or the Close
// button closes it, and focus goes back to the photo's link. The picture is never kept by the
// service worker (it fetches only the app shell).
const dialog = document.querySelector("[data-photo-viewer-dialog]");
if (dialog && typeof dialog.showModal === "function") {
  const image = dialog.querySelector("[data-photo-viewer-image]");
  const close = dialog.querySelector("[data-photo-viewer-close]");
  let opener = null;

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-photo-viewer]");
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    opener = link;
    const thumbnail = link.querySelector("img");
    image.alt = thumbnail ? thumbnail.alt : "";
    image.src = link.href;
    dialog.showModal();
    close.focus();
  });
  close.addEventListener("click", () => dialog.close());
  // A tap on the dark space around the photo closes it too.
  dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); });
  dialog.addEventListener("close", () => {
    image.removeAttribute("src");
    if (opener) opener.focus();
    opener = null;
  });
}
