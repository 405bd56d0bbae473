-- Geo-query: template entities within 500 m of a random point in the load area
-- (georel=near;maxDistance==500, geometry=Point).
math.randomseed(os.time() + 3)

request = function()
  local lon = 13.30 + math.random() * 0.20
  local lat = 52.45 + math.random() * 0.13
  local path = string.format(
    "/ngsi-ld/v1/entities?type=AirQualityObserved&limit=20&georel=near%%3BmaxDistance%%3D%%3D500" ..
    "&geometry=Point&coordinates=%%5B%.5f,%.5f%%5D", lon, lat)
  return wrk.format("GET", path)
end

response = function(status)
  if status ~= 200 then error("unexpected status " .. status) end
end
