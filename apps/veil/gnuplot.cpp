#include "gnuplot.h"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace veil::apps {

namespace fs = std::filesystem;

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  if (!f) throw std::runtime_error("cannot write " + path.string());
}

std::string quoted_shell(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

bool have_gnuplot() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

bool render_gnuplot(const fs::path& dir, const std::string& stem) {
  const std::string cmd = "cd " + quoted_shell(dir.string()) + " && gnuplot " +
                          quoted_shell(stem + ".gp") + " 2>" + quoted_shell(stem + ".log");
  if (std::system(cmd.c_str()) == 0 && fs::exists(dir / (stem + ".png"))) {
    fs::remove(dir / (stem + ".log"));
    return true;
  }
  return false;
}

}  // namespace veil::apps
