-- wrk script: GET /api/v1/queue as an ONEM officer (session cookie).
wrk.headers["Cookie"] = "art60_session=" .. os.getenv("ART60_LOAD_COOKIE")

done = function(summary, latency, requests)
  io.write(string.format("status errors: %d (non-2xx or socket)\n", summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
