// ConnectionTable: the HTTP server's open connections, what each is doing and since when,
// and the choice of which one gives way when a new connection needs a slot. Like nginx
// reusing keep-alive slots, a full table makes room instead of refusing. The victim is the
// longest-idle keep-alive connection (between requests); else the one whose request started
// longest ago (a new connection's request starts when it is accepted, so silent and
// slow-dripping clients go oldest first); else one whose response write has stalled
// kStalledWrite. A connection gives way only after kEvictionGrace in its phase, so a
// newcomer always has that long to send its request however fast others are opened; until
// then the next newcomer waits (in the kernel's listen queue, at no cost). The same choice
// among one address's connections enforces a per-address bound.
//
//   ConnectionTable table(kMaxConnections, kMaxConnectionsPerAddress);
//   auto room = table.make_room(peer, now);   // !room.made: ask again at room.retry_at
//   auto id = table.add(peer, now, [&] { socket.close(); });   // reading since now
//   table.set_phase(id, Phase::writing, now);   ...   table.remove(id);
//
// Not thread safe: the server uses it from its one io_context thread. Time is passed in, so
// the policy is tested without a clock.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <unordered_map>

namespace logpulse::http {

class ConnectionTable {
 public:
  using Clock = std::chrono::steady_clock;
  using Id = std::uint64_t;
  // idle: between requests; reading: a request is due or arriving; writing: answering.
  enum class Phase { idle, reading, writing };

  // How long an idle or reading connection is safe from eviction: time enough for a client
  // that just connected to send its request, short enough that a flood of silent
  // connections cycles through a slot many times a second.
  static constexpr std::chrono::milliseconds kEvictionGrace{25};
  // A write that has made no progress for this long may be evicted.
  static constexpr std::chrono::seconds kStalledWrite{1};

  // made: there is room now (after evicting what had to go). Otherwise nothing could go yet;
  // retry_at is when a connection becomes evictable (Clock::time_point::max() if none ever).
  struct Room {
    bool made;
    Clock::time_point retry_at;
  };

  ConnectionTable(std::size_t max_connections, std::size_t max_per_address)
      : max_connections_(max_connections), max_per_address_(max_per_address) {}
  ConnectionTable(const ConnectionTable&) = delete;
  ConnectionTable& operator=(const ConnectionTable&) = delete;

  // Evicts connections (calling their close callbacks) until one from `address` fits under
  // both bounds.
  Room make_room(const boost::asio::ip::address& address, Clock::time_point now);

  // Evicts one connection from anywhere (out of file descriptors, say).
  Room evict_one(Clock::time_point now);

  // Registers a connection whose first request is due since `now` (Phase::reading).
  // `close` must stay callable until remove(id).
  Id add(const boost::asio::ip::address& address, Clock::time_point now, std::function<void()> close);

  // Phase changes; unknown (already evicted) ids are ignored.
  void set_phase(Id id, Phase phase, Clock::time_point since);
  void remove(Id id);

  std::size_t size() const { return entries_.size(); }
  std::size_t count(const boost::asio::ip::address& address) const;
  std::uint64_t evictions() const { return evictions_; }

 private:
  struct Entry {
    boost::asio::ip::address address;
    Phase phase;
    Clock::time_point since;
    std::function<void()> close;
  };

  // Evicts the first victim among `address`'s connections (all, if null), or says when
  // one becomes evictable.
  Room evict_first(const boost::asio::ip::address* address, Clock::time_point now);

  std::size_t max_connections_;
  std::size_t max_per_address_;
  Id next_id_ = 1;
  std::uint64_t evictions_ = 0;
  std::unordered_map<Id, Entry> entries_;
};

}  // namespace logpulse::http
