// Checks for the text fields users give (template ids, labels): valid UTF-8
// without control characters. An id with a NUL byte could never be named
// again on a command line, and invalid UTF-8 breaks every JSON output that
// prints it; such text is refused where it enters, never stored.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace veil::io {

// nullopt when `text` is valid UTF-8 (shortest form, no surrogates, at most
// U+10FFFF) and holds no control character (U+0000-U+001F, U+007F-U+009F);
// otherwise what is wrong and at which byte, e.g. "control character U+0000
// at byte 3" or "invalid UTF-8 at byte 7".
std::optional<std::string> text_problem(std::string_view text);

}  // namespace veil::io
