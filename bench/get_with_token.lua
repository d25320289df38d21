-- wrk script: GET with the bearer token from $TOKEN.
local token = os.getenv("TOKEN")
wrk.headers["Authorization"] = "Bearer " .. token
