#include "tuning.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "cli.h"
#include "core/cache_file.h"
#include "core/text_file.h"
#include "onnx/import.h"
#include "plan/profiler.h"

namespace tandem::cli {

Result<std::vector<int64_t>> parse_batch_list(const std::string& text, const std::string& flag) {
  std::vector<int64_t> v;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t used = 0;
    long long b = 0;
    try {
      b = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || b < 1)
      return invalid_argument(flag + " '" + text + "' must be comma-separated positive integers");
    v.push_back(b);
  }
  if (v.empty()) return invalid_argument(flag + " '" + text + "' must be comma-separated positive integers");
  return v;
}

std::string machine_identity() {
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  std::string cpu;
  std::ifstream f("/proc/cpuinfo");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  return std::string(host) + ", " + std::to_string(plan::machine_core_count()) + " cores, " + cpu;
}

Result<TuneModel> load_tune_model(const std::string& model, const std::string& units, const std::string& shape) {
  TuneModel m;
  TANDEM_ASSIGN_OR_RETURN(const std::string bytes, read_file(model, "model"));
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  char id[64];
  std::snprintf(id, sizeof id, "%zu bytes, fnv1a %016llx", bytes.size(), static_cast<unsigned long long>(h));
  m.identity = model.substr(model.find_last_of('/') + 1) + ", " + id;
  TANDEM_ASSIGN_OR_RETURN(ir::Graph g, import_onnx_bytes(bytes, model));
  TANDEM_ASSIGN_OR_RETURN(m.units, plan::make_units(units, 0, diagnostics_from_environment()));
  std::map<std::string, Shape> shapes;
  auto graph = std::make_shared<const ir::Graph>(std::move(g));
  for (const std::string& in : graph->inputs) {
    const ir::ValueInfo* vi = graph->info(in);
    if (!vi) return invalid_argument("model input '" + in + "' has no shape");
    TANDEM_ASSIGN_OR_RETURN(Shape s, resolve_input_shape(in, vi->shape, shape, 1));
    shapes[in] = s;
    Tensor t = vi->dtype == DType::kFloat32 ? random_tensor(s, 1) : Tensor::zeros(s, vi->dtype);
    m.sample.push_back(std::move(t));
  }
  m.graphs = plan::specializing(graph, shapes);
  return m;
}

Result<plan::Profile> get_profile(const ProfileSource& src, const TuneModel* m, std::string& note) {
  if (!src.profile_file.empty()) {
    TANDEM_ASSIGN_OR_RETURN(plan::Profile p, plan::load_profile(src.profile_file));
    note = "profile from " + src.profile_file + (p.source.empty() ? "" : " (" + p.source + ")");
    return p;
  }
  if (!m) return invalid_argument("no profile: give --profile FILE or a model and units to measure");
  plan::ProfileOptions po;
  po.batches = src.batches;
  po.max_cuts = src.max_cuts;
  po.cache_dir = cache_dir_from_environment();
  po.machine = machine_identity();
  po.model = m->identity;
  po.version = std::string(kTandemVersion) + " " + kProfilerRevision;
  po.refresh = src.refresh;
  if (!src.quiet)
    po.progress = [](const std::string& line) {
      std::printf("%s\n", line.c_str());
      std::fflush(stdout);
    };
  TANDEM_ASSIGN_OR_RETURN(plan::ProfileResult r, plan::profile_units(m->graphs, m->units, po));
  note = r.from_cache ? "profile: " + r.note : "profile: measured (" + r.note + ")";
  return r.profile;
}

}  // namespace tandem::cli
