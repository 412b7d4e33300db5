#include "veil/collection/gallery.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>

#include "veil/collection/client.h"
#include "veil/io/envelope.h"
#include "veil/io/errors.h"
#include "veil/io/text_check.h"
#include "veil/rlwe/errors.h"
#include "veil/search/parallel.h"
#include "veil/search/quantize.h"

namespace veil::collection {

namespace fs = std::filesystem;
namespace {
bool store_exists(const fs::path& dir) { return fs::exists(dir / "manifest.json"); }
}  // namespace

void require_same_keys(const OpenGallery& g, const KeyDir& keys, const std::string& consequence) {
  const store::StoreConfig& c = g.store.config();
  if (c.param_id != keys.ctx->id()) {
    throw std::runtime_error("the gallery " + g.store.dir().string() +
                             " was made for another parameter set (" + rlwe::hex_id(c.param_id) +
                             "; the keys are " + rlwe::hex_id(keys.ctx->id()) +
                             "): " + consequence);
  }
  if (c.key_id != keys.key_id) {
    throw std::runtime_error("the gallery " + g.store.dir().string() + " belongs to key " +
                             c.key_id.hex() + "; these keys are another key, " + keys.key_id.hex() +
                             " (another veil keygen): " + consequence);
  }
}

std::shared_ptr<const reduce::Reducer> load_store_model(const fs::path& dir,
                                                        const reduce::TwoStageConfig& c) {
  const fs::path path = dir / kModelFileName;
  if (!fs::exists(path)) {
    throw std::runtime_error(
        path.string() +
        " is missing: a two-stage gallery needs the reduction model it was made with "
        "(veil enroll --reduce MODEL restores it)");
  }
  std::shared_ptr<const reduce::Reducer> m;
  try {
    m = reduce::read_model(path);
  } catch (const io::FormatError& e) {
    throw std::runtime_error(e.what());  // names the file
  }
  try {
    reduce::check_model(c, *m);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(path.string() + ": " + e.what());
  }
  return m;
}

std::optional<std::string> model_problem(const fs::path& dir, const reduce::TwoStageConfig& c) {
  try {
    load_store_model(dir, c);
  } catch (const std::exception& e) {
    return e.what();
  }
  return std::nullopt;
}

OpenGallery open_gallery(const fs::path& dir, store::Mode mode, NeedModel need_model) {
  if (!store_exists(dir))
    throw std::runtime_error(dir.string() + " is not a gallery store (no manifest.json)");
  store::GalleryStore s = store::GalleryStore::open(dir, mode);
  const std::vector<std::uint8_t>& bytes = s.config().search_config;
  std::optional<reduce::TwoStageConfig> two_stage;
  search::SearchConfig c;
  std::size_t block_bytes = 0;
  if (io::peek_type(bytes) == io::ObjectType::TwoStageConfig) {
    two_stage = reduce::load_two_stage_config(bytes);
    c = two_stage->layout.coarse;
    block_bytes = two_stage->layout.block_bytes();
  } else {
    c = search::load_config(bytes);
    block_bytes = c.block_bytes();
  }
  if (s.config().block_bytes != block_bytes || s.config().slots_per_block != c.n) {
    throw std::runtime_error("store geometry does not match its search configuration");
  }
  OpenGallery g{std::move(s), c, two_stage, nullptr};
  if (two_stage && need_model == NeedModel::kYes) g.model = load_store_model(dir, *two_stage);
  return g;
}

}  // namespace veil::collection
