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
