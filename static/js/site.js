// Small behaviours that htmx does not cover. No inline scripts anywhere (CSP: script-src 'self').
(function () {
  "use strict";
  // <form data-confirm="Really?">: ask before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // <form data-submit-once>: a second click while the page is leaving would send the form
  // again (a password change or an email confirmation that then looks refused). The buttons
  // are disabled just after the submission took the clicked one's name and value, and enabled
  // again when the page comes back from the back/forward cache.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.hasAttribute || !form.hasAttribute("data-submit-once")) {
      return;
    }
    setTimeout(function () {
      form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) {
        b.disabled = true;
      });
    }, 0);
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-submit-once] button").forEach(function (b) {
      b.disabled = false;
    });
  });

  // On a phone the sections of the site are one row that scrolls sideways: the current one
  // is brought into view (My reports sits past the edge).
  document.querySelectorAll(".nav-links [aria-current=page]").forEach(function (link) {
    var row = link.closest(".nav-links");
    var past = link.getBoundingClientRect().right - row.getBoundingClientRect().right;
    if (past > 0) row.scrollLeft += past + 20;
  });

  // The year's heatmap is wider than a phone: it opens on its last weeks, today's included.
  document.querySelectorAll(".heatmap-wrap").forEach(function (wrap) {
    wrap.scrollLeft = wrap.scrollWidth;
  });

  // <button data-copy="id">: copies the link in the input `id` (a share or invitation link).
  // Only its [data-copy-label] says "Copied": the rest of it (which link, for a screen reader)
  // stays.
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var input = document.getElementById(button.dataset.copy);
    if (!input) return;
    var shown = button.querySelector("[data-copy-label]") || button;
    var label = shown.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      function done() {
        shown.textContent = button.dataset.copied;
        setTimeout(function () { shown.textContent = label; }, 2000);
      }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(input.value).then(done, function () {
          input.select();
        });
      } else {
        input.select();
        if (document.execCommand("copy")) done();
      }
    });
  });

  // A new set's "Team" visibility only while a team owns it: a personal set cannot have it.
  document.querySelectorAll("select[data-team-only-with]").forEach(function (visibility) {
    var owner = document.getElementById(visibility.dataset.teamOnlyWith);
    var team = visibility.querySelector("option[value=team]");
    if (!owner || !team) return;
    function follow() {
      team.disabled = !owner.value;
      if (team.disabled && visibility.value === "team") visibility.value = "private";
    }
    owner.addEventListener("change", follow);
    follow();
  });

  // Settings: offer the device's time zone where the one chosen is another (not chosen for
  // the learner: they save it).
  var zoneHint = document.getElementById("zone-hint");
  if (zoneHint && window.Intl) {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var button = zoneHint.querySelector("[data-zone-for]");
    var select = document.getElementById(button.dataset.zoneFor);
    // Browsers may name a zone by an old name the list leaves out (Asia/Calcutta for
    // Asia/Kolkata): the option is the one the browser names the same.
    function sameZone(option) {
      if (!option.value) return false;
      if (option.value === zone) return true;
      try {
        return new Intl.DateTimeFormat("en", {timeZone: option.value})
          .resolvedOptions().timeZone === zone;
      } catch (e) {
        return false;
      }
    }
    var options = select ? Array.prototype.slice.call(select.options) : [];
    var match = zone && (options.filter(function (o) { return o.value === zone; })[0] ||
                         options.filter(sameZone)[0]);
    if (match) zone = match.value;
    var offered = !!match;
    if (offered && select.value !== zone) {
      zoneHint.querySelector("[data-zone-name]").textContent = zone.replace(/_/g, " ");
      zoneHint.hidden = false;
      button.addEventListener("click", function () {
        select.value = zone;
        zoneHint.hidden = true;
        select.focus();
      });
    }
  }

  // An HTMX action that got no usable answer (a server error, a dropped connection, a page
  // too old for the server) would otherwise leave the page as if the click did nothing: say
  // so above the content until the next action goes through.
  function requestErrors() {
    return document.getElementById("request-errors");
  }

  function showRequestError(kind) {
    var box = requestErrors();
    if (!box) return;
    var message = document.createElement("p");
    message.className = "message error";
    message.setAttribute("role", "alert");
    message.textContent = box.dataset[kind];
    box.replaceChildren(message);
    box.hidden = false;
  }

  document.addEventListener("htmx:responseError", function (event) {
    showRequestError(event.detail.xhr.status >= 500 ? "server" : "stale");
  });
  document.addEventListener("htmx:sendError", function () {
    showRequestError("network");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var box = requestErrors();
    if (box && event.detail.successful && !box.hidden) {
      box.hidden = true;
      box.replaceChildren();
    }
  });

  // A page whose address htmx changes as it goes (a live search) is the page the language
  // switch comes back to.
  function keepLanguageSwitchHere() {
    var next = document.querySelector("form.lang-switch input[name=next]");
    if (next) {
      next.value = window.location.pathname + window.location.search;
    }
  }
  document.addEventListener("htmx:replacedInHistory", keepLanguageSwitchHere);
  document.addEventListener("htmx:pushedIntoHistory", keepLanguageSwitchHere);

  // A refused HTMX action (400 bad input, 409 conflict) inside an element marked
  // data-swap-errors is answered with that element as it is now plus a message (a quiz card,
  // a note form, a set's list): show it rather than leave the page as if nothing happened.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var target = event.detail.target;
    if ((status === 400 || status === 409) && target && target.closest &&
        target.closest("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
