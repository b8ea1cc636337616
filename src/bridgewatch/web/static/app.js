// bridgewatch web: progressive enhancement only; every form works without this file.
(function () {
  "use strict";
  // Same rule as the server (bridgewatch.usecases.text): URLs do not count.
  var URL_RE = /https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/gi;

  function summaryCount() {
    var box = document.getElementById("summary");
    var out = document.getElementById("count");
    if (!box || !out) return;
    var max = parseInt(box.getAttribute("data-max"), 10) || 280;
    function update() {
      var left = max - box.value.replace(URL_RE, "").length;
      out.textContent = left >= 0 ? left + " characters left" : (-left) + " characters too many";
      out.classList.toggle("over", left < 0);
    }
    box.addEventListener("input", update);
    update();
  }

  // Show only the fieldsets whose data-for lists the checked radio's value.
  function matchFieldsets(form, radioName) {
    var sets = form.querySelectorAll("fieldset[data-for]");
    function update() {
      var checked = form.querySelector('input[name="' + radioName + '"]:checked');
      var value = checked ? checked.value : "";
      sets.forEach(function (fs) {
        var show = value !== "" && fs.getAttribute("data-for").split(" ").indexOf(value) >= 0;
        fs.hidden = !show;
        if (!show) fs.querySelectorAll("input").forEach(function (i) { i.checked = false; });
      });
    }
    form.querySelectorAll('input[name="' + radioName + '"]').forEach(function (r) {
      r.addEventListener("change", update);
    });
    update();
  }

  // After a rating: ask for the note's status until the real-time worker has scored the
  // rating, then say what happened and update the note's badge.
  function followRating(flash) {
    var noteId = flash.getAttribute("data-note");
    if (!noteId) return;
    var after = flash.getAttribute("data-after") || "0";
    var was = flash.getAttribute("data-was") || "";
    var live = flash.querySelector(".live");
    var tries = 0;
    function label(status) {
      var labels = {
        NEEDS_MORE_RATINGS: "Needs more ratings",
        CURRENTLY_RATED_HELPFUL: "Helpful",
        CURRENTLY_RATED_NOT_HELPFUL: "Not helpful"
      };
      return labels[status] || status;
    }
    function strong(text) {
      var el = document.createElement("strong");
      el.textContent = text;
      return el;
    }
    function show(data) {
      var badge = document.querySelector("#note-" + noteId + " .badge");
      if (badge) {
        badge.textContent = data.label;
        badge.className = "badge s-" + data.status.toLowerCase();
      }
      live.textContent = "";
      if (was && was !== data.status) {
        live.appendChild(document.createTextNode("The note's status changed: "));
        live.appendChild(strong(label(was)));
        live.appendChild(document.createTextNode(" \u2192 "));
        live.appendChild(strong(data.label));
        live.appendChild(document.createTextNode("."));
      } else {
        live.appendChild(document.createTextNode("The note's status is still "));
        live.appendChild(strong(data.label));
        live.appendChild(document.createTextNode("."));
      }
    }
    function poll() {
      tries += 1;
      fetch("/notes/" + noteId + "/live?after=" + after, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (data && data.scored) { show(data); return; }
          if (tries >= 60) {
            live.textContent = "The real-time worker has not scored it yet; the status " +
              "updates when it does (is bridgewatch worker running?).";
            return;
          }
          window.setTimeout(poll, 500);
        })
        .catch(function () { if (tries < 60) window.setTimeout(poll, 1000); });
    }
    poll();
  }

  document.addEventListener("DOMContentLoaded", function () {
    summaryCount();
    document.querySelectorAll("form.rating-form").forEach(function (f) {
      matchFieldsets(f, "helpfulness_level");
    });
    document.querySelectorAll("form.write-form").forEach(function (f) {
      matchFieldsets(f, "classification");
    });
    var flash = document.getElementById("flash");
    if (flash) {
      flash.setAttribute("tabindex", "-1");
      followRating(flash);
    }
  });
})();
