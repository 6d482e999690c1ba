// Authentication sample: a PIN page. Identra's login flow offers it as "action:<name>".
//
// 1. Identra calls POST / with the flow id and event.returnUrl; the service answers
//    INCOMPLETE, redirecting the browser to its own /pin page.
// 2. The person enters their username and PIN; on success the service remembers the flow id
//    and sends the browser back to returnUrl.
// 3. Identra calls POST / again with the same flow id; the service answers SUCCESS with the
//    username (or FAILED).
//
//   node authentication.js --port 8085 [--secret whsec_...] [--pins alice=1234,bob=0000]
//   identra actions create pin --type authentication --endpoint http://127.0.0.1:8085/ \
//       --config '{"label": "Sign in with a PIN"}'
//
// The PINs are in memory: this is a demonstration, not a credential store.
"use strict";

const crypto = require("node:crypto");
const { serve, options } = require("./common");

const opts = options();
const PINS = Object.fromEntries(
  (opts.extra.pins || "alice=1234").split(",").map((pair) => pair.split("=")),
);
const PENDING_TTL = 600 * 1000;
const pending = new Map(); // flow id -> { return, until, tries }
const done = new Map(); // flow id -> username ("" when it failed)
let baseUrl = "";

const escape = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

function handle(request) {
  const flowId = request.flowId || "";
  if (done.has(flowId)) {
    const username = done.get(flowId);
    done.delete(flowId);
    if (!username) {
      return { actionStatus: "FAILED", failureReason: "wrong_pin", failureDescription: "The PIN was not correct." };
    }
    return {
      actionStatus: "SUCCESS",
      data: { user: { claims: [{ uri: "http://wso2.org/claims/username", value: username }] } },
    };
  }
  pending.set(flowId, { return: request.event.returnUrl, until: Date.now() + PENDING_TTL, tries: 0 });
  const url = `${baseUrl}/pin?${new URLSearchParams({ flow: flowId })}`;
  return { actionStatus: "INCOMPLETE", operations: [{ op: "redirect", url }] };
}

function page(flow, message = "") {
  const error = message ? `<p role="alert">${escape(message)}</p>` : "";
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Enter your PIN</title></head>
<body><main>
<h1>Enter your PIN</h1>
${error}
<form method="post" action="/pin">
  <input type="hidden" name="flow" value="${escape(flow)}">
  <label for="username">Username</label>
  <input id="username" name="username" autocomplete="username" required>
  <label for="pin">PIN</label>
  <input id="pin" name="pin" type="password" inputmode="numeric" autocomplete="off" required>
  <button type="submit">Continue</button>
</form>
</main></body></html>
`;
  return [
    200,
    {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": "default-src 'none'",
      "cache-control": "no-store",
    },
    html,
  ];
}

function same(a, b) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

function pinPage(req, url, body) {
  if (req.method === "GET") return page(url.searchParams.get("flow") || "");
  const form = new URLSearchParams(body.toString("utf8"));
  const flow = form.get("flow") || "";
  const entry = pending.get(flow);
  if (!entry || entry.until < Date.now()) {
    return [400, { "content-type": "text/plain" }, "This sign-in has expired. Start again."];
  }
  let username = form.get("username") || "";
  const expected = PINS[username];
  if (expected === undefined || !same(expected, form.get("pin") || "")) {
    entry.tries += 1;
    if (entry.tries < 3) return page(flow, "The username or PIN is not correct.");
    username = "";
  }
  pending.delete(flow);
  done.set(flow, username);
  return [303, { location: entry.return }, ""];
}

serve(handle, { pages: { "/pin": pinPage }, onBound: (base) => (baseUrl = base), opts });
