// Quiz keyboard shortcuts and the mock-interview countdown. Everything here is a shortcut for a
// button that also works by mouse and without JavaScript.
//   Space / Enter  show the answer
//   1 2 3 4        Again / Hard / Good / Easy
//   B              bookmark,   N  write a note,   U  undo the last grade
//   Ctrl+Enter     inside the answer box: submit it;  Esc leaves the box
// A learner can turn the single keys off in their settings (WCAG 2.1.4: a speech-input user's
// words or a screen reader's own keys would grade and bookmark): the page's shortcut legend
// then says data-shortcuts="off", and only Ctrl+Enter and Esc in the answer box are left.
// After each action the card's short message (its data-status: "Question 3 of 10", "Answer
// shown", "Graded: Good.") goes into the page's status region, #quiz-status, which stays while
// the cards come and go.
(function () {
  "use strict";

  function singleKeysOn() {
    var legend = document.querySelector("[data-shortcuts]");
    return !legend || legend.dataset.shortcuts !== "off";
  }

  function card() {
    return document.getElementById("quiz-card");
  }

  function isTyping(el) {
    if (!el || !el.tagName) return false;
    var tag = el.tagName;
    return tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable ||
      (tag === "INPUT" && !/^(button|submit|checkbox|radio|reset)$/i.test(el.type));
  }

  function isActivatable(el) {
    if (!el || !el.tagName) return false;
    return el.tagName === "BUTTON" || el.tagName === "A" || el.tagName === "SUMMARY";
  }

  // While one of the card's actions is on its way, its buttons still show the card it was
  // sent from: a key pressed then (U just after a grade) would act on that card.
  function busy(root) {
    return root.classList.contains("htmx-request") || !!root.querySelector(".htmx-request");
  }

  function clickFirst(selector, within) {
    var root = card();
    if (!root || busy(root)) return false;
    var el = (within || root).querySelector(selector);
    if (!el || el.disabled) return false;
    // htmx wires up what a swap put in when it settles (20 ms later): a key pressed sooner
    // would send the form as a page of its own.
    if (el.form && window.htmx) window.htmx.process(el.form);
    el.click();
    return true;
  }

  function openNote() {
    var root = card();
    var details = root && root.querySelector(".note details");
    if (!details) return false;
    details.open = true;
    var area = details.querySelector("textarea");
    if (area) area.focus();
    return true;
  }

  // A note being written when the card is left (a grade, an undo, "stop here") would go with
  // the card: it is saved first, and the card is left once it is kept. A note refused (too
  // long) stays open with the reason, and a save that failed leaves the card as it is (the
  // request error box says why): the click is not repeated on its own. A save already on its
  // way is waited for rather than sent again (the note form drops a second request).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var root = card();
    if (event.defaultPrevented || !root || !root.contains(form) || !window.htmx ||
        !form.matches(".grades, .undo-form, .flashcard-foot form")) return;
    var area = root.querySelector(".note textarea");
    if (!area || area.value === area.defaultValue) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    var submitter = event.submitter;
    var note = area.form;
    function leave() {
      if (!document.body.contains(form) || !form.requestSubmit) return;
      if (submitter) form.requestSubmit(submitter);
      else form.requestSubmit();
    }
    if (note.classList.contains("htmx-request")) {
      // Once that save is answered: if it kept the note the card is left, and if the box has
      // more in it since, one save of that comes first (this listener again).
      // (Heard on the form itself: the answer replaces it, and an event on a form no longer
      // in the page does not reach the document.)
      note.addEventListener("htmx:afterRequest", function (done) {
        if (!done.detail.successful) return;
        setTimeout(function () {
          if (!root.querySelector(".note .errorlist")) leave();
        }, 0);
      }, { once: true });
      return;
    }
    window.htmx.ajax("POST", note.getAttribute("hx-post"), {
      source: note, target: note.getAttribute("hx-target"), swap: "outerHTML"
    }).then(function () {
      var saved = root.querySelector(".note");
      var box = saved && saved.querySelector("textarea");
      if (!saved || saved.querySelector(".errorlist") || !box ||
          box.value !== box.defaultValue) return;  // refused, or not saved
      leave();
    }, function () { /* no answer: the request error box says so */ });
  }, true);

  // Opening the answer box is for typing in it: the box takes the focus (else Space, the next
  // key, would close it again).
  document.addEventListener("toggle", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches(".typed-box") || !box.open) return;
    var area = box.querySelector("textarea");
    if (area) area.focus();
  }, true);

  // When a mock interview's time runs out, the grading comes in while the learner may still
  // be typing, and would take the keys still typed for shortcuts ("2 layers" grades Hard). For
  // QUIET_MS after that swap, shortcut keys do nothing.
  var QUIET_MS = 1500;
  var quietUntil = 0;
  var timeUpSent = false;

  document.addEventListener("htmx:afterSettle", function () {
    if (timeUpSent) quietUntil = Date.now() + QUIET_MS;
    timeUpSent = false;
  });

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.isComposing || !card()) return;
    var target = event.target;

    if (isTyping(target)) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target.form) {
        var submit = target.form.querySelector("[data-key=reveal], [data-key=next], button[type=submit]");
        if (submit && !submit.disabled) {
          event.preventDefault();
          submit.click();
        }
      } else if (event.key === "Escape") {
        // Out of the box to its summary: the focus stays where it can be seen, and Space
        // then closes the box.
        var box = target.closest && target.closest("details");
        var summary = box && box.querySelector("summary");
        if (summary) summary.focus();
        else target.blur();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || !singleKeysOn()) return;
    if (Date.now() < quietUntil) {
      if (event.key.length === 1) event.preventDefault();
      return;
    }

    switch (event.key) {
      case " ":
      case "Enter":
        // A focused button or link answers Space/Enter itself.
        if (isActivatable(target)) return;
        // Not "next question" in a mock interview: a Space meant to scroll would hand in the
        // answer for good. Ctrl+Enter in the answer box does that.
        if (clickFirst("[data-key=reveal]")) event.preventDefault();
        break;
      case "1":
      case "2":
      case "3":
      case "4":
        // Grading a mock interview: the answer the focus is in (the one being read) takes
        // the grade, and one already graded takes none; else the first one left to grade.
        var row = target.closest && target.closest(".summary-row");
        if (clickFirst('[data-rating="' + event.key + '"]', row || undefined)) {
          event.preventDefault();
        }
        break;
      case "b":
      case "B":
        if (clickFirst("[data-key=bookmark]")) event.preventDefault();
        break;
      case "u":
      case "U":
        // A held key would take back one grade after another as each comes up.
        if (!event.repeat && clickFirst("[data-key=undo]")) event.preventDefault();
        break;
      case "n":
      case "N":
        if (openNote()) event.preventDefault();
        break;
      default:
        break;
    }
  });

  // What the last action did, said once its card is in. A grade's own words ("Graded: Good.")
  // are on the button that sent it: kept when the form is sent (after the note it waited for,
  // which stops this listener the first time), said only if the grade went through.
  var statusTimer = 0;
  var sentStatus = "";

  function announce(text) {
    var region = document.getElementById("quiz-status");
    if (!region) return;
    clearTimeout(statusTimer);
    region.textContent = "";
    if (!text) return;
    // Emptied, then filled a moment later: the same words twice in a row are read out twice.
    statusTimer = setTimeout(function () { region.textContent = text; }, 100);
  }

  document.addEventListener("submit", function (event) {
    var root = card();
    if (!root || !root.contains(event.target)) return;
    sentStatus = (event.submitter && event.submitter.dataset.status) || "";
  }, true);

  document.addEventListener("htmx:afterSwap", function (event) {
    var swapped = event.target;
    if (!swapped.matches || !swapped.matches("#quiz-card, .revealed")) return;
    var xhr = event.detail && event.detail.xhr;
    var went = xhr && xhr.status >= 200 && xhr.status < 300;
    var parts = [];
    if (went && sentStatus && swapped.id === "quiz-card") parts.push(sentStatus);
    if (swapped.dataset.status) parts.push(swapped.dataset.status);
    sentStatus = "";
    announce(parts.join(" "));
  });

  // Mock interview countdown: data-remaining-ms is the time left when the card was rendered
  // (the server's clock decides; the browser only counts down). When it has run out, the answer
  // is submitted and the answering ends, whichever question it was: a card that comes back
  // with no time left is never answered blank in its turn.
  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function tick() {
    var timers = document.querySelectorAll("[data-remaining-ms]");
    for (var i = 0; i < timers.length; i++) {
      var el = timers[i];
      if (!el.dataset.endsAt) {
        el.dataset.endsAt = String(Date.now() + parseInt(el.dataset.remainingMs, 10));
      }
      var leftMs = Math.max(0, parseInt(el.dataset.endsAt, 10) - Date.now());
      var left = Math.ceil(leftMs / 1000);
      el.textContent = Math.floor(left / 60) + ":" + pad(left % 60);
      el.classList.toggle("low", left <= 60);
      if (leftMs === 0 && !el.dataset.fired) {
        el.dataset.fired = "1";
        var form = document.querySelector("[data-timeup-form]");
        if (!form) continue;
        var finish = form.querySelector("[data-timeup-finish]");
        if (finish) finish.disabled = false;
        // What is typed from now on would not be handed in.
        var box = form.querySelector("textarea");
        if (box) box.readOnly = true;
        timeUpSent = true;
        if (form.requestSubmit) form.requestSubmit();
        else form.submit();
      }
    }
  }

  // A hand-in at the time limit that got no answer (offline, a server error) is sent again
  // a few seconds later, so the answer typed in time is not left behind: as long as the
  // server takes it after the limit (30 s), then no more (the request error box stays).
  var RETRY_MS = 5000;
  var RETRIES = 6;
  function retryTimeUp(event) {
    var form = event.detail && event.detail.elt;
    if (!form || !form.matches || !form.matches("[data-timeup-form]")) return;
    timeUpSent = false;
    var timer = document.querySelector("[data-remaining-ms][data-fired]");
    if (!timer) return;
    var tries = parseInt(timer.dataset.tries || "0", 10) + 1;
    timer.dataset.tries = String(tries);
    if (tries >= RETRIES) return;
    setTimeout(function () {
      if (document.body.contains(form)) delete timer.dataset.fired;
    }, RETRY_MS);
  }
  document.addEventListener("htmx:sendError", retryTimeUp);
  document.addEventListener("htmx:responseError", retryTimeUp);

  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSettle", tick);
})();
