#include "eval_report.h"

#include <cmath>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>

#include "eval_plot.h"
#include "gnuplot.h"

namespace veil::apps::eval {

namespace {

namespace fs = std::filesystem;

std::string fixed(const nlohmann::json& v, int digits = 1) {
  if (!v.is_number()) return "-";
  const double x = v.get<double>();
  if (std::isnan(x)) return "-";
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << x;
  return s.str();
}

std::string ms(const nlohmann::json& v) {
  if (!v.is_number()) return "-";
  const double x = v.get<double>();
  return fixed(v, x < 0.1 ? 4 : x < 10 ? 2 : 1);
}

std::string tar(const nlohmann::json& row, const char* key) {
  if (!row.contains("verification")) return "-";
  const auto& t = row["verification"][key];
  return t["valid"].get<bool>() ? fixed(t["tar"]) : "n/a";
}

void set_section(std::ostringstream& md, const nlohmann::json& set) {
  const bool real = set["real"].get<bool>();
  md << "## " << set["set"].get<std::string>() << "\n\n"
     << (real ? "**REAL DATA**" : "**GENERATED DATA** (not real faces)") << ": "
     << set["name"].get<std::string>() << ", d=" << set["input_dim"] << ", train "
     << set["train_rows"] << " rows, gallery " << set["gallery_rows"] << ", probes "
     << set["probes"] << (set["leave_one_out"].get<bool>() ? " (leave-one-out)" : "") << "\n\n"
     << "Protocol: " << set["protocol"].get<std::string>() << "\n\n";
  if (set.contains("calibration")) {
    const auto& c = set["calibration"];
    md << "Calibration: " << c["reference"].get<std::string>();
    if (c.contains("target"))
      md << "; target " << c["target"].get<std::string>() << "; achieved "
         << c["achieved"].get<std::string>()
         << (c["converged"].get<bool>() ? "" : " (not converged)");
    if (c.contains("reason")) md << " (" << c["reason"].get<std::string>() << ")";
    md << "\n\n";
  }
  if (set.contains("embedder")) {
    const auto& e = set["embedder"];
    md << "Embedder: " << e["train_images"].get<std::string>() << ", " << e["epochs"]
       << " epoch(s), seed " << e["seed"] << ", " << fixed(e["train_seconds"])
       << " s to train; last epoch train loss " << fixed(e["last_epoch_loss"], 3)
       << ", train accuracy " << fixed(e["last_epoch_train_accuracy"], 3) << ". Reductions fit on "
       << set["fit_images"].get<std::string>() << ".\n\n";
  }
  md << "| reduction | dim | mode | K | rank-1 % | rank-10 % | TAR@1e-3 % | TAR@1e-4 % | "
        "recall@10 % | ms/probe | probes |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
  std::size_t mismatches = 0, checked = 0;
  for (const auto& row : set["rows"]) {
    md << "| " << row["reduction"].get<std::string>() << " | " << row["dim"] << " | "
       << row["mode"].get<std::string>() << " | " << (row["K"].is_number() ? row["K"].dump() : "-")
       << " | " << fixed(row["rank1"]) << " | " << fixed(row["rank10"]) << " | "
       << tar(row, "far_1e-3") << " | " << tar(row, "far_1e-4") << " | " << fixed(row["recall10"])
       << " | " << ms(row["ms_per_probe"]) << " | " << row["probes"] << " |\n";
    if (row.contains("mismatches")) {
      mismatches += row["mismatches"].get<std::size_t>();
      checked += row["probes"].get<std::size_t>();
    }
  }
  md << "\n";
  bool any = false;
  for (const auto& row : set["rows"])
    if (row["mode"] == "plaintext" && row.contains("plaintext_same_probes")) {
      md << (any ? ", " : "Plaintext rank-1 on the probes the encrypted / two-stage rows use (")
         << (any ? "" : row["plaintext_same_probes"]["probes"].dump() + "): ")
         << row["reduction"].get<std::string>() << " "
         << fixed(row["plaintext_same_probes"]["rank1"]);
      any = true;
    }
  if (any) md << ".\n\n";
  if (checked)
    md << "Encrypted check: " << mismatches << " of " << checked
       << " decrypted top-10 lists differ from the plaintext quantised top-10"
       << (mismatches ? " (FAILED)" : "") << ".\n\n";
  for (const auto& row : set["rows"]) {
    if (!row.contains("verification")) continue;
    for (const char* key : {"far_1e-3", "far_1e-4"}) {
      const auto& t = row["verification"][key];
      if (!t["valid"].get<bool>()) {
        md << "TAR n/a (" << row["reduction"].get<std::string>() << ", FAR " << t["far"]
           << "): " << t["reason"].get<std::string>() << "\n\n";
        break;
      }
    }
  }
  for (const auto& s : set["skipped"])
    md << "Skipped " << s["reduction"].get<std::string>() << ": " << s["reason"].get<std::string>()
       << "\n\n";
  for (const auto& n : set["notes"]) md << "Note: " << n.get<std::string>() << "\n\n";
  if (set.contains("plots")) {
    for (const auto& png : set["plots"]["png"])
      md << "![" << png.get<std::string>() << "](" << png.get<std::string>() << ")\n\n";
    if (!set["plots"]["gnuplot"].is_string() || set["plots"]["gnuplot"] != "ok")
      md << "Plots: " << set["plots"]["gnuplot"].dump() << "\n\n";
  }
}

}  // namespace

std::string markdown(const nlohmann::json& result) {
  std::ostringstream md;
  md << "# veil eval\n\n"
     << result["common_protocol"].get<std::string>() << "\n\n"
     << "Timing: plaintext = float brute force, one probe, one thread; encrypted = server "
        "(expand+scan+switch) + key holder (prepare+decrypt+top-k); two-stage = all steps but "
        "probe encryption; medians, "
     << result["options"]["threads"] << " threads.\n\n";
  for (const auto& set : result["datasets"]) set_section(md, set);
  return md.str();
}

std::string write_report(nlohmann::json& result, const fs::path& dir) {
  fs::create_directories(dir);
  for (auto& set : result["datasets"]) set["plots"] = write_plots(set, dir);
  const std::string md = markdown(result);
  write_text(dir / "eval.md", md);
  write_text(dir / "eval.json", result.dump(2) + "\n");
  return md;
}

}  // namespace veil::apps::eval
