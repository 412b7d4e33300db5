// enroll, delete (and compact), info, verify-store, repair.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "arg_checks.h"
#include "cli_checks.h"
#include "commands.h"
#include "enroll_input.h"
#include "veil/collection/gallery.h"
#include "veil/data/embeddings.h"
#include "veil/search/parallel.h"
#include "veil/search/quantize.h"
#include "veil/search/rerank_wire.h"

namespace veil::apps {

using namespace collection;

void add_gallery_commands(CLI::App& app) {
  // enroll
  {
    struct Args {
      std::string store, keys, input, ids, labels, reduce;
      EnrollOptions o;
      bool quiet = false;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand(
        "enroll", "Encrypt embeddings into a gallery store (created if missing)");
    cmd->add_option("store", a->store, "gallery store directory")
        ->required()
        ->check(cli::dir(false));
    cmd->add_option("--keys", a->keys, "key directory (veil keygen)")
        ->required()
        ->check(cli::dir(true));
    cmd->add_option("--input", a->input, "embeddings: .npy, .fvecs, .bvecs or .csv")
        ->required()
        ->check(cli::input_file());
    cmd->add_option("--ids", a->ids,
                    "one external id per line, UTF-8 without control characters (default: "
                    "<file stem>:<row>)")
        ->check(cli::input_file());
    cmd->add_option("--labels", a->labels, "one label per line, UTF-8 without control characters")
        ->check(cli::input_file());
    cmd->add_flag("--public-key", a->o.public_key,
                  "encrypt with public.key (third-party enrollment)");
    cmd->add_flag("--public-probes", a->o.public_probes,
                  "new store: probes will be public-key encrypted");
    cmd->add_option("--reduce", a->reduce,
                    "new store: a two-stage gallery reduced by this model (veil fit-reduction); "
                    "existing two-stage store: its model, checked (restores a missing copy)")
        ->check(cli::input_file());
    cmd->add_flag("--skip-existing", a->o.skip_existing,
                  "leave out ids already enrolled (resume after a crash)");
    cmd->add_option("--blocks-per-append", a->o.blocks_per_append,
                    "blocks per durable append (4096 templates each)")
        ->transform(cli::count(1, 1024));
    cmd->add_option("--threads", a->o.threads, "threads (default 0: all cores)")
        ->transform(cli::threads());
    cmd->add_flag("--quiet", a->quiet, "no progress on stderr");
    cmd->callback([a] {
      args::check_output_dir("store", a->store,
                             {{"--keys", a->keys},
                              {"--input", a->input},
                              {"--ids", a->ids},
                              {"--labels", a->labels},
                              {"--reduce", a->reduce}});
      auto path_or_none = [](const std::string& s) {
        return s.empty() ? std::nullopt : std::optional<std::filesystem::path>(s);
      };
      const EnrollInput in =
          read_enroll_input(a->input, path_or_none(a->ids), path_or_none(a->labels));
      if (!a->reduce.empty()) a->o.reduce_model = a->reduce;
      if (!a->quiet) {
        a->o.progress = [](std::size_t done, std::size_t total) {
          std::cerr << "\renrolled " << done << "/" << total << " templates" << std::flush;
          if (done == total) std::cerr << "\n";
        };
      }
      KeyDir keys = load_keys(a->keys, a->o.public_key ? static_cast<unsigned>(Need::kGalleryPublic)
                                                       : static_cast<unsigned>(Need::kSecret));
      EnrollResult r = enroll(a->store, keys, in, a->o);
      std::cout << (r.created ? "created " : "appended to ")
                << (r.two_stage ? "two-stage gallery " : "") << a->store << ": " << r.templates
                << " templates in " << r.blocks << " blocks"
                << (r.skipped ? ", " + std::to_string(r.skipped) + " already enrolled" : "") << ", "
                << std::fixed << std::setprecision(2) << r.seconds << " s (" << std::setprecision(0)
                << r.templates / r.seconds << " templates/s)\n";
    });
  }
  // delete
  {
    struct Args {
      std::string store;
      std::vector<std::string> ids;
      bool compact = false;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd =
        app.add_subcommand("delete", "Remove templates by id (tombstones; --compact to reclaim)");
    cmd->add_option("store", a->store, "gallery store directory")
        ->required()
        ->check(cli::dir(true));
    cmd->add_option("--id", a->ids, "external ids to remove")
        ->required()
        ->check(cli::text_field("id"));
    cmd->add_flag("--compact", a->compact, "then drop blocks whose templates are all removed");
    cmd->callback([a] {
      OpenGallery g = open_gallery(a->store, store::Mode::kReadWrite, NeedModel::kNo);
      std::size_t removed = g.store.remove(a->ids);
      std::cout << "removed " << removed << " templates\n";
      if (a->compact) {
        auto r = g.store.compact();
        std::cout << "compacted: " << r.blocks_dropped << " blocks dropped, " << r.bytes_before
                  << " -> " << r.bytes_after << " bytes\n";
      }
    });
  }
  // info
  {
    auto store_dir = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    CLI::App* cmd = app.add_subcommand("info", "Show a gallery store");
    cmd->add_option("store", *store_dir, "gallery store directory")
        ->required()
        ->check(cli::dir(true));
    cmd->add_flag("--json", *json, "JSON output");
    cmd->callback([store_dir, json] {
      OpenGallery g = open_gallery(*store_dir, store::Mode::kReadOnly, NeedModel::kNo);
      store::InfoReport i = g.store.info();
      search::NoiseReport nr = g.config.noise();
      nlohmann::json j = {{"dimension", g.config.dimension},
                          {"templates_live", i.live},
                          {"templates_removed", i.tombstoned},
                          {"blocks", i.blocks},
                          {"segments", i.segments},
                          {"bytes_at_rest", i.bytes_at_rest},
                          {"bytes_per_template_slot", g.config.block_bytes() / g.config.n},
                          {"quant_scale", g.config.quant_scale},
                          {"gallery_encryption", search::to_string(g.config.gallery)},
                          {"probe_encryption", search::to_string(g.config.probe)},
                          {"noise_margin_sigmas", std::min(nr.decode_sigmas, nr.wrap_sigmas)},
                          {"key_id", g.store.config().key_id.hex()},
                          {"created", i.created},
                          {"parameters", g.config.describe()}};
      if (g.two_stage) {
        const reduce::TwoStageConfig& t = *g.two_stage;
        j["dimension"] = t.layout.rows.dimension;
        j["bytes_per_template_slot"] = t.layout.block_bytes() / t.layout.coarse.n;
        j["search"] = "two-stage";
        j["stage1_dimension"] = t.layout.coarse.dimension;
        j["stage2_quant_scale"] = t.layout.full_scale;
        j["reduction"] = reduce::to_string(t.model_kind) + " " +
                         std::to_string(t.layout.rows.dimension) + "->" +
                         std::to_string(t.layout.coarse.dimension);
        j["reduction_fingerprint"] = reduce::to_hex(t.model);
        auto problem = model_problem(*store_dir, t);
        j["reduction_model"] = problem ? *problem : std::string("ok");
      } else {
        j["search"] = "single-stage";
      }
      if (*json) {
        std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      } else {
        for (auto& [key, value] : j.items())
          std::cout << std::left << std::setw(26) << key << value << "\n";
      }
    });
  }
  // verify-store
  {
    auto store_dir = std::make_shared<std::string>();
    CLI::App* cmd =
        app.add_subcommand("verify-store", "Check every checksum and the index of a gallery store");
    cmd->add_option("store", *store_dir, "gallery store directory")
        ->required()
        ->check(cli::dir(true));
    cmd->callback([store_dir] {
      OpenGallery g = open_gallery(*store_dir, store::Mode::kReadOnly, NeedModel::kNo);
      store::VerifyReport r = g.store.verify();
      if (g.two_stage) {
        if (auto problem = model_problem(*store_dir, *g.two_stage)) r.problems.push_back(*problem);
      }
      for (const auto& n : r.notes) std::cout << "note: " << n << "\n";
      for (const auto& p : r.problems) std::cout << "PROBLEM: " << p << "\n";
      std::cout << r.segments_checked << " segments, " << r.blocks_checked << " blocks, "
                << r.bytes_hashed << " bytes hashed: " << (r.ok() ? "ok" : "DAMAGED") << "\n";
      if (!r.ok()) {
        throw std::runtime_error("the store is damaged (veil repair " + *store_dir +
                                 " quarantines what is damaged and lists the ids lost)");
      }
    });
  }
  // repair
  {
    auto store_dir = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    CLI::App* cmd = app.add_subcommand(
        "repair",
        "Quarantine damaged blocks, segments or index files of a gallery store, list the ids "
        "lost, and leave a store that opens and searches (a sound store is left unchanged)");
    cmd->add_option("store", *store_dir, "gallery store directory")
        ->required()
        ->check(cli::dir(true));
    cmd->add_flag("--json", *json, "JSON output");
    cmd->callback([store_dir, json] {
      const store::RepairReport r = store::GalleryStore::repair(*store_dir);
      // The repaired store must open and verify clean; say so or fail.
      OpenGallery g = open_gallery(*store_dir, store::Mode::kReadOnly, NeedModel::kNo);
      const store::VerifyReport v = g.store.verify();
      auto blocks_json = [](const std::vector<store::RepairedBlock>& blocks) {
        nlohmann::json a = nlohmann::json::array();
        for (const auto& b : blocks)
          a.push_back({{"block_id", b.block_id},
                       {"segment", b.segment},
                       {"position", b.position},
                       {"reason", b.reason}});
        return a;
      };
      if (*json) {
        std::cout << nlohmann::json{{"changed", r.changed()},
                                    {"lost_ids", r.lost_ids},
                                    {"salvaged_blocks", blocks_json(r.salvaged)},
                                    {"dropped_blocks", blocks_json(r.dropped)},
                                    {"quarantined", r.quarantined},
                                    {"index_rebuilt", r.index_rebuilt},
                                    {"manifest_rebuilt", r.manifest_rebuilt},
                                    {"notes", r.notes},
                                    {"templates_live", g.store.live_count()},
                                    {"verify_ok", v.ok()}}
                         .dump(2)
                  << "\n";
      } else if (!r.changed()) {
        std::cout << *store_dir << " is sound: nothing was changed\n";
      } else {
        for (const auto& n : r.notes) std::cout << "note: " << n << "\n";
        for (const auto& b : r.dropped)
          std::cout << "dropped block " << b.block_id << " (" << b.segment << " #" << b.position
                    << "): " << b.reason << "\n";
        for (const auto& b : r.salvaged)
          std::cout << "salvaged block " << b.block_id << " from " << b.segment << "\n";
        for (const auto& f : r.quarantined) std::cout << "quarantined " << f << "\n";
        if (r.index_rebuilt) std::cout << "ids.sqlite rebuilt from the segments\n";
        if (r.manifest_rebuilt) std::cout << "manifest.json rebuilt from the index\n";
        std::cout << r.lost_ids.size() << " ids lost" << (r.lost_ids.empty() ? "" : ":") << "\n";
        for (const auto& id : r.lost_ids) std::cout << "  " << id << "\n";
        std::cout << g.store.live_count() << " templates remain\n";
      }
      if (!v.ok()) throw std::runtime_error("the store is still damaged after repair");
    });
  }
}

}  // namespace veil::apps
