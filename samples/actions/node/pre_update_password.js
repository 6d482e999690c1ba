// Pre-update password sample: refuses passwords found in a breach list, comparing SHA-256
// hashes (Identra sends the hash unless the action shares the password as PLAIN_TEXT).
//
//   node pre_update_password.js --port 8082 [--secret whsec_...] [--breached FILE]
//   identra actions create breach-check --type preUpdatePassword --endpoint http://127.0.0.1:8082/
"use strict";

const crypto = require("node:crypto");
const fs = require("node:fs");
const { serve, options } = require("./common");

const BREACHED = [
  "password1234",
  "123456789012",
  "qwertyuiop12",
  "iloveyou1234",
  "correct-horse-battery-staple",
  "violet-harbour-lantern-42",
];

const digest = (password) => crypto.createHash("sha256").update(password).digest("base64");

const opts = options();
const words = [...BREACHED];
if (opts.extra.breached) {
  words.push(...fs.readFileSync(opts.extra.breached, "utf8").split("\n").filter(Boolean));
}
const hashes = new Set(words.map(digest));

serve(
  (request) => {
    const credential = request.event.user.updatingCredential;
    const value = credential.format === "PLAIN_TEXT" ? digest(credential.value) : credential.value;
    if (hashes.has(value)) {
      return {
        actionStatus: "FAILED",
        failureReason: "password_breached",
        failureDescription: "This password appeared in a data breach. Choose another one.",
      };
    }
    return { actionStatus: "SUCCESS" };
  },
  { opts },
);
