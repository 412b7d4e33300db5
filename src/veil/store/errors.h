// Errors raised by the store layer.
#pragma once

#include <stdexcept>
#include <string>

namespace veil::store {

// Bad input or a damaged store: a block of the wrong size, a duplicate or
// unknown id, a store made for another parameter set, a missing manifest, a
// truncated or corrupted segment, a write to a read-only store, a store locked
// by another process. The message names the file or id and gives the expected
// and the found value. Operating-system failures (full disk, permissions) are
// std::system_error naming the path. After any error the store on disk is
// unchanged (an append or compaction that fails leaves no trace but, at
// worst, unregistered files that the next read-write open removes).
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace veil::store
