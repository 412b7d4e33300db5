// Errors raised by the io layer.
#pragma once

#include <stdexcept>
#include <string>

namespace veil::io {

// Malformed, truncated, oversized or mismatched input. The message always
// names the field and says what was expected and what was found, e.g.
// "envelope: expected object type Ciphertext(7), got PublicKey(3)".
// Operating-system failures (missing file, full disk) are std::system_error.
class FormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace veil::io
