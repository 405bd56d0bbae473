-- Create new template entities with unique ids (POST /ngsi-ld/v1/entities).
-- Ids carry a tag per wrk thread and run (set in setup), so that runs against
-- the same broker do not collide.
local counter = 0
math.randomseed(os.time())
local template = os.getenv("BENCH_TEMPLATE")
local headers = { ["Content-Type"] = "application/json" }

setup = function(thread)
  thread:set("thread_tag", tostring(math.random(1, 1e9)) .. tostring(os.time()))
end

request = function()
  counter = counter + 1
  local id = "urn:ngsi-ld:BenchCreate:" .. thread_tag .. "-" .. counter
  return wrk.format("POST", "/ngsi-ld/v1/entities", headers, (template:gsub("__ID__", id)))
end

response = function(status)
  if status ~= 201 then error("unexpected status " .. status) end
end
