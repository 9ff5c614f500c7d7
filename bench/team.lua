-- bench/team.py's readers: each request is a page picked at random from the file named by
-- TEAM_PATHS (one path a line, repeated by weight), with the headers given to wrk (-H).
local paths = {}
for line in io.lines(os.getenv("TEAM_PATHS")) do
  paths[#paths + 1] = line
end
local seeded = false

request = function()
  if not seeded then
    math.randomseed(os.time() + math.floor(os.clock() * 1000000))
    seeded = true
  end
  return wrk.format("GET", paths[math.random(#paths)])
end
