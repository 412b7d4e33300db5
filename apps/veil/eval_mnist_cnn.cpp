#include "eval_mnist_cnn.h"

#include <algorithm>
#include <chrono>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "timing.h"
#include "veil/data/mnist.h"
#ifdef VEIL_HAVE_TORCH
#include "veil/reduce/torch/mnist_embedder.h"
#endif

namespace veil::apps::eval {

const char* const kMnistCnnNeedsTorch =
    "dataset mnist-cnn needs a libtorch build (it trains a CNN on MNIST); this build has none: "
    "install libtorch-dev and reconfigure with -DVEIL_WITH_TORCH=ON, or use --dataset mnist "
    "(raw pixels)";

bool mnist_cnn_available() {
#ifdef VEIL_HAVE_TORCH
  return true;
#else
  return false;
#endif
}

#ifdef VEIL_HAVE_TORCH
namespace {

// Images [first, first + n) of `all`.
data::ImageSet slice(const data::ImageSet& all, std::size_t first, std::size_t n) {
  const std::size_t px = all.rows * all.cols;
  data::ImageSet out{n, all.rows, all.cols, {}, {}};
  out.pixels.assign(all.pixels.begin() + static_cast<std::ptrdiff_t>(first * px),
                    all.pixels.begin() + static_cast<std::ptrdiff_t>((first + n) * px));
  out.labels.assign(all.labels.begin() + static_cast<std::ptrdiff_t>(first),
                    all.labels.begin() + static_cast<std::ptrdiff_t>(first + n));
  return out;
}

}  // namespace
#endif

MnistCnnEmbeddings mnist_cnn_embeddings(const MnistCnnOptions& o) {
  if (o.train_images == 0 || o.train_images > kMnistCnnMaxTrainImages || o.epochs == 0)
    throw std::invalid_argument(
        "mnist-cnn: " + std::to_string(o.train_images) + " training images and " +
        std::to_string(o.epochs) + " epochs; expected 1 to " +
        std::to_string(kMnistCnnMaxTrainImages) + " images (the last " +
        std::to_string(kMnistFitImages) + " train images fit the reductions) and 1 epoch or more");
#ifdef VEIL_HAVE_TORCH
  const std::filesystem::path dir = o.datasets / "mnist";
  const data::ImageSet train =
      data::read_mnist(dir / "train-images-idx3-ubyte.gz", dir / "train-labels-idx1-ubyte.gz");
  const data::ImageSet test =
      data::read_mnist(dir / "t10k-images-idx3-ubyte.gz", dir / "t10k-labels-idx1-ubyte.gz");
  if (train.count < kMnistCnnMaxTrainImages + kMnistFitImages)
    throw std::runtime_error("mnist-cnn: " + (dir / "train-images-idx3-ubyte.gz").string() +
                             " holds " + std::to_string(train.count) +
                             " images, expected the 60,000 of MNIST");

  reduce::MnistEmbedderOptions eo;
  eo.embedding_dim = kMnistCnnDim;
  eo.epochs = o.epochs;
  eo.seed = o.seed;
  std::cerr << "  training the MNIST CNN on train images 0.." << o.train_images - 1 << ", "
            << o.epochs << " epoch(s), " << eo.threads << " thread(s)...\n";
  const auto t0 = Clock::now();
  reduce::MnistEmbedderProgress last;
  const reduce::MnistEmbedder net = reduce::train_mnist_embedder(
      slice(train, 0, o.train_images), eo, [&](const reduce::MnistEmbedderProgress& p) {
        last = p;
        std::ostringstream line;
        line << std::fixed << std::setprecision(3) << "    epoch " << p.epoch << "/" << p.epochs
             << ", batch " << p.batch << "/" << p.batches << ": loss " << p.loss
             << ", train accuracy " << p.accuracy << std::setprecision(1) << ", " << s_since(t0)
             << " s\n";
        std::cerr << line.str();
      });
  const double train_s = s_since(t0);

  const auto t1 = Clock::now();
  MnistCnnEmbeddings out;
  out.fit = net.embed_labeled(slice(train, kMnistCnnMaxTrainImages, kMnistFitImages),
                              "mnist-cnn-train-fit");
  out.test = net.embed_labeled(test, "mnist-cnn-t10k");
  const double embed_s = s_since(t1);
  std::cerr << "  CNN trained in " << train_s << " s (last epoch: train accuracy " << last.accuracy
            << "); " << out.fit.x.rows + out.test.x.rows << " images embedded in " << embed_s
            << " s\n";
  out.embedder = {
      {"network",
       "conv5x5 1->16, pool, conv5x5 16->32, pool, fc 1568->128, fc 128->64, L2-normalised "
       "(reduce/torch/mnist_embedder.h)"},
      {"loss",
       "CosFace, scale " + std::to_string(eo.scale) + ", margin " + std::to_string(eo.margin)},
      {"embedding_dim", eo.embedding_dim},
      {"train_images", "MNIST train 0.." + std::to_string(o.train_images - 1)},
      {"train_image_count", o.train_images},
      {"epochs", o.epochs},
      {"batch_size", eo.batch_size},
      {"learning_rate", eo.learning_rate},
      {"seed", o.seed},
      {"threads", eo.threads},
      // Running means over the last epoch's batches (accuracy: argmax of
      // the class cosines, no margin).
      {"last_epoch_loss", last.loss},
      {"last_epoch_train_accuracy", last.accuracy},
      {"train_seconds", train_s},
      {"embed_seconds", embed_s}};
  return out;
#else
  throw std::runtime_error(kMnistCnnNeedsTorch);
#endif
}

}  // namespace veil::apps::eval
