// Gathers the probes of concurrent searches on one collection and scans the
// gallery once for all of them (GalleryServer::search_batch). No thread of
// its own: the first caller to find the scanner idle becomes the leader,
// takes up to max_batch queued probes (waiting at most `window` for more),
// scans, and hands every waiter its response. While a scan runs, new
// probes queue up, so under load batches form without any waiting; with
// window = 0 a lone probe is never delayed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <vector>

#include "veil/collection/gallery_server.h"

namespace veil::service {

struct BatchResult {
  std::vector<std::uint8_t> scores;  // SearchResponse envelope
  std::size_t batch = 0;             // probes in the same gallery pass
  double server_ms = 0;              // the pass: expand + scan + reduce
};

class Batcher {
 public:
  Batcher(const collection::GalleryServer& server, std::size_t max_batch,
          std::chrono::microseconds window)
      : server_(server), max_batch_(max_batch < 1 ? 1 : max_batch), window_(window) {}

  // Blocks until the probe's scan is done. Throws what the scan threw.
  BatchResult submit(search::EncryptedProbe probe);

 private:
  struct Pending {
    search::EncryptedProbe probe;
    BatchResult result;
    std::exception_ptr error;
    bool done = false;
  };
  void lead(std::unique_lock<std::mutex>& lock);
  const collection::GalleryServer& server_;
  std::size_t max_batch_;
  std::chrono::microseconds window_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Pending*> queue_;
  bool scanning_ = false;
};

}  // namespace veil::service
