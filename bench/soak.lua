-- wrk script for bench/soak.sh: a working day's mix against one server, every request chosen
-- at random by weight. Sessions, CSRF tokens and ids come from the environment (soak.sh logs in
-- first). The X-Forwarded-For address stands for the client (the server runs --trust-proxy):
-- residents and members come from a few thousand addresses, officers from their office.
-- Prints the status codes seen and one BENCH line.

local env = function(name) return os.getenv(name) or "" end
local member_cookie, officer_cookie, street_cookie = env("SOAK_MEMBER"), env("SOAK_OFFICER"), env("SOAK_STREET")
local community_cookie, officer_csrf, token = env("SOAK_COMMUNITY"), env("SOAK_OFFICER_CSRF"), env("SOAK_TOKEN")
local branch, member_id, territory = env("SOAK_BRANCH"), env("SOAK_MEMBER_ID"), env("SOAK_TERRITORY")
local code = env("SOAK_CODE")

local threads = {}
local thread_id = 0
setup = function(thread)
  thread_id = thread_id + 1
  thread:set("id", thread_id)
  table.insert(threads, thread)
end

local counter = 0
statuses = {}

init = function()
  math.randomseed(id * 7919 + os.time())
end

local function client_address(pool)
  local n = math.random(pool)
  return string.format("10.%d.%d.%d", math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
end

-- A valid 18-digit 身份证号, unique per thread and request (GB 11643 check digit).
local weights = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 }
local checks = "10X98765432"
local function id_number()
  counter = counter + 1
  local birth = os.date("!%Y%m%d", -315619200 + (counter % 15000) * 86400)
  local seq = string.format("%03d", (id * 97 + math.floor(counter / 15000)) % 1000)
  local body = "659001" .. birth .. seq
  local sum = 0
  for i = 1, 17 do sum = sum + tonumber(body:sub(i, i)) * weights[i] end
  return body .. checks:sub(sum % 11 + 1, sum % 11 + 1)
end

local function urlencode(s)
  return (s:gsub("[^%w%-_%.]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local function form(pairs)
  local out = {}
  for _, p in ipairs(pairs) do table.insert(out, p[1] .. "=" .. urlencode(p[2])) end
  return table.concat(out, "&")
end

local boundary = "soakboundary7MA4YWxkTrZu0gW"
local function multipart(pairs)
  local out = {}
  for _, p in ipairs(pairs) do
    table.insert(out, "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. p[1] .. "\"\r\n\r\n" .. p[2] .. "\r\n")
  end
  table.insert(out, "--" .. boundary .. "--\r\n")
  return table.concat(out)
end

local function page(cookie, path, address)
  return wrk.format("GET", path, { ["Cookie"] = cookie, ["X-Forwarded-For"] = address })
end

local surnames = { "王", "李", "张", "刘", "陈", "杨", "赵", "黄" }

-- Weighted kinds of request: { weight, builder }.
local kinds = {
  -- members on their phones
  { 14, function() return page(member_cookie, "/me", client_address(3000)) end },
  { 6, function() return page(member_cookie, "/inbox", client_address(3000)) end },
  -- officers at their desks
  { 8, function() return page(street_cookie, "/", "10.200.0.1") end },
  { 8, function() return page(officer_cookie, "/members?q=" .. urlencode(surnames[math.random(#surnames)]), "10.200.0.2") end },
  { 6, function() return page(officer_cookie, "/members/" .. member_id, "10.200.0.2") end },
  { 6, function() return page(street_cookie, "/orglife", "10.200.0.1") end },
  { 5, function() return page(officer_cookie, "/dues", "10.200.0.2") end },
  { 5, function() return page(community_cookie, "/calls", "10.200.0.3") end },
  { 3, function() return page(street_cookie, "/birthdays", "10.200.0.1") end },
  -- residents
  { 8, function() return wrk.format("GET", "/public/calls/new", { ["X-Forwarded-For"] = client_address(5000) }) end },
  { 4, function()
      local body = multipart({
        { "item_code", "C05-01" }, { "territory_id", territory }, { "address", "桃园小区 3 栋" },
        { "description", "楼道灯坏了一周，晚上看不清台阶" }, { "resident_name", "居民" },
        { "phone", string.format("139%08d", math.random(0, 99999999)) },
      })
      return wrk.format("POST", "/public/calls", {
        ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
        ["X-Forwarded-For"] = client_address(5000),
      }, body)
    end },
  { 3, function()
      return wrk.format("GET", "/public/calls/track?code=" .. code,
        { ["X-Forwarded-For"] = client_address(5000) })
    end },
  -- writers: an officer registering members
  { 4, function()
      local body = form({
        { "csrf", officer_csrf }, { "branch_id", branch }, { "name", "压测党员" }, { "id_number", id_number() },
        { "category", "在职" }, { "status", "正式党员" }, { "admitted_on", "2010-07-01" },
      })
      return wrk.format("POST", "/members", {
        ["Cookie"] = officer_cookie, ["X-Forwarded-For"] = "10.200.0.2",
        ["Content-Type"] = "application/x-www-form-urlencoded",
      }, body)
    end },
  -- an outside system on the API
  { 4, function()
      return wrk.format("GET", "/api/v1/members?q=" .. urlencode(surnames[math.random(#surnames)]),
        { ["Authorization"] = "Bearer " .. token, ["X-Forwarded-For"] = "10.200.0.9" })
    end },
  { 6, function() return wrk.format("GET", "/healthz") end },
}
local total_weight = 0
for _, k in ipairs(kinds) do total_weight = total_weight + k[1] end

request = function()
  local pick = math.random(total_weight)
  for _, k in ipairs(kinds) do
    if pick <= k[1] then return k[2]() end
    pick = pick - k[1]
  end
end

response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  local all = {}
  for _, thread in ipairs(threads) do
    local seen = thread:get("statuses")
    for status, n in pairs(seen) do all[status] = (all[status] or 0) + n end
  end
  local codes, server_errors, unexpected = {}, 0, 0
  for status, n in pairs(all) do
    table.insert(codes, string.format("%d:%d", status, n))
    if status >= 500 then server_errors = server_errors + n end
    -- 429 is a limit doing its work (public forms from a crowded address); any other 4xx is
    -- a request the mix meant to succeed.
    if status >= 400 and status < 500 and status ~= 429 then unexpected = unexpected + n end
  end
  table.sort(codes)
  io.write("statuses " .. table.concat(codes, " ") .. "\n")
  io.write(string.format("BENCH requests=%d duration_s=%.1f rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f server_errors=%d unexpected_4xx=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, server_errors, unexpected,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
