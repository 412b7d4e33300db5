#include "veil/data/npy.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "veil/data/file_bytes.h"
#include "veil/io/byte_io.h"
#include "veil/io/errors.h"
#include "veil/io/file_io.h"

namespace veil::data {
namespace {

using detail::fail;

static_assert(std::endian::native == std::endian::little,
              "the loaders assume a little-endian host");

constexpr std::uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
// NumPy itself refuses headers over 10 KB unless told otherwise; be generous.
constexpr std::size_t kMaxHeaderLen = std::size_t{1} << 20;
// Room for magic, version and the longest header: what read_* fetch first.
constexpr std::size_t kMaxPreamble = 12 + kMaxHeaderLen;

// A cursor over the header dict, which is a Python literal such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (522, 512), }
class DictParser {
 public:
  DictParser(std::string_view text, std::string_view source) : s_(text), source_(source) {}

  NpyHeader parse() {
    NpyHeader h;
    bool have_descr = false, have_order = false, have_shape = false;
    skip_ws();
    expect('{');
    skip_ws();
    while (!at('}')) {
      std::string key = string_literal("header key");
      skip_ws();
      expect(':');
      skip_ws();
      if (key == "descr") {
        if (have_descr) bad("duplicate key 'descr'");
        if (at('['))
          bad("structured dtypes are not supported (expected a simple dtype such as '<f4')");
        h.descr = string_literal("'descr'");
        have_descr = true;
      } else if (key == "fortran_order") {
        if (have_order) bad("duplicate key 'fortran_order'");
        h.fortran_order = boolean();
        have_order = true;
      } else if (key == "shape") {
        if (have_shape) bad("duplicate key 'shape'");
        h.shape = tuple();
        have_shape = true;
      } else {
        bad("unexpected key '" + key + "' (expected 'descr', 'fortran_order', 'shape')");
      }
      skip_ws();
      if (at(',')) {
        ++pos_;
        skip_ws();
      } else if (!at('}')) {
        bad("expected ',' or '}' at header offset " + std::to_string(pos_));
      }
    }
    ++pos_;
    skip_ws();
    if (pos_ != s_.size()) bad("unexpected text after the header dict");
    if (!have_descr) bad("key 'descr' missing");
    if (!have_order) bad("key 'fortran_order' missing");
    if (!have_shape) bad("key 'shape' missing");
    return h;
  }

 private:
  [[noreturn]] void bad(const std::string& what) const { fail(source_, "npy header: " + what); }
  bool at(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t')) ++pos_;
  }
  void expect(char c) {
    if (!at(c)) {
      bad(std::string("expected '") + c + "' at header offset " + std::to_string(pos_));
    }
    ++pos_;
  }
  std::string string_literal(const char* what) {
    if (!at('\'') && !at('"')) bad(std::string("expected a quoted string for ") + what);
    char q = s_[pos_++];
    std::size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != q) {
      if (s_[pos_] == '\\') bad(std::string("escape sequences are not supported in ") + what);
      ++pos_;
    }
    if (pos_ >= s_.size()) bad(std::string("unterminated string for ") + what);
    return std::string(s_.substr(start, pos_++ - start));
  }
  bool boolean() {
    if (s_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (s_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    bad("'fortran_order' must be True or False");
  }
  std::vector<std::uint64_t> tuple() {
    expect('(');
    std::vector<std::uint64_t> dims;
    skip_ws();
    while (!at(')')) {
      if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9') {
        bad("'shape' must be a tuple of non-negative integers");
      }
      std::uint64_t v = 0;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        std::uint64_t digit = static_cast<std::uint64_t>(s_[pos_] - '0');
        if (v > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
          bad("a 'shape' dimension overflows 64 bits");
        }
        v = v * 10 + digit;
        ++pos_;
      }
      if (at('L')) ++pos_;  // written by NumPy under Python 2
      if (dims.size() >= 32) bad("'shape' has more than 32 dimensions");
      dims.push_back(v);
      skip_ws();
      if (at(',')) {
        ++pos_;
        skip_ws();
      } else if (!at(')')) {
        bad("expected ',' or ')' in 'shape'");
      }
    }
    ++pos_;
    return dims;
  }

  std::string_view s_;
  std::string_view source_;
  std::size_t pos_ = 0;
};

std::string shape_text(const std::vector<std::uint64_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

enum class Kind { F4, F8, U1, I4, I8, Unicode };

struct Dtype {
  Kind kind;
  std::size_t itemsize;
};

Dtype parse_dtype(const std::string& d, std::string_view source) {
  if (d.size() >= 2 && d[0] == '>' && d != ">u1" && d != ">i1") {
    fail(source,
         "big-endian dtype '" + d + "' is not supported (expected little-endian, e.g. '<f4')");
  }
  if (d == "<f4") return {Kind::F4, 4};
  if (d == "<f8") return {Kind::F8, 8};
  if (d == "|u1" || d == "<u1" || d == ">u1" || d == "u1") return {Kind::U1, 1};
  if (d == "<i4") return {Kind::I4, 4};
  if (d == "<i8") return {Kind::I8, 8};
  if (d.size() >= 3 && d[0] == '<' && d[1] == 'U') {
    std::uint64_t chars = 0;
    for (std::size_t i = 2; i < d.size(); ++i) {
      if (d[i] < '0' || d[i] > '9' || chars > 1'000'000) {
        fail(source, "npy header: bad string dtype '" + d + "'");
      }
      chars = chars * 10 + static_cast<std::uint64_t>(d[i] - '0');
    }
    if (chars == 0 || chars > 65536) {
      fail(source, "npy header: string dtype '" + d + "' has an unsupported width");
    }
    return {Kind::Unicode, static_cast<std::size_t>(chars * 4)};
  }
  fail(source, "unsupported dtype '" + d + "' (expected <f4, <f8, |u1, <i4, <i8 or <U<n>)");
}

// The header plus checks shared by every reader: ndim 1 or 2, no Fortran
// order for 2-D, data size == shape size exactly. `data_size` is the number
// of bytes after the header in the whole file.
struct Layout {
  NpyHeader header;
  Dtype dtype;
  std::uint64_t rows, cols;
  std::uint64_t row_bytes;
};

Layout layout(const NpyHeader& h, std::uint64_t data_size, std::string_view source) {
  Dtype dt = parse_dtype(h.descr, source);
  if (h.shape.empty() || h.shape.size() > 2) {
    fail(source, "shape " + shape_text(h.shape) + " has " + std::to_string(h.shape.size()) +
                     " dimensions, expected 1 or 2");
  }
  if (h.fortran_order && h.shape.size() == 2) {
    fail(source, "Fortran-order arrays are not supported (expected fortran_order False)");
  }
  std::uint64_t rows = h.shape[0];
  std::uint64_t cols = h.shape.size() == 2 ? h.shape[1] : 1;
  std::uint64_t row_bytes = io::checked_mul(cols, dt.itemsize, "npy row size");
  std::uint64_t need = io::checked_mul(rows, row_bytes, "npy data size");
  if (need != data_size) {
    fail(source, std::string(need > data_size ? "truncated" : "trailing bytes") + ": shape " +
                     shape_text(h.shape) + " of " + h.descr + " needs " + std::to_string(need) +
                     " data bytes, the file has " + std::to_string(data_size));
  }
  return {h, dt, rows, cols, row_bytes};
}

// `data` holds at least `rows` rows.
Matrix to_matrix(const Layout& L, std::span<const std::uint8_t> data, std::uint64_t rows,
                 std::string_view source) {
  if (L.dtype.kind != Kind::F4 && L.dtype.kind != Kind::F8 && L.dtype.kind != Kind::U1) {
    fail(source,
         "dtype '" + L.header.descr + "' is not an embedding type (expected <f4, <f8 or |u1)");
  }
  Matrix m;
  m.rows = static_cast<std::size_t>(rows);
  m.cols = static_cast<std::size_t>(L.cols);
  m.values.resize(io::checked_size(rows, static_cast<std::size_t>(L.cols), "matrix size"));
  const std::uint8_t* p = data.data();
  for (std::size_t i = 0; i < m.values.size(); ++i) {
    float v;
    switch (L.dtype.kind) {
      case Kind::F4:
        std::memcpy(&v, p + 4 * i, 4);
        break;
      case Kind::F8: {
        double d;
        std::memcpy(&d, p + 8 * i, 8);
        v = static_cast<float>(d);
        break;
      }
      default:
        v = p[i];
        break;
    }
    if (!std::isfinite(v)) {
      fail(source, "row " + std::to_string(i / m.cols) + ", column " + std::to_string(i % m.cols) +
                       ": value is not a finite float");
    }
    m.values[i] = v;
  }
  return m;
}

Layout whole_layout(std::span<const std::uint8_t> bytes, std::string_view source) {
  NpyHeader h = parse_npy_header(bytes, source);
  return layout(h, bytes.size() - h.data_offset, source);
}

void check_label_shape(const Layout& L, std::string_view source) {
  if (L.cols != 1) {
    fail(source, "labels must have shape (n,) or (n, 1), got " + shape_text(L.header.shape));
  }
}

// Encodes code point c as UTF-8.
void put_utf8(std::string& out, std::uint32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// Reads the preamble of a file, then what `fetch` bytes of data it needs.
struct FileLayout {
  Layout layout;
  std::vector<std::uint8_t> bytes;  // header + the requested rows
};

FileLayout read_layout(const std::filesystem::path& path, std::uint64_t max_rows,
                       std::uint64_t max_file_bytes) {
  std::string source = path.string();
  std::uint64_t size = detail::file_size(path);
  std::vector<std::uint8_t> pre = detail::read_prefix(path, kMaxPreamble);
  NpyHeader h = parse_npy_header(pre, source);
  Layout L = layout(h, size - h.data_offset, source);
  std::uint64_t rows = L.rows < max_rows ? L.rows : max_rows;
  std::uint64_t want = io::checked_add(h.data_offset, io::checked_mul(rows, L.row_bytes));
  if (want > max_file_bytes) {
    fail(source, "reading " + std::to_string(rows) + " rows needs " + std::to_string(want) +
                     " bytes, more than the limit of " + std::to_string(max_file_bytes) +
                     " (read fewer rows with max_rows, or raise max_file_bytes)");
  }
  std::vector<std::uint8_t> bytes = detail::read_prefix(path, want);
  if (bytes.size() != want) fail(source, "file shrank while being read");
  return {L, std::move(bytes)};
}

}  // namespace

NpyHeader parse_npy_header(std::span<const std::uint8_t> bytes, std::string_view source) {
  if (bytes.size() < 10) {
    fail(source,
         "truncated: " + std::to_string(bytes.size()) + " bytes, an npy file has at least 10");
  }
  if (std::memcmp(bytes.data(), kMagic, 6) != 0) fail(source, "not an npy file (bad magic)");
  int major = bytes[6], minor = bytes[7];
  if (major < 1 || major > 3 || minor != 0) {
    fail(source, "unsupported npy version " + std::to_string(major) + "." + std::to_string(minor) +
                     " (expected 1.0, 2.0 or 3.0)");
  }
  std::size_t len_size = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + len_size) fail(source, "truncated npy header");
  std::uint64_t header_len =
      major == 1 ? (bytes[8] | (bytes[9] << 8)) : detail::load_u32(bytes.data() + 8);
  std::size_t start = 8 + len_size;
  if (header_len > kMaxHeaderLen) {
    fail(source, "npy header length " + std::to_string(header_len) + " exceeds the limit of " +
                     std::to_string(kMaxHeaderLen));
  }
  if (header_len > bytes.size() - start) {
    fail(source, "truncated: npy header length " + std::to_string(header_len) + ", only " +
                     std::to_string(bytes.size() - start) + " bytes follow");
  }
  std::string_view text(reinterpret_cast<const char*>(bytes.data() + start),
                        static_cast<std::size_t>(header_len));
  NpyHeader h = DictParser(text, source).parse();
  h.major_version = major;
  h.data_offset = start + static_cast<std::size_t>(header_len);
  return h;
}

Matrix parse_npy(std::span<const std::uint8_t> bytes, std::string_view source,
                 std::uint64_t max_rows) {
  Layout L = whole_layout(bytes, source);
  return to_matrix(L, bytes.subspan(L.header.data_offset), L.rows < max_rows ? L.rows : max_rows,
                   source);
}

std::vector<std::int64_t> parse_npy_labels(std::span<const std::uint8_t> bytes,
                                           std::string_view source) {
  Layout L = whole_layout(bytes, source);
  check_label_shape(L, source);
  const std::uint8_t* p = bytes.data() + L.header.data_offset;
  std::vector<std::int64_t> out(static_cast<std::size_t>(L.rows));
  for (std::size_t i = 0; i < out.size(); ++i) {
    switch (L.dtype.kind) {
      case Kind::U1:
        out[i] = p[i];
        break;
      case Kind::I4: {
        std::int32_t v;
        std::memcpy(&v, p + 4 * i, 4);
        out[i] = v;
        break;
      }
      case Kind::I8:
        std::memcpy(&out[i], p + 8 * i, 8);
        break;
      default:
        fail(source,
             "dtype '" + L.header.descr + "' is not a label type (expected |u1, <i4 or <i8)");
    }
  }
  return out;
}

std::vector<std::string> parse_npy_strings(std::span<const std::uint8_t> bytes,
                                           std::string_view source) {
  Layout L = whole_layout(bytes, source);
  check_label_shape(L, source);
  if (L.dtype.kind != Kind::Unicode) {
    fail(source, "dtype '" + L.header.descr + "' is not a string type (expected <U<n>)");
  }
  std::size_t chars = L.dtype.itemsize / 4;
  const std::uint8_t* p = bytes.data() + L.header.data_offset;
  std::vector<std::string> out(static_cast<std::size_t>(L.rows));
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::uint8_t* e = p + i * L.dtype.itemsize;
    std::size_t n = chars;
    while (n > 0 && detail::load_u32(e + 4 * (n - 1)) == 0) --n;
    for (std::size_t k = 0; k < n; ++k) {
      std::uint32_t c = detail::load_u32(e + 4 * k);
      if (c == 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
        fail(source, "row " + std::to_string(i) + ": invalid character U+" + std::to_string(c));
      }
      put_utf8(out[i], c);
    }
  }
  return out;
}

Matrix read_npy(const std::filesystem::path& path, std::uint64_t max_rows,
                std::uint64_t max_file_bytes) {
  FileLayout f = read_layout(path, max_rows, max_file_bytes);
  std::uint64_t rows = f.layout.rows < max_rows ? f.layout.rows : max_rows;
  return to_matrix(f.layout, std::span(f.bytes).subspan(f.layout.header.data_offset), rows,
                   path.string());
}

std::vector<std::int64_t> read_npy_labels(const std::filesystem::path& path,
                                          std::uint64_t max_file_bytes) {
  return parse_npy_labels(detail::read_whole(path, max_file_bytes), path.string());
}

std::vector<std::string> read_npy_strings(const std::filesystem::path& path,
                                          std::uint64_t max_file_bytes) {
  return parse_npy_strings(detail::read_whole(path, max_file_bytes), path.string());
}

std::vector<std::uint8_t> encode_npy(const Matrix& m) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                     std::to_string(m.rows) + ", " + std::to_string(m.cols) + "), }";
  // magic(6) + version(2) + length(2) + dict + padding + '\n' == multiple of 64
  std::size_t total = 10 + dict.size() + 1;
  std::size_t padded = (total + 63) / 64 * 64;
  dict.append(padded - total, ' ');
  dict += '\n';
  if (dict.size() > 65535) throw std::invalid_argument("encode_npy: header too long");
  std::vector<std::uint8_t> out(kMagic, kMagic + 6);
  out.push_back(1);
  out.push_back(0);
  out.push_back(static_cast<std::uint8_t>(dict.size() & 0xFF));
  out.push_back(static_cast<std::uint8_t>(dict.size() >> 8));
  out.insert(out.end(), dict.begin(), dict.end());
  std::size_t off = out.size();
  out.resize(off + m.values.size() * 4);
  if (!m.values.empty()) std::memcpy(out.data() + off, m.values.data(), m.values.size() * 4);
  return out;
}

void write_npy(const std::filesystem::path& path, const Matrix& m) {
  if (m.values.size() != m.rows * m.cols) {
    throw std::invalid_argument(
        "write_npy: matrix holds " + std::to_string(m.values.size()) +
        " values, expected rows * cols = " + std::to_string(m.rows * m.cols));
  }
  io::write_file_atomic(path, encode_npy(m));
}

}  // namespace veil::data
