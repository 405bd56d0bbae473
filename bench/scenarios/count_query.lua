-- Counting: a type and a numeric range on temperature, count only
-- (GET /ngsi-ld/v1/entities?type=AirQualityObserved&q=temperature>=A;temperature<B&count=true&limit=0).
math.randomseed(os.time() + 5)

request = function()
  local low = math.random(0, 35)
  local q = string.format("temperature%%3E%%3D%d%%3Btemperature%%3C%d", low, low + 5)
  return wrk.format("GET", "/ngsi-ld/v1/entities?type=AirQualityObserved&count=true&limit=0&q=" .. q)
end

response = function(status)
  if status ~= 200 then error("unexpected status " .. status) end
end
