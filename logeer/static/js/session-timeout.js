/* logeer: warn before the session ends for lack of use, and offer to stay logged in.
 *
 * The layout renders [data-session-timeout] only for a logged-in page, with the seconds left
 * until the idle timeout and until the absolute end of the session. A few minutes before the
 * end, the page asks the server (GET data-url, which does not count as use) how long is really
 * left (another tab may have used the session meanwhile). If the end is near, a banner shows;
 * "Ingelogd blijven" posts to the same URL (with the page's CSRF token), which counts as use.
 * The page also asks when it comes back into view (timers sleep with a laptop or in a
 * background tab). When the time is up the page reloads: the server then sends it to the log-in page, so no
 * personal data stays on an unattended screen.
 */
(function () {
  "use strict";

  var box = document.querySelector("[data-session-timeout]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-url");
  var warn = parseInt(box.getAttribute("data-warn"), 10) || 120;
  var text = box.querySelector("[data-session-text]");
  var button = box.querySelector("[data-session-keep-alive]");
  var timer = null;
  var deadline = 0;

  function csrfToken() {
    var input = document.querySelector("input[name='csrf_token']");
    return input ? input.value : "";
  }

  function hide() { box.hidden = true; }

  function show(absolute) {
    text.textContent = text.getAttribute(absolute ? "data-absolute-text" : "data-idle-text");
    button.hidden = absolute;  // staying active does not stretch the absolute lifetime
    box.hidden = false;
    if (!absolute) { button.focus(); }
  }

  function schedule(left) {
    // left: {idle, absolute} in seconds, as the server counted them just now.
    window.clearTimeout(timer);
    var end = Math.min(left.idle, left.absolute);
    deadline = Date.now() + end * 1000;
    if (end <= 0) { window.location.reload(); return; }
    if (end > warn) {
      hide();
      timer = window.setTimeout(check, (end - warn) * 1000);
    } else {
      show(left.absolute <= left.idle);
      timer = window.setTimeout(function () { window.location.reload(); }, end * 1000 + 1000);
    }
  }

  function answer(response) {
    if (!response.ok || response.redirected) { throw new Error("session ended"); }
    return response.json();
  }

  function received(body) {
    // Timers sleep with the laptop or in a background tab: ask again when the page is looked at.
  window.addEventListener("focus", check);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { check(); }
  });

  schedule({idle: body.idle_seconds_left, absolute: body.absolute_seconds_left});
  }

  function check() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(answer).then(received)
      .catch(function () { window.location.reload(); });
  }

  button.addEventListener("click", function () {
    fetch(url, {method: "POST", credentials: "same-origin",
                headers: {"Accept": "application/json", "X-CSRFToken": csrfToken()}})
      .then(answer).then(received)
      .catch(function () { window.location.reload(); });
  });

  // Every request of the page (htmx) counts as use on the server: ask again when the end
  // would be near, instead of trusting the numbers the page was rendered with.
  document.addEventListener("htmx:afterRequest", function () {
    if (!box.hidden || deadline - Date.now() < warn * 1000) { check(); }
  });

  // Timers sleep with the laptop or in a background tab: ask again when the page is looked at.
  window.addEventListener("focus", check);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { check(); }
  });

  schedule({idle: parseInt(box.getAttribute("data-idle"), 10),
            absolute: parseInt(box.getAttribute("data-absolute"), 10)});
})();
