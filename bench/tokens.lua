-- wrk script for bench/run: every request carries another token from a file.
--
--   wrk ... -s bench/tokens.lua URL -- FILE START STRIDE [ONCE]
--
-- FILE has one token per line. Thread t (0-based) sends the tokens at
-- START + t, START + t + STRIDE, START + t + 2*STRIDE, ... (wrapping around
-- the file), STRIDE being the number of threads; so the whole run sends each
-- token once before sending any again, and a token comes back only after
-- every other one of the file has been sent (the reuse distance is the
-- file's length). With ONCE = 1 there is no wrapping: a thread that has sent
-- its share stops (the request that notices goes to /bench-done, no token)
-- and creates FILE.done.T, so the caller can end wrk (its main thread only
-- ends at the duration, or at SIGINT).
-- At the end, "bench-steps N M" is printed: the most tokens one thread took
-- (the caller starts the next run at START + N * STRIDE) and all of them.

local threads = {}
local nthreads = 0

function setup(thread)
    thread:set("tid", nthreads)
    nthreads = nthreads + 1
    table.insert(threads, thread)
end

function init(args)
    tokens = {}
    file = args[1]
    for line in io.lines(file) do
        if #line > 0 then
            tokens[#tokens + 1] = "Bearer " .. line
        end
    end
    start = tonumber(args[2] or "0")
    stride = tonumber(args[3] or "1")
    once = args[4] == "1"
    steps = 0
end

function request()
    local i = start + tid + steps * stride
    if once and i >= #tokens then
        if not finished then
            finished = true
            local f = io.open(file .. ".done." .. tid, "w")
            if f then f:close() end
            wrk.thread:stop()
        end
        return wrk.format("GET", "/bench-done")
    end
    steps = steps + 1
    return wrk.format(nil, nil, { Authorization = tokens[(i % #tokens) + 1] })
end

function done(summary, latency, requests)
    local most, all = 0, 0
    for _, t in ipairs(threads) do
        local s = t:get("steps") or 0
        all = all + s
        if s > most then
            most = s
        end
    end
    io.write(string.format("bench-steps %d %d\n", most, all))
end
