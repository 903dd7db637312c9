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
