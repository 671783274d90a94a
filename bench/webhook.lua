-- wrk script for `make bench`: POSTs pre-generated signed Instagram webhook bodies.
--
--   wrk -t T -c C -d D -s bench/webhook.lua URL -- <bodies prefix> <path>
--
-- LuaJIT has no HMAC, so `SandraBench wrk-bodies` signs the bodies ahead of time: thread t
-- reads <prefix>.<t>, one "<X-Hub-Signature-256 value>\t<body>" per line, and sends each
-- line once (every message id is distinct). If a thread runs out it starts over and counts
-- a wrap; the report flags any (a redelivery is cheaper than a new message).
-- The same files serve the bare route, so both get bodies of the same sizes.

local threads = {}
local counter = 0

function setup(thread)
   thread:set("id", counter)
   table.insert(threads, thread)
   counter = counter + 1
end

function init(args)
   local prefix, path = args[1], args[2]
   requests = {}
   local file = assert(io.open(prefix .. "." .. id, "r"))
   for line in file:lines() do
      local tab = line:find("\t", 1, true)
      requests[#requests + 1] = wrk.format("POST", path, {
         ["Content-Type"] = "application/json",
         ["X-Hub-Signature-256"] = line:sub(1, tab - 1),
      }, line:sub(tab + 1))
   end
   file:close()
   count = #requests
   index = 0
   wrapped = 0
end

function request()
   index = index + 1
   if index > count then
      index = 1
      wrapped = wrapped + 1
   end
   return requests[index]
end

function done(summary, latency, requests)
   local wraps = 0
   for _, thread in ipairs(threads) do
      wraps = wraps + (thread:get("wrapped") or 0)
   end
   local errors = summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout
   local seconds = summary.duration / 1e6
   local lines = {
      string.format("requests=%d", summary.requests),
      string.format("duration_s=%.2f", seconds),
      string.format("rps=%.1f", summary.requests / seconds),
      string.format("p50_us=%d", latency:percentile(50)),
      string.format("p90_us=%d", latency:percentile(90)),
      string.format("p99_us=%d", latency:percentile(99)),
      string.format("max_us=%d", latency.max),
      string.format("errors=%d", errors),
      string.format("status_errors=%d", summary.errors.status),
      string.format("timeouts=%d", summary.errors.timeout),
      string.format("wrapped=%d", wraps),
   }
   for _, line in ipairs(lines) do
      io.write("result:", line, "\n")
   end
end
