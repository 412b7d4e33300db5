// The checks every `veil` option goes through at the boundary, in one place:
// counts (whole, not negative, under a sane bound), real numbers (finite, in
// range), text fields (ids and labels: valid UTF-8 without control
// characters), input files (regular files: a directory or a FIFO is refused
// before anything opens it) and outputs (never one of the command's inputs).
// Pure functions that throw std::invalid_argument with a message naming the
// option, the bound and the value (tests/cli/test_arg_checks.cpp);
// cli_checks.h wraps them as CLI11 validators.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace veil::apps::args {

// --threads: 0 means all cores; more than this is refused (each thread costs
// memory and start-up time, and no machine this runs on has more cores).
inline constexpr std::uint64_t kMaxThreads = 1024;
// Row numbers of an embedding file (--row): far above any file's row count.
inline constexpr std::uint64_t kMaxRow = 1'000'000'000;

// A whole number in [min, max]: decimal digits, or an exact power-of-ten form
// such as "1e5". `option` (may be empty) prefixes the message, e.g.
// "--threads: 100000 is above the limit of 1024", "--threads: -1 is negative
// (expected a whole number from 0 to 1024)".
std::uint64_t parse_count(std::string_view text, std::string_view option, std::uint64_t min,
                          std::uint64_t max);
// Comma-separated counts ("1e4,1e5"), each in [min, max]; an empty list or
// an empty item is an error.
std::vector<std::uint64_t> parse_count_list(std::string_view text, std::string_view option,
                                            std::uint64_t min, std::uint64_t max);
// A finite real number in [min, max]; NaN and infinities are refused.
double parse_real(std::string_view text, std::string_view option, double min, double max);

// An id or label: io::text_problem, the message naming `what` and showing
// the text with unprintable bytes escaped, e.g. "--id 'a\x01': control
// character U+0001 at byte 1 (ids and labels must be valid UTF-8 without
// control characters)".
void check_text(std::string_view text, std::string_view what);

// What kind of file system object `p` is, for messages: "a directory", "a
// FIFO (named pipe)", "a socket", "a character device", "a block device",
// "a regular file", "missing".
std::string file_kind(const std::filesystem::path& p);

// An input file: exists and is a regular file (after following links).
// Checked with stat, without opening (opening a FIFO blocks).
void check_input_file(const std::filesystem::path& p, std::string_view option);
// A directory argument: when it exists it must be a directory
// (must_exist: it must exist too).
void check_dir(const std::filesystem::path& p, std::string_view option, bool must_exist);

// `text` for a message: bytes below 0x20, 0x7F and (when the text is not
// clean) every byte from 0x80 as \xNN; at most 60 bytes shown.
std::string printable(std::string_view text);

// Whether `a` and `b` name the same file: std::filesystem::equivalent when
// both exist (hard and symbolic links included), else their
// weakly_canonical forms are equal (an output that does not exist yet).
bool same_file(const std::filesystem::path& a, const std::filesystem::path& b);

struct NamedPath {
  std::string_view option;
  std::filesystem::path path;  // empty: not given, skipped
};
// An output file: not an existing directory or other non-regular file, and
// none of `inputs` ("--out 'm.model' is the same file as --model: refusing
// to overwrite an input").
void check_output_file(std::string_view option, const std::filesystem::path& out,
                       std::initializer_list<NamedPath> inputs);
// An output directory: not an existing non-directory and not one of
// `inputs` (e.g. a gallery store created in the key directory).
void check_output_dir(std::string_view option, const std::filesystem::path& out,
                      std::initializer_list<NamedPath> inputs);

}  // namespace veil::apps::args
