// Pre-issue access token sample: adds a "tier" claim, an audience for the orders API, and
// shortens tokens issued to machines (client credentials) to 10 minutes.
//
//   node pre_issue_access_token.js --port 8081 [--secret whsec_...]
//   identra actions create token-tier --type preIssueAccessToken --endpoint http://127.0.0.1:8081/
"use strict";

const { serve } = require("./common");

const GOLD_USERS = new Set(); // user ids that get the gold tier

serve((request) => {
  if (request.actionType !== "PRE_ISSUE_ACCESS_TOKEN") {
    return { actionStatus: "ERROR", errorMessage: "unexpected action type" };
  }
  const event = request.event;
  const tier = event.user && GOLD_USERS.has(event.user.id) ? "gold" : "standard";
  const operations = [
    { op: "add", path: "/accessToken/claims/-", value: { name: "tier", value: tier } },
    { op: "add", path: "/accessToken/claims/aud/-", value: "https://orders.example.com" },
  ];
  if (event.request.grantType === "client_credentials") {
    operations.push({ op: "replace", path: "/accessToken/claims/expires_in", value: 600 });
  }
  return { actionStatus: "SUCCESS", operations };
});
