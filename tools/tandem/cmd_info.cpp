// `tandem info`: what a model is made of and which unit can run what.
#include <cstdio>
#include <map>
#include <set>

#include "backends/backend.h"
#include "backends/reference/reference_backend.h"
#include "cli.h"
#include "ir/flops.h"
#include "ir/passes/passes.h"
#include "ir/specialize.h"
#include "onnx/import.h"
#include "plan/cuts.h"
#include "plan/unit_spec.h"

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

// Nodes a unit claims but runs in a way worth telling (the cpu backend's reference fallback), by
// "unit op": the note and the node names.
struct Noted {
  std::string note;
  std::vector<std::string> nodes;
};

void print_noted(const std::map<std::string, Noted>& noted) {
  for (const auto& [key, n] : noted) {
    std::string names;
    for (size_t i = 0; i < n.nodes.size() && i < 4; ++i) names += (i ? ", " : "") + n.nodes[i];
    if (n.nodes.size() > 4) names += ", ... (" + std::to_string(n.nodes.size()) + " nodes)";
    std::printf("  * %s (%s): %s\n", key.c_str(), names.c_str(), n.note.c_str());
  }
}

// Per op type, how many nodes each unit claims ('*': some run through a fallback, listed below
// with the nodes); then the distinct refusal reasons.
void print_support(const ir::Graph& g, const std::vector<plan::Unit>& units) {
  std::printf("support (nodes claimed / nodes, per op type):\n  %-22s", "op");
  for (const auto& u : units) std::printf(" %-14s", u.name().c_str());
  std::printf("\n");
  std::map<std::string, std::vector<const ir::Node*>> by_op;
  for (const auto& n : g.nodes) by_op[n.op_type].push_back(&n);
  std::map<std::string, std::pair<std::string, int>> reasons;  // "unit op" -> (first reason, count)
  std::map<std::string, Noted> noted;
  for (const auto& [op, nodes] : by_op) {
    std::printf("  %-22s", op.c_str());
    for (const auto& u : units) {
      size_t ok = 0;
      bool marked = false;
      for (const auto* n : nodes) {
        Status st = u.supports(g, *n);
        if (st.is_ok()) {
          ++ok;
          if (std::string note = u.backend->claim_note(g, *n); !note.empty()) {
            Noted& entry = noted[u.name() + " " + op];
            if (entry.nodes.empty()) entry.note = note;
            entry.nodes.push_back(n->name);
            marked = true;
          }
        } else {
          auto& r = reasons[u.name() + " " + op];
          if (r.second++ == 0) r.first = st.message();
        }
      }
      std::printf(" %-14s", (std::to_string(ok) + "/" + std::to_string(nodes.size()) + (marked ? "*" : "")).c_str());
    }
    std::printf("\n");
  }
  print_noted(noted);
  for (const auto& [key, r] : reasons)
    std::printf("  refused %s: %s%s\n", key.c_str(), r.first.c_str(),
                r.second > 1 ? (" (and " + std::to_string(r.second - 1) + " more)").c_str() : "");
}

void print_cuts(const ir::Graph& g) {
  auto cuts = plan::find_cuts(g);
  const double total = static_cast<double>(ir::graph_flops(g));
  std::printf("cuts (%zu): position, tensor crossing, FLOPs before / after, crossing bytes per image\n", cuts.size());
  for (const auto& c : cuts)
    std::printf("  %4d  %-28s %10s %5.1f%% / %10s  %10s\n", c.position, c.tensor.c_str(),
                human(static_cast<double>(c.flops_before), "FLOP").c_str(),
                total > 0 ? 100.0 * static_cast<double>(c.flops_before) / total : 0.0,
                human(static_cast<double>(c.flops_after), "FLOP").c_str(),
                human(static_cast<double>(c.bytes_per_image), "B").c_str());
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
  std::string spec = o.units;
  if (spec.empty())  // every backend of this build that can start here
    for (const auto& kind : available_backends())
      if (make_backend(kind).is_ok()) spec += (spec.empty() ? "" : ",") + kind;
  TANDEM_ASSIGN_OR_RETURN(auto units, plan::make_units(spec, 0, diagnostics_from_environment()));
  print_support(sg, units);
  if (o.cuts) print_cuts(sg);
  return Status::ok();
}

}  // namespace tandem::cli
