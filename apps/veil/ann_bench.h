// `veil ann bench`: PPPQ-ANN measured against its ceiling (faiss's plaintext
// IVF-PQ, same nlist / m / nprobe) and, with --exact, against Veil's own
// exhaustive encrypted search of the same vectors, in one process and run.
#pragma once

#include <CLI/CLI.hpp>

#include "veil/ann/ivfpq.h"

namespace veil::apps {

void add_ann_bench(CLI::App& ann, ann::Progress (*progress_bar)(bool quiet));

}  // namespace veil::apps
