-- wrk script: unique production entries (operation_id differs per request, so the natural key never collides).
local token = os.getenv("TOKEN")
local wo = os.getenv("WO")
local day = os.getenv("DAY")
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"client_id":"BENCH-1","work_order_id":"%s","shift_date":"%s","shift_type":"SHIFT_1ST","operation_id":"B%d-%d","units_produced":100,"employees_assigned":10,"shift_hours_scheduled":9}',
    wo, day, id, counter)
  return wrk.format("POST", "/api/production", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
