// Live Markdown preview of a question's reference answer in the admin change form.
// The server renders it (qa.markdown.render_markdown: raw HTML off, sanitised with nh3), so the
// preview is exactly what learners will see. Loaded as a file: CSP allows no inline scripts.
(function () {
  "use strict";

  function init() {
    var textarea = document.getElementById("id_answer");
    var panel = document.getElementById("answer-preview");
    if (!textarea || !panel) { return; }
    var output = panel.querySelector(".answer-preview-output");
    var tokenInput = document.querySelector("input[name=csrfmiddlewaretoken]");
    var row = textarea.closest(".form-row");
    if (row && row.parentNode) { row.parentNode.insertBefore(panel, row.nextSibling); }
    panel.hidden = false;

    var timer = null;
    var latest = 0;
    function refresh() {
      var request = ++latest;
      var body = new FormData();
      body.append("answer", textarea.value);
      fetch(panel.dataset.previewUrl, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": tokenInput ? tokenInput.value : "" }
      }).then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      }).then(function (html) {
        // Sanitised server-side; an older response never overwrites a newer one.
        if (request === latest) { output.innerHTML = html; }
      }).catch(function () {
        if (request === latest) { output.textContent = panel.dataset.errorText; }
      });
    }
    textarea.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 350);
    });
    refresh();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
