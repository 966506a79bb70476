-- wrk script: GET /requests/{id}, the portal's request page, as a CPAS worker (session
-- cookie). ART60_LOAD_THINK_MS (default 0): each connection waits that long between two
-- requests, a user reading the page rather than a client looping.
wrk.headers["Cookie"] = "art60_session=" .. os.getenv("ART60_LOAD_WORKER_COOKIE")
local think = tonumber(os.getenv("ART60_LOAD_THINK_MS") or "0")

delay = function()
  if think > 0 then return math.random(math.floor(think / 2), think + math.floor(think / 2)) end
  return 0
end

done = function(summary, latency, requests)
  io.write(string.format("status errors: %d (non-2xx or socket)\n", summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
