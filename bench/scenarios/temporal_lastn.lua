-- The last 10 instances of a random history sensor's temperature
-- (GET /ngsi-ld/v1/temporal/entities/{id}?attrs=temperature&lastN=10).
local n = tonumber(os.getenv("BENCH_SENSORS"))
local prefix = os.getenv("BENCH_SENSOR_PREFIX")
math.randomseed(os.time())

request = function()
  return wrk.format("GET", "/ngsi-ld/v1/temporal/entities/" .. prefix .. math.random(0, n - 1) ..
    "?attrs=temperature&lastN=10")
end

response = function(status)
  if status ~= 200 then error("unexpected status " .. status) end
end
