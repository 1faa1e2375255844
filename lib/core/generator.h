// Generator<T>: a lazy, synchronous pull sequence written as a C++20 coroutine.
//
//   Generator<const Batch&> numbers() { Batch b; while (...) co_yield b; }
//   for (auto it = gen.begin(); it != gen.end(); ++it) use(*it);
//
// The yielded reference stays valid until the generator is resumed (++it) or destroyed.
// Destroying the generator destroys the coroutine frame, releasing what it holds.
// An exception inside the body is rethrown to the consumer from begin()/operator++.
// Not thread safe: one consumer at a time.
#pragma once

#include <coroutine>
#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

namespace logpulse::core {

template <typename T>
class Generator {
 public:
  using value_type = std::remove_cvref_t<T>;
  using pointer = std::add_pointer_t<std::remove_reference_t<T>>;

  struct promise_type {
    pointer current = nullptr;
    std::exception_ptr error;

    Generator get_return_object() { return Generator(std::coroutine_handle<promise_type>::from_promise(*this)); }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    std::suspend_always yield_value(std::remove_reference_t<T>& value) noexcept {
      current = std::addressof(value);
      return {};
    }
    std::suspend_always yield_value(std::remove_reference_t<T>&& value) noexcept {
      current = std::addressof(value);
      return {};
    }
    void return_void() noexcept {}
    void unhandled_exception() { error = std::current_exception(); }
  };

  struct sentinel {};

  class iterator {
   public:
    explicit iterator(std::coroutine_handle<promise_type> handle) : handle_(handle) {}
    iterator& operator++() {
      resume(handle_);
      return *this;
    }
    T operator*() const { return static_cast<T>(*handle_.promise().current); }
    bool operator==(sentinel) const { return !handle_ || handle_.done(); }

   private:
    std::coroutine_handle<promise_type> handle_;
  };

  Generator() = default;
  Generator(Generator&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Generator& operator=(Generator&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;
  ~Generator() { reset(); }

  iterator begin() {
    resume(handle_);
    return iterator(handle_);
  }
  sentinel end() { return {}; }

  // Pull-style use: advances and returns the next value's address, or nullptr when done.
  pointer next() {
    resume(handle_);
    if (!handle_ || handle_.done()) return nullptr;
    return handle_.promise().current;
  }

  bool valid() const { return static_cast<bool>(handle_); }

 private:
  explicit Generator(std::coroutine_handle<promise_type> handle) : handle_(handle) {}

  static void resume(std::coroutine_handle<promise_type> handle) {
    if (!handle || handle.done()) return;
    handle.resume();
    if (handle.promise().error) std::rethrow_exception(std::exchange(handle.promise().error, {}));
  }

  void reset() {
    if (handle_) handle_.destroy();
    handle_ = {};
  }

  std::coroutine_handle<promise_type> handle_;
};

}  // namespace logpulse::core
