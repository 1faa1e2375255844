#include "remote/write_endpoint.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "remote/write_request.h"

namespace logpulse::remote {

namespace asio = boost::asio;

namespace {

bool retryable(const net::HttpResult& result) {
  return result.error || result.status == 429 || result.status >= 500 || result.status < 200;
}

// A secret file's content without the trailing newline editors and `echo` leave.
std::optional<std::string> read_secret(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  std::string secret = text.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r' || secret.back() == ' '))
    secret.pop_back();
  return secret;
}

}  // namespace

WriteEndpoint::WriteEndpoint(asio::any_io_executor executor, net::HttpClient& client, EndpointOptions options,
                             EndpointMetrics metrics, core::Clock& clock)
    : options_(std::move(options)),
      client_(client),
      metrics_(metrics),
      clock_(clock),
      queue_(options_.max_samples, options_.max_bytes),
      wake_(executor),
      retry_(executor),
      backoff_(options_.backoff, static_cast<std::uint64_t>(clock.steady().time_since_epoch().count())) {
  options_.request.content_type = std::string(kContentType);
  options_.request.content_encoding = std::string(kContentEncoding);
  options_.request.headers.emplace_back(std::string(kVersionHeader), std::string(kVersion));
  options_.request.headers.emplace_back("User-Agent", "logpulse/" LOGPULSE_VERSION);
}

void WriteEndpoint::load() {
  if (options_.segment_dir.empty()) return;
  try {
    store_ = std::make_unique<SegmentStore>(options_.segment_dir);
    auto loaded = store_->load();
    for (const auto& problem : loaded.problems) spdlog::warn("remote write {}: {}", options_.url.str(), problem);
    std::size_t samples = 0;
    for (auto& segment : loaded.segments) {
      next_sequence_ = std::max(next_sequence_, segment.sequence + 1);
      samples += segment.series.size();
      const auto sequence = segment.sequence;
      // Bounds made smaller since: what no longer fits is dropped, as it would have been.
      if (!enqueue(std::move(segment))) forget(sequence);
    }
    if (!loaded.segments.empty())
      spdlog::info("remote write {}: {} samples in {} segment(s) from {} queued again", options_.url.str(), samples,
                   loaded.segments.size(), options_.segment_dir);
  } catch (const std::exception& e) {
    spdlog::error("remote write {}: the on-disk queue is off, samples are kept in memory only: {}",
                  options_.url.str(), e.what());
    store_.reset();
  }
  publish_queue_size();
}

bool WriteEndpoint::enqueue(Segment segment) {
  const auto sequence = segment.sequence;
  const auto result = queue_.push(std::move(segment));
  if (result.dropped_samples > 0) {
    metrics_.dropped.Increment(static_cast<double>(result.dropped_samples));
    if (log_.allow("dropped"))
      spdlog::warn("remote write {}: the queue is full, {} oldest samples dropped (logged once a minute, counted "
                   "in logpulse_remote_write_samples_total{{outcome=\"dropped\"}})",
                   options_.url.str(), result.dropped_samples);
  }
  for (const auto dropped : result.dropped_segments) forget(dropped);
  const Segment* newest = queue_.newest();
  return newest != nullptr && newest->sequence == sequence;
}

void WriteEndpoint::forget(std::optional<std::uint64_t> done) {
  if (!done || !store_) return;
  try {
    store_->remove(*done);
  } catch (const std::exception& e) {
    if (log_.allow("disk")) spdlog::error("remote write {}: {} (logged once a minute)", options_.url.str(), e.what());
  }
}

void WriteEndpoint::publish_queue_size() { metrics_.queue_samples.Set(static_cast<double>(queue_.samples())); }

void WriteEndpoint::push(std::vector<Series> snapshot) {
  if (snapshot.empty()) return;
  if (enqueue(Segment{next_sequence_++, std::move(snapshot)}) && store_) {
    try {
      store_->save(*queue_.newest());  // as the queue keeps it, trimmed if it alone was over the bounds
    } catch (const std::exception& e) {
      if (log_.allow("disk"))
        spdlog::error("remote write {}: cannot save a segment, it is kept in memory only: {} (logged once a minute)",
                      options_.url.str(), e.what());
    }
  }
  publish_queue_size();
  wake_.cancel();
}

std::optional<net::RequestOptions> WriteEndpoint::request_options() {
  net::RequestOptions request = options_.request;
  if (!options_.password_file.empty()) {
    auto password = read_secret(options_.password_file);
    if (!password) return std::nullopt;
    if (request.basic_auth) request.basic_auth->password = std::move(*password);
  }
  if (!options_.bearer_token_file.empty()) {
    auto token = read_secret(options_.bearer_token_file);
    if (!token) return std::nullopt;
    request.bearer_token = std::move(*token);
  }
  return request;
}

asio::awaitable<void> WriteEndpoint::run() {
  running_ = true;
  struct Finished {
    bool& running;
    ~Finished() { running = false; }
  } finished{running_};

  while (!stopping_) {
    const SampleQueue::Batch batch = queue_.take(options_.max_samples_per_send);
    const std::size_t count = batch.series.size();
    if (count == 0) {
      // push() cancels this wait; it runs on this thread, so it cannot fall in between.
      wake_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    // Encoded before the first suspension: the span is not used after it.
    std::string body = encode_write_request(batch.series);
    auto request = request_options();
    net::HttpResult result;
    if (request) {
      result = co_await client_.post(options_.url, std::move(body), std::move(*request));
      if (stopping_) break;  // aborted by stop(): the batch stays queued (and on disk)
    } else {
      result.error = std::make_error_code(std::errc::permission_denied);
    }

    if (result.ok()) {
      metrics_.sent.Increment(static_cast<double>(count));
      metrics_.last_success.Set(
          std::chrono::duration<double>(clock_.wall().time_since_epoch()).count());
      forget(queue_.finish(batch));
      publish_queue_size();
      if (consecutive_failures_ > 0)
        spdlog::info("remote write {}: delivering again after {} failed attempt(s)", options_.url.str(),
                     consecutive_failures_);
      consecutive_failures_ = 0;
      backoff_.reset();
      continue;
    }
    ++consecutive_failures_;
    if (request && !retryable(result)) {
      metrics_.failed.Increment(static_cast<double>(count));
      forget(queue_.finish(batch));
      publish_queue_size();
      if (log_.allow("rejected"))
        spdlog::error("remote write {} refused {} samples ({}): {}; not retried (logged once a minute)",
                      options_.url.str(), count, result.describe(), result.body.substr(0, 200));
      backoff_.reset();
      continue;
    }
    metrics_.retried.Increment(static_cast<double>(count));
    const auto delay = backoff_.next_delay(result.retry_after);
    if (log_.allow("failed")) {
      const std::string why = request ? result.describe()
                                      : "cannot read " + (options_.bearer_token_file.empty() ? options_.password_file
                                                                                               : options_.bearer_token_file);
      spdlog::warn("remote write {}: sending {} samples failed ({}); {} queued; retrying in {} ms (logged once a minute)",
                   options_.url.str(), count, why, queue_.samples(), delay.count());
    }
    retry_.expires_after(delay);
    co_await retry_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

void WriteEndpoint::stop() {
  stopping_ = true;
  wake_.cancel();
  retry_.cancel();
}

}  // namespace logpulse::remote
