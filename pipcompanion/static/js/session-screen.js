// Session view: one moment at a time, moved with the arrow keys or the buttons.
// Without JavaScript the page is a plain list, which works as it is.
const screen = document.querySelector("[data-session-screen]");
if (screen) {
  const moments = [...screen.querySelectorAll(".moment")];
  const controls = screen.querySelector("[data-controls]");
  const position = screen.querySelector("[data-position]");
  const toggle = screen.querySelector("[data-toggle-list]");
  let current = 0;
  let single = moments.length > 1;

  const previous = screen.querySelector("[data-previous]");
  const next = screen.querySelector("[data-next]");
  const sections = [...screen.querySelectorAll("section")];

  const show = (index) => {
    current = Math.max(0, Math.min(moments.length - 1, index));
    moments.forEach((moment, i) => { moment.hidden = single && i !== current; });
    // One at a time: only the section of the moment shown (no heading over nothing); a list: all.
    for (const section of sections) section.hidden = single && !section.contains(moments[current]);
    // Previous and Next only where they lead somewhere, and only one at a time.
    previous.hidden = !single || current === 0;
    next.hidden = !single || current === moments.length - 1;
    position.hidden = !single;
    position.textContent = single ? `${current + 1} / ${moments.length}` : "";
    if (single) moments[current].focus({ preventScroll: false });
  };

  if (moments.length > 1) {
    controls.hidden = false;
    moments.forEach((moment) => moment.setAttribute("tabindex", "-1"));
    previous.addEventListener("click", () => show(current - 1));
    next.addEventListener("click", () => show(current + 1));
    toggle.addEventListener("click", () => {
      single = !single;
      toggle.textContent = single ? toggle.dataset.listLabel : toggle.dataset.oneLabel;
      show(current);
    });
    document.addEventListener("keydown", (event) => {
      // Not while a photo is open full screen (its dialog has the keys), nor while typing.
      if (!single || document.querySelector("dialog[open]") || event.target.closest("input, textarea, select")) return;
      // "Forward" is the reading direction: the left arrow in Arabic and Urdu.
      const forward = document.documentElement.dir === "rtl" ? "ArrowLeft" : "ArrowRight";
      const back = forward === "ArrowLeft" ? "ArrowRight" : "ArrowLeft";
      if (event.key === forward || event.key === "ArrowDown") { event.preventDefault(); show(current + 1); }
      if (event.key === back || event.key === "ArrowUp") { event.preventDefault(); show(current - 1); }
    });
    show(0);
  }
}
