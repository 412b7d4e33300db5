#include "veil/data/labeled_sets.h"

#include <algorithm>
#include <cerrno>
#include <map>
#include <system_error>

#include "veil/data/file_bytes.h"
#include "veil/data/mnist.h"
#include "veil/data/npy.h"
#include "veil/data/text.h"
#include "veil/data/vecs.h"
#include "veil/io/errors.h"

namespace veil::data {
namespace {

namespace fs = std::filesystem;

// root/rel, or std::system_error(ENOENT) naming the set and the path.
fs::path need(const fs::path& root, const fs::path& rel, const std::string& set) {
  fs::path p = root / rel;
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) {
    throw std::system_error(ENOENT, std::generic_category(),
                            set + ": data set file " + detail::quoted(p) +
                                " is missing (datasets root " + detail::quoted(root) +
                                "; see its README.md)");
  }
  return p;
}

void check_rows(const LabeledSet& s, const fs::path& labels_path) {
  if (!s.labels.empty() && s.labels.size() != s.x.rows) {
    throw io::FormatError(detail::quoted(labels_path) + ": " + std::to_string(s.labels.size()) +
                          " labels, expected one per row: " + std::to_string(s.x.rows));
  }
}

// String labels to ids in sorted name order.
std::vector<std::int64_t> ids_of(const std::vector<std::string>& names,
                                 std::vector<std::string>& class_names) {
  class_names = names;
  std::sort(class_names.begin(), class_names.end());
  class_names.erase(std::unique(class_names.begin(), class_names.end()), class_names.end());
  std::map<std::string, std::int64_t> id;
  for (std::size_t i = 0; i < class_names.size(); ++i) {
    id[class_names[i]] = static_cast<std::int64_t>(i);
  }
  std::vector<std::int64_t> out;
  out.reserve(names.size());
  for (const auto& n : names) out.push_back(id.at(n));
  return out;
}

bool npy_is_strings(const fs::path& p) {
  std::vector<std::uint8_t> head = detail::read_prefix(p, std::size_t{1} << 16);
  NpyHeader h = parse_npy_header(head, p.string());
  return h.descr.size() >= 2 && h.descr[1] == 'U';
}

}  // namespace

LabeledSet load_facenet(const fs::path& root) {
  const std::string set = "FaceNet bollywood10";
  const fs::path dir = "faces/bollywood10_facenet512";
  LabeledSet s;
  s.name = "facenet-bollywood10";
  s.x = read_npy(need(root, dir / "embeddings.npy", set));
  std::error_code ec;
  fs::path labels = root / dir / "labels.npy";
  if (fs::is_regular_file(labels, ec)) {
    if (npy_is_strings(labels)) {
      s.labels = ids_of(read_npy_strings(labels), s.class_names);
    } else {
      s.labels = read_npy_labels(labels);
    }
  } else {
    labels = need(root, dir / "labels.txt", set + " (labels.npy is absent too)");
    s.labels = ids_of(read_labels_txt(labels), s.class_names);
  }
  check_rows(s, labels);
  s.note =
      "real FaceNet (InceptionResNetV1, VGGFace2) embeddings, L2-normalised; 10 identities, "
      "~52 images each (Bharadwaja1557/celebrity-lookalike-facenet @ 6d46318)";
  return s;
}

LabeledSet load_mnist(const fs::path& root, MnistSplit split, std::uint64_t max_rows) {
  const bool test = split == MnistSplit::kTest;
  const std::string prefix = test ? "t10k" : "train";
  const std::string set = "MNIST " + prefix;
  // Images first, so a set with neither file names the images.
  const fs::path images = need(root, "mnist/" + prefix + "-images-idx3-ubyte.gz", set);
  const fs::path labels = need(root, "mnist/" + prefix + "-labels-idx1-ubyte.gz", set);
  ImageSet im = read_mnist(images, labels, max_rows);
  LabeledSet s;
  s.name = "mnist-" + prefix;
  s.x.rows = im.count;
  s.x.cols = im.rows * im.cols;
  s.x.values.resize(im.pixels.size());
  for (std::size_t i = 0; i < im.pixels.size(); ++i) s.x.values[i] = im.pixels[i] / 255.0f;
  s.labels.assign(im.labels.begin(), im.labels.end());
  s.note = "real MNIST " + prefix + " pixels / 255 (rows of " + std::to_string(s.x.cols) +
           "), digit labels; bit-exact idx rebuilt from rasbt/mnist-pngs @ d26bd33";
  return s;
}

LabeledSet load_fashion_mnist_small(const fs::path& root) {
  const std::string set = "Fashion-MNIST small";
  LabeledSet s;
  s.name = "fmnist-small-base";
  s.x = read_fvecs(need(root, "ann/fmnistsmall_base.fvecs", set));
  fs::path labels = need(root, "ann/fmnistsmall_base_labels.npy", set);
  s.labels = read_npy_labels(labels);
  check_rows(s, labels);
  s.note =
      "real Fashion-MNIST: first 1,000 train images, pixels 0-255 as float (not scaled); "
      "class labels 0-9";
  return s;
}

QuerySet load_fashion_mnist_small_queries(const fs::path& root) {
  const std::string set = "Fashion-MNIST small queries";
  QuerySet q;
  q.queries.name = "fmnist-small-query";
  q.queries.x = read_fvecs(need(root, "ann/fmnistsmall_query.fvecs", set));
  fs::path labels = need(root, "ann/fmnistsmall_query_labels.npy", set);
  q.queries.labels = read_npy_labels(labels);
  check_rows(q.queries, labels);
  q.queries.note = "real Fashion-MNIST: first 500 test images, pixels 0-255 as float";
  q.ground_truth = read_ivecs(need(root, "ann/fmnistsmall_groundtruth.ivecs", set));
  return q;
}

LabeledSet load_bigann10k(const fs::path& root) {
  LabeledSet s;
  s.name = "bigann10k-base";
  s.x = read_bvecs(need(root, "ann/bigann10k_base.bvecs", "BIGANN 10k"));
  s.note = "real BIGANN (SIFT) vectors, first 10,000, uint8 as float; no labels";
  return s;
}

QuerySet load_bigann10k_queries(const fs::path& root) {
  const std::string set = "BIGANN 10k queries";
  QuerySet q;
  q.queries.name = "bigann10k-query";
  q.queries.x = read_bvecs(need(root, "ann/bigann10k_query.bvecs", set));
  q.queries.note = "real BIGANN queries: base vectors 0-99 (self-matches included); no labels";
  q.ground_truth = read_ivecs(need(root, "ann/bigann10k_groundtruth.ivecs", set));
  return q;
}

}  // namespace veil::data
