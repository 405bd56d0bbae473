-- A mixed run: 70% retrieve, 20% partial attribute update, 10% query by type + q.
local n = tonumber(os.getenv("BENCH_ENTITIES"))
local prefix = os.getenv("BENCH_PREFIX")
local headers = { ["Content-Type"] = "application/json" }
math.randomseed(os.time() + 4)

request = function()
  local r = math.random()
  local id = prefix .. math.random(0, n - 1)
  if r < 0.7 then
    return wrk.format("GET", "/ngsi-ld/v1/entities/" .. id)
  elseif r < 0.9 then
    return wrk.format("PATCH", "/ngsi-ld/v1/entities/" .. id .. "/attrs/temperature", headers,
      string.format('{"value": %.1f}', math.random() * 40))
  end
  local low = math.random(0, 35)
  return wrk.format("GET", string.format(
    "/ngsi-ld/v1/entities?type=AirQualityObserved&limit=20&q=temperature%%3E%%3D%d%%3Btemperature%%3C%d", low, low + 5))
end

response = function(status)
  if status >= 400 then error("unexpected status " .. status) end
end
