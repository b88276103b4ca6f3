// The signed-out page goes on by its meta refresh once every front-channel frame has loaded.
// A relying party that never answers would hold it there: go on after a few seconds anyway.
(function () {
  "use strict";
  var link = document.getElementById("continue");
  if (!link) {
    return;
  }
  window.setTimeout(function () {
    window.location.replace(link.href);
  }, 5000);
})();
