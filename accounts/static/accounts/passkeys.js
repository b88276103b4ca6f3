// Passkeys: the one script of the realm's pages. A form marked data-passkey="create" or "get"
// asks the browser's authenticator with the options in #passkey-options, then posts the answer.
(function () {
  "use strict";
  function toBytes(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "===".slice((base64.length + 3) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  }
  function toText(buffer) {
    const bytes = String.fromCharCode(...new Uint8Array(buffer));
    return btoa(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function publicKey(options, kind) {
    options.challenge = toBytes(options.challenge);
    if (kind === "create") {
      options.user.id = toBytes(options.user.id);
      (options.excludeCredentials || []).forEach((c) => { c.id = toBytes(c.id); });
    } else {
      (options.allowCredentials || []).forEach((c) => { c.id = toBytes(c.id); });
    }
    return options;
  }
  function answer(credential) {
    const response = credential.response;
    const found = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toText(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      found.response.attestationObject = toText(response.attestationObject);
      found.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      found.response.authenticatorData = toText(response.authenticatorData);
      found.response.signature = toText(response.signature);
      found.response.userHandle = response.userHandle ? toText(response.userHandle) : null;
    }
    return JSON.stringify(found);
  }
  async function ask(form) {
    if (form.dataset.asking) return;
    form.dataset.asking = "1";
    const kind = form.dataset.passkey;
    const options = JSON.parse(document.getElementById("passkey-options").textContent);
    const problem = form.querySelector(".passkey-problem");
    try {
      const credential = kind === "create"
        ? await navigator.credentials.create({ publicKey: publicKey(options, kind) })
        : await navigator.credentials.get({ publicKey: publicKey(options, kind) });
      form.querySelector("input[name=credential]").value = answer(credential);
      form.dataset.answered = "1";
      form.submit();
    } catch (error) {
      problem.textContent = "The passkey was not used (" + error.name + "). Try again.";
      problem.hidden = false;
      // The button asks again, with the same options.
      delete form.dataset.asking;
    }
  }
  document.querySelectorAll("form[data-passkey]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (form.dataset.answered) return;
      event.preventDefault();
      ask(form);
    });
    // A page reached by its own button (sign in with a passkey) asks at once.
    if (form.dataset.autostart) ask(form);
  });
})();
