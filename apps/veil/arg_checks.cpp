#include "arg_checks.h"

#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <system_error>

#include "veil/io/text_check.h"

namespace veil::apps::args {

namespace fs = std::filesystem;

namespace {

// Concatenation by appending (GCC 12 warns falsely, -Wrestrict, on
// "literal" + std::string&&).
template <class... T>
std::string cat(const T&... parts) {
  std::string s;
  (s.append(std::string_view(parts)), ...);
  return s;
}

[[noreturn]] void refuse(std::string_view option, const std::string& what) {
  std::string msg;
  if (!option.empty()) {
    msg += option;
    msg += ": ";
  }
  msg += what;
  throw std::invalid_argument(msg);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string shown(std::string_view text) {
  std::string s = printable(text);
  return s.empty() ? std::string("''") : s;
}

std::string real_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string quoted(const fs::path& p) { return cat("'", printable(p.string()), "'"); }

// A non-negative decimal in full (digits, optionally a fraction and an
// exponent), as a double; nullopt when it is not a number at all.
std::optional<double> decimal(std::string_view s) {
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (end != s.data() + s.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) return HUGE_VAL;  // too many digits: "above"
  if (ec != std::errc()) return std::nullopt;
  return v;
}

}  // namespace

std::string printable(std::string_view text) {
  constexpr std::size_t kShow = 60;
  const bool clean = !io::text_problem(text);
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < kShow; ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x20 || b == 0x7F || (!clean && b >= 0x80)) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", b);
      out += buf;
    } else {
      out += static_cast<char>(b);
    }
  }
  if (text.size() > kShow) out += "...";
  return out;
}

std::uint64_t parse_count(std::string_view text, std::string_view option, std::uint64_t min,
                          std::uint64_t max) {
  const std::string expected =
      cat("(expected a whole number from ", std::to_string(min), " to ", std::to_string(max), ")");
  const std::string_view s = trim(text);
  if (s.empty()) refuse(option, cat("empty value ", expected));
  if (s.front() == '-') {
    if (decimal(s.substr(1))) refuse(option, cat(s, " is negative ", expected));
    refuse(option, cat("'", shown(s), "' is not a whole number ", expected));
  }
  std::uint64_t v = 0;
  bool digits = s.find_first_not_of("0123456789") == std::string_view::npos;
  if (digits) {
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc::result_out_of_range) {
      refuse(option, cat(s, " is above the limit of ", std::to_string(max)));
    }
    if (ec != std::errc() || end != s.data() + s.size()) {
      refuse(option, cat("'", shown(s), "' is not a whole number ", expected));
    }
  } else {
    // "1e5", "2.5e3": accepted when exactly a whole number. Hex, "nan",
    // "inf" and anything else are refused (from_chars reads them, but a
    // count is written in decimal).
    const bool decimal_chars = s.find_first_not_of("0123456789.eE+") == std::string_view::npos &&
                               s.front() >= '0' && s.front() <= '9';
    const std::optional<double> d = decimal_chars ? decimal(s) : std::nullopt;
    if (!d || !std::isfinite(*d) || *d != std::floor(*d)) {
      if (d && *d == HUGE_VAL) {
        refuse(option, cat(s, " is above the limit of ", std::to_string(max)));
      }
      refuse(option, cat("'", shown(s), "' is not a whole number ", expected));
    }
    if (*d > static_cast<double>(max)) {
      refuse(option, cat(s, " is above the limit of ", std::to_string(max)));
    }
    v = static_cast<std::uint64_t>(*d);
  }
  if (v > max) refuse(option, cat(s, " is above the limit of ", std::to_string(max)));
  if (v < min) refuse(option, cat(s, " is below the minimum of ", std::to_string(min)));
  return v;
}

std::vector<std::uint64_t> parse_count_list(std::string_view text, std::string_view option,
                                            std::uint64_t min, std::uint64_t max) {
  std::vector<std::uint64_t> out;
  std::size_t pos = 0;
  while (true) {
    std::size_t comma = text.find(',', pos);
    const std::string_view item =
        text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    if (trim(item).empty()) {
      refuse(option, cat("empty item in the list '", shown(text), "' (expected whole numbers from ",
                         std::to_string(min), " to ", std::to_string(max), ", comma-separated)"));
    }
    out.push_back(parse_count(item, option, min, max));
    if (comma == std::string_view::npos) return out;
    pos = comma + 1;
  }
}

double parse_real(std::string_view text, std::string_view option, double min, double max) {
  const std::string expected =
      cat("(expected a finite number from ", real_text(min), " to ", real_text(max), ")");
  std::string_view s = trim(text);
  if (s.size() > 1 && s.front() == '+' && s[1] != '-') s.remove_prefix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || end != s.data() + s.size() ||
      (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    refuse(option, cat("'", shown(text), "' is not a number ", expected));
  }
  if (ec == std::errc::result_out_of_range || !std::isfinite(v)) {
    refuse(option, cat(shown(trim(text)), " is not a finite number ", expected));
  }
  if (v < min || v > max) {
    refuse(option, cat(shown(trim(text)), " is outside the range ", real_text(min), " to ",
                       real_text(max)));
  }
  return v;
}

void check_text(std::string_view text, std::string_view what) {
  if (auto problem = io::text_problem(text)) {
    throw std::invalid_argument(cat(what, " '", printable(text), "': ", *problem,
                                    " (ids and labels must be valid UTF-8 without control "
                                    "characters)"));
  }
}

std::string file_kind(const fs::path& p) {
  struct stat st;
  if (::stat(p.c_str(), &st) != 0) return errno == ENOENT ? "missing" : std::strerror(errno);
  if (S_ISREG(st.st_mode)) return "a regular file";
  if (S_ISDIR(st.st_mode)) return "a directory";
  if (S_ISFIFO(st.st_mode)) return "a FIFO (named pipe)";
  if (S_ISSOCK(st.st_mode)) return "a socket";
  if (S_ISCHR(st.st_mode)) return "a character device";
  if (S_ISBLK(st.st_mode)) return "a block device";
  return "not a regular file";
}

void check_input_file(const fs::path& p, std::string_view option) {
  if (p.empty()) refuse(option, "an empty path");
  struct stat st;
  if (::stat(p.c_str(), &st) != 0) {
    const int err = errno;
    refuse(option,
           cat(quoted(p), ": ", err == ENOENT ? std::string("no such file") : std::strerror(err)));
  }
  if (!S_ISREG(st.st_mode)) {
    refuse(option, cat(quoted(p), " is ", file_kind(p), ", not a regular file"));
  }
}

void check_dir(const fs::path& p, std::string_view option, bool must_exist) {
  if (p.empty()) refuse(option, "an empty path");
  struct stat st;
  if (::stat(p.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT && !must_exist) return;
    refuse(option, cat(quoted(p), ": ",
                       err == ENOENT ? std::string("no such directory") : std::strerror(err)));
  }
  if (!S_ISDIR(st.st_mode))
    refuse(option, cat(quoted(p), " is ", file_kind(p), ", not a directory"));
}

bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code ea, eb;
  const bool a_exists = fs::exists(a, ea), b_exists = fs::exists(b, eb);
  if (a_exists && b_exists) {
    std::error_code ec;
    const bool same = fs::equivalent(a, b, ec);
    if (!ec) return same;
  }
  std::error_code ca, cb;
  const fs::path wa = fs::weakly_canonical(fs::absolute(a), ca);
  const fs::path wb = fs::weakly_canonical(fs::absolute(b), cb);
  if (ca || cb) return fs::absolute(a).lexically_normal() == fs::absolute(b).lexically_normal();
  // "dir/" and "dir" are the same directory.
  auto strip = [](fs::path p) {
    std::string s = p.string();
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
  };
  return strip(wa) == strip(wb);
}

namespace {
void check_not_inputs(std::string_view option, const fs::path& out,
                      std::initializer_list<NamedPath> inputs) {
  for (const NamedPath& in : inputs) {
    if (in.path.empty()) continue;
    if (same_file(out, in.path)) {
      std::error_code ec;
      const char* what = fs::is_directory(in.path, ec) ? "directory" : "file";
      refuse(option, cat(quoted(out), " is the same ", what, " as ", in.option, " ",
                         quoted(in.path), ": refusing to overwrite an input"));
    }
  }
}
}  // namespace

void check_output_file(std::string_view option, const fs::path& out,
                       std::initializer_list<NamedPath> inputs) {
  if (out.empty()) refuse(option, "an empty path");
  const std::string kind = file_kind(out);
  if (kind != "missing" && kind != "a regular file") {
    refuse(option, cat(quoted(out), " is ", kind, ", not a file that can be written"));
  }
  check_not_inputs(option, out, inputs);
}

void check_output_dir(std::string_view option, const fs::path& out,
                      std::initializer_list<NamedPath> inputs) {
  check_dir(out, option, false);
  check_not_inputs(option, out, inputs);
}

}  // namespace veil::apps::args
