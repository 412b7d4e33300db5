#include "eval_plot.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "gnuplot.h"

namespace veil::apps::eval {

namespace {

namespace fs = std::filesystem;

double num(const nlohmann::json& j) { return j.is_number() ? j.get<double>() : 0.0; }

// rank-1 against dimension, one line per reduction kind, none as a reference.
std::string dim_plot(const nlohmann::json& set, const std::string& stem, std::string& dat) {
  std::map<std::string, std::vector<std::pair<double, double>>> lines;
  double none = -1, none_dim = 0;
  for (const auto& row : set["rows"]) {
    if (row["mode"] != "plaintext" || !row["rank1"].is_number()) continue;
    if (row["kind"] == "none") {
      none = row["rank1"].get<double>();
      none_dim = num(row["dim"]);
    } else {
      lines[row["kind"].get<std::string>()].push_back(
          {num(row["dim"]), row["rank1"].get<double>()});
    }
  }
  std::ostringstream d, gp;
  gp << "set terminal pngcairo size 900,600\nset output '" << stem << ".png'\n"
     << "set title 'plaintext rank-1 against dimension: " << set["set"].get<std::string>()
     << (set["real"].get<bool>() ? " (real data)" : " (generated data)") << "'\n"
     << "set xlabel 'dimension'\nset ylabel 'rank-1 (%)'\nset logscale x 2\nset grid\n"
     << "set key bottom right\nset yrange [0:105]\n";
  std::vector<std::string> plots;
  int index = 0;
  for (const auto& [kind, pts] : lines) {
    d << "# " << kind << ": dim rank1\n";
    for (const auto& [x, y] : pts) d << x << " " << y << "\n";
    d << "\n\n";
    plots.push_back("'" + stem + ".dat' index " + std::to_string(index++) +
                    " using 1:2 with linespoints title '" + kind + "'");
  }
  if (none >= 0) {
    std::ostringstream p;
    p << none << " with lines dashtype 2 title 'none (" << none_dim << "-d)'";
    plots.push_back(p.str());
  }
  if (plots.empty()) {
    d << "# no plaintext rows\n0 0\n";
    plots.push_back("'" + stem + ".dat' using 1:2 with points title 'no data'");
  }
  gp << "plot ";
  for (std::size_t i = 0; i < plots.size(); ++i) gp << (i ? ", \\\n     " : "") << plots[i];
  gp << "\n";
  dat = d.str();
  return gp.str();
}

// rank-1 against ms per probe, points per mode / K, log x.
std::string time_plot(const nlohmann::json& set, const std::string& stem, std::string& dat) {
  std::map<std::string, std::vector<std::string>> series;
  std::vector<std::string> order;
  for (const auto& row : set["rows"]) {
    if (!row["rank1"].is_number() || !row["ms_per_probe"].is_number()) continue;
    std::string name = row["mode"].get<std::string>();
    if (row["K"].is_number()) name += " K=" + row["K"].dump();
    if (!series.count(name)) order.push_back(name);
    std::ostringstream line;
    line << std::max(row["ms_per_probe"].get<double>(), 1e-4) << " " << row["rank1"].get<double>()
         << " \"" << row["reduction"].get<std::string>() << "\"";
    series[name].push_back(line.str());
  }
  std::ostringstream d, gp;
  gp << "set terminal pngcairo size 900,600\nset output '" << stem << ".png'\n"
     << "set title 'rank-1 against time per probe: " << set["set"].get<std::string>()
     << (set["real"].get<bool>() ? " (real data)" : " (generated data)") << "'\n"
     << "set xlabel 'ms per probe (log)'\nset ylabel 'rank-1 (%)'\nset logscale x\nset grid\n"
     << "set key outside right\nset yrange [0:105]\n";
  gp << "plot ";
  if (order.empty()) {
    d << "# no rows\n1 0 \"none\"\n";
    gp << "'" << stem << ".dat' using 1:2 with points title 'no data'\n";
  }
  for (std::size_t i = 0; i < order.size(); ++i) {
    d << "# " << order[i] << ": ms rank1 reduction\n";
    for (const auto& l : series[order[i]]) d << l << "\n";
    d << "\n\n";
    gp << (i ? ", \\\n     " : "") << "'" << stem << ".dat' index " << i
       << " using 1:2 with points pointsize 1.5 title '" << order[i] << "', \\\n     '" << stem
       << ".dat' index " << i
       << " using 1:2:3 with labels rotate by 45 left offset 0.4,0.4 font ',7' notitle";
  }
  gp << "\n";
  dat = d.str();
  return gp.str();
}

}  // namespace

nlohmann::json write_plots(const nlohmann::json& set, const fs::path& dir) {
  nlohmann::json out = {{"files", nlohmann::json::array()}, {"png", nlohmann::json::array()}};
  const std::string name = set["set"].get<std::string>();
  const bool gnuplot = have_gnuplot();
  std::vector<std::string> errors;
  for (const std::string kind : {"rank1_vs_dim_", "rank1_vs_time_"}) {
    const std::string stem = kind + name;
    std::string dat;
    const std::string gp =
        kind == std::string("rank1_vs_dim_") ? dim_plot(set, stem, dat) : time_plot(set, stem, dat);
    write_text(dir / (stem + ".dat"), dat);
    write_text(dir / (stem + ".gp"), gp);
    out["files"].push_back(stem + ".dat");
    out["files"].push_back(stem + ".gp");
    if (!gnuplot) continue;
    if (render_gnuplot(dir, stem)) {
      out["png"].push_back(stem + ".png");
    } else {
      errors.push_back(stem + ".gp failed (see " + stem + ".log)");
    }
  }
  if (!gnuplot)
    out["gnuplot"] = "gnuplot not found: PNGs not made; run gnuplot on the .gp files in the folder";
  else if (!errors.empty())
    out["gnuplot"] = errors;
  else
    out["gnuplot"] = "ok";
  return out;
}

}  // namespace veil::apps::eval
