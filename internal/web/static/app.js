// Small enhancements; every page works without them.
(function () {
  "use strict";

  // Copy buttons: <button data-copy="#id"> copies the value or text of #id.
  document.addEventListener("click", function (e) {
    var b = e.target.closest("[data-copy]");
    if (!b) return;
    var el = document.querySelector(b.getAttribute("data-copy"));
    if (!el) return;
    var text = "value" in el ? el.value : el.textContent;
    var done = function () { var t = b.textContent; b.textContent = "Copied"; setTimeout(function () { b.textContent = t; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done);
    } else {
      if (el.select) { el.select(); } document.execCommand("copy"); done();
    }
  });

  // Confirm before destructive submits: <button data-confirm="…">.
  document.addEventListener("submit", function (e) {
    var b = e.submitter || e.target.querySelector("[data-confirm]");
    var msg = b && b.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) e.preventDefault();
  });

  // Show only the fields of the chosen option: <select data-switch="name">
  // toggles elements marked data-when-name="value value2".
  function applySwitch(sel) {
    var name = sel.getAttribute("data-switch");
    document.querySelectorAll("[data-when-" + name + "]").forEach(function (el) {
      var on = el.getAttribute("data-when-" + name).split(" ").indexOf(sel.value) >= 0;
      el.hidden = !on;
      el.querySelectorAll("input, select, textarea").forEach(function (i) { i.disabled = !on; });
    });
  }
  document.querySelectorAll("select[data-switch]").forEach(function (sel) {
    applySwitch(sel);
    sel.addEventListener("change", function () { applySwitch(sel); });
  });

  // Selects that navigate: <select data-autosubmit> submits its GET form.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (sel) {
    sel.addEventListener("change", function () { sel.form.submit(); });
    var btn = sel.form.querySelector("[data-autosubmit-button]");
    if (btn) btn.hidden = true;
  });

  // Parameter table: "Add parameter" clones the template row.
  document.querySelectorAll("[data-add-row]").forEach(function (btn) {
    var table = document.querySelector(btn.getAttribute("data-add-row"));
    var tpl = document.querySelector(btn.getAttribute("data-template"));
    if (!table || !tpl) return;
    btn.type = "button";
    btn.addEventListener("click", function () {
      var n = table.querySelectorAll("tbody tr").length;
      var html = tpl.innerHTML.replace(/__N__/g, String(n));
      table.querySelector("tbody").insertAdjacentHTML("beforeend", html);
      var first = table.querySelector("tbody tr:last-child input");
      if (first) first.focus();
    });
  });
  document.addEventListener("click", function (e) {
    var b = e.target.closest("[data-remove-row]");
    if (!b) return;
    e.preventDefault();
    var tr = b.closest("tr");
    if (tr) tr.remove();
  });

  // Live check: a form with data-live posts itself in the background when
  // its inputs change and shows the answer in the target element.
  document.querySelectorAll("form[data-live]").forEach(function (form) {
    var out = document.querySelector(form.getAttribute("data-live"));
    var timer;
    var run = function () {
      var body = new URLSearchParams(new FormData(form));
      body.set("live", "1");
      fetch(form.getAttribute("data-live-url"), { method: "POST", body: body, headers: { "X-CSRF-Token": body.get("csrf") || "" } })
        .then(function (r) { return r.text(); })
        .then(function (t) { if (out) out.textContent = t; });
    };
    form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 400); });
  });
})();
