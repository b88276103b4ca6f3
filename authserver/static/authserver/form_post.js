// OAuth 2.0 Form Post Response Mode: send the authorization response on without a click.
// (The page's Content-Security-Policy forbids inline scripts; the button serves without JS.)
document.getElementById("authorization-response").submit();
