-- Retrieve a random template entity by id (GET /ngsi-ld/v1/entities/{id}).
-- With BENCH_TOKEN (the *_auth scenarios) every request carries it as a bearer token.
if os.getenv("BENCH_TOKEN") then wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN") end
local n = tonumber(os.getenv("BENCH_ENTITIES"))
local prefix = os.getenv("BENCH_PREFIX")
math.randomseed(os.time())

request = function()
  return wrk.format("GET", "/ngsi-ld/v1/entities/" .. prefix .. math.random(0, n - 1))
end

response = function(status)
  if status ~= 200 then error("unexpected status " .. status) end
end
