// Error types of the FHE core. Messages always carry the values found and expected.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace veil::rlwe {

// A parameter literal that does not describe a valid or secure parameter set.
class ParameterError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Objects that cannot be combined: other parameter set, level, scale, size or form.
class MismatchError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

std::string hex_id(std::uint64_t id);

// Throws MismatchError unless got == expected.
void require_param_id(std::uint64_t got, std::uint64_t expected, const char* what);

}  // namespace veil::rlwe
