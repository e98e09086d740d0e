-- The wrk script of scripts/load. Every request has the method WRK_METHOD
-- (default GET), the body WRK_BODY and the Content-Type WRK_CONTENT_TYPE
-- (if set), an Origin WRK_ORIGIN with Sec-Fetch-Site: same-origin (if set,
-- as a browser sends them), and one of the cookies of WRK_COOKIES (separated
-- by "|"), taken round-robin so that concurrent requests use different
-- sessions. The requests are formatted once, in init.
--
-- wrk counts only socket errors and statuses of 400 and above; a redirect to
-- the login page would pass. So every response must have the status
-- WRK_EXPECT (default 200) and, if WRK_LOCATION is set, that Location;
-- the others are counted and printed as "unexpected responses: N (first: ...)",
-- which scripts/load treats as a failed run.

local method = os.getenv("WRK_METHOD") or "GET"
local body = os.getenv("WRK_BODY")
local expect = tonumber(os.getenv("WRK_EXPECT") or "200")
local location = os.getenv("WRK_LOCATION")

local requests = {}
local next_request = 0
bad = 0
first_bad = ""

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local function headers(cookie)
    local h = {}
    for k, v in pairs(wrk.headers) do h[k] = v end
    if cookie then h["Cookie"] = cookie end
    local ctype = os.getenv("WRK_CONTENT_TYPE")
    if ctype then h["Content-Type"] = ctype end
    local origin = os.getenv("WRK_ORIGIN")
    if origin then
      h["Origin"] = origin
      h["Sec-Fetch-Site"] = "same-origin"
    end
    return h
  end
  for cookie in string.gmatch(os.getenv("WRK_COOKIES") or "", "[^|]+") do
    table.insert(requests, wrk.format(method, nil, headers(cookie), body))
  end
  if #requests == 0 then
    requests[1] = wrk.format(method, nil, headers(nil), body)
  end
end

function request()
  next_request = next_request % #requests + 1
  return requests[next_request]
end

function response(status, headers, _)
  if status ~= expect or (location and headers["Location"] ~= location) then
    bad = bad + 1
    if first_bad == "" then
      first_bad = status .. " " .. (headers["Location"] or "")
    end
  end
end

function done(summary, latency, requests)
  local total, first = 0, ""
  for _, t in ipairs(threads) do
    total = total + t:get("bad")
    if first == "" then first = t:get("first_bad") end
  end
  io.write(string.format("unexpected responses: %d (first: %s)\n", total, first))
end
