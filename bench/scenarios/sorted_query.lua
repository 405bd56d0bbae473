-- Sorting: the first page of 20 of a type ordered by a numeric attribute
-- (GET /ngsi-ld/v1/entities?type=AirQualityObserved&orderBy=temperature&limit=20),
-- ascending or descending.
math.randomseed(os.time() + 6)

request = function()
  local order = math.random(0, 1) == 0 and "temperature" or "temperature%3Bdesc"
  return wrk.format("GET", "/ngsi-ld/v1/entities?type=AirQualityObserved&limit=20&orderBy=" .. order)
end

response = function(status)
  if status ~= 200 then error("unexpected status " .. status) end
end
