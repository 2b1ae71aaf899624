-- wrk script: one page, again and again, with a logged-in session (DJ_COOKIE, "dj_session=…")
-- or none. The path is wrk's URL path. Prints one BENCH line like search.lua.
local cookie = os.getenv("DJ_COOKIE") or ""

request = function()
  local headers = {}
  if cookie ~= "" then headers["Cookie"] = cookie end
  return wrk.format("GET", wrk.path, headers)
end

done = function(summary, latency, requests)
  io.write(string.format("BENCH requests=%d duration_s=%.1f rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
