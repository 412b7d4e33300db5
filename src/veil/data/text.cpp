#include "veil/data/text.h"

#include <charconv>
#include <cmath>
#include <optional>

#include "veil/data/file_bytes.h"
#include "veil/io/text_check.h"

namespace veil::data {
namespace {

using detail::fail;

// Splits text into lines (without '\n', a trailing '\r' removed). A final
// line without '\n' counts; nothing after a final '\n' does.
template <class F>
void for_each_line(std::string_view text, F f) {
  std::size_t pos = 0, line = 1;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view s = text.substr(pos, end - pos);
    if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
    if (!f(s, line)) return;
    pos = end + 1;
    ++line;
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t pos = 0;
  while (true) {
    std::size_t comma = line.find(',', pos);
    if (comma == std::string_view::npos) {
      fields.push_back(trim(line.substr(pos)));
      return fields;
    }
    fields.push_back(trim(line.substr(pos, comma - pos)));
    pos = comma + 1;
  }
}

std::optional<float> number(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  float v;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::string unquote(std::string_view s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return std::string(s);
}

std::string text_of(std::string_view s) {
  constexpr std::size_t kShow = 40;
  std::string out(s.substr(0, kShow));
  if (s.size() > kShow) out += "...";
  return out;
}

}  // namespace

CsvData parse_csv(std::string_view text, std::string_view source, const CsvOptions& options) {
  CsvData out;
  std::size_t first = options.id_column ? 1 : 0;
  std::size_t fields_per_row = 0;  // 0 = not seen the first line yet
  std::size_t rows = 0;
  for_each_line(text, [&](std::string_view line, std::size_t lineno) {
    if (trim(line).empty()) return true;
    if (rows >= options.max_rows) return false;
    std::vector<std::string_view> fields = split(line);
    std::string where = "line " + std::to_string(lineno);
    if (fields_per_row == 0) {
      fields_per_row = fields.size();
      if (fields_per_row <= first) {
        fail(source, where + ": " + std::to_string(fields.size()) +
                         " field(s), expected an id and at least one value");
      }
      bool header = false;
      for (std::size_t i = first; i < fields.size(); ++i) header = header || !number(fields[i]);
      if (header) {
        for (auto f : fields) out.header.push_back(unquote(f));
        return true;
      }
    }
    if (fields.size() != fields_per_row) {
      fail(source, where + ": " + std::to_string(fields.size()) + " fields, expected " +
                       std::to_string(fields_per_row));
    }
    if (options.id_column) {
      std::string id = unquote(fields[0]);
      if (id.empty()) fail(source, where + ": empty id");
      if (auto problem = io::text_problem(id)) fail(source, where + ": id: " + *problem);
      out.ids.push_back(std::move(id));
    }
    for (std::size_t i = first; i < fields.size(); ++i) {
      std::optional<float> v = number(fields[i]);
      if (!v) {
        fail(source, where + ", field " + std::to_string(i + 1) + ": '" + text_of(fields[i]) +
                         "' is not a finite number");
      }
      out.matrix.values.push_back(*v);
    }
    ++rows;
    return true;
  });
  out.matrix.rows = rows;
  out.matrix.cols = rows == 0 ? 0 : fields_per_row - first;
  return out;
}

CsvData read_csv(const std::filesystem::path& path, const CsvOptions& options,
                 std::uint64_t max_file_bytes) {
  std::vector<std::uint8_t> bytes = detail::read_whole(path, max_file_bytes);
  return parse_csv(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                   path.string(), options);
}

std::vector<std::string> parse_labels_txt(std::string_view text, std::string_view source,
                                          std::string_view what) {
  std::vector<std::string> out;
  for_each_line(text, [&](std::string_view line, std::size_t lineno) {
    const std::string where = "line " + std::to_string(lineno) + ": ";
    if (line.empty()) fail(source, where + "empty " + std::string(what));
    if (auto problem = io::text_problem(line)) {
      fail(source, where + std::string(what) + ": " + *problem +
                       " (valid UTF-8 without control characters expected)");
    }
    out.emplace_back(line);
    return true;
  });
  return out;
}

std::vector<std::string> read_labels_txt(const std::filesystem::path& path,
                                         std::uint64_t max_file_bytes, std::string_view what) {
  std::vector<std::uint8_t> bytes = detail::read_whole(path, max_file_bytes);
  return parse_labels_txt(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path.string(),
      what);
}

}  // namespace veil::data
