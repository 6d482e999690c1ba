// What the sample action services share (Node.js, the plain http module only).
//
// serve(handle, { pages }): POSTs to "/" are actions: the JSON body goes to handle(request),
// which returns the JSON answer, or [status, answer]. Other paths go to pages[path](req, body).
// Options: --port (default 8081), --host (default 127.0.0.1), --secret whsec_... (verify the
// Standard Webhooks signature Identra sends; requests without a valid one get 401).
"use strict";

const http = require("node:http");
const crypto = require("node:crypto");

const MAX_BODY = 1024 * 1024;
const TOLERANCE = 300;

function options(argv = process.argv.slice(2)) {
  const opts = { host: "127.0.0.1", port: 8081, secret: null, extra: {} };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, "");
    const value = argv[i + 1];
    if (name === "port") opts.port = Number(value);
    else if (name === "host") opts.host = value;
    else if (name === "secret") opts.secret = value;
    else opts.extra[name] = value;
  }
  return opts;
}

function verify(secret, headers, body) {
  const id = headers["webhook-id"] || "";
  const stamp = headers["webhook-timestamp"] || "";
  if (!id || !/^\d+$/.test(stamp)) return false;
  if (Math.abs(Date.now() / 1000 - Number(stamp)) > TOLERANCE) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const mac = crypto.createHmac("sha256", key);
  mac.update(`${id}.${stamp}.`);
  mac.update(body);
  const expected = Buffer.from("v1," + mac.digest("base64"));
  return (headers["webhook-signature"] || "").split(" ").some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && crypto.timingSafeEqual(given, expected);
  });
}

function error(message) {
  return { actionStatus: "ERROR", errorMessage: message };
}

function sendJson(res, status, data) {
  const body = Buffer.from(JSON.stringify(data));
  res.writeHead(status, { "content-type": "application/json", "content-length": body.length });
  res.end(body);
}

function serve(handle, { pages = {}, onBound = null, opts = options() } = {}) {
  const server = http.createServer((req, res) => {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        sendJson(res, 413, error("body too large"));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      respond(req, res, Buffer.concat(chunks)).catch((err) => {
        console.error(err);
        if (!res.headersSent) sendJson(res, 500, error("the service failed"));
      });
    });
  });

  async function respond(req, res, body) {
    const url = new URL(req.url.replace(/^\/+/, "/"), "http://localhost");
    if (pages[url.pathname]) {
      const [status, headers, content] = await pages[url.pathname](req, url, body);
      res.writeHead(status, { ...headers, "content-length": Buffer.byteLength(content) });
      res.end(content);
      return;
    }
    if (req.method !== "POST" || url.pathname !== "/") {
      sendJson(res, 404, error("not found"));
      return;
    }
    if (opts.secret && !verify(opts.secret, req.headers, body)) {
      sendJson(res, 401, error("bad signature"));
      return;
    }
    let payload;
    try {
      payload = JSON.parse(body.toString("utf8"));
    } catch {
      sendJson(res, 400, error("the body is not JSON"));
      return;
    }
    const answer = await handle(payload);
    if (Array.isArray(answer)) sendJson(res, answer[0], answer[1]);
    else sendJson(res, 200, answer);
  }
  server.listen(opts.port, opts.host, () => {
    const base = `http://${opts.host}:${server.address().port}`;
    if (onBound) onBound(base);
    console.log(`listening on ${base}/`);
  });
  return server;
}

module.exports = { serve, options, verify, error };
