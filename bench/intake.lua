-- wrk script of bench/intake.py: replays pre-signed requests, one file per wrk thread.
--
--   INTAKE_BENCH_COUNT=1 wrk -t2 -c16 -d10s -s bench/intake.lua http://127.0.0.1:PORT/ -- \
--       DIR RATE STOP 2 16
--
-- (2 16 repeat -t and -c: a thread's script cannot read wrk's options)
--
-- DIR/requests-<n>.bin (n = 1..threads) holds complete HTTP/1.1 requests separated by NUL
-- bytes, written by bench/intake.py just before wrk starts (their signatures carry a
-- timestamp the server accepts for a few minutes only). Each thread reads its own file, so
-- each thread has its own comment-id range and no request is sent twice.
--
-- RATE > 0 paces the offered load with wrk's delay() hook (wrk has no fixed-rate mode; that
-- is wrk2). Each thread keeps a schedule: its k-th request is due at start + k * threads /
-- RATE seconds, and delay() waits until then. A request goes only when one of the thread's
-- connections is free: while every connection waits for an answer the next ones are late,
-- so this is closed-loop pacing, and the latency wrk records starts when a request is sent,
-- not when it was due (no coordinated-omission correction). The number of late requests
-- (more than 10 ms after their slot) is reported so that a run where this happened shows it.
-- Without LuaJIT's ffi (no clock) it falls back to a fixed gap of connections / RATE seconds
-- between a connection's requests, which offers less than RATE when answers take time.
-- RATE = 0: no delay() at all, every connection sends its next request at once.
--
-- STOP = 1: each thread stops once every request of its file is answered (a fixed count:
-- the backlog phase) and leaves a file DIR/done-<n>, on which bench/intake.py interrupts
-- wrk; otherwise wrk runs for its -d duration. A thread whose file runs out
-- before that stops sending (reported as "exhausted").
--
-- INTAKE_BENCH_COUNT=1 in the environment: count the answers by status code in response()
-- (STOP needs it). That costs wrk CPU (every answer's headers then go to Lua), so without it
-- only wrk's own summary counts them: errors.status is the number of 4xx/5xx answers.
--
-- done() prints one line "INTAKE-BENCH {json}" with the totals, latency percentiles and the
-- status counts of all threads.

local counter = 0
local threads = {}

function setup(thread)
   counter = counter + 1
   thread:set("id", counter)
   table.insert(threads, thread)
end

local requests = {}
local index = 0
local total = 0
statuses = {}
late = 0
exhausted = 0
answered = 0
local stop_when_done = false
local directory = "."
-- wrk calls request() once in the first thread before the run starts, to check the request
-- parses (script_verify_request); that call must not use up a comment.
local verifying = false

local now_ms = nil
do
   local ok, ffi = pcall(require, "ffi")
   if ok then
      ffi.cdef [[
         typedef struct { long tv_sec; long tv_nsec; } intake_timespec;
         int clock_gettime(int clk_id, intake_timespec *tp);
      ]]
      local ts = ffi.new("intake_timespec")
      now_ms = function()
         ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
         return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
      end
   end
end

local function read_requests(path)
   local fh = assert(io.open(path, "rb"))
   local data = fh:read("*a")
   fh:close()
   local out, start = {}, 1
   while start <= #data do
      local stop = string.find(data, "\0", start, true)
      if stop == nil then
         stop = #data + 1
      end
      if stop > start then
         out[#out + 1] = string.sub(data, start, stop - 1)
      end
      start = stop + 1
   end
   return out
end

local NEVER = 1e9 -- ms: a connection with nothing left to send waits past any -d

-- delay() runs when a connection is ready to send and request() only when its wait is over,
-- so two connections may both wait for the last request: delay() reserves the request.
local reserved = 0

local function reserve()
   if reserved >= total then
      if not stop_when_done then
         exhausted = 1 -- the -d duration outlasts the file: fewer requests than offered
      end
      return false
   end
   reserved = reserved + 1
   return true
end

local function paced_delay(gap_ms)
   local slot = nil
   return function()
      if not reserve() then
         return NEVER
      end
      local now = now_ms()
      if slot == nil then
         slot = now
      else
         slot = slot + gap_ms
      end
      local wait = slot - now
      if wait < -10 then
         late = late + 1
      end
      return wait > 0 and wait or 0
   end
end

function init(args)
   local dir, rate, stop = args[1], tonumber(args[2] or "0"), args[3] == "1"
   local n_threads, n_connections = tonumber(args[4] or "1"), tonumber(args[5] or "1")
   directory = dir
   verifying = id == 1
   requests = read_requests(dir .. "/requests-" .. id .. ".bin")
   total = #requests
   stop_when_done = stop
   if rate > 0 and now_ms ~= nil then
      delay = paced_delay(1000 * n_threads / rate)
   elseif rate > 0 then
      local gap = 1000 * n_connections / rate
      delay = function()
         return reserve() and gap or NEVER
      end
   elseif stop then
      delay = function()
         return reserve() and 0 or NEVER
      end
   end
end

function request()
   if verifying then
      verifying = false
      return requests[1]
   end
   if index >= total then
      exhausted = 1
      return requests[total] -- only reached without delay(): the caller reports "exhausted"
   end
   index = index + 1
   return requests[index]
end

local function count_response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   answered = answered + 1
   if stop_when_done and answered == total then
      -- wrk's main thread sleeps for -d regardless: this mark tells bench/intake.py to end it
      local mark = io.open(directory .. "/done-" .. id, "w")
      if mark ~= nil then
         mark:close()
      end
      wrk.thread:stop()
   end
end

-- wrk decides whether to call response() before init() runs: the switch is read here.
if os.getenv("INTAKE_BENCH_COUNT") == "1" then
   response = count_response
end

local function json_counts(t)
   local parts = {}
   for k, v in pairs(t) do
      parts[#parts + 1] = string.format('"%s": %d', tostring(k), v)
   end
   return "{" .. table.concat(parts, ", ") .. "}"
end

function done(summary, latency, _)
   local all, late_total, exhausted_threads = {}, 0, 0
   for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("statuses") or {}) do
         all[status] = (all[status] or 0) + n
      end
      late_total = late_total + (thread:get("late") or 0)
      exhausted_threads = exhausted_threads + (thread:get("exhausted") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      'INTAKE-BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, '
         .. '"p99_us": %d, "max_us": %d, "mean_us": %.1f, "errors": {"connect": %d, '
         .. '"read": %d, "write": %d, "status": %d, "timeout": %d}, "statuses": %s, '
         .. '"late": %d, "exhausted_threads": %d}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write,
      e.status, e.timeout, json_counts(all), late_total, exhausted_threads))
end
