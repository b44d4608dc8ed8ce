"""Fair shares of a queue between its clients: who queued each waiting item, the list kept in
an order that interleaves clients, and how many items one client has waiting.

**Who queued what.** Beside each RQ list ``rq:queue:<name>`` a hash ``rq:queue:<name>:clients``
maps a waiting item's id to ``<unix time>|<client>`` (the client: ``token:<name>`` or
``addr:<address>``, ``web.clients``). The submission writes it *before* it enqueues
(``note_clients``), so an id in the list always has its client; an entry whose id is no
longer waiting (taken by a consumer, withdrawn, or whose enqueue failed) is dropped by the
reaper's ``forget_taken`` (or a repair ``interleave``) once it is older than
``CLIENT_GRACE_S`` (the grace keeps the entries of a submission still being enqueued), and
the whole hash expires ``CLIENTS_TTL_S`` after its last write. RQ's job hash, the consumer's
pop (RQ's ``LMOVE``) and the quarantine are unchanged.

**A fair order, placed.** Each placed item has a *round*: a client's items take the rounds
after its previous one (``last:<client>``), never one before the round being served (the
head's), and the list is kept in round order, each round in arrival order. After RQ has
pushed a submission's ids at the tail, ``place`` moves them, in one Lua script (atomic: a
consumer's ``LMOVE`` sees the list before or after; its length — what KEDA and the local
scaler count — never changes), after the last id of their round (``mark:<round>`` in the
state hash ``rq:queue:<name>:fair``; each id's round in ``rq:queue:<name>:rounds``). It
reads only the list's tail and head, never the whole list: its cost depends on the
submission, not on the queue: an id whose place is within ``HEAD_REACH`` of the head or
``TAIL_PROBE`` of the tail goes exactly there, one deeper goes to the tail. An item with no
recorded client (queued again by the reaper or RQ's
retry, a Job's follow-up) stays where RQ pushed it. ``interleave`` — the whole list
reordered by rounds in one pass, "1 + the number of the same client's items ahead" — is
kept as a repair tool; on a list nothing was taken from, both give the same order.

**Shares.** ``check_client_room`` bounds a client's waiting items by its last round − the
head's round + 1 (one item a round); only when that bound refuses does it count the list
(``waiting_of``, one pass), remembering a confirmed refusal with the head's id
(``full:<client>``) until the head moves.

**Cleaning up.** The reaper's pass (``forget_taken``) drops the client and round entries
of ids whose job is gone or no longer queued, once older than ``CLIENT_GRACE_S``; the
submissions drop round marks below the head's round.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from redis import Redis

CLIENTS_SUFFIX = ":clients"
"""Suffix of a queue list's key naming the hash of its waiting items' clients."""

CLIENT_GRACE_S = 600
"""How long an entry whose id is not in the list is kept: longer than any submission takes
to enqueue its items (thousands of chunks take seconds)."""

CLIENTS_TTL_S = 86_400
"""The hash expires this long after its last write (no submission for a day)."""

BATCH = 1000
"""Ids per ``HMGET``/``RPUSH``/``HDEL`` inside the scripts (below Lua's stack limit)."""

_OWNERS = """
local function owners(ids, hash)
  local owner, n = {}, #ids
  for first = 1, n, BATCH do
    local values = redis.call('HMGET', hash, unpack(ids, first, math.min(first + BATCH - 1, n)))
    for i = 1, #values do
      local value = values[i]
      if value then
        local bar = string.find(value, '|', 1, true)
        owner[first + i - 1] = bar and string.sub(value, bar + 1) or value
      end
    end
  end
  return owner
end
""".replace("BATCH", str(BATCH))

INTERLEAVE_SCRIPT = (
    _OWNERS
    + """
-- KEYS[1] the queue list, KEYS[2] its clients hash; ARGV[1] the oldest time an unlisted
-- entry is kept. Returns how many places of the list were rewritten.
local ids = redis.call('LRANGE', KEYS[1], 0, -1)
local n = #ids
local owner = owners(ids, KEYS[2])
local taken, rounds, last, owned = {}, {}, 0, 0
for i = 1, n do
  local who, round = owner[i], 1
  if who then
    round = (taken[who] or 0) + 1
    taken[who] = round
    owned = owned + 1
  end
  local bucket = rounds[round]
  if not bucket then bucket = {}; rounds[round] = bucket end
  bucket[#bucket + 1] = ids[i]
  if round > last then last = round end
end
local order, k = {}, 0
for round = 1, last do
  for _, id in ipairs(rounds[round] or {}) do k = k + 1; order[k] = id end
end
local first = nil
for i = 1, n do
  if order[i] ~= ids[i] then first = i; break end
end
local moved = 0
if first then
  if first == 1 then
    redis.call('DEL', KEYS[1])
  else
    redis.call('LTRIM', KEYS[1], 0, first - 2)
  end
  for s = first, n, BATCH do
    redis.call('RPUSH', KEYS[1], unpack(order, s, math.min(s + BATCH - 1, n)))
  end
  moved = n - first + 1
end
if redis.call('HLEN', KEYS[2]) > owned then
  local listed = {}
  for i = 1, n do listed[ids[i]] = true end
  local entries = redis.call('HGETALL', KEYS[2])
  local stale, oldest = {}, tonumber(ARGV[1])
  for i = 1, #entries, 2 do
    if not listed[entries[i]] then
      local since = tonumber(string.match(entries[i + 1], '^(%d+)|'))
      if not since or since < oldest then stale[#stale + 1] = entries[i] end
    end
  end
  for s = 1, #stale, BATCH do
    redis.call('HDEL', KEYS[2], unpack(stale, s, math.min(s + BATCH - 1, #stale)))
  end
end
return moved
""".replace("BATCH", str(BATCH))
)

WAITING_SCRIPT = (
    _OWNERS
    + """
-- KEYS[1] the queue list, KEYS[2] its clients hash; ARGV[1] a client.
-- Returns how many ids in the list are that client's.
local ids = redis.call('LRANGE', KEYS[1], 0, -1)
local owner, count = owners(ids, KEYS[2]), 0
for i = 1, #ids do
  if owner[i] == ARGV[1] then count = count + 1 end
end
return count
"""
)


STATE_SUFFIX = ":fair"
"""Suffix of the hash of a queue's fair-order state: ``top`` (the highest round given),
``last:<client>`` (a client's last round), ``mark:<round>`` (the last id placed in that
round), ``low`` (the lowest mark kept), ``full:<client>`` (``<head id>|<count>``: a recount
that found the client full while that id was the list's head)."""

ROUNDS_SUFFIX = ":rounds"
"""Suffix of the hash mapping each placed id to its round."""

TAIL_SLACK = 1000
"""How many ids beyond a submission's own are read from the list's tail to find its ids
(RQ pushed them there; other submissions may have pushed in between)."""

TAIL_PROBE = 128
"""An item whose round is this close to the highest is inserted from the list's tail (the
ids after its place are read and pushed back)."""

HEAD_REACH = 5000
"""The list's first ``HEAD_REACH`` ids are read by each placement: the submission's ids whose
round ends among them are merged in there (one rewrite of that window); an id whose place is
deeper, and not within ``TAIL_PROBE`` of the tail, goes to the tail. The order is exact
where the next items are served and at the tail, approximate (later) in between, and no
placement reads the whole list of a long queue."""

HEAD_PROBE = 16
"""How many ids from the list's head are looked at to find the round being served."""


_HEAD_ROUND = """
local function head_round(list, rounds, state)
  local head = redis.call('LRANGE', list, 0, HEAD_PROBE - 1)
  for i = 1, #head do
    local r = redis.call('HGET', rounds, head[i])
    if r then return tonumber(r), head[1] end
  end
  return tonumber(redis.call('HGET', state, 'top') or '0') + 1, head[1]
end
""".replace("HEAD_PROBE", str(HEAD_PROBE))

PLACE_SCRIPT = (
    _HEAD_ROUND
    + """
-- KEYS[1] the queue list, KEYS[2] its fair state hash, KEYS[3] its rounds hash;
-- ARGV[1] the client, ARGV[2] the hashes' TTL, ARGV[3..] the ids it just queued (RQ pushed
-- them at the tail). Moves each id from the tail to the end of its round; returns how many
-- ids were placed. Every id read from the tail is pushed back exactly once.
local list, state, rounds, client = KEYS[1], KEYS[2], KEYS[3], ARGV[1]
local mine, k = {}, #ARGV - 2
for i = 3, #ARGV do mine[ARGV[i]] = true end
local n = redis.call('LLEN', list)
local tail, found, m = {}, {}, 0
for _, slack in ipairs({16, TAIL_SLACK}) do
  if m == math.min(n, k + slack) then break end
  m = math.min(n, k + slack)
  tail, found = redis.call('LRANGE', list, -m, -1), {}
  local seen = 0
  for i = 1, #tail do
    if mine[tail[i]] then found[tail[i]] = true; seen = seen + 1 end
  end
  if seen == k then break end
end
if m == 0 then return 0 end
if m == n then redis.call('DEL', list) else redis.call('LTRIM', list, 0, -(m + 1)) end
local others = {}
for i = 1, #tail do
  if not found[tail[i]] then others[#others + 1] = tail[i] end
end
for s = 1, #others, BATCH do
  redis.call('RPUSH', list, unpack(others, s, math.min(s + BATCH - 1, #others)))
end
local first = head_round(list, rounds, state)
local top = tonumber(redis.call('HGET', state, 'top') or '0')
local last = math.max(tonumber(redis.call('HGET', state, 'last:' .. client) or '0'), first - 1)
local tags, at_head, placed = {}, {}, 0
for i = 3, #ARGV do
  if found[ARGV[i]] then
    last = last + 1
    tags[#tags + 1] = {ARGV[i], last}
  end
end
-- the head window: ids whose round's last id is in it are merged in, in one rewrite
-- (256 ids first; all HEAD_REACH only when an id's place is neither there nor near the tail)
local pivots = {}
for t, tag in ipairs(tags) do
  if tag[2] <= top then pivots[t] = redis.call('HGET', state, 'mark:' .. tag[2]) end
end
local window, where = {}, {}
for _, size in ipairs({256, HEAD_REACH}) do
  window, where = redis.call('LRANGE', list, 0, size - 1), {}
  for j = 1, #window do where[window[j]] = j end
  local missing = false
  for t, tag in ipairs(tags) do
    if pivots[t] and not where[pivots[t]] and top - tag[2] >= TAIL_PROBE then missing = true end
  end
  if not missing or #window < size then break end
end
local after = {}
for t, tag in ipairs(tags) do
  if pivots[t] and where[pivots[t]] then
    after[where[pivots[t]]] = tag[1]
    at_head[tag[1]] = true
  end
end
if next(after) then
  local merged = {}
  for j = 1, #window do
    merged[#merged + 1] = window[j]
    if after[j] then merged[#merged + 1] = after[j] end
  end
  if #window == redis.call('LLEN', list) then
    redis.call('DEL', list)
  else
    redis.call('LTRIM', list, #window, -1)
  end
  for e = #merged, 1, -BATCH do
    local part = {}
    for j = e, math.max(1, e - BATCH + 1), -1 do part[#part + 1] = merged[j] end
    redis.call('LPUSH', list, unpack(part))
  end
end
-- the others: near the tail from the tail, else at the tail
for _, tag in ipairs(tags) do
  local id, round = tag[1], tag[2]
  if not at_head[id] then
    local done = false
    if round <= top and top - round < TAIL_PROBE then
      local pivot = redis.call('HGET', state, 'mark:' .. round)
      local tail = redis.call('LRANGE', list, -TAIL_PROBE, -1)
      for j = #tail, 1, -1 do
        if tail[j] == pivot then
          if j < #tail then redis.call('LTRIM', list, 0, j - #tail - 1) end
          redis.call('RPUSH', list, id, unpack(tail, j + 1, #tail))
          done = true
          break
        end
      end
    end
    if not done then redis.call('RPUSH', list, id) end
  end
  if round > top then top = round end
  redis.call('HSET', state, 'mark:' .. round, id)
  redis.call('HSET', rounds, id, round)
  placed = placed + 1
end
redis.call('HSET', state, 'top', top, 'last:' .. client, last)
local low = tonumber(redis.call('HGET', state, 'low') or '1')
local upto = math.min(first - 1, low + 99)
for r = low, upto do redis.call('HDEL', state, 'mark:' .. r) end
if upto >= low then redis.call('HSET', state, 'low', upto + 1) end
redis.call('EXPIRE', state, ARGV[2])
redis.call('EXPIRE', rounds, ARGV[2])
return placed
""".replace("TAIL_SLACK", str(TAIL_SLACK))
    .replace("TAIL_PROBE", str(TAIL_PROBE))
    .replace("HEAD_REACH", str(HEAD_REACH))
    .replace("BATCH", str(BATCH))
)

ESTIMATE_SCRIPT = (
    _HEAD_ROUND
    + """
-- KEYS[1] the queue list, KEYS[2] its fair state hash, KEYS[3] its rounds hash; ARGV[1] a
-- client. Returns {at most how many items it has waiting, the head id or '', the count of
-- the last recount that found it full while that id was the head, or -1}.
local first, head = head_round(KEYS[1], KEYS[3], KEYS[2])
local last = tonumber(redis.call('HGET', KEYS[2], 'last:' .. ARGV[1]) or '0')
local full = redis.call('HGET', KEYS[2], 'full:' .. ARGV[1])
local counted = -1
if full and head then
  local bar = string.find(full, '|', 1, true)
  if bar and string.sub(full, 1, bar - 1) == head then
    counted = tonumber(string.sub(full, bar + 1))
  end
end
return {math.max(0, last - first + 1), head or '', counted}
"""
)


class ClientFull(Exception):
    """One client already has so many items waiting on a queue that this submission's would
    pass its share (nothing was recorded)."""

    def __init__(self, waiting: int, needed: int, limit: int, variable: str) -> None:
        share = f"the share of one client, {limit:,} waiting items ({variable})"
        super().__init__(
            f"this submission's {needed:,} items alone pass {share}"
            if needed > limit
            else f"this client has {waiting:,} items waiting; this submission's {needed:,} "
            f"would pass {share}"
        )
        self.waiting = waiting
        self.needed = needed
        self.limit = limit
        self.variable = variable

    @property
    def never_fits(self) -> bool:
        """Whether the submission alone needs more items than one client may have waiting."""
        return self.needed > self.limit


def clients_key(queue_key: str) -> str:
    """The hash of the clients of ``queue_key``'s waiting items, e.g.
    ``rq:queue:backtests:clients``."""
    return queue_key + CLIENTS_SUFFIX


def note_clients(connection: Redis, queue_key: str, client: str, item_ids: Iterable[str]) -> None:
    """Record ``client`` as who queues ``item_ids`` on ``queue_key`` (before they are
    enqueued), in one ``HSET`` with the hash's expiry.

    :raise redis.exceptions.RedisError: Redis is unreachable.
    """
    value = f"{int(time.time())}|{client}"
    mapping = dict.fromkeys(item_ids, value)
    if not mapping:
        return
    key = clients_key(queue_key)
    with connection.pipeline() as pipe:
        pipe.hset(key, mapping=mapping)
        pipe.expire(key, CLIENTS_TTL_S)
        pipe.execute()


def state_key(queue_key: str) -> str:
    """The hash of ``queue_key``'s fair-order state (rounds, marks, clients' last rounds)."""
    return queue_key + STATE_SUFFIX


def rounds_key(queue_key: str) -> str:
    """The hash of the rounds of ``queue_key``'s placed ids."""
    return queue_key + ROUNDS_SUFFIX


def place(connection: Redis, queue_key: str, client: str, item_ids: Sequence[str]) -> int:
    """Move ``client``'s just-queued ``item_ids`` from the list's tail to the end of their
    rounds (see the module's docstring), in one script whose cost depends on the
    submission, not on the list's length; how many were placed.

    :raise redis.exceptions.RedisError: Redis is unreachable.
    """
    if not item_ids:
        return 0
    script = connection.register_script(PLACE_SCRIPT)
    keys = [queue_key, state_key(queue_key), rounds_key(queue_key)]
    placed = 0
    for first in range(0, len(item_ids), BATCH):
        ids = list(item_ids[first : first + BATCH])
        placed += int(script(keys=keys, args=[client, CLIENTS_TTL_S, *ids]))
    return placed


def interleave(connection: Redis, queue_key: str) -> int:
    """Reorder ``queue_key``'s list so clients take turns (see the module's docstring) and
    forget the clients of ids no longer listed; how many places were rewritten.

    :raise redis.exceptions.RedisError: Redis is unreachable.
    """
    script = connection.register_script(INTERLEAVE_SCRIPT)
    oldest = int(time.time()) - CLIENT_GRACE_S
    return int(script(keys=[queue_key, clients_key(queue_key)], args=[oldest]))


def waiting_of(connection: Redis, queue_key: str, client: str) -> int:
    """How many ids in ``queue_key``'s list ``client`` queued.

    :raise redis.exceptions.RedisError: Redis is unreachable.
    """
    script = connection.register_script(WAITING_SCRIPT)
    return int(script(keys=[queue_key, clients_key(queue_key)], args=[client]))


def check_client_room(
    connection: Redis, queue_key: str, client: str, needed: int, limit: int, variable: str
) -> None:
    """Refuse ``needed`` more items of ``client`` when it would then have more than
    ``limit`` waiting on ``queue_key`` (``variable``: the setting, named in the refusal).
    One read of the list: two submissions of one client at the same moment may both pass.

    :raise ClientFull: no room for this client.
    :raise redis.exceptions.RedisError: Redis is unreachable.
    """
    if needed > limit:
        raise ClientFull(0, needed, limit, variable)
    keys = [queue_key, state_key(queue_key), rounds_key(queue_key)]
    at_most, head, counted = connection.register_script(ESTIMATE_SCRIPT)(keys=keys, args=[client])
    if int(at_most) + needed <= limit:
        return
    if int(counted) >= 0:
        raise ClientFull(int(counted), needed, limit, variable)
    waiting = waiting_of(connection, queue_key, client)
    if waiting + needed > limit:
        if head:
            connection.hset(keys[1], f"full:{client}", f"{_text(head)}|{waiting}")
        raise ClientFull(waiting, needed, limit, variable)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def forget_taken(connection: Redis, queue_key: str, job_key_prefix: str = "rq:job:") -> int:
    """Drop the client and round entries of ids no longer waiting — whose RQ job is gone or
    no longer ``queued`` — once older than ``CLIENT_GRACE_S``; how many were dropped. The
    reaper's pass calls it: a scan of the clients hash in batches of ``BATCH`` (no long
    script), so the submissions never pay for it.

    :raise redis.exceptions.RedisError: Redis is unreachable.
    """
    clients, rounds = clients_key(queue_key), rounds_key(queue_key)
    oldest, dropped = int(time.time()) - CLIENT_GRACE_S, 0
    cursor = 0
    while True:
        cursor, entries = connection.hscan(clients, cursor, count=BATCH)
        old = [item for item, value in entries.items() if _since(value) < oldest]
        if old:
            with connection.pipeline(transaction=False) as pipe:
                for item in old:
                    pipe.hget(job_key_prefix + _text(item), "status")
                statuses = pipe.execute()
            gone = [item for item, status in zip(old, statuses, strict=True) if status != b"queued"]
            if gone:
                with connection.pipeline(transaction=False) as pipe:
                    pipe.hdel(clients, *gone)
                    pipe.hdel(rounds, *gone)
                    pipe.execute()
                dropped += len(gone)
        if cursor == 0:
            return dropped


def _since(value: bytes | str) -> int:
    """The unix time of a clients-hash value ``<time>|<client>`` (0 if unreadable)."""
    head = _text(value).split("|", 1)[0]
    return int(head) if head.isdigit() else 0
