// A small CNN that embeds MNIST digits (28 x 28 uint8) as 64-d L2-normalised
// vectors, trained with a cosine-margin softmax (CosFace), so that MNIST can
// serve as a second real labelled embedding set for the reductions.
//
//   conv 5x5, 1 -> 16, pad 2, ReLU, max-pool 2     28 -> 14
//   conv 5x5, 16 -> 32, pad 2, ReLU, max-pool 2    14 -> 7
//   fc 1568 -> 128, ReLU, fc 128 -> embedding_dim, L2-normalised
//
// Loss: cross-entropy of scale * (cos(w_c, e) - margin [c = label]) over the
// ten classes, with w_c learnt class directions (normalised). Adam; batches
// from a fresh ring::Xof permutation of the training images every epoch.
// This header does not include libtorch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "veil/data/labeled_sets.h"
#include "veil/data/matrix.h"
#include "veil/data/mnist.h"

namespace veil::reduce {

struct MnistEmbedderOptions {
  std::size_t embedding_dim = 64;
  std::size_t epochs = 1;
  std::size_t batch_size = 128;
  double learning_rate = 1e-3;
  double margin = 0.35;  // CosFace additive cosine margin
  double scale = 16.0;   // logit scale
  std::uint64_t seed = 1;
  // torch intra-op threads while training and embedding (restored after).
  // 1 by default: on the shared 2-core machines a second OpenMP thread made
  // a 60k-image epoch 4-5x slower (130 s against 28 s), see README.md.
  int threads = 1;
};

struct MnistEmbedderProgress {
  std::size_t epoch = 0, epochs = 0;   // 1-based
  std::size_t batch = 0, batches = 0;  // 1-based, within the epoch
  double loss = 0;                     // mean over the batches so far in this epoch
  double accuracy = 0;  // training accuracy (argmax of the cosines, no margin) so far
};
using MnistProgressFn = std::function<void(const MnistEmbedderProgress&)>;

class MnistEmbedder {
 public:
  // Rows of embedding_dim values, unit length, one per image; the images must
  // be 28 x 28 (std::invalid_argument otherwise).
  data::Matrix embed(const data::ImageSet& images) const;
  // embed() with the images' labels: a LabeledSet named `name`.
  data::LabeledSet embed_labeled(const data::ImageSet& images, const std::string& name) const;
  std::size_t embedding_dim() const;

  struct Impl;
  explicit MnistEmbedder(std::shared_ptr<Impl> impl);

 private:
  std::shared_ptr<Impl> impl_;
};

// std::invalid_argument for bad options, images that are not 28 x 28, a
// label above 9, or an empty set. `progress` is called every 50 batches and
// at the end of each epoch.
MnistEmbedder train_mnist_embedder(const data::ImageSet& train, const MnistEmbedderOptions& options,
                                   const MnistProgressFn& progress = {});

}  // namespace veil::reduce
