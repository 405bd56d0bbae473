-- Partial attribute update of a random entity's temperature
-- (PATCH /ngsi-ld/v1/entities/{id}/attrs/temperature).
local n = tonumber(os.getenv("BENCH_ENTITIES"))
local prefix = os.getenv("BENCH_PREFIX")
math.randomseed(os.time() + 1)
local headers = { ["Content-Type"] = "application/json" }

request = function()
  local body = string.format('{"value": %.1f}', math.random() * 40)
  return wrk.format("PATCH", "/ngsi-ld/v1/entities/" .. prefix .. math.random(0, n - 1) ..
    "/attrs/temperature", headers, body)
end

response = function(status)
  if status ~= 204 then error("unexpected status " .. status) end
end
