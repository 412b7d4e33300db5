// The checks of arg_checks.h as CLI11 validators, for every option of every
// `veil` command: `->check(cli::real(-1, 1))`, `->check(cli::input_file())`.
// CLI11 prefixes the message with the option's name ("--threads: 100000 is
// above the limit of 1024").
//
// Counts go through `->transform(cli::count(1, 1024))` (threads(), seed<T>()
// too): the value is rewritten to plain decimal ("1e4" -> "10000", "010" ->
// "10"), so CLI11's own conversion (strtoull, which reads "-1" as 2^64 - 1
// and "010" as octal) only ever sees a checked number. (`check` would run
// the same test on a copy and leave the text as typed.)
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>

#include "arg_checks.h"

namespace veil::apps::cli {

inline std::string real_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// A whole number in [min, max].
inline CLI::Validator count(std::uint64_t min, std::uint64_t max) {
  return CLI::Validator(
      [min, max](std::string& s) -> std::string {
        try {
          s = std::to_string(args::parse_count(s, "", min, max));
          return {};
        } catch (const std::invalid_argument& e) {
          return e.what();
        }
      },
      "COUNT " + std::to_string(min) + ".." + std::to_string(max));
}

// --threads: 0 (all cores) to args::kMaxThreads.
inline CLI::Validator threads() { return count(0, args::kMaxThreads); }

// A seed of an unsigned type T (any value of T; not negative).
template <class T>
CLI::Validator seed() {
  return count(0, std::numeric_limits<T>::max());
}

// Comma-separated whole numbers, each in [min, max] (the string is kept).
inline CLI::Validator count_list(std::uint64_t min, std::uint64_t max) {
  return CLI::Validator(
      [min, max](std::string& s) -> std::string {
        try {
          args::parse_count_list(s, "", min, max);
          return {};
        } catch (const std::invalid_argument& e) {
          return e.what();
        }
      },
      "LIST of " + std::to_string(min) + ".." + std::to_string(max));
}

// A finite real number in [min, max] (NaN and infinities refused).
inline CLI::Validator real(double min, double max) {
  return CLI::Validator(
      [min, max](std::string& s) -> std::string {
        try {
          args::parse_real(s, "", min, max);
          return {};
        } catch (const std::invalid_argument& e) {
          return e.what();
        }
      },
      "REAL " + real_text(min) + ".." + real_text(max));
}

// An id or label given on the command line (`what`: "id", "label").
inline CLI::Validator text_field(std::string what) {
  return CLI::Validator(
      [what](std::string& s) -> std::string {
        try {
          args::check_text(s, what);
          return {};
        } catch (const std::invalid_argument& e) {
          return e.what();
        }
      },
      "TEXT");
}

// An existing regular file (a directory, FIFO or device is refused without
// opening it).
inline CLI::Validator input_file() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        try {
          args::check_input_file(s, "");
          return {};
        } catch (const std::invalid_argument& e) {
          return e.what();
        }
      },
      "FILE");
}

// A directory; when must_exist is false it may be missing (it is created).
inline CLI::Validator dir(bool must_exist) {
  return CLI::Validator(
      [must_exist](std::string& s) -> std::string {
        try {
          args::check_dir(s, "", must_exist);
          return {};
        } catch (const std::invalid_argument& e) {
          return e.what();
        }
      },
      "DIR");
}

// An output file path: missing or a regular file (never a directory, FIFO
// or device). Whether it is one of the inputs is checked in the command's
// callback (args::check_output_file), once every option is known.
inline CLI::Validator output_file() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        try {
          args::check_output_file("", s, {});
          return {};
        } catch (const std::invalid_argument& e) {
          return e.what();
        }
      },
      "FILE");
}

}  // namespace veil::apps::cli
