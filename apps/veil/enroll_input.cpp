#include "enroll_input.h"

#include <map>
#include <stdexcept>
#include <string>

#include "arg_checks.h"
#include "veil/data/embeddings.h"
#include "veil/data/text.h"
#include "veil/io/text_check.h"

namespace veil::apps {

collection::EnrollInput read_enroll_input(const std::filesystem::path& input,
                                          const std::optional<std::filesystem::path>& ids_file,
                                          const std::optional<std::filesystem::path>& labels_file) {
  collection::EnrollInput in;
  in.source = input.string();
  in.embeddings = data::read_embeddings(input, {.csv_id_column = false}).matrix;
  const std::size_t rows = in.embeddings.rows;
  if (rows == 0) throw std::runtime_error(input.string() + " holds no embeddings");
  // Ids and labels are checked text (valid UTF-8, no control characters),
  // refused naming the file and line, before anything is stored.
  if (ids_file) {
    in.ids = data::read_labels_txt(*ids_file, data::kDefaultMaxFileBytes, "id");
  } else {
    const std::string stem = input.stem().string();
    if (auto problem = io::text_problem(stem)) {
      throw std::runtime_error("the default ids <file stem>:<row> of " +
                               args::printable(input.string()) + " would not be valid text (" +
                               *problem + " in the file name): pass --ids");
    }
    for (std::size_t i = 0; i < rows; ++i) in.ids.push_back(stem + ":" + std::to_string(i));
  }
  if (in.ids.size() != rows) {
    throw std::runtime_error("--ids has " + std::to_string(in.ids.size()) + " lines for " +
                             std::to_string(rows) + " embeddings");
  }
  if (labels_file) {
    in.labels = data::read_labels_txt(*labels_file, data::kDefaultMaxFileBytes, "label");
    if (in.labels.size() != rows) {
      throw std::runtime_error("--labels has " + std::to_string(in.labels.size()) + " lines for " +
                               std::to_string(rows) + " embeddings");
    }
  }
  if (ids_file) {                             // repeats named by line (the library names rows)
    std::map<std::string, std::size_t> seen;  // id -> its line
    for (std::size_t i = 0; i < in.ids.size(); ++i) {
      auto [it, fresh] = seen.emplace(in.ids[i], i + 1);
      if (!fresh) {
        throw std::runtime_error("id '" + in.ids[i] + "' appears twice in " + ids_file->string() +
                                 " (lines " + std::to_string(it->second) + " and " +
                                 std::to_string(i + 1) + ")");
      }
    }
  }
  return in;
}

}  // namespace veil::apps
