"use strict";
// Step 1 of the third-party cookies check: set two test cookies (one SameSite=None, which
// only https keeps) and go on to step 2, which looks for them. Without storage access in
// this frame, the answer is "unsupported" at once.
(function () {
  function signal(supported) {
    // One bit, the same for every site: the parent's origin need not be known.
    window.parent.postMessage(supported ? "supported" : "unsupported", "*");
  }

  function attempt() {
    document.cookie = "AUTHSERVER_3P_COOKIE_SAMESITE=supported; Max-Age=60; SameSite=None; Secure";
    document.cookie = "AUTHSERVER_3P_COOKIE=supported; Max-Age=60";
    window.location = "step2.html";
  }

  if (!document.hasStorageAccess || !document.requestStorageAccess) {
    attempt();
    return;
  }
  document.hasStorageAccess().then(
    function (granted) {
      if (granted) {
        attempt();
      } else {
        signal(false);
      }
    },
    function () {
      signal(false);
    }
  );
})();
