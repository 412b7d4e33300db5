#include "ann_plot.h"

#include <map>
#include <sstream>
#include <vector>

#include "gnuplot.h"

namespace veil::apps {

std::string plot_ann_bench(const nlohmann::json& bench, const std::filesystem::path& png) {
  namespace fs = std::filesystem;
  const fs::path dir = png.has_parent_path() ? png.parent_path() : fs::path(".");
  const std::string stem = png.stem().string();
  // Series in first-seen order; faiss once per nprobe.
  std::vector<std::string> order{"faiss IVF-PQ, plaintext (batch)"};
  std::map<std::string, std::vector<std::string>> points;
  std::map<std::size_t, bool> faiss_done;
  for (const auto& r : bench["runs"]) {
    const std::size_t nprobe = r["nprobe"].get<std::size_t>();
    std::ostringstream p;
    if (!faiss_done[nprobe]) {
      faiss_done[nprobe] = true;
      p << r["faiss_qps"].get<double>() << " " << r["recall_faiss"].get<double>() << " " << nprobe;
      points[order[0]].push_back(p.str());
      p.str("");
    }
    std::ostringstream name;
    name << "Veil " << r["probe"].get<std::string>();
    if (r["fetch"].get<std::size_t>() != nprobe) name << ", fetch " << r["fetch"];
    if (r["refine"].get<std::size_t>() != 0) name << ", refine " << r["refine"];
    if (!points.count(name.str())) order.push_back(name.str());
    p << r["concurrent_qps"].get<double>() << " " << r["recall_veil"].get<double>() << " "
      << nprobe;
    points[name.str()].push_back(p.str());
  }
  std::ostringstream dat, gp;
  gp << "set terminal pngcairo noenhanced size 1000,600\nset output '" << stem << ".png'\n"
     << "set title 'recall@" << bench["k"]
     << " against queries/s: " << bench["data"].get<std::string>()
     << "'\nset xlabel 'queries per second, 2 cores (log)'\nset ylabel 'recall@" << bench["k"]
     << "'\nset logscale x\nset grid\nset key outside right\nset yrange [0:1.05]\nplot ";
  for (std::size_t i = 0; i < order.size(); ++i) {
    dat << "# " << order[i] << ": q/s recall nprobe\n";
    for (const auto& l : points[order[i]]) dat << l << "\n";
    dat << "\n\n";
    gp << (i ? ", \\\n     " : "") << "'" << stem << ".dat' index " << i
       << " using 1:2 with linespoints pointsize 1.3 title '" << order[i] << "', \\\n     '" << stem
       << ".dat' index " << i << " using 1:2:3 with labels offset 0.6,0.6 font ',7' notitle";
  }
  gp << "\n";
  write_text(dir / (stem + ".dat"), dat.str());
  write_text(dir / (stem + ".gp"), gp.str());
  if (!have_gnuplot()) return "gnuplot not found: wrote " + stem + ".dat and " + stem + ".gp";
  if (!render_gnuplot(dir, stem)) return "gnuplot failed: see " + (dir / (stem + ".log")).string();
  return "wrote " + png.string();
}

}  // namespace veil::apps
