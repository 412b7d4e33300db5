// Work sharing across cores: a fixed number of threads taking indices from a
// shared counter (dynamic scheduling, so uneven items balance out).
#pragma once

#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace veil::search {

// VEIL_THREADS if set (>= 1), else the number of hardware threads.
std::size_t default_threads();

// Calls fn(index, thread) for every index in [0, count) on up to `threads`
// threads (the caller's thread is one of them). The first exception thrown
// by fn stops the remaining work and is rethrown here.
template <typename F>
void parallel_for(std::size_t count, std::size_t threads, F&& fn) {
  if (threads == 0) threads = 1;
  if (threads > count) threads = count;
  if (threads <= 1) {
    for (std::size_t i = 0; i < count; ++i) fn(i, std::size_t{0});
    return;
  }
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&](std::size_t t) {
    try {
      for (std::size_t i;
           !stop.load(std::memory_order_relaxed) && (i = next.fetch_add(1)) < count;) {
        fn(i, t);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      stop = true;
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker, t);
  worker(0);
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace veil::search
