-- wrk script: POST a small OpenAI chat request; print one machine-readable line at the end.
wrk.method = "POST"
wrk.body = '{"model":"bench","messages":[{"role":"user","content":"Hello, world!"}],"max_tokens":16}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer test-token"

-- No response() callback: it would make wrk hand every body to Lua and slow the load generator down.
-- summary.errors.status counts non-2xx/3xx answers.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT rps=%.1f p50_us=%d p90_us=%d p99_us=%d mean_us=%.1f requests=%d errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean,
    summary.requests, e.connect + e.read + e.write + e.timeout, e.status))
end
