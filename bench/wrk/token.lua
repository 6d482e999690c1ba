-- wrk script for bench/token_throughput.py: every request is one OAuth 2
-- client_credentials token request authenticated with client_secret_basic.
--
-- Environment (set by token_throughput.py):
--   BENCH_BASIC_AUTH  base64("client_id:client_secret"), already form-url-encoded per RFC 6749 2.3.1
--   BENCH_BODY        the form body, e.g. "grant_type=client_credentials&scope=bench"
--
-- No response() callback on purpose: a Lua call per response costs wrk throughput.
-- wrk itself counts HTTP statuses > 399 as errors (summary.errors.status).

wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = "Basic " .. assert(os.getenv("BENCH_BASIC_AUTH"), "BENCH_BASIC_AUTH unset")

-- One machine-readable line; latencies are in microseconds.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,'
      .. '"mean_us":%.1f,"max_us":%d,"errors_connect":%d,"errors_read":%d,'
      .. '"errors_write":%d,"errors_status":%d,"errors_timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.mean, latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
