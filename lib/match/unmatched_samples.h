// UnmatchedSamples: the last N records of a source that no rule matched, for the status
// page (`status.unmatched_samples`; 0 keeps none). A ring of N slots, each holding at most
// kMaxSampleBytes of its record (cut at a UTF-8 character boundary) and the record's size.
//
//   UnmatchedSamples samples(config.status.unmatched_samples);
//   samples.record(line);                      // only for records no rule matched
//   std::vector<UnmatchedLine> out;  samples.copy_to(out);   // oldest first
//
// A slot reserves kMaxSampleBytes when the ring first reaches it and is overwritten in
// place from then on, so once the ring is full, record() never allocates. Not thread safe:
// the ingestion thread records, and copies the samples out when it publishes the status.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace logpulse::match {

struct UnmatchedLine {
  std::string text;        // the record, cut to kMaxSampleBytes
  std::size_t bytes = 0;   // the record's whole size
};

class UnmatchedSamples {
 public:
  static constexpr std::size_t kMaxSampleBytes = 512;

  explicit UnmatchedSamples(std::size_t capacity) : capacity_(capacity) {}
  UnmatchedSamples(const UnmatchedSamples&) = delete;
  UnmatchedSamples& operator=(const UnmatchedSamples&) = delete;

  void record(std::string_view line);
  // Replaces `out` with the samples held, oldest first (reusing its strings).
  void copy_to(std::vector<UnmatchedLine>& out) const;

  std::size_t capacity() const { return capacity_; }
  std::size_t size() const { return slots_.size(); }
  // Records ever given to record() (with capacity 0, none are kept).
  std::uint64_t recorded() const { return recorded_; }

 private:
  std::size_t capacity_;
  std::vector<UnmatchedLine> slots_;  // grows to capacity_, then is a ring
  std::size_t next_ = 0;              // the slot the next record overwrites, once full
  std::uint64_t recorded_ = 0;
};

}  // namespace logpulse::match
