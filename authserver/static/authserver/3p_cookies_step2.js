"use strict";
// Step 2 of the third-party cookies check: did step 1's cookies come back? Then remove them.
(function () {
  var supported = document.cookie.indexOf("AUTHSERVER_3P_COOKIE") !== -1;
  document.cookie = "AUTHSERVER_3P_COOKIE_SAMESITE=; Max-Age=0; SameSite=None; Secure";
  document.cookie = "AUTHSERVER_3P_COOKIE=; Max-Age=0";
  window.parent.postMessage(supported ? "supported" : "unsupported", "*");
})();
