-- wrk script: bench/bodies' warm-up. POSTs chat requests of BODY_SIZE bytes (env; default 1024) whose user
-- message has escapes, as BodyBench's do, so that the JIT has compiled the paths a body of that size takes
-- (the JSON skipping and prefix hashing, the bulk lane) before anything is timed.
local req

init = function(args)
  local size = tonumber(os.getenv("BODY_SIZE") or "1024")
  local head = '{"model":"bench","messages":[{"role":"system","content":"You are a helpful assistant."},'
    .. '{"role":"user","content":"'
  local tail = '"}],"max_tokens":16,"temperature":0}'
  local unit = 'the model context window \\"quoted\\" retrieval document.\\n'
  local text = string.rep(unit, math.floor((size - #head - #tail) / #unit) + 1)
  text = string.sub(text, 1, size - #head - #tail)
  while string.sub(text, -1) == "\\" do text = string.sub(text, 1, -2) .. "x" end
  req = wrk.format("POST", nil, {["Content-Type"] = "application/json"}, head .. text .. tail)
end

request = function()
  return req
end
