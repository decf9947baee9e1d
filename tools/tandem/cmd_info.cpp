// `tandem info`: what a model is made of and which unit can run what.
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "backends/backend.h"
#include "backends/reference/reference_backend.h"
#include "cli.h"
#include "ir/flops.h"
#include "ir/passes/passes.h"
#include "ir/specialize.h"
#include "onnx/import.h"

namespace tandem::cli {
namespace {

std::string human(double v, const char* unit) {
  const char* prefixes[] = {"", "K", "M", "G", "T"};
  int i = 0;
  while (v >= 1000.0 && i < 4) {
    v /= 1000.0;
    ++i;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f %s%s", v, prefixes[i], unit);
  return buf;
}

void print_values(const char* title, const ir::Graph& g, const std::vector<std::string>& names) {
  std::printf("%s:\n", title);
  for (const auto& n : names) {
    const ir::ValueInfo* vi = g.info(n);
    std::printf("  %-24s %-8s %s\n", n.c_str(), vi ? dtype_name(vi->dtype) : "?",
                vi && vi->rank_known ? shape_to_string(vi->shape).c_str() : "[?]");
  }
}

// Backend kinds named by a unit spec ("cpu:0-7/threads=8,reference" -> cpu, reference).
std::vector<std::string> unit_kinds(const std::string& spec) {
  std::vector<std::string> kinds;
  std::stringstream ss(spec);
  std::string unit;
  while (std::getline(ss, unit, ','))
    if (!unit.empty()) kinds.push_back(unit.substr(0, unit.find_first_of(":/")));
  return kinds;
}

Status print_support(const ir::Graph& g, const std::vector<std::string>& kinds) {
  std::printf("support (nodes claimed / nodes, per op type):\n  %-22s", "op");
  std::vector<std::unique_ptr<Backend>> backends;
  for (const auto& k : kinds) {
    auto b = make_backend(k);
    if (!b.is_ok()) {
      std::printf(" %-14s", (k + " (n/a)").c_str());
      backends.push_back(nullptr);
      continue;
    }
    std::printf(" %-14s", k.c_str());
    backends.push_back(std::move(b.value()));
  }
  std::printf("\n");
  std::map<std::string, std::vector<const ir::Node*>> by_op;
  for (const auto& n : g.nodes) by_op[n.op_type].push_back(&n);
  std::map<std::string, std::string> reasons;
  for (const auto& [op, nodes] : by_op) {
    std::printf("  %-22s", op.c_str());
    for (size_t b = 0; b < backends.size(); ++b) {
      if (!backends[b]) {
        std::printf(" %-14s", "-");
        continue;
      }
      size_t ok = 0;
      for (const auto* n : nodes) {
        Status st = backends[b]->supports(g, *n);
        if (st.is_ok()) ++ok; else reasons[kinds[b] + ": " + st.message()] = n->name;
      }
      std::printf(" %-14s", (std::to_string(ok) + "/" + std::to_string(nodes.size())).c_str());
    }
    std::printf("\n");
  }
  for (const auto& [reason, node] : reasons) std::printf("  refused: %s (e.g. node '%s')\n", reason.c_str(), node.c_str());
  return Status::ok();
}

}  // namespace

Status run_info(const InfoOptions& o) {
  TANDEM_ASSIGN_OR_RETURN(ir::Graph g, import_onnx_file(o.model));
  std::printf("model %s (opset %d, %zu nodes)\n", o.model.c_str(), g.opset, g.nodes.size());
  print_values("inputs", g, g.inputs);
  print_values("outputs", g, g.outputs);
  std::map<std::string, int> ops;
  for (const auto& n : g.nodes) ++ops[n.op_type];
  std::printf("ops:");
  for (const auto& [op, count] : ops) std::printf(" %s x%d", op.c_str(), count);
  std::printf("\nparameters: %s\n", human(static_cast<double>(ir::parameter_count(g)), "").c_str());

  std::map<std::string, Shape> shapes;
  for (const auto& name : g.inputs) {
    const ir::ValueInfo* vi = g.info(name);
    TANDEM_ASSIGN_OR_RETURN(Shape s, resolve_input_shape(name, vi ? vi->shape : Shape{}, o.shape, 1));
    shapes[name] = s;
  }
  TANDEM_ASSIGN_OR_RETURN(ir::Graph sg, ir::specialize(g, shapes, reference_evaluate_node));
  TANDEM_RETURN_IF_ERROR(ir::run_passes(sg));
  std::printf("at input %s: %s per image, %zu nodes after folding and fusion\n",
              shape_to_string(shapes.begin()->second).c_str(),
              human(static_cast<double>(ir::graph_flops(sg)) / static_cast<double>(shapes.begin()->second[0]), "FLOP").c_str(),
              sg.nodes.size());
  std::vector<std::string> kinds = o.units.empty() ? available_backends() : unit_kinds(o.units);
  return print_support(sg, kinds);
}

}  // namespace tandem::cli
