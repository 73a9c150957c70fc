/* logeer: small progressive enhancements. Every page works without JavaScript. */
(function () {
  "use strict";

  // Put keyboard and screen-reader focus on the error summary (or confirmation) after a form was sent.
  function focusFirst(root) {
    var target = (root || document).querySelector("[data-focus-on-load]");
    if (target) { target.focus(); }
  }

  // Booking and waitlist forms: show the 'new guest' fields only when 'new guest' is chosen.
  function wireNewGuest(root) {
    (root || document).querySelectorAll("select[data-new-guest-toggle]").forEach(function (select) {
      var form = select.form;
      var group = form && form.querySelector("[data-new-guest]");
      if (!group) { return; }
      var update = function () { group.hidden = select.value !== "new"; };
      select.addEventListener("change", update);
      update();
    });
  }

  // A table wider than the screen scrolls sideways: keyboard users must be able to reach and
  // scroll it too (WCAG 2.1.1), so such a wrapper becomes focusable, named after its table.
  function wireScrollRegions(root) {
    (root || document).querySelectorAll(".table-wrap:not([tabindex])").forEach(function (wrap) {
      if (wrap.scrollWidth <= wrap.clientWidth) { return; }
      wrap.tabIndex = 0;
      if (!wrap.hasAttribute("role")) { wrap.setAttribute("role", "region"); }
      var caption = wrap.querySelector("caption");
      var heading = wrap.closest("section") && wrap.closest("section").querySelector("h2, h3");
      var name = (caption || heading || {}).textContent;
      if (name && !wrap.hasAttribute("aria-label")) { wrap.setAttribute("aria-label", name.trim()); }
    });
  }

  // A form that creates or changes something is sent once: while it is being sent its buttons are
  // disabled and a second submit is ignored (the server also treats a repeat of the same form token
  // as the first). Disabled a moment later, not at once: a disabled submit button would drop its own
  // name and value from the request. After the back button (page from the cache) or a while without
  // an answer the buttons work again.
  var SENDING_MS = 15000;

  function setSending(form, sending) {
    if (sending) { form.setAttribute("data-sending", ""); } else { form.removeAttribute("data-sending"); }
    form.setAttribute("aria-busy", sending ? "true" : "false");
    form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]").forEach(function (button) {
      button.disabled = sending;
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || (form.method || "").toLowerCase() !== "post") { return; }
    if (form.hasAttribute("data-sending")) { event.preventDefault(); return; }
    if (event.defaultPrevented) { return; }  // htmx sends it: see htmx:beforeRequest below
    form.setAttribute("data-sending", "");
    window.setTimeout(function () { setSending(form, true); }, 0);
    window.setTimeout(function () { setSending(form, false); }, SENDING_MS);
  });

  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { document.querySelectorAll("form[data-sending]").forEach(function (form) { setSending(form, false); }); }
  });

  // htmx requests that change something (hx-post and friends): the same, for the time of the request.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var verb = ((event.detail.requestConfig || {}).verb || "get").toLowerCase();
    var form = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("form");
    if (verb !== "get" && form) { setSending(form, true); }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("form");
    if (form && form.hasAttribute("data-sending")) { setSending(form, false); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    focusFirst(document);
    wireNewGuest(document);
    wireScrollRegions(document);
  });
  window.addEventListener("resize", function () { wireScrollRegions(document); });

  // After htmx replaced part of the page: move focus to the new heading so the change is announced.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = document.querySelector("[data-focus-on-load]") || document.querySelector("[data-focus-after-swap]");
    if (target) { target.focus(); }
    wireNewGuest(document);
  });
})();
