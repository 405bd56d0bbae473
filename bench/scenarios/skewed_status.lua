-- Skewed data: 97 % of the entities have status "ok", the other 3 % (every 33rd
-- entity) "alarm". The rare value, first page of 20:
-- GET /ngsi-ld/v1/entities?type=AirQualityObserved&q=status=="alarm"&limit=20
request = function()
  return wrk.format("GET", "/ngsi-ld/v1/entities?type=AirQualityObserved&limit=20&q=status%3D%3D%22alarm%22")
end

response = function(status)
  if status ~= 200 then error("unexpected status " .. status) end
end
