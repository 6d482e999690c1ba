// Pre-update profile sample: refuses names that pretend to be staff or carry links.
//
//   node pre_update_profile.js --port 8083 [--secret whsec_...]
//   identra actions create profile-guard --type preUpdateProfile --endpoint http://127.0.0.1:8083/
"use strict";

const { serve } = require("./common");

const NAMES = new Set(["http://wso2.org/claims/givenname", "http://wso2.org/claims/lastname"]);
const FORBIDDEN = /admin|support|https?:\/\/|www\./i;

serve((request) => {
  for (const claim of request.event.request.claims) {
    if (NAMES.has(claim.uri) && FORBIDDEN.test(String(claim.value || ""))) {
      return {
        actionStatus: "FAILED",
        failureReason: "invalidValue",
        failureDescription: "Names may not contain links or words like admin or support.",
      };
    }
  }
  return { actionStatus: "SUCCESS" };
});
