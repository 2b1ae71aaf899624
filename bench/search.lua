-- wrk script: member searches as the htmx box sends them, with a logged-in session.
-- DJ_COOKIE carries "dj_session=…"; queries mix pinyin prefixes, initials and Chinese names.
local queries = {
  "zhang", "wang", "li", "liu", "chen", "yang", "zhao", "huang", "zhou", "wu",
  "zs", "wl", "lj", "cm", "yh", "zw", "h", "x", "zhangwei", "wangfang",
  "%E5%BC%A0", "%E7%8E%8B%E4%BC%9F", "%E6%9D%8E", "%E5%88%98%E6%B4%8B", "%E9%99%88",
}
local cookie = os.getenv("DJ_COOKIE") or ""
local scope = os.getenv("DJ_PATH") or "/members?q="

math.randomseed(42)

request = function()
  local q = queries[math.random(#queries)]
  return wrk.format("GET", scope .. q, { ["Cookie"] = cookie, ["HX-Request"] = "true" })
end

done = function(summary, latency, requests)
  io.write(string.format("BENCH requests=%d duration_s=%.1f rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
