#include "veil/data/mnist.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "veil/data/file_bytes.h"
#include "veil/data/gzip.h"
#include "veil/io/byte_io.h"

namespace veil::data {
namespace {

using detail::fail;

std::uint32_t load_be32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | static_cast<std::uint32_t>(p[3]);
}

void put_be32(std::vector<std::uint8_t>& out, std::uint64_t v, const char* field) {
  if (v > UINT32_MAX) {
    throw std::invalid_argument(std::string("encode idx: ") + field + " " + std::to_string(v) +
                                " does not fit in 32 bits");
  }
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}

std::string magic_hint(std::uint32_t magic) {
  if (magic == kIdxImagesMagic) return " (this is an idx3 image file)";
  if (magic == kIdxLabelsMagic) return " (this is an idx1 label file)";
  return "";
}

// One parsed idx file: the header's count and the kept data.
struct Idx {
  std::uint64_t header_count = 0;
  std::uint32_t rows = 1, cols = 1;  // images only
  std::vector<std::uint8_t> data;    // the first min(count, max_items) items
};

// Reads an idx header of `header_len` bytes with `magic`, then
// count * item_bytes data bytes, keeping the first `max_items` items.
Idx parse_idx(std::span<const std::uint8_t> bytes, std::string_view source, std::uint32_t magic,
              std::uint64_t max_items, std::uint64_t max_bytes) {
  const bool images = magic == kIdxImagesMagic;
  const std::size_t header_len = images ? 16 : 8;
  const char* kind = images ? "idx3 images" : "idx1 labels";
  detail::ByteStream in(bytes, source);
  std::uint8_t h[16];
  std::size_t n = in.read(h, header_len);
  // The magic first: a label file passed as images is named as such.
  if (n >= 4 && load_be32(h) != magic) {
    fail(source, "magic number " + std::to_string(load_be32(h)) + ", expected " +
                     std::to_string(magic) + " (" + kind + ")" + magic_hint(load_be32(h)));
  }
  if (n < header_len) {
    fail(source, std::string("truncated ") + kind + " header: needs " + std::to_string(header_len) +
                     " bytes, got " + std::to_string(n));
  }
  Idx idx;
  idx.header_count = load_be32(h + 4);
  if (images) {
    idx.rows = load_be32(h + 8);
    idx.cols = load_be32(h + 12);
    if (idx.rows == 0 || idx.cols == 0) {
      fail(source, "image size " + std::to_string(idx.rows) + " x " + std::to_string(idx.cols) +
                       ": rows and cols must be positive");
    }
  }
  const std::uint64_t item_bytes = io::checked_mul(idx.rows, idx.cols, "idx image size");
  const std::uint64_t data_bytes = io::checked_mul(idx.header_count, item_bytes, "idx data size");
  const std::uint64_t total = io::checked_add(data_bytes, header_len, "idx file size");
  const std::string shape = images ? std::to_string(idx.header_count) + " x " +
                                         std::to_string(idx.rows) + " x " + std::to_string(idx.cols)
                                   : std::to_string(idx.header_count);
  if (total > max_bytes) {
    fail(source, "header (count " + shape + ") implies " + std::to_string(total) +
                     " decoded bytes, more than the limit of " + std::to_string(max_bytes));
  }
  // Raw input: the exact size is known before anything is allocated.
  if (!in.compressed() && bytes.size() != total) {
    fail(source, std::string(bytes.size() < total ? "truncated" : "trailing bytes") +
                     ": header (count " + shape + ") implies " + std::to_string(total) +
                     " bytes, the file has " + std::to_string(bytes.size()));
  }
  const std::uint64_t keep_items = std::min(idx.header_count, max_items);
  const std::uint64_t keep = keep_items * item_bytes;  // <= data_bytes: no overflow
  auto truncated = [&](std::uint64_t decoded) {
    fail(source, "truncated: header (count " + shape + ") implies " + std::to_string(data_bytes) +
                     " data bytes, the decompressed data has " + std::to_string(decoded));
  };
  // Grow with the data actually decoded: a lying gzip header cannot make us
  // allocate more than the stream delivers (plus one chunk).
  constexpr std::size_t kChunk = std::size_t{1} << 22;
  while (idx.data.size() < keep) {
    std::size_t have = idx.data.size();
    std::size_t step = static_cast<std::size_t>(std::min<std::uint64_t>(keep - have, kChunk));
    idx.data.resize(have + step);
    std::size_t r = in.read(idx.data.data() + have, step);
    if (r < step) truncated(have + r);
  }
  // The items not kept are still decoded, to check the size.
  std::vector<std::uint8_t> scratch;
  std::uint64_t skipped = keep;
  while (skipped < data_bytes) {
    std::size_t step =
        static_cast<std::size_t>(std::min<std::uint64_t>(data_bytes - skipped, kChunk));
    scratch.resize(step);
    std::size_t r = in.read(scratch.data(), step);
    skipped += r;
    if (r < step) truncated(skipped);
  }
  if (!in.at_end()) {
    fail(source, "trailing bytes: the decompressed data is longer than the " +
                     std::to_string(data_bytes) + " data bytes its header (count " + shape +
                     ") implies");
  }
  return idx;
}

ImageSet images_of(Idx&& idx) {
  ImageSet s;
  s.rows = idx.rows;
  s.cols = idx.cols;
  s.count = idx.data.size() / (s.rows * s.cols);
  s.pixels = std::move(idx.data);
  return s;
}

}  // namespace

ImageSet parse_idx_images(std::span<const std::uint8_t> bytes, std::string_view source,
                          std::uint64_t max_items, std::uint64_t max_bytes) {
  return images_of(parse_idx(bytes, source, kIdxImagesMagic, max_items, max_bytes));
}

ImageSet parse_idx_labels(std::span<const std::uint8_t> bytes, std::string_view source,
                          std::uint64_t max_items, std::uint64_t max_bytes) {
  Idx idx = parse_idx(bytes, source, kIdxLabelsMagic, max_items, max_bytes);
  ImageSet s;
  s.count = idx.data.size();
  s.labels = std::move(idx.data);
  return s;
}

ImageSet parse_mnist(std::span<const std::uint8_t> images, std::span<const std::uint8_t> labels,
                     std::string_view images_source, std::string_view labels_source,
                     std::uint64_t max_items, std::uint64_t max_bytes) {
  Idx im = parse_idx(images, images_source, kIdxImagesMagic, max_items, max_bytes);
  Idx lb = parse_idx(labels, labels_source, kIdxLabelsMagic, max_items, max_bytes);
  if (im.header_count != lb.header_count) {
    fail(labels_source, "label count " + std::to_string(lb.header_count) +
                            " differs from the image count " + std::to_string(im.header_count) +
                            " of " + std::string(images_source));
  }
  ImageSet s = images_of(std::move(im));
  s.labels = std::move(lb.data);
  return s;
}

ImageSet read_mnist(const std::filesystem::path& images, const std::filesystem::path& labels,
                    std::uint64_t max_items) {
  std::vector<std::uint8_t> ib = detail::read_whole(images, kDefaultMaxFileBytes);
  std::vector<std::uint8_t> lb = detail::read_whole(labels, kDefaultMaxFileBytes);
  return parse_mnist(ib, lb, images.string(), labels.string(), max_items);
}

std::vector<std::uint8_t> encode_idx_images(const ImageSet& set) {
  if (set.pixels.size() != set.count * set.rows * set.cols) {
    throw std::invalid_argument("encode idx images: " + std::to_string(set.pixels.size()) +
                                " pixels, expected count * rows * cols = " +
                                std::to_string(set.count * set.rows * set.cols));
  }
  std::vector<std::uint8_t> out;
  out.reserve(16 + set.pixels.size());
  put_be32(out, kIdxImagesMagic, "magic");
  put_be32(out, set.count, "count");
  put_be32(out, set.rows, "rows");
  put_be32(out, set.cols, "cols");
  out.insert(out.end(), set.pixels.begin(), set.pixels.end());
  return out;
}

std::vector<std::uint8_t> encode_idx_labels(const ImageSet& set) {
  if (set.labels.size() != set.count) {
    throw std::invalid_argument("encode idx labels: " + std::to_string(set.labels.size()) +
                                " labels, expected count = " + std::to_string(set.count));
  }
  std::vector<std::uint8_t> out;
  out.reserve(8 + set.labels.size());
  put_be32(out, kIdxLabelsMagic, "magic");
  put_be32(out, set.count, "count");
  out.insert(out.end(), set.labels.begin(), set.labels.end());
  return out;
}

std::vector<std::uint8_t> gzip_bytes(std::span<const std::uint8_t> bytes) {
  return detail::gzip(bytes);
}

}  // namespace veil::data
