// SegmentStore: the on-disk part of one remote-write URL's queue, so samples not yet
// delivered survive a restart (or kill -9) while the receiver is unreachable. One file per
// segment, <dir>/<sequence, 20 digits>.seg, holding the segment as a snappy WriteRequest
// (remote/write_request.h); written as the checkpoint is: a temporary file, fsync, rename,
// fsync of the directory, so a file is either whole or absent. A segment's file is removed
// when the segment is delivered or dropped.
//
//   SegmentStore store(state_dir + "/remote_write/" + id);
//   for (auto& segment : store.load()) queue.push(std::move(segment));
//   store.save(segment);  ...  store.remove(segment.sequence);
//
// Errors throw std::system_error (the caller counts and logs them; the samples stay in
// memory). Not thread safe: one thread uses a store.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "remote/sample_queue.h"

namespace logpulse::remote {

class SegmentStore {
 public:
  // Creates `dir` (and its parents) when missing.
  explicit SegmentStore(std::string dir);

  // The segments on disk, oldest first. Unreadable or corrupt files (a crash cannot make
  // one, a disk or a hand can) are removed and listed in `problems`.
  struct Loaded {
    std::vector<Segment> segments;
    std::vector<std::string> problems;
  };
  Loaded load();

  void save(const Segment& segment);
  void remove(std::uint64_t sequence);
  const std::string& dir() const { return dir_; }

 private:
  std::string path_of(std::uint64_t sequence) const;
  std::string dir_;
};

}  // namespace logpulse::remote
