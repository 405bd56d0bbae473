-- Skewed data: 97 % of the entities have pm10 = 18, the other 3 % (every 33rd
-- entity, so far apart in id order) a value in [100, 200). A numeric range in
-- that rest, first page of 20:
-- GET /ngsi-ld/v1/entities?type=AirQualityObserved&q=pm10>=A;pm10<A+50&limit=20
math.randomseed(os.time() + 4)

request = function()
  local low = math.random(100, 150)
  local q = string.format("pm10%%3E%%3D%d%%3Bpm10%%3C%d", low, low + 50)
  return wrk.format("GET", "/ngsi-ld/v1/entities?type=AirQualityObserved&limit=20&q=" .. q)
end

response = function(status)
  if status ~= 200 then error("unexpected status " .. status) end
end
