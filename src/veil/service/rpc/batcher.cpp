#include "veil/service/rpc/batcher.h"

namespace veil::service {

BatchResult Batcher::submit(search::EncryptedProbe probe) {
  Pending p{std::move(probe), {}, nullptr, false};
  std::unique_lock<std::mutex> lock(mutex_);
  queue_.push_back(&p);
  cv_.notify_all();  // a leader gathering a batch may be waiting for more
  while (!p.done) {
    if (!scanning_) {
      lead(lock);
    } else {
      cv_.wait(lock);
    }
  }
  if (p.error) std::rethrow_exception(p.error);
  return std::move(p.result);
}

void Batcher::lead(std::unique_lock<std::mutex>& lock) {
  scanning_ = true;
  if (window_.count() > 0 && queue_.size() < max_batch_) {
    cv_.wait_for(lock, window_, [&] { return queue_.size() >= max_batch_; });
  }
  std::vector<Pending*> batch;
  while (!queue_.empty() && batch.size() < max_batch_) {
    batch.push_back(queue_.front());
    queue_.pop_front();
  }
  lock.unlock();
  std::vector<search::EncryptedProbe> probes;
  for (Pending* p : batch) probes.push_back(p->probe);
  std::exception_ptr error;
  std::vector<std::vector<std::uint8_t>> responses;
  search::ScanTimings t;
  try {
    responses = server_.search_batch(probes, &t);
  } catch (...) {
    error = std::current_exception();
  }
  const double ms = (t.expand_s + t.scan_s + t.reduce_s) * 1e3;
  lock.lock();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (error) {
      batch[i]->error = error;
    } else {
      batch[i]->result = {std::move(responses[i]), batch.size(), ms};
    }
    batch[i]->done = true;
  }
  scanning_ = false;
  cv_.notify_all();
}

}  // namespace veil::service
