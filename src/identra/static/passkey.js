// Passkey (WebAuthn) ceremonies for the hosted login pages.
//
// Loaded by login/options/passkey.html and passkey-enroll.html with the page's CSP nonce. A
// form marked data-passkey="get" or "create" carries the server's options (JSON) in
// data-options; on submit this script calls navigator.credentials, puts the JSON-encoded
// result into the form's hidden "credential" field and submits the form again. Nothing is sent
// anywhere else. Without this script the form posts an empty field and the server explains.
(function () {
  "use strict";

  function toBytes(value) {
    var text = value.replace(/-/g, "+").replace(/_/g, "/");
    while (text.length % 4) {
      text += "=";
    }
    var raw = atob(text);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      out[i] = raw.charCodeAt(i);
    }
    return out.buffer;
  }

  function toText(buffer) {
    if (!buffer) {
      return null;
    }
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) {
      raw += String.fromCharCode(bytes[i]);
    }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      var copy = Object.assign({}, item);
      copy.id = toBytes(item.id);
      return copy;
    });
  }

  function creationOptions(json) {
    if (typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function") {
      return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    }
    var options = Object.assign({}, json);
    options.challenge = toBytes(json.challenge);
    options.user = Object.assign({}, json.user, { id: toBytes(json.user.id) });
    options.excludeCredentials = descriptors(json.excludeCredentials);
    return options;
  }

  function requestOptions(json) {
    if (typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function") {
      return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    }
    var options = Object.assign({}, json);
    options.challenge = toBytes(json.challenge);
    options.allowCredentials = descriptors(json.allowCredentials);
    return options;
  }

  function encode(credential) {
    if (typeof credential.toJSON === "function") {
      return credential.toJSON();
    }
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toText(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      out.response.attestationObject = toText(response.attestationObject);
      out.response.transports =
        typeof response.getTransports === "function" ? response.getTransports() : [];
    } else {
      out.response.authenticatorData = toText(response.authenticatorData);
      out.response.signature = toText(response.signature);
      out.response.userHandle = toText(response.userHandle);
    }
    return out;
  }

  // The page carries the translated messages as data-msg-* attributes of the status element.
  function explain(error, mode, status) {
    function say(key, english) {
      return (status && status.getAttribute("data-msg-" + key)) || english;
    }
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "AbortError") {
      return say("cancelled", "The passkey request was cancelled or timed out. Try again, or sign in another way.");
    }
    if (name === "InvalidStateError" && mode === "create") {
      return say("exists", "A passkey for this account is already on this device.");
    }
    if (name === "SecurityError") {
      return say("insecure", "Passkeys cannot be used at this address.");
    }
    if (name === "NotSupportedError") {
      return say("unsupported", "This device cannot create or use a suitable passkey.");
    }
    return say("failed", "The passkey request failed. Try again, or sign in another way.");
  }

  function setUp(form) {
    var mode = form.getAttribute("data-passkey");
    var field = form.querySelector("input[name=credential]");
    var status = form.querySelector("[data-passkey-status]");
    var busy = false;

    function show(message) {
      if (status) {
        status.textContent = message;
        status.hidden = false;
      }
    }

    form.addEventListener("submit", function (event) {
      if (field.value) {
        return; // the credential is in: let the form go
      }
      event.preventDefault();
      if (busy) {
        return;
      }
      if (!window.PublicKeyCredential || !navigator.credentials) {
        show((status && status.getAttribute("data-msg-no-browser")) ||
          "This browser does not support passkeys. Sign in another way.");
        return;
      }
      var submitter = event.submitter || null;
      var call;
      try {
        var json = JSON.parse(form.getAttribute("data-options"));
        call =
          mode === "create"
            ? navigator.credentials.create({ publicKey: creationOptions(json) })
            : navigator.credentials.get({ publicKey: requestOptions(json) });
      } catch (error) {
        show(explain(error, mode, status));
        return;
      }
      busy = true;
      if (status) {
        status.hidden = true;
      }
      call
        .then(function (credential) {
          if (!credential) {
            throw new DOMException("no credential", "NotAllowedError");
          }
          field.value = JSON.stringify(encode(credential));
          if (typeof form.requestSubmit === "function") {
            form.requestSubmit(submitter);
          } else {
            form.submit();
          }
        })
        .catch(function (error) {
          busy = false;
          field.value = "";
          show(explain(error, mode, status));
        });
    });
  }

  function start() {
    var forms = document.querySelectorAll("form[data-passkey]");
    for (var i = 0; i < forms.length; i++) {
      setUp(forms[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
