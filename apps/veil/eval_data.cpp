#include "eval_data.h"

#include <algorithm>
#include <iostream>
#include <map>

#include "eval_mnist_cnn.h"
#include "veil/data/identity_calibration.h"
#include "veil/data/identity_gen.h"
#include "veil/data/labeled_sets.h"

namespace veil::apps::eval {

namespace {

constexpr std::size_t kMnistTrainRows = 10000;  // PCA fit rows (first of the 60,000)
constexpr std::size_t kMaxTrainIdentities = 10000;

data::Matrix select_rows(const data::Matrix& x, const std::vector<std::size_t>& rows) {
  data::Matrix out{rows.size(), x.cols, std::vector<float>(rows.size() * x.cols)};
  for (std::size_t i = 0; i < rows.size(); ++i) std::copy_n(x.row(rows[i]), x.cols, out.row(i));
  return out;
}

// Every gallery row a probe of its own (leave-one-out).
void leave_one_out(EvalSet& s, data::Matrix gallery, std::vector<std::int64_t> labels) {
  s.gallery = std::move(gallery);
  s.gallery_labels = std::move(labels);
  s.leave_one_out = true;
  s.probe_labels = s.gallery_labels;
  s.probe_rows.resize(s.gallery.rows);
  for (std::size_t i = 0; i < s.gallery.rows; ++i) s.probe_rows[i] = i;
}

void sizes(EvalSet& s) {
  s.provenance["real"] = s.real;
  s.provenance["name"] = s.name;
  s.provenance["input_dim"] = s.dim();
  s.provenance["train_rows"] = s.train.rows;
  s.provenance["gallery_rows"] = s.gallery.rows;
  s.provenance["probes"] = s.probe_count();
  s.provenance["leave_one_out"] = s.leave_one_out;
  s.provenance["protocol"] = s.protocol;
}

EvalSet facenet(const LoadOptions& o) {
  const data::LabeledSet set = data::load_facenet(o.datasets);
  EvalSet s;
  s.kind = DatasetKind::kFacenet;
  s.name = set.name;
  s.real = true;
  // Alternate each identity's images (in file order) between train and eval.
  std::map<std::int64_t, std::size_t> seen;
  std::vector<std::size_t> train_rows, eval_rows;
  for (std::size_t r = 0; r < set.x.rows; ++r)
    (seen[set.labels[r]]++ % 2 == 0 ? train_rows : eval_rows).push_back(r);
  s.train = select_rows(set.x, train_rows);
  for (std::size_t r : train_rows) s.train_labels.push_back(set.labels[r]);
  std::vector<std::int64_t> labels;
  for (std::size_t r : eval_rows) labels.push_back(set.labels[r]);
  leave_one_out(s, select_rows(set.x, eval_rows), std::move(labels));
  s.protocol =
      "REAL DATA. FaceNet-512 embeddings, 10 identities. Each identity's images alternate (file "
      "order) between a train half (reductions are fitted on it) and an eval half. "
      "Identification on the eval half is leave-one-out: every eval image is a probe against "
      "all other eval images (its own row excluded); rank-k = an image of the same identity "
      "among the first k. Verification pairs: all unordered eval pairs.";
  s.provenance["source"] = set.note;
  s.provenance["identities"] = seen.size();
  sizes(s);
  return s;
}

EvalSet pixels(DatasetKind kind, const LoadOptions& o) {
  EvalSet s;
  s.kind = kind;
  s.real = true;
  std::vector<std::int64_t> labels;
  data::Matrix eval;
  if (kind == DatasetKind::kMnist) {
    data::LabeledSet train =
        data::load_mnist(o.datasets, data::MnistSplit::kTrain, kMnistTrainRows);
    data::LabeledSet test = data::load_mnist(o.datasets, data::MnistSplit::kTest);
    s.name = "mnist";
    s.train = std::move(train.x);
    s.train_labels = std::move(train.labels);
    eval = std::move(test.x);
    labels = std::move(test.labels);
    s.provenance["source"] = test.note;
    s.protocol =
        "REAL DATA. MNIST pixels (784-d, [0,1]). Reductions fitted on the first " +
        std::to_string(kMnistTrainRows) +
        " train images; evaluated on the 10,000 test images. Digits are classes, not "
        "identities, so a gallery/probe split by class is meaningless: identification is "
        "leave-one-out nearest neighbour (every test image a probe against all other test "
        "images; rank-1 = the probe's top-1 has the same label, rank-10 = one of the top 10 "
        "does). Verification pairs: unordered pairs of the first test images.";
  } else {
    data::LabeledSet train = data::load_fashion_mnist_small(o.datasets);
    data::QuerySet q = data::load_fashion_mnist_small_queries(o.datasets);
    if (q.queries.labels.empty()) throw std::runtime_error("fmnist: the query set has no labels");
    s.name = "fashion-mnist-small";
    s.train = std::move(train.x);
    s.train_labels = std::move(train.labels);
    eval = std::move(q.queries.x);
    labels = std::move(q.queries.labels);
    s.provenance["source"] = train.note;
    s.protocol =
        "REAL DATA. Fashion-MNIST pixels (784-d). Reductions fitted on the 1,000 train images "
        "of ann/fmnistsmall_base; evaluated on the 500 test-image queries. Classes, not "
        "identities: identification is leave-one-out nearest neighbour over the 500 test "
        "images (rank-1 = the probe's top-1 has the same label). Verification pairs: all "
        "unordered test pairs.";
  }
  leave_one_out(s, std::move(eval), std::move(labels));
  sizes(s);
  return s;
}

// MNIST through the CNN: same evaluation as the pixels set (leave-one-out over
// the 10,000 test images), but the reductions are fitted on embeddings of
// train images the CNN did not train on.
EvalSet mnist_cnn(const LoadOptions& o) {
  MnistCnnEmbeddings e =
      mnist_cnn_embeddings({o.datasets, o.mnist_cnn_images, o.mnist_cnn_epochs, o.seed});
  EvalSet s;
  s.kind = DatasetKind::kMnistCnn;
  s.real = true;
  s.name = "mnist-cnn64";
  s.train = std::move(e.fit.x);
  s.train_labels = std::move(e.fit.labels);
  leave_one_out(s, std::move(e.test.x), std::move(e.test.labels));
  const std::size_t n = o.mnist_cnn_images, fit0 = kMnistCnnMaxTrainImages;
  s.protocol =
      "REAL DATA. MNIST digits embedded by our small CNN (64-d, L2-normalised; "
      "reduce/torch/mnist_embedder.h), trained here on MNIST train images 0.." +
      std::to_string(n - 1) + " for " + std::to_string(o.mnist_cnn_epochs) + " epoch(s) (seed " +
      std::to_string(o.seed) +
      "; see embedder). Reductions fitted on the CNN embeddings of train images " +
      std::to_string(fit0) + ".." + std::to_string(fit0 + kMnistFitImages - 1) +
      ", which the CNN did not train on; never on test images. Evaluated on the embeddings "
      "of the 10,000 test images. Digits are classes, not identities: identification is "
      "leave-one-out nearest neighbour (every test image a probe against all other test "
      "images; rank-1 = the probe's top-1 has the same label, rank-10 = one of the top 10 "
      "does). Verification pairs: unordered pairs of the first test images.";
  s.provenance["source"] = e.test.note;
  s.provenance["embedder"] = std::move(e.embedder);
  s.provenance["fit_images"] =
      "MNIST train " + std::to_string(fit0) + ".." + std::to_string(fit0 + kMnistFitImages - 1);
  sizes(s);
  return s;
}

EvalSet generated(const LoadOptions& o) {
  EvalSet s;
  s.kind = DatasetKind::kGenerated;
  s.real = false;
  s.name = "generated-identities";
  data::IdentityGenParams p;
  p.ambient_dim = 512;
  p.intrinsic_dim = 32;
  p.seed = o.seed;
  try {
    const data::LabeledSet facenet = data::load_facenet(o.datasets);
    data::CalibrationOptions co;
    co.threads = o.threads;
    std::cerr << "eval: calibrating the generator to FaceNet...\n";
    const data::Calibration c = data::calibrate_to(facenet, p, co);
    p = c.params;
    s.provenance["calibration"] = {{"reference", "FaceNet bollywood10 (real)"},
                                   {"target", data::to_string(c.target)},
                                   {"achieved", data::to_string(c.achieved)},
                                   {"rounds", c.rounds},
                                   {"max_error", c.max_error},
                                   {"converged", c.converged}};
  } catch (const std::exception& e) {
    std::cerr << "eval: FaceNet not available (" << e.what()
              << "): generator defaults, NOT calibrated\n";
    s.provenance["calibration"] = {{"reference", "none (generator defaults, uncalibrated)"},
                                   {"reason", e.what()}};
  }
  // One population (one seed: the seed also draws the identity subspace, so
  // another seed would be another population): evaluation identities
  // [0, N), training identities [N, N + T), disjoint.
  const std::size_t N = o.generated_identities;
  const std::size_t T = std::min(N, kMaxTrainIdentities);
  const std::size_t D = p.ambient_dim;
  p.identities = N + T;
  p.samples_per_identity = 2;
  const data::IdentityGenerator gen(p);
  std::vector<float> rows(N * 2 * D);
  gen.generate(0, N, rows, o.threads);
  s.gallery = {N, D, std::vector<float>(N * D)};
  s.probes = {N, D, std::vector<float>(N * D)};
  for (std::size_t i = 0; i < N; ++i) {
    std::copy_n(rows.data() + 2 * i * D, D, s.gallery.row(i));
    std::copy_n(rows.data() + (2 * i + 1) * D, D, s.probes.row(i));
    s.gallery_labels.push_back(static_cast<std::int64_t>(i));
    s.probe_labels.push_back(static_cast<std::int64_t>(i));
  }
  rows.assign(T * 2 * D, 0.0f);
  gen.generate(N, T, rows, o.threads);
  s.train = {T * 2, D, std::move(rows)};
  for (std::size_t i = 0; i < 2 * T; ++i)
    s.train_labels.push_back(static_cast<std::int64_t>(N + i / 2));
  s.provenance["generator"] = data::to_string(p);
  s.provenance["eval_identities"] = N;
  s.provenance["train_identities"] = T;
  s.protocol =
      "GENERATED DATA (not real faces): identity-structured 512-d embeddings from the "
      "FaceNet-calibrated generator (see calibration), one population (seed " +
      std::to_string(p.seed) + "). Evaluation identities 0.." + std::to_string(N - 1) +
      ": gallery = sample 0 of every identity, probe = sample 1 (closed set, one mate each). "
      "Reductions fitted on " +
      std::to_string(T) + " other identities (" + std::to_string(N) + ".." +
      std::to_string(N + T - 1) +
      ") x 2 samples of the same population. (Not a second seed: the seed also draws the "
      "generator's identity subspace, so another seed is another population and a PCA fitted "
      "on it projects onto the wrong subspace.) Verification pairs: probes x gallery over the "
      "first identities.";
  sizes(s);
  return s;
}

}  // namespace

EvalSet load_eval_set(DatasetKind kind, const LoadOptions& o) {
  switch (kind) {
    case DatasetKind::kFacenet:
      return facenet(o);
    case DatasetKind::kMnist:
    case DatasetKind::kFmnist:
      return pixels(kind, o);
    case DatasetKind::kMnistCnn:
      return mnist_cnn(o);
    case DatasetKind::kGenerated:
      return generated(o);
  }
  throw std::logic_error("eval: unknown data set kind");
}

data::Matrix probe_matrix(const EvalSet& s) {
  if (!s.leave_one_out) return s.probes;
  return select_rows(s.gallery, s.probe_rows);
}

}  // namespace veil::apps::eval
