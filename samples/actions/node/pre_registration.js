// Pre-registration sample: refuses throwaway email addresses; capitalises names and sets the
// locale from the address's country domain.
//
//   node pre_registration.js --port 8084 [--secret whsec_...]
//   identra actions create signup-check --type preRegistration --endpoint http://127.0.0.1:8084/
"use strict";

const { serve } = require("./common");

const THROWAWAY = new Set(["mailinator.com", "guerrillamail.com", "10minutemail.com", "trashmail.com"]);
const LOCALES = { fr: "fr-FR", de: "de-DE", es: "es-ES", it: "it-IT", nl: "nl-NL" };
const EMAIL = "http://wso2.org/claims/emailaddress";
const NAMES = ["http://wso2.org/claims/givenname", "http://wso2.org/claims/lastname"];
const LOCALE = "http://wso2.org/claims/locality";

const title = (s) => s.replace(/\w\S*/g, (w) => w[0].toUpperCase() + w.slice(1).toLowerCase());

serve((request) => {
  const claims = request.event.user.claims;
  const index = Object.fromEntries(claims.map((c, i) => [c.uri, i]));
  const email = EMAIL in index ? claims[index[EMAIL]].value : "";
  const domain = email.split("@").pop().toLowerCase();
  if (THROWAWAY.has(domain)) {
    return {
      actionStatus: "FAILED",
      failureReason: "invalid_email",
      failureDescription: "Use a permanent email address, not a throwaway one.",
    };
  }
  const operations = [];
  for (const uri of NAMES) {
    if (uri in index) {
      const value = claims[index[uri]].value;
      if (value && value !== title(value)) {
        operations.push({ op: "replace", path: `/user/claims/${index[uri]}`, value: title(value) });
      }
    }
  }
  const country = domain.split(".").pop();
  if (LOCALES[country] && !(LOCALE in index)) {
    operations.push({ op: "add", path: "/user/claims/-", value: { uri: LOCALE, value: LOCALES[country] } });
  }
  return { actionStatus: "SUCCESS", operations };
});
