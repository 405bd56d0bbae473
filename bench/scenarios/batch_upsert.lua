-- Batch upsert of 1,000 new template entities per request
-- (POST /ngsi-ld/v1/entityOperations/upsert); entities/s = requests/s x 1,000.
local template = os.getenv("BENCH_TEMPLATE")
local headers = { ["Content-Type"] = "application/json" }
local counter = 0
math.randomseed(os.time())
local tag = tostring(math.random(1, 1e9))

request = function()
  counter = counter + 1
  local parts = {}
  for i = 1, 1000 do
    local id = "urn:ngsi-ld:BenchUpsert:" .. tag .. "-" .. counter .. "-" .. i
    parts[i] = template:gsub("__ID__", id)
  end
  return wrk.format("POST", "/ngsi-ld/v1/entityOperations/upsert", headers, "[" .. table.concat(parts, ",") .. "]")
end

response = function(status)
  if status ~= 201 and status ~= 204 then error("unexpected status " .. status) end
end
