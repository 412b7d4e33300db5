#include "veil/reduce/torch/mnist_embedder.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>

#include "veil/reduce/torch/pk_sampler.h"
#include "veil/reduce/torch/torch_threads.h"

namespace veil::reduce {

namespace {

constexpr std::int64_t kSide = 28, kClasses = 10;
// Xof domain for the epoch permutations ("mnistemb").
constexpr std::uint64_t kShuffleDomain = 0x6d6e697374656d62;
// MNIST pixel mean and standard deviation (of pixel / 255), the usual
// input normalisation.
constexpr double kPixelMean = 0.1307, kPixelStd = 0.3081;

struct DigitNetImpl : torch::nn::Module {
  explicit DigitNetImpl(std::int64_t dim)
      : conv1(register_module("conv1",
                              torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 16, 5).padding(2)))),
        conv2(register_module("conv2",
                              torch::nn::Conv2d(torch::nn::Conv2dOptions(16, 32, 5).padding(2)))),
        fc1(register_module("fc1", torch::nn::Linear(32 * 7 * 7, 128))),
        fc2(register_module("fc2", torch::nn::Linear(128, dim))) {}

  torch::Tensor forward(const torch::Tensor& x) {  // x: n x 1 x 28 x 28
    auto h = torch::max_pool2d(torch::relu(conv1(x)), 2);
    h = torch::max_pool2d(torch::relu(conv2(h)), 2);
    h = torch::relu(fc1(h.flatten(1)));
    return torch::nn::functional::normalize(
        fc2(h), torch::nn::functional::NormalizeFuncOptions().p(2).dim(1).eps(1e-12));
  }

  torch::nn::Conv2d conv1, conv2;
  torch::nn::Linear fc1, fc2;
};
TORCH_MODULE(DigitNet);

void check_images(const data::ImageSet& images, const char* what) {
  if (images.rows != kSide || images.cols != kSide) {
    throw std::invalid_argument(std::string(what) + ": images are " + std::to_string(images.rows) +
                                " x " + std::to_string(images.cols) + ", expected 28 x 28");
  }
  if (images.pixels.size() != images.count * kSide * kSide) {
    throw std::invalid_argument(std::string(what) + ": " + std::to_string(images.pixels.size()) +
                                " pixels for " + std::to_string(images.count) +
                                " images, expected " +
                                std::to_string(images.count * kSide * kSide));
  }
}

// Images [first, first + n) of `order` as a normalised n x 1 x 28 x 28 tensor.
torch::Tensor image_batch(const data::ImageSet& images, const std::vector<std::size_t>& order,
                          std::size_t first, std::size_t n) {
  auto t = torch::empty({static_cast<std::int64_t>(n), 1, kSide, kSide}, torch::kFloat);
  float* out = t.data_ptr<float>();
  constexpr std::size_t kPixels = kSide * kSide;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* src = images.pixels.data() + order[first + i] * kPixels;
    for (std::size_t p = 0; p < kPixels; ++p) {
      out[i * kPixels + p] = static_cast<float>((src[p] / 255.0 - kPixelMean) / kPixelStd);
    }
  }
  return t;
}

}  // namespace

struct MnistEmbedder::Impl {
  DigitNet net{nullptr};
  std::size_t dim = 0;
  int threads = 0;
};

MnistEmbedder::MnistEmbedder(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::size_t MnistEmbedder::embedding_dim() const { return impl_->dim; }

data::Matrix MnistEmbedder::embed(const data::ImageSet& images) const {
  check_images(images, "MnistEmbedder::embed");
  ScopedTorchThreads threads(impl_->threads);
  torch::NoGradGuard no_grad;
  impl_->net->eval();
  data::Matrix out{images.count, impl_->dim, std::vector<float>(images.count * impl_->dim)};
  std::vector<std::size_t> order(images.count);
  std::iota(order.begin(), order.end(), std::size_t{0});
  constexpr std::size_t kChunk = 1000;
  for (std::size_t first = 0; first < images.count; first += kChunk) {
    const std::size_t n = std::min(kChunk, images.count - first);
    const auto e = impl_->net->forward(image_batch(images, order, first, n)).contiguous();
    std::copy(e.data_ptr<float>(), e.data_ptr<float>() + e.numel(), out.row(first));
  }
  return out;
}

data::LabeledSet MnistEmbedder::embed_labeled(const data::ImageSet& images,
                                              const std::string& name) const {
  data::LabeledSet set;
  set.name = name;
  set.real = true;
  set.x = embed(images);
  set.labels.assign(images.labels.begin(), images.labels.end());
  set.note = "MNIST digits embedded by a small CNN (reduce/torch/mnist_embedder.h), " +
             std::to_string(impl_->dim) + "-d, L2-normalised";
  return set;
}

MnistEmbedder train_mnist_embedder(const data::ImageSet& train, const MnistEmbedderOptions& o,
                                   const MnistProgressFn& progress) {
  check_images(train, "train_mnist_embedder");
  if (train.count == 0 || train.labels.size() != train.count) {
    throw std::invalid_argument("train_mnist_embedder: " + std::to_string(train.labels.size()) +
                                " labels for " + std::to_string(train.count) +
                                " images, expected as many and at least one");
  }
  for (auto l : train.labels) {
    if (l >= kClasses) {
      throw std::invalid_argument("train_mnist_embedder: label " + std::to_string(l) +
                                  ", expected 0-9");
    }
  }
  if (o.embedding_dim == 0 || o.epochs == 0 || o.batch_size == 0 || !(o.learning_rate > 0) ||
      !std::isfinite(o.learning_rate) || !(o.margin >= 0 && o.margin < 1) || !(o.scale > 0) ||
      !std::isfinite(o.scale)) {
    throw std::invalid_argument(
        "MnistEmbedderOptions: got embedding_dim " + std::to_string(o.embedding_dim) + ", epochs " +
        std::to_string(o.epochs) + ", batch_size " + std::to_string(o.batch_size) +
        ", learning_rate " + std::to_string(o.learning_rate) + ", margin " +
        std::to_string(o.margin) + ", scale " + std::to_string(o.scale) +
        "; expected positive sizes, a finite positive rate and scale, margin in [0, 1)");
  }

  ScopedTorchThreads threads(o.threads);
  torch::manual_seed(o.seed);
  auto impl = std::make_shared<MnistEmbedder::Impl>();
  impl->dim = o.embedding_dim;
  impl->threads = o.threads;
  impl->net = DigitNet(static_cast<std::int64_t>(o.embedding_dim));
  // The class directions of the cosine softmax (not part of the embedder).
  auto classes = torch::randn({kClasses, static_cast<std::int64_t>(o.embedding_dim)})
                     .div_(std::sqrt(static_cast<double>(o.embedding_dim)))
                     .requires_grad_(true);
  auto params = impl->net->parameters();
  params.push_back(classes);
  torch::optim::Adam adam(params, torch::optim::AdamOptions(o.learning_rate));

  ring::Xof xof(training_seed(o.seed), kShuffleDomain);
  std::vector<std::size_t> order(train.count);
  std::iota(order.begin(), order.end(), std::size_t{0});
  const std::size_t batches = (train.count + o.batch_size - 1) / o.batch_size;
  impl->net->train();
  for (std::size_t epoch = 0; epoch < o.epochs; ++epoch) {
    for (std::size_t i = train.count; i > 1; --i) {  // Fisher-Yates
      std::swap(order[i - 1], order[uniform_below(xof, i)]);
    }
    double loss_sum = 0;
    std::size_t correct = 0, seen = 0;
    for (std::size_t b = 0; b < batches; ++b) {
      const std::size_t first = b * o.batch_size;
      const std::size_t n = std::min(o.batch_size, train.count - first);
      std::vector<std::int64_t> label_values(n);
      for (std::size_t i = 0; i < n; ++i) label_values[i] = train.labels[order[first + i]];
      const auto labels = torch::tensor(label_values, torch::kLong);
      const auto e = impl->net->forward(image_batch(train, order, first, n));
      const auto w = torch::nn::functional::normalize(
          classes, torch::nn::functional::NormalizeFuncOptions().p(2).dim(1).eps(1e-12));
      const auto cos = e.mm(w.t());
      const auto margin = torch::one_hot(labels, kClasses).to(torch::kFloat) * o.margin;
      const auto loss = torch::cross_entropy_loss(o.scale * (cos - margin), labels);
      adam.zero_grad();
      loss.backward();
      adam.step();
      loss_sum += loss.item<double>();
      correct += static_cast<std::size_t>(cos.argmax(1).eq(labels).sum().item<std::int64_t>());
      seen += n;
      if (progress && ((b + 1) % 50 == 0 || b + 1 == batches)) {
        progress({epoch + 1, o.epochs, b + 1, batches, loss_sum / static_cast<double>(b + 1),
                  static_cast<double>(correct) / static_cast<double>(seen)});
      }
    }
  }
  impl->net->eval();
  return MnistEmbedder(std::move(impl));
}

}  // namespace veil::reduce
