-- wrk script: POST a short streamed chat request to llm-sim's model "sim" (bench/run's stream warm-up).
wrk.method = "POST"
wrk.body = '{"model":"sim","stream":true,"max_tokens":4,"messages":[{"role":"user","content":"Hello, world!"}]}'
wrk.headers["Content-Type"] = "application/json"
