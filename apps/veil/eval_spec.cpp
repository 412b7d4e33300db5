#include "eval_spec.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace veil::apps::eval {

namespace {

constexpr std::size_t kMaxReducedDim = 4096;

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

template <class T>
std::vector<T> unique(std::vector<T> v) {
  std::vector<T> out;
  for (auto& x : v)
    if (std::find(out.begin(), out.end(), x) == out.end()) out.push_back(x);
  return out;
}

}  // namespace

std::string to_string(DatasetKind k) {
  switch (k) {
    case DatasetKind::kFacenet:
      return "facenet";
    case DatasetKind::kMnist:
      return "mnist";
    case DatasetKind::kMnistCnn:
      return "mnist-cnn";
    case DatasetKind::kFmnist:
      return "fmnist";
    case DatasetKind::kGenerated:
      return "generated";
  }
  return "?";
}

std::string to_string(ReductionKind k) {
  switch (k) {
    case ReductionKind::kNone:
      return "none";
    case ReductionKind::kPca:
      return "pca";
    case ReductionKind::kDeepMds:
      return "deepmds";
  }
  return "?";
}

std::string to_string(Mode m) {
  switch (m) {
    case Mode::kPlaintext:
      return "plaintext";
    case Mode::kEncrypted:
      return "encrypted";
    case Mode::kTwoStage:
      return "two-stage";
  }
  return "?";
}

std::string Reduction::name() const {
  if (kind == ReductionKind::kNone) return "none";
  return to_string(kind) + "-" + std::to_string(dim);
}

std::vector<std::string> split_list(const std::vector<std::string>& parts) {
  std::vector<std::string> out;
  for (const std::string& part : parts) {
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = part.find(',', start);
      const std::string item = trim(std::string_view(part).substr(
          start, comma == std::string::npos ? std::string::npos : comma - start));
      if (item.empty()) throw std::invalid_argument("empty item in list '" + part + "'");
      out.push_back(item);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

DatasetKind parse_dataset(std::string_view name) {
  for (DatasetKind k : {DatasetKind::kFacenet, DatasetKind::kMnist, DatasetKind::kMnistCnn,
                        DatasetKind::kFmnist, DatasetKind::kGenerated})
    if (name == to_string(k)) return k;
  throw std::invalid_argument("unknown dataset '" + std::string(name) +
                              "' (valid: facenet, mnist, mnist-cnn, fmnist, generated)");
}

Reduction parse_reduction(std::string_view name) {
  const std::string valid =
      " (valid: none, pca-D, deepmds-D with D a dimension 1..4096, e.g. "
      "pca-16, pca-32, pca-64, pca-128)";
  if (name == "none") return {};
  for (ReductionKind k : {ReductionKind::kPca, ReductionKind::kDeepMds}) {
    const std::string prefix = to_string(k) + "-";
    if (name.substr(0, prefix.size()) != prefix) continue;
    const std::string_view digits = name.substr(prefix.size());
    std::size_t d = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), d);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || d == 0 ||
        d > kMaxReducedDim)
      throw std::invalid_argument("bad reduction '" + std::string(name) + "'" + valid);
    return {k, d};
  }
  throw std::invalid_argument("unknown reduction '" + std::string(name) + "'" + valid);
}

Mode parse_mode(std::string_view name) {
  for (Mode m : {Mode::kPlaintext, Mode::kEncrypted, Mode::kTwoStage})
    if (name == to_string(m)) return m;
  throw std::invalid_argument("unknown mode '" + std::string(name) +
                              "' (valid: plaintext, encrypted, two-stage)");
}

std::vector<std::size_t> parse_counts(const std::vector<std::string>& parts,
                                      std::string_view what) {
  std::vector<std::size_t> out;
  for (const std::string& item : split_list(parts)) {
    double v = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (ec != std::errc() || end != item.data() + item.size() || !(v >= 1) || v > 1e12 ||
        v != std::floor(v))
      throw std::invalid_argument(std::string(what) + ": '" + item + "' is not a positive integer");
    out.push_back(static_cast<std::size_t>(v));
  }
  return unique(std::move(out));
}

std::vector<DatasetKind> parse_datasets(const std::vector<std::string>& parts) {
  std::vector<DatasetKind> out;
  for (const std::string& s : split_list(parts)) out.push_back(parse_dataset(s));
  return unique(std::move(out));
}

std::vector<Reduction> parse_reductions(const std::vector<std::string>& parts) {
  std::vector<Reduction> out;
  for (const std::string& s : split_list(parts)) out.push_back(parse_reduction(s));
  return unique(std::move(out));
}

std::vector<Mode> parse_modes(const std::vector<std::string>& parts) {
  std::vector<Mode> out;
  for (const std::string& s : split_list(parts)) out.push_back(parse_mode(s));
  return unique(std::move(out));
}

}  // namespace veil::apps::eval
