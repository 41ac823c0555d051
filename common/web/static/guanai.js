// guanai's pages work without this script; with it, a job's page follows its progress and a
// button that starts long work says so and cannot be pressed twice.
"use strict";
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  if (button && button.dataset.busy) {
    setTimeout(() => { button.disabled = true; button.textContent = button.dataset.busy; }, 0);
  }
});
function followJob(box) {
  const url = box.dataset.job;
  const tick = async () => {
    let state;
    try { state = await (await fetch(url, { cache: "no-store" })).json(); }
    catch (e) { setTimeout(tick, 2000); return; }
    box.querySelectorAll("ol.progress li").forEach((li, i) => {
      li.className = state.finished && !state.error || i < state.step ? "done"
        : i === state.step && !state.finished ? "doing"
        : state.error && i === state.step ? "failed" : "";
    });
    const status = box.querySelector(".job-status");
    if (!state.finished) { setTimeout(tick, 700); return; }
    status.innerHTML = "";
    const span = document.createElement("span");
    span.className = state.error ? "error-text" : "ok-text";
    span.textContent = state.error ? "未完成：" + state.error : "完成：" + state.message;
    status.appendChild(span);
    box.querySelector(".job-done").hidden = false;
  };
  tick();
}
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-job]").forEach(followJob);
});
