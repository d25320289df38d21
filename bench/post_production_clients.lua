-- wrk script: a slow writer. Unique production entries rotating over the comma-separated
-- $CLIENTS (work order BENCH-WO-<client> each), one request per $DELAY_MS per connection, so
-- the KPI cache of those clients keeps being invalidated while the overview is measured.
-- $RUN keeps operation ids (part of the natural key) apart between runs.
local token = os.getenv("TOKEN")
local day = os.getenv("DAY")
local delay_ms = tonumber(os.getenv("DELAY_MS") or "50")
local run = os.getenv("RUN") or "0"
local clients = {}
for c in string.gmatch(os.getenv("CLIENTS"), "[^,]+") do
  table.insert(clients, c)
end
local counter = 0

function request()
  counter = counter + 1
  local client = clients[counter % #clients + 1]
  local body = string.format(
    '{"client_id":"%s","work_order_id":"BENCH-WO-%s","shift_date":"%s","shift_type":"SHIFT_1ST","operation_id":"W%s-%d","units_produced":100,"employees_assigned":10,"shift_hours_scheduled":9}',
    client, client, day, run, counter)
  return wrk.format("POST", "/api/production", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end

function delay()
  return delay_ms
end
