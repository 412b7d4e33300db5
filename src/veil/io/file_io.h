// Whole-file reads and crash-safe whole-file writes (POSIX).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <vector>

namespace veil::io {

// Replaces `path` with `bytes` atomically: readers see either the old file or
// the complete new one, also after a crash. The data goes to a fresh temporary
// file in the same directory, which is fsync'ed and renamed over `path`; then
// the directory is fsync'ed. With `mode` (e.g. 0600) the temporary file gets
// exactly that mode, regardless of the umask, before any data is written;
// without it the file is created 0666 minus the umask. A symbolic link at
// `path` is replaced, not followed. Failures throw std::system_error; before
// the rename they remove the temporary file and leave `path` as it was (a
// failed directory fsync, the last step, is reported with the new file in
// place).
void write_file_atomic(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
                       std::optional<mode_t> mode = std::nullopt);

// The contents of `path`. A regular file larger than max_size is refused
// before anything is read (FormatError); for devices reading stops with a
// FormatError as soon as more than max_size bytes arrive. A FIFO or socket is
// a FormatError, found without waiting for a writer (the open is
// non-blocking).
// OS failures, a missing file included, are std::system_error naming the path.
std::vector<std::uint8_t> read_file(const std::filesystem::path& path, std::uint64_t max_size);

}  // namespace veil::io
