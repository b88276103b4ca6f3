-- Refresh tokens rotate: each answer carries the next token of its chain. BENCH_VALUES holds
-- the first tokens (at least one per connection); each thread keeps a pool, spends one token per
-- request and puts back the one it gets. BENCH_BODY has "{}" where the token goes.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local report = require("report")

setup = report.setup
done = report.done

local pool = {}
local template, headers

function init(args)
  local threads = tonumber(os.getenv("BENCH_THREADS"))
  for index, value in ipairs(report.lines(os.getenv("BENCH_VALUES"))) do
    if (index - 1) % threads == id then pool[#pool + 1] = value end
  end
  template = os.getenv("BENCH_BODY")
  headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = os.getenv("BENCH_AUTHORIZATION"),
  }
end

function request()
  local value = table.remove(pool) or "exhausted"
  local body = template:gsub("{}", function() return value end)
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  local value = body:match('"refresh_token"%s*:%s*"([^"]+)"')
  if value then pool[#pool + 1] = value end
end
