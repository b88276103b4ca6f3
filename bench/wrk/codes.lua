-- Single-use values (authorization codes): BENCH_VALUES names a file, one value a line; each
-- thread takes every BENCH_THREADS-th line from its own offset and spends each value once.
-- BENCH_BODY is the form body with "{}" where the value goes. Once the values run out, the
-- requests carry a spent one and count as errors: mint more.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local report = require("report")

setup = report.setup
done = report.done

local values, next_value = {}, 1
local template, headers

function init(args)
  local threads = tonumber(os.getenv("BENCH_THREADS"))
  for index, value in ipairs(report.lines(os.getenv("BENCH_VALUES"))) do
    if (index - 1) % threads == id then values[#values + 1] = value end
  end
  template = os.getenv("BENCH_BODY")
  headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = os.getenv("BENCH_AUTHORIZATION"),
  }
end

function request()
  local value = values[next_value] or "spent"
  next_value = next_value + 1
  local body = template:gsub("{}", function() return value end)
  return wrk.format("POST", nil, headers, body)
end
