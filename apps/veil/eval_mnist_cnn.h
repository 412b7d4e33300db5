// `veil eval --dataset mnist-cnn`: MNIST digits embedded by the small CNN of
// reduce/torch/mnist_embedder.h, a second real labelled embedding set. The
// CNN is trained here, on the first train images; the reductions are fitted
// on the embeddings of the last 10,000 train images (which the CNN never
// saw) and evaluated on the embeddings of the 10,000 test images.
// Training needs libtorch (VEIL_HAVE_TORCH); this header does not include it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "veil/data/labeled_sets.h"

namespace veil::apps::eval {

inline constexpr std::size_t kMnistCnnDim = 64;  // the embedder's output dimension
// MNIST train images 50,000..59,999 are the reductions' fit set, so the CNN
// trains on at most the first 50,000.
inline constexpr std::size_t kMnistFitImages = 10000;
inline constexpr std::size_t kMnistCnnMaxTrainImages = 60000 - kMnistFitImages;

struct MnistCnnOptions {
  std::filesystem::path datasets;                      // holds mnist/*-ubyte.gz
  std::size_t train_images = kMnistCnnMaxTrainImages;  // CNN training images (first of train)
  std::size_t epochs = 2;
  std::uint64_t seed = 1;  // torch's initialisation and the epoch shuffles
};

struct MnistCnnEmbeddings {
  data::LabeledSet fit;     // train images 50,000..59,999, embedded
  data::LabeledSet test;    // the 10,000 test images, embedded
  nlohmann::json embedder;  // provenance: images, epochs, seed, loss, accuracy, seconds
};

// Whether this build can train the CNN (libtorch was found at configure time).
bool mnist_cnn_available();

// The message of a build without libtorch.
extern const char* const kMnistCnnNeedsTorch;

// Trains the CNN (progress on stderr) and embeds the fit and test images.
// std::invalid_argument for train_images outside 1..50,000 or epochs 0;
// std::runtime_error (kMnistCnnNeedsTorch) without libtorch; the MNIST
// reader's errors for missing or malformed files.
MnistCnnEmbeddings mnist_cnn_embeddings(const MnistCnnOptions& o);

}  // namespace veil::apps::eval
