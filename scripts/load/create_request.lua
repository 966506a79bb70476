-- wrk script: POST /api/v1/requests as CPAS software (API token), one new draft per call.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("ART60_LOAD_TOKEN")
wrk.body = string.format([[{"employment_id": %s, "input": {"contract": {"start": "2027-03-01", "days_per_week": 5, "weekly_hours": 38, "reference_hours": 38}}, "contact_name": "Load test", "contact_email": "load@cpas.example"}]], os.getenv("ART60_LOAD_EMPLOYMENT"))

done = function(summary, latency, requests)
  io.write(string.format("status errors: %d (non-2xx or socket)\n", summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
