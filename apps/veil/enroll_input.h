// `veil enroll`'s input files read into a collection::EnrollInput: the
// embeddings, the ids (--ids, or <file stem>:<row>) and the labels, each
// refused naming the file and line when it is not clean text or repeats.
#pragma once

#include <filesystem>
#include <optional>

#include "veil/collection/gallery.h"

namespace veil::apps {

collection::EnrollInput read_enroll_input(const std::filesystem::path& input,
                                          const std::optional<std::filesystem::path>& ids_file,
                                          const std::optional<std::filesystem::path>& labels_file);

}  // namespace veil::apps
