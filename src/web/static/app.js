// Progressive enhancement only: every form works without this file.

// The browser's time zone, on a fresh subscribe form only (the server marks it): never over a zone the reader picked.
(function () {
  var tz = document.querySelector("select[data-detect-timezone]");
  if (!tz) return;
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var option = zone && (tz.querySelector('option[value="' + zone + '"]') || tz.querySelector('option[data-legacy="' + zone + '"]'));
    if (option) tz.value = option.value;
  } catch (e) { /* keep UTC */ }
})();

// Time-zone search: typing a city, country, zone or offset narrows the list and picks the first match.
(function () {
  var select = document.getElementById("timezone");
  var search = document.getElementById("timezone-search");
  var none = document.querySelector("[data-timezone-none]");
  if (!select || !search) return;
  search.hidden = false;
  var options = Array.prototype.slice.call(select.querySelectorAll("option"));
  var groups = Array.prototype.slice.call(select.querySelectorAll("optgroup"));
  function normalize(text) { return text.toLowerCase().replace(/_/g, " ").replace(/\s+/g, " ").trim(); }
  search.addEventListener("input", function () {
    var words = normalize(search.value).split(" ").filter(Boolean);
    var first = null;
    options.forEach(function (option) {
      var text = normalize(option.getAttribute("data-search") || option.value);
      var match = words.every(function (w) { return text.indexOf(w) !== -1; });
      option.hidden = !match;
      option.disabled = !match;
      if (match && !first) first = option;
    });
    groups.forEach(function (group) {
      group.hidden = !group.querySelector("option:not([hidden])");
    });
    if (none) none.hidden = Boolean(first);
    if (first && (select.selectedOptions.length === 0 || select.selectedOptions[0].hidden)) select.value = first.value;
  });
  // Leaving the search with nothing typed shows the whole list again.
  search.addEventListener("search", function () { if (!search.value) search.dispatchEvent(new Event("input")); });
})();

// Cadence: more than 10 papers and a weekday only for a weekly email.
(function () {
  var radios = document.querySelectorAll('input[name="cadence"]');
  var papers = document.getElementById("maxPapers");
  var weekday = document.getElementById("weekday");
  if (!radios.length || !papers) return;
  function update() {
    var weekly = document.querySelector('input[name="cadence"]:checked');
    weekly = weekly && weekly.value === "weekly";
    Array.prototype.forEach.call(papers.querySelectorAll("option[data-weekly-only]"), function (o) { o.disabled = !weekly; });
    if (!weekly && Number(papers.value) > 10) papers.value = "10";
    if (weekday) weekday.disabled = !weekly;
  }
  Array.prototype.forEach.call(radios, function (r) { r.addEventListener("change", update); });
  // A disabled weekday is not sent; the server keeps its default then.
  update();
})();

// Shows how each keyword is understood, how many recent papers it matches, and how many the chosen topics and
// keywords match together, as the reader chooses (GET /api/keywords).
(function () {
  var input = document.getElementById("keywords");
  var box = document.querySelector("[data-keyword-preview]");
  var count = document.querySelector("[data-match-count]");
  if (!input || !box || !window.fetch) return;
  var boxes = document.querySelectorAll('input[name="topics"]');
  var timer;
  var shown = null;
  function line(k) {
    var p = document.createElement("p");
    p.className = "meta keyword-preview" + (k.recentMatches ? "" : " warn");
    var how = k.understoodAs === "concept" ? "understood as " + k.concepts.join(", ") : "searched as the words typed";
    var n = k.recentMatches
      ? "matches " + k.recentMatches + " paper" + (k.recentMatches === 1 ? "" : "s") + " of the last " + k.days + " days"
      : "matches no paper of the last " + k.days + " days yet";
    p.textContent = "\u201c" + k.keyword + "\u201d: " + how + " \u2014 " + n + (k.alsoSearching.length ? "; also searching: " + k.alsoSearching.join(", ") : "");
    return p;
  }
  function total(m) {
    if (!m.recentMatches) return "Your topics and keywords match no paper of the last " + m.days + " days: you would get an email only when one does.";
    return "Your topics and keywords match " + m.recentMatches + " paper" + (m.recentMatches === 1 ? "" : "s") + " of the last " + m.days + " days (about " + m.perWeek + " a week).";
  }
  function topics() {
    return Array.prototype.filter.call(boxes, function (b) { return b.checked; }).map(function (b) { return b.value; });
  }
  function update() {
    var keywords = input.value.trim();
    var chosen = topics();
    var key = keywords + "|" + chosen.join(",");
    if (key === shown) return;
    shown = key;
    if (!keywords) box.textContent = "";
    if (!keywords && !chosen.length) { if (count) count.textContent = ""; return; }
    var query = [];
    if (keywords) query.push("q=" + encodeURIComponent(keywords));
    if (chosen.length) query.push("topics=" + encodeURIComponent(chosen.join(",")));
    fetch("/api/keywords?" + query.join("&"), { headers: { accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body || shown !== key) return;
        box.textContent = "";
        body.keywords.forEach(function (k) { box.appendChild(line(k)); });
        if (count && body.matches) {
          count.textContent = total(body.matches);
          count.classList.toggle("warn", !body.matches.recentMatches);
        }
      })
      .catch(function () { /* the preview is a help, not a requirement */ });
  }
  function later() { clearTimeout(timer); timer = setTimeout(update, 400); }
  input.addEventListener("input", later);
  Array.prototype.forEach.call(boxes, function (b) { b.addEventListener("change", later); });
  if ((input.value.trim() && !box.children.length) || (count && !count.textContent.trim() && topics().length)) update();
})();
