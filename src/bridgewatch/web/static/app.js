// bridgewatch web: progressive enhancement only; every form works without this file.
(function () {
  "use strict";
  // Same rule as the server (bridgewatch.service.text): URLs do not count.
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

  document.addEventListener("DOMContentLoaded", function () {
    summaryCount();
    document.querySelectorAll("form.rating-form").forEach(function (f) {
      matchFieldsets(f, "helpfulness_level");
    });
    document.querySelectorAll("form.write-form").forEach(function (f) {
      matchFieldsets(f, "classification");
    });
    var flash = document.getElementById("flash");
    if (flash) flash.focus && flash.setAttribute("tabindex", "-1");
  });
})();
