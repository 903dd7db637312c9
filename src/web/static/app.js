// Progressive enhancement only: every form works without this file.
(function () {
  var tz = document.querySelector("select[data-detect-timezone]");
  if (tz && !tz.dataset.userChosen) {
    try {
      var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (zone && tz.querySelector('option[value="' + zone + '"]')) tz.value = zone;
    } catch (e) { /* keep UTC */ }
  }
})();

// Shows how each keyword is understood and how many recent papers it matches, as the reader types.
(function () {
  var input = document.getElementById("keywords");
  var box = document.querySelector("[data-keyword-preview]");
  if (!input || !box || !window.fetch) return;
  var timer;
  var shown = "";
  function line(k) {
    var p = document.createElement("p");
    p.className = "meta keyword-preview" + (k.recentMatches ? "" : " warn");
    var how = k.understoodAs === "concept" ? "understood as " + k.concepts.join(", ") : "searched as the words typed";
    var count = k.recentMatches
      ? "matches " + k.recentMatches + " paper" + (k.recentMatches === 1 ? "" : "s") + " of the last " + k.days + " days"
      : "matches no paper of the last " + k.days + " days yet";
    p.textContent = "\u201c" + k.keyword + "\u201d: " + how + " \u2014 " + count + (k.alsoSearching.length ? "; also searching: " + k.alsoSearching.join(", ") : "");
    return p;
  }
  function update() {
    var value = input.value.trim();
    if (value === shown) return;
    shown = value;
    if (!value) { box.textContent = ""; return; }
    fetch("/api/keywords?q=" + encodeURIComponent(value), { headers: { accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body || shown !== value) return;
        box.textContent = "";
        body.keywords.forEach(function (k) { box.appendChild(line(k)); });
      })
      .catch(function () { /* the preview is a help, not a requirement */ });
  }
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(update, 400); });
  if (input.value.trim() && !box.children.length) update();
})();
