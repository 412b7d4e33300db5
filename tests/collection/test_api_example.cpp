// The example of docs/api.md, compiled and run: keys, a gallery enrolled
// from memory, one encrypted search whose best match is the probe's source.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "veil/collection/gallery.h"
#include "veil/collection/keys.h"

namespace {

namespace fs = std::filesystem;

// 1,000 random 64-d rows (test data only: not a secret).
veil::data::Matrix random_rows(std::size_t rows, std::size_t d) {
  std::mt19937 gen(7);
  std::normal_distribution<float> nd;
  veil::data::Matrix m;
  m.rows = rows, m.cols = d, m.values.resize(rows * d);
  for (auto& v : m.values) v = nd(gen);
  return m;
}

TEST(CollectionApi, DocExampleRuns) {
  const fs::path dir = fs::temp_directory_path() / ("veil-api-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const veil::data::Matrix faces = random_rows(1000, 64);
  std::vector<float> probe(faces.row(17), faces.row(17) + 64);
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < faces.rows; ++i) ids.push_back("face:" + std::to_string(i));

  // [example]
  namespace vc = veil::collection;
  // Key holder: one key set; secret.key never leaves it.
  vc::write_new_keys(dir / "keys");
  const vc::KeyDir keys = vc::load_keys(dir / "keys", vc::Need::kSecret | vc::Need::kExpansion);

  // Enroll: every row is encrypted, then appended to the store (created here).
  vc::EnrollInput in{.embeddings = faces, .ids = ids, .labels = {}, .source = "faces"};
  const vc::EnrollResult added = vc::enroll(dir / "gallery", keys, in, {});

  // Search: the probe is encrypted, the server scans ciphertexts only, the
  // key holder decrypts the scores and keeps the top 5.
  const vc::OpenGallery gallery = vc::open_gallery(dir / "gallery", veil::store::Mode::kReadOnly);
  const auto searcher = vc::make_searcher(gallery, keys, std::nullopt, /*threads=*/2);
  const vc::SearchResult result = searcher->search(probe.data(), 5, std::nullopt);
  // result.hits[0].id == "face:17", result.hits[0].cosine close to 1
  // [example end]

  EXPECT_EQ(added.templates, 1000u);
  EXPECT_TRUE(added.created);
  ASSERT_EQ(result.hits.size(), 5u);
  EXPECT_EQ(result.hits[0].id, "face:17");
  EXPECT_GT(result.hits[0].cosine, 0.95);
  for (std::size_t i = 1; i < result.hits.size(); ++i)
    EXPECT_LE(result.hits[i].score, result.hits[i - 1].score);
  fs::remove_all(dir);
}

// Bad input through the library changes nothing: no store is created.
TEST(CollectionApi, RefusedEnrollmentCreatesNoStore) {
  namespace vc = veil::collection;
  const fs::path dir = fs::temp_directory_path() / ("veil-api-bad-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  vc::write_new_keys(dir / "keys");
  const vc::KeyDir keys = vc::load_keys(dir / "keys", static_cast<unsigned>(vc::Need::kSecret));
  vc::EnrollInput in{.embeddings = random_rows(3, 8), .ids = {"a", "b", "a"}, .labels = {},
                     .source = "three"};
  EXPECT_THROW(vc::enroll(dir / "gallery", keys, in, {}), std::runtime_error);
  in.ids = {"a", std::string("b\0c", 3), "d"};
  EXPECT_THROW(vc::enroll(dir / "gallery", keys, in, {}), std::runtime_error);
  in.ids = {"a", "b"};
  EXPECT_THROW(vc::enroll(dir / "gallery", keys, in, {}), std::runtime_error);
  EXPECT_FALSE(fs::exists(dir / "gallery"));
  fs::remove_all(dir);
}

}  // namespace
