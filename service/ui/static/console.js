// The review queue without page reloads: a decision posts the form with fetch and
// the answer (the next item's card) replaces the current one. Nothing else needs JS.
(function () {
  const box = document.getElementById("review");
  if (!box) return;
  async function send(form, extra) {
    const data = new FormData(form);
    for (const [k, v] of Object.entries(extra)) data.set(k, v);
    if (!extra.path) data.delete("path");
    form.querySelectorAll("button, select").forEach((el) => (el.disabled = true));
    const res = await fetch(form.getAttribute("action"), {  // form.action is the button named "action"
      method: "POST",
      body: data,
      headers: { "X-Requested-With": "fetch", "X-CSRF-Token": box.dataset.csrf },
      credentials: "same-origin",
    });
    const text = await res.text();
    if (res.ok) {
      box.innerHTML = text;
    } else {
      let msg = text;
      try { msg = JSON.parse(text).error.message; } catch (e) {}
      box.insertAdjacentHTML("afterbegin", '<p class="error">保存失败：' + msg.replace(/</g, "&lt;") + "</p>");
      form.querySelectorAll("button, select").forEach((el) => (el.disabled = false));
    }
  }
  box.addEventListener("submit", (ev) => {
    ev.preventDefault();
    send(ev.target, { action: "accept" });  // Enter in the unit box accepts the tag with that unit
  });
  box.addEventListener("change", (ev) => {
    if (ev.target.id === "correct" && ev.target.value) send(ev.target.form, { path: ev.target.value });
  });
  document.addEventListener("keydown", (ev) => {
    const accept = document.getElementById("accept");
    if (ev.key === "Enter" && accept && !accept.disabled && !["SELECT", "INPUT"].includes(ev.target.tagName)) {
      ev.preventDefault();
      send(accept.form, { action: "accept" });
    }
  });
})();
