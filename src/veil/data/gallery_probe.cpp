#include "veil/data/gallery_probe.h"

#include <stdexcept>
#include <unordered_map>

namespace veil::data {
namespace {

void append_row(LabeledSet& to, const LabeledSet& from, std::size_t r) {
  to.x.values.insert(to.x.values.end(), from.x.row(r), from.x.row(r) + from.x.cols);
  ++to.x.rows;
  to.labels.push_back(from.labels[r]);
}

LabeledSet empty_like(const LabeledSet& set, const char* suffix) {
  LabeledSet s;
  s.name = set.name + suffix;
  s.real = set.real;
  s.x.cols = set.x.cols;
  s.note = set.note;
  s.class_names = set.class_names;
  return s;
}

}  // namespace

GalleryProbe split_gallery_probe(const LabeledSet& set, std::size_t gallery_per_identity) {
  if (gallery_per_identity == 0) {
    throw std::invalid_argument("split_gallery_probe: gallery_per_identity must be at least 1");
  }
  if (set.labels.size() != set.x.rows || set.labels.empty()) {
    throw std::invalid_argument("split_gallery_probe: " + std::to_string(set.labels.size()) +
                                " labels for " + std::to_string(set.x.rows) +
                                " rows (a labelled, non-empty set is needed)");
  }
  GalleryProbe out{empty_like(set, "/gallery"), empty_like(set, "/probes")};
  std::unordered_map<std::int64_t, std::size_t> seen;
  for (std::size_t r = 0; r < set.x.rows; ++r) {
    std::size_t k = seen[set.labels[r]]++;
    if (k < gallery_per_identity) {
      append_row(out.gallery, set, r);
    } else if (k == gallery_per_identity) {
      append_row(out.probes, set, r);
    }
  }
  return out;
}

}  // namespace veil::data
