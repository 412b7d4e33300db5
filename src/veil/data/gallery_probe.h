// Gallery / probe split of a labelled set, for identification experiments.
#pragma once

#include <cstddef>

#include "veil/data/labeled_sets.h"

namespace veil::data {

struct GalleryProbe {
  LabeledSet gallery;
  LabeledSet probes;
};

// For each label, in row order: its first `gallery_per_identity` rows go to
// the gallery, the next row (if any) is that label's one probe; later rows are
// dropped. A label with at most gallery_per_identity rows has no probe, so
// every probe has a mate in the gallery (closed set). Rows keep their
// relative order; names get "/gallery" and "/probes". std::invalid_argument
// when the set has no labels or gallery_per_identity is 0.
GalleryProbe split_gallery_probe(const LabeledSet& set, std::size_t gallery_per_identity = 1);

}  // namespace veil::data
