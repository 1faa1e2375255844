#include "match/unmatched_samples.h"

namespace logpulse::match {
namespace {

// The longest prefix of `line` within `max` bytes that does not end inside a UTF-8
// sequence (a cut there would leave a stray lead byte for the page to repair).
std::string_view cut(std::string_view line, std::size_t max) {
  if (line.size() <= max) return line;
  std::size_t end = max;
  // Back up over continuation bytes (10xxxxxx) to the lead byte, and drop it too: at most
  // three continuation bytes follow a lead byte.
  for (std::size_t back = 0; back < 3 && end > 0 && (static_cast<unsigned char>(line[end]) & 0xC0) == 0x80; ++back)
    --end;
  return line.substr(0, end);
}

}  // namespace

void UnmatchedSamples::record(std::string_view line) {
  if (capacity_ == 0) return;
  ++recorded_;
  UnmatchedLine* slot;
  if (slots_.size() < capacity_) {
    if (slots_.empty()) slots_.reserve(capacity_);
    slot = &slots_.emplace_back();
    slot->text.reserve(kMaxSampleBytes);
  } else {
    slot = &slots_[next_];
    next_ = next_ + 1 == capacity_ ? 0 : next_ + 1;
  }
  slot->text.assign(cut(line, kMaxSampleBytes));
  slot->bytes = line.size();
}

void UnmatchedSamples::copy_to(std::vector<UnmatchedLine>& out) const {
  out.resize(slots_.size());
  // Once full, next_ is the oldest slot; before, slots_ is in arrival order and next_ is 0.
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const UnmatchedLine& slot = slots_[(next_ + i) % slots_.size()];
    out[i].text.assign(slot.text);
    out[i].bytes = slot.bytes;
  }
}

}  // namespace logpulse::match
