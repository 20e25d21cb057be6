// support-triage dashboard: small progressive enhancements; every page works without it.
(function () {
  "use strict";

  function span(seconds) {
    var s = Math.abs(Math.floor(seconds));
    var m = Math.floor(s / 60), h = Math.floor(s / 3600), d = Math.floor(s / 86400);
    if (d) return d + "d " + (h % 24) + "h";
    if (h) return h + "h " + (m % 60) + "m";
    return m ? m + "m" : "";  // under a minute: the caller says "just now" or "due now"
  }

  // Keep "3h 12m ago" and SLA countdowns current while the page stays open.
  function tick() {
    var now = Date.now();
    document.querySelectorAll("time[data-ago]").forEach(function (el) {
      var t = Date.parse(el.getAttribute("datetime"));
      if (isNaN(t)) return;
      var ago = span((now - t) / 1000);
      el.textContent = ago ? ago + " ago" : "just now";
    });
    document.querySelectorAll("time[data-countdown]").forEach(function (el) {
      var t = Date.parse(el.getAttribute("datetime"));
      if (isNaN(t)) return;
      var left = (t - now) / 1000;
      var when = span(left);
      el.textContent = !when ? "due now" : left >= 0 ? "in " + when : "overdue " + when;
      var sla = el.closest(".sla");
      if (sla) {
        sla.classList.remove("sla-ok", "sla-soon", "sla-overdue");
        sla.classList.add(left < 0 ? "sla-overdue" : left < 4 * 3600 ? "sla-soon" : "sla-ok");
      }
    });
  }

  // Show that "Approve & send" will send the reviewer's edited text.
  function trackDraft() {
    var area = document.getElementById("draft-body");
    if (!area) return;
    var note = document.querySelector("[data-edit-note]");
    var approve = document.querySelector("[data-testid=approve]");
    var original = area.defaultValue;
    area.addEventListener("input", function () {
      var edited = area.value !== original;
      area.classList.toggle("edited", edited);
      if (note) note.hidden = !edited;
      if (approve) approve.textContent = edited ? "Approve edited & send" : "Approve & send";
    });
  }

  // One decision per click: a double click must not send two Updates.
  function guardForms() {
    document.querySelectorAll("form[method=post]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.dataset.sending) { event.preventDefault(); return; }
        form.dataset.sending = "1";
        setTimeout(function () {
          form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
        }, 0);
      });
    });
  }

  // One category select (in the approve form) speaks for every decision form on the page.
  function shareCategory() {
    var select = document.getElementById("category");
    if (!select) return;
    select.addEventListener("change", function () {
      document.querySelectorAll("input[data-category-copy]").forEach(function (input) {
        input.value = select.value;
      });
    });
  }

  // Reload lists (and "drafting…" pages) now and then, unless the reviewer is typing.
  function autoRefresh() {
    var el = document.querySelector("[data-refresh]");
    if (!el) return;
    var seconds = parseInt(el.getAttribute("data-refresh"), 10) || 60;
    setInterval(function () {
      var active = document.activeElement;
      var typing = active && (active.tagName === "TEXTAREA" || active.tagName === "INPUT");
      var edited = document.querySelector("#draft-body.edited");
      if (!typing && !edited && document.visibilityState === "visible") location.reload();
    }, seconds * 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 30000);
    trackDraft();
    guardForms();
    shareCategory();
    autoRefresh();
  });
})();
