"use strict";
// OpenID Connect Session Management 1.0 §4.2, the OP iframe. The application posts
// "<client_id> <session_state>"; the answer goes back to the sender's origin only:
// "unchanged" while the browser's session is the one the application knows of, "changed"
// once it has ended or another has begun, "error" if that origin is not a web origin of that
// client (asked of the server once; this frame then answers for that client and origin only).
(function () {
  var cookieName = document.currentScript.getAttribute("data-cookie");
  var confirmed = null;

  function browserState() {
    var pairs = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < pairs.length; i++) {
      var at = pairs[i].indexOf("=");
      if (pairs[i].slice(0, at) === cookieName) {
        return decodeURIComponent(pairs[i].slice(at + 1));
      }
    }
    return "";
  }

  function confirm(clientId, origin) {
    if (confirmed !== null) {
      return Promise.resolve(confirmed.clientId === clientId && confirmed.origin === origin);
    }
    var query = new URLSearchParams({ client_id: clientId, origin: origin });
    var url = window.location.pathname + "/init?" + query.toString();
    return fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      if (response.status !== 204) {
        return false;
      }
      confirmed = { clientId: clientId, origin: origin };
      return true;
    });
  }

  function check(clientId, origin, sessionState) {
    return confirm(clientId, origin).then(function (allowed) {
      if (!allowed) {
        return "error";
      }
      return browserState() === sessionState ? "unchanged" : "changed";
    });
  }

  window.addEventListener("message", function (event) {
    if (typeof event.data !== "string" || !event.source || event.origin === "null") {
      return;
    }
    var parts = event.data.split(" ");
    if (parts.length !== 2 || !parts[0]) {
      return;
    }
    check(parts[0], event.origin, parts[1])
      .catch(function () {
        return "error";
      })
      .then(function (result) {
        event.source.postMessage(result, event.origin);
      });
  });
})();
