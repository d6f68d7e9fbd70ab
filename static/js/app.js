/* Small progressive enhancements; every page works without them. No inline scripts (CSP). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // The language switcher submits on change; its button stays for keyboard users without JS.
  document.querySelectorAll("select.js-autosubmit").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // On a phone the filter box starts folded unless filters are in use.
  document.querySelectorAll("details.filter-box").forEach(function (box) {
    if (window.matchMedia("(max-width: 720px)").matches && !box.hasAttribute("data-keep-open")) { box.open = false; }
  });

  // "Select all" checkboxes: data-target names the checkboxes they control.
  document.querySelectorAll("input.js-check-all").forEach(function (all) {
    var form = all.form;
    var boxes = function () { return form.querySelectorAll('input[type=checkbox][name="' + all.dataset.target + '"]'); };
    all.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = all.checked; });
    });
    form.addEventListener("change", function (event) {
      if (event.target === all) { return; }
      var list = Array.prototype.slice.call(boxes());
      all.checked = list.length > 0 && list.every(function (box) { return box.checked; });
      all.indeterminate = !all.checked && list.some(function (box) { return box.checked; });
    });
  });

  // Opening one action panel closes the others in the same group, and focuses its first field.
  document.querySelectorAll(".actions").forEach(function (group) {
    group.addEventListener("toggle", function (event) {
      var opened = event.target;
      if (!(opened instanceof HTMLDetailsElement) || !opened.open) { return; }
      group.querySelectorAll("details.act[open]").forEach(function (other) {
        if (other !== opened) { other.open = false; }
      });
      var field = opened.querySelector("textarea, input:not([type=hidden]), select");
      if (field) { field.focus(); }
    }, true);
  });

  // Irreversible steps (e.g. resetting someone's password) ask first: <form data-confirm="…">.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });

  // Forms that change state: disable the submit button once sent, so a double click cannot post twice.
  document.querySelectorAll("form[method=post]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented || form.hasAttribute("hx-post")) { return; }
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        window.setTimeout(function () { button.disabled = true; }, 0);
      });
    });
  });
  // Coming back through the browser history must not leave buttons disabled.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("button[type=submit][disabled]").forEach(function (button) { button.disabled = false; });
  });
})();
