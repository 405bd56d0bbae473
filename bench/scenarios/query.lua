-- Query by type and a numeric range on temperature, first page of 20
-- (GET /ngsi-ld/v1/entities?type=AirQualityObserved&q=temperature>=A;temperature<B&limit=20).
-- With BENCH_TOKEN (the *_auth scenarios) every request carries it as a bearer token.
if os.getenv("BENCH_TOKEN") then wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN") end
math.randomseed(os.time() + 2)

request = function()
  local low = math.random(0, 35)
  local q = string.format("temperature%%3E%%3D%d%%3Btemperature%%3C%d", low, low + 5)
  return wrk.format("GET", "/ngsi-ld/v1/entities?type=AirQualityObserved&limit=20&q=" .. q)
end

response = function(status)
  if status ~= 200 then error("unexpected status " .. status) end
end
