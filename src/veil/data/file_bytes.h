// Internal: bounded whole-file and prefix reads for the data loaders.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace veil::data::detail {

// Every reader below opens only regular files: a directory, FIFO, socket or
// device is an io::FormatError naming the path and what it is ("'x' is a
// FIFO (named pipe), not a regular file"), checked with stat before the file
// is opened, so a FIFO never blocks a reader.

// Size of a regular file; std::system_error naming the path on failure.
std::uint64_t file_size(const std::filesystem::path& path);

// The first min(size, max_bytes) bytes of `path`. std::system_error on OS
// failures (naming the path); io::FormatError if the file shrinks meanwhile.
std::vector<std::uint8_t> read_prefix(const std::filesystem::path& path, std::uint64_t max_bytes);

// The whole file, refused with io::FormatError when larger than max_bytes.
std::vector<std::uint8_t> read_whole(const std::filesystem::path& path, std::uint64_t max_bytes);

// "'path'" for messages.
std::string quoted(const std::filesystem::path& path);

// Throws io::FormatError("<source>: <what>").
[[noreturn]] void fail(std::string_view source, const std::string& what);

// Little-endian loads from unaligned bytes.
std::uint32_t load_u32(const std::uint8_t* p);
std::uint64_t load_u64(const std::uint8_t* p);

}  // namespace veil::data::detail
