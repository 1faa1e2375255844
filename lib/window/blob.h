// BlobWriter / BlobReader: the compact binary encoding of window checkpoints (varints,
// zigzag for signed values, raw little-endian doubles). The reader never throws: a short or
// corrupt blob sets ok() to false and every later read returns 0.
//
//   BlobWriter w(out);  w.u64(n);  w.f64(x);  w.bytes(key);
//   BlobReader r(blob); auto n = r.u64(); ... if (!r.ok()) reject;
//
// Not thread safe; a BlobReader's views point into the blob it reads.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace logpulse::window {

class BlobWriter {
 public:
  explicit BlobWriter(std::string& out) : out_(&out) {}
  void u64(uint64_t v) {
    while (v >= 0x80) {
      out_->push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_->push_back(static_cast<char>(v));
  }
  void i64(int64_t v) { u64((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void f64(double v) {
    char b[8];
    std::memcpy(b, &v, 8);
    out_->append(b, 8);
  }
  void bytes(std::string_view s) {
    u64(s.size());
    out_->append(s);
  }

 private:
  std::string* out_;
};

class BlobReader {
 public:
  explicit BlobReader(std::string_view in) : in_(in) {}
  uint64_t u64() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return fail();
      auto byte = static_cast<unsigned char>(in_[pos_++]);
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return v;
    }
    return fail();
  }
  int64_t i64() {
    uint64_t z = u64();
    return static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
  }
  double f64() {
    if (in_.size() - pos_ < 8) return static_cast<double>(fail());
    double v;
    std::memcpy(&v, in_.data() + pos_, 8);
    pos_ += 8;
    return v;
  }
  std::string_view bytes() {
    uint64_t n = u64();
    if (!ok_ || n > in_.size() - pos_) {
      fail();
      return {};
    }
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  // A count of items that each take at least one byte: refuses counts the blob cannot hold.
  uint64_t count() {
    uint64_t n = u64();
    return n > in_.size() - pos_ ? fail() : n;
  }
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == in_.size(); }

 private:
  uint64_t fail() {
    ok_ = false;
    pos_ = in_.size();
    return 0;
  }
  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace logpulse::window
