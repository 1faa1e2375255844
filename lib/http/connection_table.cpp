#include "http/connection_table.h"

#include <optional>
#include <tuple>

namespace logpulse::http {

namespace {
// Lower ranks give way first: idle keep-alive connections, then unfinished requests, then
// stalled writes.
int rank(ConnectionTable::Phase phase) {
  switch (phase) {
    case ConnectionTable::Phase::idle: return 0;
    case ConnectionTable::Phase::reading: return 1;
    case ConnectionTable::Phase::writing: return 2;
  }
  return 3;
}

ConnectionTable::Clock::duration protection(ConnectionTable::Phase phase) {
  return phase == ConnectionTable::Phase::writing ? ConnectionTable::Clock::duration(ConnectionTable::kStalledWrite)
                                                  : ConnectionTable::Clock::duration(ConnectionTable::kEvictionGrace);
}
}  // namespace

ConnectionTable::Room ConnectionTable::evict_first(const boost::asio::ip::address* address, Clock::time_point now) {
  std::optional<std::tuple<int, Clock::time_point, Id>> victim;
  Room later{false, Clock::time_point::max()};
  for (const auto& [id, entry] : entries_) {
    if (address != nullptr && entry.address != *address) continue;
    const auto evictable_at = entry.since + protection(entry.phase);
    if (evictable_at > now) {
      later.retry_at = std::min(later.retry_at, evictable_at);
      continue;
    }
    std::tuple<int, Clock::time_point, Id> key{rank(entry.phase), entry.since, id};
    if (!victim || key < *victim) victim = key;
  }
  if (!victim) return later;
  auto it = entries_.find(std::get<2>(*victim));
  auto close = std::move(it->second.close);
  entries_.erase(it);
  ++evictions_;
  close();
  return Room{true, now};
}

ConnectionTable::Room ConnectionTable::make_room(const boost::asio::ip::address& address, Clock::time_point now) {
  while (count(address) >= max_per_address_) {
    if (Room room = evict_first(&address, now); !room.made) return room;
  }
  while (entries_.size() >= max_connections_) {
    if (Room room = evict_first(nullptr, now); !room.made) return room;
  }
  return Room{true, now};
}

ConnectionTable::Room ConnectionTable::evict_one(Clock::time_point now) { return evict_first(nullptr, now); }

ConnectionTable::Id ConnectionTable::add(const boost::asio::ip::address& address, Clock::time_point now,
                                         std::function<void()> close) {
  Id id = next_id_++;
  entries_.emplace(id, Entry{address, Phase::reading, now, std::move(close)});
  return id;
}

void ConnectionTable::set_phase(Id id, Phase phase, Clock::time_point since) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  it->second.phase = phase;
  it->second.since = since;
}

void ConnectionTable::remove(Id id) { entries_.erase(id); }

std::size_t ConnectionTable::count(const boost::asio::ip::address& address) const {
  std::size_t n = 0;
  for (const auto& [id, entry] : entries_) n += entry.address == address;
  return n;
}

}  // namespace logpulse::http
