// The reference fallback: a node that the cpu backend's own entries do not claim (no entry for
// its op type, or the entry refuses it) runs the reference backend's kernel as a host step on
// plain buffers. Float32 inputs in a blocked layout are reordered to plain first (the
// SegmentBuilder adds the reorder); tensors of other dtypes (int64 indices, bool masks) are plain
// bytes. Slow — plain C++ on one thread — but a model does not fail on the cpu for an op that only
// the reference backend has. claim_cpu_op() (op_table.cpp) decides when this entry is used.
#include <cstring>

#include "backends/cpu/cpu_op.h"
#include "backends/reference/ref_op.h"
#include "backends/reference/reference_backend.h"

namespace tandem::cpu {
namespace {

// Where a host step finds one tensor at run time: a buffer whose data handle is read then (it
// may be rebound to the caller's input or output), or a constant.
struct HostTensor {
  bool present = false;  // false: an absent optional input or output
  bool in_buffer = false;
  dnnl::memory mem;
  Tensor constant;
  Shape shape;
  DType dtype = DType::kFloat32;

  Tensor at_run() const {
    if (!present) return Tensor();
    if (!in_buffer) return constant;
    return Tensor::wrap(TensorView{mem.get_data_handle(), shape, dtype});
  }
};

// One node's reference kernel with its buffers. Lives in the compiled segment's host step.
class FallbackKernel {
 public:
  FallbackKernel(std::shared_ptr<const ir::Graph> graph, const ir::Node* node, const reference::RefOp* op,
                 std::vector<HostTensor> ins, std::vector<HostTensor> outs)
      : graph_(std::move(graph)), node_(node), op_(op), ins_(std::move(ins)), outs_(std::move(outs)),
        inputs_(ins_.size()), outputs_(outs_.size()) {}

  Status run() {
    for (size_t i = 0; i < ins_.size(); ++i) inputs_[i] = ins_[i].at_run();
    // The kernel writes into these (alloc_output reuses a tensor of the right shape and dtype).
    for (size_t k = 0; k < outs_.size(); ++k) outputs_[k] = outs_[k].at_run();
    reference::RefOpContext ctx{*graph_, *node_, inputs_, outputs_};
    TANDEM_RETURN_IF_ERROR(op_->run(ctx).with_context(context()));
    // A kernel that made a tensor of its own is copied into place.
    for (size_t k = 0; k < outs_.size(); ++k) {
      if (!outs_[k].present) continue;
      void* dst = outs_[k].mem.get_data_handle();
      const Tensor* got = k < outputs_.size() ? &outputs_[k] : nullptr;
      const size_t want = static_cast<size_t>(shape_numel(outs_[k].shape)) * dtype_size(outs_[k].dtype);
      if (!got || got->empty() || got->dtype() != outs_[k].dtype || got->nbytes() != want)
        return internal_error(context() + ": the reference kernel did not produce output '" + node_->outputs[k] +
                              "' as " + dtype_name(outs_[k].dtype) + shape_to_string(outs_[k].shape));
      if (got->data() != dst && want) std::memcpy(dst, got->data(), want);
    }
    return Status::ok();
  }

 private:
  std::string context() const { return "node '" + node_->name + "' (" + node_->op_type + ")"; }

  std::shared_ptr<const ir::Graph> graph_;  // the kernel reads shapes and attrs from it
  const ir::Node* node_;                    // in *graph_
  const reference::RefOp* op_;
  std::vector<HostTensor> ins_, outs_;
  std::vector<Tensor> inputs_, outputs_;    // reused across runs
};

Status fallback_supports(const ir::Graph& graph, const ir::Node& node) {
  for (const auto& name : node.inputs) {
    if (name.empty() || graph.is_constant(name)) continue;
    const ir::ValueInfo* info = graph.info(name);
    if (!info || !info->fully_known()) return unsupported("input '" + name + "' has no known shape");
  }
  return reference_supports(graph, node);
}

Status fallback_compile(SegmentBuilder& b, const ir::Node& node) {
  const reference::RefOp* op = reference::find_ref_op(node.op_type);
  if (!op) return internal_error("no reference kernel for " + node.op_type);
  std::shared_ptr<const ir::Graph> graph = b.shared_graph();
  const ir::Node* own = nullptr;
  for (const auto& n : graph->nodes)
    if (n.name == node.name) own = &n;
  if (!own) return internal_error("node '" + node.name + "' is not in the segment");
  std::vector<HostTensor> ins, outs;
  for (const auto& name : node.inputs) {
    HostTensor t;
    t.present = !name.empty();
    if (const Tensor* c = t.present ? b.graph().constant(name) : nullptr) {
      t.constant = *c;
    } else if (t.present) {
      TANDEM_ASSIGN_OR_RETURN(t.mem, b.host_value(name));
      t.in_buffer = true;
      t.shape = b.shape(name);
      t.dtype = b.dtype(name);
    }
    ins.push_back(std::move(t));
  }
  for (const auto& name : node.outputs) {
    HostTensor t;
    t.present = t.in_buffer = !name.empty();
    if (t.present) {
      t.mem = b.define_host(name);
      t.shape = b.shape(name);
      t.dtype = b.dtype(name);
    }
    outs.push_back(std::move(t));
  }
  auto kernel = std::make_shared<FallbackKernel>(std::move(graph), own, op, std::move(ins), std::move(outs));
  b.add_host_step([kernel] { return kernel->run(); });
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuReferenceFallback{"(reference kernel)", -1, fallback_supports, fallback_compile};

}  // namespace tandem::cpu
