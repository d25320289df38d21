-- wrk script: GET /api/clients/{id}/kpis?$QUERY with the bearer token from $TOKEN, the client
-- rotating per request over the comma-separated $CLIENTS (each thread starts at its own offset).
local token = os.getenv("TOKEN")
local query = os.getenv("QUERY")
local clients = {}
for c in string.gmatch(os.getenv("CLIENTS"), "[^,]+") do
  table.insert(clients, c)
end
local threads = 0
local i = 0

function setup(thread)
  threads = threads + 1
  thread:set("i", threads * 7)
end

function request()
  i = i % #clients + 1
  return wrk.format("GET", "/api/clients/" .. clients[i] .. "/kpis?" .. query, {["Authorization"] = "Bearer " .. token})
end
