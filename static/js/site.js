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
})();
