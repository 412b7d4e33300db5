// torch's intra-op thread count is process-wide: ScopedTorchThreads sets it
// for one training run and puts the caller's value back afterwards.
#pragma once

#include <ATen/Parallel.h>

namespace veil::reduce {

class ScopedTorchThreads {
 public:
  // threads <= 0 leaves the setting alone.
  explicit ScopedTorchThreads(int threads) : saved_(at::get_num_threads()) {
    if (threads > 0) at::set_num_threads(threads);
  }
  ~ScopedTorchThreads() { at::set_num_threads(saved_); }
  ScopedTorchThreads(const ScopedTorchThreads&) = delete;
  ScopedTorchThreads& operator=(const ScopedTorchThreads&) = delete;

 private:
  int saved_;
};

}  // namespace veil::reduce
