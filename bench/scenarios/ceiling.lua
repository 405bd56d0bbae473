-- The ceiling: the same request shape as retrieve, against bench_ceiling.
request = function()
  return wrk.format("GET", "/ngsi-ld/v1/entities/urn:ngsi-ld:Ceiling:1")
end
