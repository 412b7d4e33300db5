// veil client: the deployed roles from the command line: create a
// collection on a `veil serve`, enroll into it (encrypted here), search it
// (the answer comes back sealed by the key service: only ids, scores only
// when asked), delete, compact, info.
#include <unistd.h>

#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "client_options.h"
#include "commands.h"
#include "enroll_input.h"
#include "veil/collection/keys.h"
#include "veil/data/embeddings.h"
#include "veil/io/file_io.h"
#include "veil/service/rpc/remote_client.h"
#include "veil/service/tls_files.h"

namespace veil::apps {

namespace {

std::function<void(std::size_t, std::size_t)> progress_printer() {
  const bool tty = isatty(STDERR_FILENO);
  auto last_decile = std::make_shared<int>(-1);
  return [tty, last_decile](std::size_t done, std::size_t total) {
    if (tty) {
      std::cerr << "\renrolled " << done << "/" << total << " templates" << std::flush;
      if (done == total) std::cerr << "\n";
      return;
    }
    const int decile = total ? static_cast<int>(10 * done / total) : 10;
    if (decile != *last_decile) {
      *last_decile = decile;
      std::cerr << "enrolled " << done << "/" << total << " templates\n";
    }
  };
}

}  // namespace

void add_client_commands(CLI::App& app) {
  CLI::App* client = app.add_subcommand("client", "use a deployed veil serve / veil keyservice");
  client->require_subcommand(1);
  {
    struct Args {
      ClientOptions c;
      std::string name;
      std::uint32_t dimension = 0;
      bool public_key = false, public_probes = false;
      std::string reduce_model;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = client->add_subcommand("create", "create a collection (admin token)");
    add_client_options(cmd, a->c, false);
    cmd->add_option("collection", a->name, "its name")->required();
    cmd->add_option("--dimension", a->dimension, "template dimension")->required();
    cmd->add_flag("--public-key", a->public_key, "third parties enroll with gallery.pub");
    cmd->add_flag("--public-probes", a->public_probes, "probes encrypted with public.key");
    cmd->add_option("--reduce-model", a->reduce_model,
                    "a two-stage collection: stage 1 scans templates reduced by this model "
                    "(veil reduce fit), stage 2 re-scores the best K in full")
        ->check(CLI::ExistingFile);
    cmd->callback([a] {
      std::vector<std::uint8_t> model;
      if (!a->reduce_model.empty()) model = io::read_file(a->reduce_model, std::uint64_t{1} << 30);
      service::RemoteInfo i =
          connect(a->c).create(a->name, a->dimension, a->public_key, a->public_probes, model);
      std::cout << "created collection " << a->name << " (dimension " << i.dimension;
      if (i.two_stage) std::cout << ", two-stage: stage 1 at " << i.config.dimension;
      std::cout << ", key " << i.key_id << ")\n";
    });
  }
  {
    struct Args {
      ClientOptions c;
      std::string name, input, ids, labels;
      bool skip = false, quiet = false;
      std::size_t threads = 0, blocks_per_message = 0;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = client->add_subcommand("enroll", "encrypt templates here and enroll them");
    add_client_options(cmd, a->c, true);
    cmd->add_option("collection", a->name, "the collection")->required();
    cmd->add_option("--input", a->input, "embeddings (.npy/.fvecs/.csv)")->required();
    cmd->add_option("--ids", a->ids, "one id per line");
    cmd->add_option("--labels", a->labels, "one label per line");
    cmd->add_flag("--skip-enrolled", a->skip,
                  "resume: leave out blocks the server already holds (same input, same order)");
    cmd->add_option("--threads", a->threads, "encryption threads (0: all cores)");
    cmd->add_flag("--quiet", a->quiet, "no progress on stderr");
    cmd->add_option("--blocks-per-message", a->blocks_per_message,
                    "blocks per stream message, each stored durably before the next "
                    "(0: as many as fit in 32 MB)")
        ->check(CLI::Range(0, 1 << 20));
    cmd->callback([a] {
      auto opt = [](const std::string& s) {
        return s.empty() ? std::nullopt : std::optional<std::filesystem::path>(s);
      };
      const collection::EnrollInput in = read_enroll_input(a->input, opt(a->ids), opt(a->labels));
      const collection::KeyDir keys = client_keys(a->c.keys);
      const collection::Client cl(keys);
      service::RemoteGallery g = connect(a->c);
      auto r =
          g.enroll(a->name, cl, in, a->threads, a->skip,
                   a->quiet ? std::function<void(std::size_t, std::size_t)>{} : progress_printer(),
                   a->blocks_per_message);
      std::cout << "enrolled " << r.templates << " templates in " << r.blocks << " blocks into "
                << a->name << "\n";
    });
  }
  {
    struct Args {
      ClientOptions c;
      std::string name, probes;
      std::size_t k = 10;
      std::optional<double> threshold;
      std::size_t candidates = 0;
      bool scores = false, json = false;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = client->add_subcommand("search", "search a collection with encrypted probes");
    add_client_options(cmd, a->c, true);
    cmd->add_option("collection", a->name, "the collection")->required();
    cmd->add_option("--probe", a->probes, "probe embeddings (one search per row)")->required();
    cmd->add_option("-k", a->k, "results per probe")->check(CLI::Range(1, 10000));
    cmd->add_option("--threshold", a->threshold, "every match with cosine at or above this")
        ->check(CLI::Range(-1.0, 1.0));
    cmd->add_flag("--scores", a->scores,
                  "rounded cosines too (counted against your budget at the key service)");
    cmd->add_flag("--json", a->json, "JSON output");
    cmd->add_option("--candidates", a->candidates,
                    "two-stage collections: K stage-1 candidates re-scored in full (default 1000)")
        ->check(CLI::Range(1, 1 << 20));
    cmd->callback([a] {
      const data::Embeddings probes = data::read_embeddings(a->probes);
      const collection::KeyDir keys = client_keys(a->c.keys);
      const collection::Client cl(keys);
      service::RemoteGallery g = connect(a->c);
      nlohmann::json out = nlohmann::json::array();
      for (std::size_t p = 0; p < probes.matrix.rows; ++p) {
        collection::RankQuery q{.k = a->k, .threshold = a->threshold, .with_scores = a->scores};
        service::RemoteAnswer r =
            g.search(a->name, cl, {probes.matrix.row(p), probes.matrix.cols}, q, a->candidates);
        if (a->json) {
          nlohmann::json hits = nlohmann::json::array();
          for (const auto& h : r.hits) {
            nlohmann::json j = {{"rank", h.rank}, {"id", h.id}, {"label", h.label}};
            if (h.cosine) j["cosine"] = *h.cosine;
            hits.push_back(j);
          }
          out.push_back({{"probe", p},
                         {"hits", hits},
                         {"ms", r.total_ms},
                         {"server_ms", r.server_ms},
                         {"key_service_ms", r.key_service_ms},
                         {"batch", r.batch}});
          continue;
        }
        std::cout << "probe " << p << ": " << r.hits.size() << " hits, " << std::fixed
                  << std::setprecision(1) << r.total_ms << " ms (server " << r.server_ms
                  << ", key service " << r.key_service_ms << ")\n";
        for (const auto& h : r.hits) {
          std::cout << "  " << std::setw(3) << h.rank << "  " << h.id;
          if (!h.label.empty()) std::cout << "  [" << h.label << "]";
          if (h.cosine) std::cout << "  " << std::setprecision(2) << *h.cosine;
          std::cout << "\n";
        }
      }
      if (a->json) std::cout << out.dump(2) << "\n";
    });
  }
  {
    struct Args {
      ClientOptions c;
      std::string name;
      std::vector<std::string> ids;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = client->add_subcommand("delete", "remove ids from a collection (admin token)");
    add_client_options(cmd, a->c, false);
    cmd->add_option("collection", a->name, "the collection")->required();
    cmd->add_option("ids", a->ids, "ids to remove")->required();
    cmd->callback([a] {
      const std::size_t removed = connect(a->c).remove(a->name, a->ids);
      std::cout << "removed " << removed << " ids from " << a->name << "\n";
    });
  }
  {
    auto a = std::make_shared<std::pair<ClientOptions, std::string>>();
    CLI::App* cmd = client->add_subcommand("compact", "drop removed templates (admin token)");
    add_client_options(cmd, a->first, false);
    cmd->add_option("collection", a->second, "the collection")->required();
    cmd->callback([a] {
      auto r = connect(a->first).compact(a->second);
      std::cout << "compacted " << a->second << ": " << r.blocks_dropped() << " blocks and "
                << r.tombstones_dropped() << " removed templates dropped, " << r.bytes_before()
                << " -> " << r.bytes_after() << " bytes\n";
    });
  }
  {
    auto a = std::make_shared<std::pair<ClientOptions, std::string>>();
    CLI::App* cmd = client->add_subcommand("info", "a collection's size and configuration");
    add_client_options(cmd, a->first, false);
    cmd->add_option("collection", a->second, "the collection")->required();
    cmd->callback([a] {
      service::RemoteInfo i = connect(a->first).info(a->second);
      std::cout << "collection: " << a->second << "\ndimension: " << i.dimension;
      if (i.two_stage)
        std::cout << "\ntwo_stage: " << i.model->describe() << " (stage 1 at " << i.config.dimension
                  << ")";
      std::cout << "\nkey_id: " << i.key_id << "\nblocks: " << i.blocks << "\nlive: " << i.live
                << "\nremoved: " << i.tombstoned << "\nbytes_at_rest: " << i.bytes_at_rest << "\n";
    });
  }
}

}  // namespace veil::apps
