#include "veil/search/parallel.h"

#include <cstdlib>
#include <string>

namespace veil::search {

std::size_t default_threads() {
  if (const char* env = std::getenv("VEIL_THREADS")) {
    try {
      const long v = std::stol(env);
      if (v >= 1 && v <= 1024) return static_cast<std::size_t>(v);
    } catch (...) {
    }
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : hw;
}

}  // namespace veil::search
