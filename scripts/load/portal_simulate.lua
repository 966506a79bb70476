-- wrk script: POST /simulate, the portal's simulation of a request form (htmx), as a CPAS
-- worker: a person with two Belgian jobs and a sickness period before the contract.
-- ART60_LOAD_THINK_MS as in portal_request.lua.
wrk.method = "POST"
wrk.headers["Cookie"] = "art60_session=" .. os.getenv("ART60_LOAD_WORKER_COOKIE")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["HX-Request"] = "true"
wrk.body = "csrf=" .. os.getenv("ART60_LOAD_WORKER_CSRF")
  .. "&birth_date=1990-04-12&contract_start=2027-03-01&days_per_week=5&weekly_hours=38&reference_hours=38"
  .. "&h0_kind=work&h0_start=2025-01-06&h0_end=2025-06-30&h0_days=5&h0_hours=38&h0_ref_hours=38"
  .. "&h1_kind=work&h1_start=2025-09-01&h1_end=2026-02-27&h1_days=4&h1_hours=30.4&h1_ref_hours=38"
  .. "&h2_kind=insured_sickness&h2_start=2026-03-02&h2_end=2026-04-30"
local think = tonumber(os.getenv("ART60_LOAD_THINK_MS") or "0")

delay = function()
  if think > 0 then return math.random(math.floor(think / 2), think + math.floor(think / 2)) end
  return 0
end

done = function(summary, latency, requests)
  io.write(string.format("status errors: %d (non-2xx or socket)\n", summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
