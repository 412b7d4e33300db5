#include "veil/collection/gallery_server.h"

#include <mutex>

#include "veil/io/errors.h"
#include "veil/io/file_io.h"
#include "veil/rlwe/errors.h"
#include "veil/search/key_identity.h"
#include "veil/search/rerank.h"
#include "veil/search/rerank_wire.h"

namespace veil::collection {

namespace {

OpenGallery open_for_server(const std::filesystem::path& dir, const rlwe::Context& ctx,
                            const io::KeyId& key_id) {
  OpenGallery g = open_gallery(dir, store::Mode::kReadWrite, NeedModel::kNo);
  if (g.two_stage) {
    if (auto problem = model_problem(dir, *g.two_stage)) {
      throw std::runtime_error(dir.string() + ": " + *problem);
    }
  }
  if (g.store.config().param_id != ctx.id()) {
    throw std::runtime_error(dir.string() + " was made for another parameter set (" +
                             rlwe::hex_id(g.store.config().param_id) + "; the server's keys are " +
                             rlwe::hex_id(ctx.id()) + ")");
  }
  if (g.store.config().key_id != key_id) {
    throw std::runtime_error(dir.string() + " belongs to key " + g.store.config().key_id.hex() +
                             "; the server's expansion keys are of key " + key_id.hex());
  }
  return g;
}

}  // namespace

GalleryServer::GalleryServer(const std::filesystem::path& dir, rlwe::ContextPtr ctx,
                             const rlwe::GaloisKeys& expansion, const io::KeyId& key_id,
                             std::size_t threads)
    : g_(open_for_server(dir, *ctx, key_id)),
      model_bytes_(g_.two_stage ? io::read_file(dir / kModelFileName, std::uint64_t{1} << 30)
                                : std::vector<std::uint8_t>{}),
      server_(g_.config, ctx, expansion, key_id, threads) {
  refresh_blocks();
}

void GalleryServer::refresh_blocks() {
  blocks_.clear();
  for (std::size_t b = 0; b < g_.store.block_count(); ++b) {
    blocks_.push_back(reinterpret_cast<const std::uint32_t*>(g_.store.block(b).data()));
  }
  g_.store.advise_sequential();
  std::lock_guard<std::mutex> lock(table_mutex_);
  table_.reset();
}

search::EncryptedProbe GalleryServer::parse_probe(std::span<const std::uint8_t> bytes) const {
  search::EncryptedProbe probe = search::load_probe(g_.config, *server_.context(), bytes);
  search::require_key(probe.key_id, server_.gallery_key(), "probe");
  return probe;
}

std::vector<std::uint8_t> GalleryServer::search(std::span<const std::uint8_t> probe_bytes,
                                                search::ScanTimings* timings) const {
  const search::EncryptedProbe probe = parse_probe(probe_bytes);
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return search::save_scores(g_.config, server_.search(probe, blocks_, timings));
}

std::vector<std::vector<std::uint8_t>> GalleryServer::search_batch(
    std::span<const search::EncryptedProbe> probes, search::ScanTimings* timings) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  std::vector<std::vector<std::uint8_t>> out;
  out.reserve(probes.size());
  for (const search::EncryptedScores& s : server_.search_batch(probes, blocks_, timings))
    out.push_back(search::save_scores(g_.config, s));
  return out;
}

std::vector<std::uint8_t> GalleryServer::gather(std::span<const std::uint8_t> request) const {
  if (!g_.two_stage) throw std::logic_error("a row request to a single-stage gallery");
  const reduce::TwoStageLayout& l = g_.two_stage->layout;
  const std::uint64_t param_id = g_.store.config().param_id;
  std::shared_lock<std::shared_mutex> lock(mutex_);
  const std::vector<std::uint64_t> slots =
      search::load_candidate_request(request, param_id, blocks_.size() * l.rows.n);
  std::vector<const std::uint8_t*> regions;
  regions.reserve(blocks_.size());
  for (const std::uint32_t* b : blocks_)
    regions.push_back(reinterpret_cast<const std::uint8_t*>(b) + l.stage1_bytes());
  return search::save_candidate_rows(param_id, search::gather_rows(l.rows, regions, slots));
}

AppendResult GalleryServer::append(std::span<const std::vector<std::uint8_t>> blocks,
                                   bool skip_enrolled) {
  const store::StoreConfig& sc = g_.store.config();
  std::vector<EnrollBlock> decoded;
  decoded.reserve(blocks.size());
  for (const auto& bytes : blocks) {
    decoded.push_back(load_enroll_block(bytes, sc.param_id, sc.key_id, sc.block_bytes));
    if (decoded.back().ids.size() > sc.slots_per_block) {
      throw io::FormatError("enroll block: " + std::to_string(decoded.back().ids.size()) +
                            " ids; a block holds at most " + std::to_string(sc.slots_per_block));
    }
  }
  std::unique_lock<std::shared_mutex> lock(mutex_);
  AppendResult r;
  std::vector<store::BlockInput> inputs;
  for (const EnrollBlock& b : decoded) {
    if (skip_enrolled) {
      std::size_t present = 0;
      for (const std::string& id : b.ids) present += g_.store.find(id).has_value();
      if (present == b.ids.size()) {
        ++r.skipped_blocks;
        continue;
      }
      if (present > 0) {
        throw std::runtime_error("a block holds " + std::to_string(present) + " of its " +
                                 std::to_string(b.ids.size()) +
                                 " ids enrolled already: it is not a retry of the same "
                                 "enrollment; nothing was added");
      }
    }
    inputs.push_back({b.bytes, b.ids, b.labels});
    r.templates += b.ids.size();
  }
  if (!inputs.empty()) {
    g_.store.append(inputs, sc.key_id);
    refresh_blocks();
  }
  r.blocks = inputs.size();
  return r;
}

std::size_t GalleryServer::remove(std::span<const std::string> ids) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  const std::size_t n = g_.store.remove(ids);
  refresh_blocks();
  return n;
}

store::CompactReport GalleryServer::compact() {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  store::CompactReport r = g_.store.compact();
  refresh_blocks();
  return r;
}

store::InfoReport GalleryServer::info() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return g_.store.info();
}

store::VerifyReport GalleryServer::verify() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return g_.store.verify();
}

std::size_t GalleryServer::live_count() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return g_.store.live_count();
}

std::shared_ptr<const SlotTable> GalleryServer::slot_table() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  std::lock_guard<std::mutex> table_lock(table_mutex_);
  if (table_) return table_;
  auto t = std::make_shared<SlotTable>();
  const std::size_t n = g_.config.n, blocks = g_.store.block_count();
  t->slots_per_block = n;
  t->ids.resize(blocks * n);
  t->labels.resize(blocks * n);
  t->live.assign(blocks * n, 0);
  for (std::size_t b = 0; b < blocks; ++b) {
    const std::vector<std::optional<store::SlotInfo>> slots = g_.store.block_slots(b);
    for (std::size_t s = 0; s < slots.size(); ++s) {
      if (!slots[s]) continue;
      t->ids[b * n + s] = slots[s]->id;
      t->labels[b * n + s] = slots[s]->label;
      t->live[b * n + s] = 1;
    }
  }
  stamp_version(*t);
  table_ = t;
  return table_;
}

void create_gallery(const std::filesystem::path& dir, const rlwe::Context& ctx,
                    const io::KeyId& key_id, std::size_t dimension, bool public_key_enroll,
                    bool public_key_probes) {
  using search::Encryption;
  const search::SearchConfig c =
      config_for(dimension, public_key_enroll ? Encryption::kPublicKey : Encryption::kSecretKey,
                 public_key_probes ? Encryption::kPublicKey : Encryption::kSecretKey);
  store::GalleryStore::create(dir,
                              store::StoreConfig{.param_id = ctx.id(),
                                                 .block_bytes = c.block_bytes(),
                                                 .slots_per_block = static_cast<std::uint32_t>(c.n),
                                                 .search_config = search::save_config(c, ctx.id()),
                                                 .key_id = key_id});
}

void create_two_stage_gallery(const std::filesystem::path& dir, const rlwe::Context& ctx,
                              const io::KeyId& key_id, std::span<const std::uint8_t> model,
                              bool public_key_probes) {
  using search::Encryption;
  const std::shared_ptr<const reduce::Reducer> m = reduce::load_model(model, "the reduction model");
  const search::SearchConfig c =
      config_for(m->output_dim(), Encryption::kSecretKey,
                 public_key_probes ? Encryption::kPublicKey : Encryption::kSecretKey);
  const reduce::TwoStageConfig ts = reduce::make_two_stage_config(c, *m);
  // The model goes in with the store (never a store without its model).
  const store::GalleryStore::SideFile side{kModelFileName, reduce::save_model(*m)};
  store::GalleryStore::create(
      dir,
      store::StoreConfig{.param_id = ctx.id(),
                         .block_bytes = ts.layout.block_bytes(),
                         .slots_per_block = static_cast<std::uint32_t>(c.n),
                         .search_config = reduce::save_two_stage_config(ts, ctx.id()),
                         .key_id = key_id},
      {&side, 1});
}

}  // namespace veil::collection
