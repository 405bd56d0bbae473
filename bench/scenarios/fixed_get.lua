-- One request again and again: GET of the path in BENCH_PATH (the temporal
-- query and aggregation scenarios).
local path = os.getenv("BENCH_PATH")

request = function()
  return wrk.format("GET", path)
end

response = function(status)
  if status ~= 200 then error("unexpected status " .. status) end
end
