// ragchat's shell. The server prerenders the chat page; this script makes
// its composer usable before app.wasm runs and starts app.wasm at the first
// sign of use (a touch, a click, a key, focus), or at once for a returning
// visitor whose conversation the page restores. Starting Go's runtime and
// go-app is a long main-thread task; deferring it keeps the page responsive
// while it loads, and the service worker has meanwhile fetched app.wasm.
//
// What the visitor typed is kept in window.ragchatShell ({draft,
// pending}); a question sent with Enter or the send button waits there
// (shown, read-only) until the app sends it on start (app/shell.go).
(() => {
  "use strict";
  const shell = (window.ragchatShell = { draft: "", pending: "", started: false });
  const box = document.getElementById("composer");
  const send = document.getElementById("send");
  const events = ["pointerdown", "touchstart", "keydown", "focusin"];

  function start() {
    if (shell.started) return;
    shell.started = true;
    for (const e of events) removeEventListener(e, start, true);
    // Unpatched (a go-app upgrade): app.js started app.wasm by itself.
    if (window.goappWasmDeferred) goappInitWebAssembly();
  }

  function submit() {
    const q = box.value.trim();
    if (!q || shell.pending) return;
    shell.pending = q;
    shell.draft = "";
    box.readOnly = true;
    box.setAttribute("aria-busy", "true");
    if (send) send.disabled = true;
    start();
  }

  if (box) {
    box.disabled = false;
    box.addEventListener("input", () => {
      shell.draft = box.value;
      if (send) send.disabled = box.value.trim() === "";
    });
    box.addEventListener("keydown", (e) => {
      if (e.key !== "Enter" || e.shiftKey || e.isComposing || e.keyCode === 229) return;
      e.preventDefault();
      submit();
    });
  }
  if (send) send.addEventListener("click", submit);

  for (const e of events) addEventListener(e, start, { capture: true, passive: true });
  let restoring = false;
  try {
    restoring = !!localStorage.getItem("ragchat.conversation");
  } catch (e) {}
  if (restoring) start();
  document.documentElement.dataset.shellMs = String(Math.round(performance.now()));
})();
