// Checks hot-path promises: window.h's (once a label set exists and its buckets have seen
// their range of values, add() allocates nothing) and the matcher's (a line no rule matched
// allocates nothing once the unmatched-line ring is full). Counting needs the global operator
// new replaced; this replacement counts only while a test asks it to and otherwise just
// forwards to malloc, so it changes nothing for the other tests in the binary. Every
// non-aligned form of new and delete is replaced, so that memory a shared library gets from
// one form (simdjson uses the nothrow new) is never freed by another's allocator (ASan
// reports such a mismatch).
// Not under ThreadSanitizer, whose runtime replaces operator new itself (LOGPULSE_TSAN_BUILD,
// set by CMakeLists.txt): the file then compiles to nothing.
#ifndef LOGPULSE_TSAN_BUILD
#include <doctest/doctest.h>

#include <cstdlib>
#include <new>

#include <prometheus/registry.h>

#include "config/config_loader.h"
#include "pipeline/rule_pipeline.h"
#include "window_support.h"

namespace {
bool counting = false;
std::size_t allocations = 0;
}  // namespace

namespace {
void* counted_malloc(std::size_t n) noexcept {
  if (counting) ++allocations;
  return std::malloc(n ? n : 1);
}
}  // namespace

void* operator new(std::size_t n) {
  if (void* p = counted_malloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  if (void* p = counted_malloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_malloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_malloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

using namespace window_test;
using logpulse::window::Agg;

TEST_CASE("window add() allocates nothing for known label sets, also across rotation") {
  counting = true;  // the counter itself works
  auto control = std::make_unique<int>(1);
  counting = false;
  REQUIRE(allocations == 1);
  for (Agg agg : {Agg::kCount, Agg::kRate, Agg::kSum, Agg::kAvg, Agg::kMin, Agg::kMax,
                  Agg::kQuantile, Agg::kDistinct, Agg::kTopk}) {
    const std::string agg_text = window::agg_name(agg);
    CAPTURE(agg_text);
    core::FakeClock clock;
    auto spec = spec_of(agg, 60s);
    spec.quantiles = {0.5, 0.99};
    spec.k = 2;
    spec.topk_capacity = 4;  // topk: 6 label sets in a table of 4, so every round evicts
    auto w = window::make_window(spec);
    const std::string_view labels[] = {"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"};
    std::vector<std::string> keys;
    for (int i = 0; i < 3000; ++i) keys.push_back(std::to_string(i));  // distinct: dense
    auto feed = [&](int seconds) {
      for (int s = 0; s < seconds; ++s) {
        for (int i = 0; i < 600; ++i) {
          std::string_view l = labels[i % 6];
          double value = 0.001 * (1 + i % 150);  // the same spread of values every bucket
          w->add({.labels = std::span(&l, 1), .value = value, .key = keys[(s * 600 + i) % 3000]},
                 clock.wall());
        }
        clock.advance(1s);
      }
    };
    feed(70);  // a whole window and more: every bucket has been used and reused
    allocations = 0;
    counting = true;
    feed(70);
    counting = false;
    CHECK(allocations == 0);
  }
}

namespace {
// Allocations made by processing `lines` 10 times after a first pass, for a source with
// `rules` (YAML list items) and status.unmatched_samples `samples`; `recorded` gets how
// many lines the unmatched ring was given.
std::size_t matcher_allocations(const std::string& rules_yaml, std::size_t samples, std::uint64_t* recorded) {
  const config::Config config = config::load_string(
      "sources: [{name: s, paths: [/dev/null]}]\nstatus: {unmatched_samples: " + std::to_string(samples) +
          "}\nrules:\n" + rules_yaml,
      "t.yaml");
  prometheus::Registry registry;
  metrics::SelfMetrics self{registry};
  pipeline::RulePipeline rules(config, self);
  std::vector<std::string> lines;
  for (int i = 0; i < 64; ++i) {
    lines.push_back("a " + std::to_string(i));
    // Short lines and lines longer than a sample: both reuse the slots' capacity.
    lines.push_back(i % 2 ? std::string(2000, 'z') : "unmatched " + std::to_string(i));
  }
  const std::vector<std::string_view> views(lines.begin(), lines.end());
  rules.matcher(0).process(views, 0);  // fills the ring, warms RE2's caches and the counters
  allocations = 0;
  counting = true;
  for (int round = 0; round < 10; ++round) rules.matcher(0).process(views, 0, true);
  counting = false;
  *recorded = rules.matcher(0).unmatched_samples().recorded();
  CHECK(rules.matcher(0).unmatched_samples().size() == samples);
  return allocations;
}
}  // namespace

TEST_CASE("matcher: lines no rule matched allocate nothing once the unmatched ring is full") {
  std::uint64_t recorded = 0;
  // One rule and a fallback (`unmatched: true`): nothing allocates per line at all.
  const std::string one = R"(  - {name: a, source: s, match: '^a \d+$', metrics: [{name: a_total, type: counter}]}
  - {name: rest, source: s, unmatched: true, metrics: [{name: rest_total, type: counter}]}
)";
  CHECK(matcher_allocations(one, 4, &recorded) == 0);
  CHECK(recorded == 11 * 64);
  // Several rules: RE2::Set::Match allocates its own match set per line; the ring adds nothing.
  const std::string two = R"(  - {name: a, source: s, match: '^a \d+$', metrics: [{name: a_total, type: counter}]}
  - {name: b, source: s, match: '^b ', metrics: [{name: b_total, type: counter}]}
)";
  const std::size_t without_ring = matcher_allocations(two, 0, &recorded);
  CHECK(recorded == 0);
  CHECK(matcher_allocations(two, 4, &recorded) == without_ring);
  CHECK(recorded == 11 * 64);
}
#endif  // LOGPULSE_TSAN_BUILD
