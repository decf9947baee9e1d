// The CPU backend's op table entry and the builder each op compiles into.
// One entry per op file (ops/<op>.cpp); op_table.cpp lists them. The same entry answers
// supports() and builds the op's primitives at compile time, so claim and compute cannot drift.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "backends/cpu/dnnl_util.h"
#include "ir/graph.h"
#include "tandem/diagnostics.h"

namespace tandem::cpu {

// One step of a segment, executed in order by run(): a oneDNN primitive and its arguments, or
// (when `host` is set) host code on plain buffers, run after the primitives before it completed.
// A host step reads its buffers' data handles when it runs, so inputs and outputs rebound to the
// caller's pointers are seen. It may allocate (the reference kernels behind it do).
struct Step {
  dnnl::primitive prim;
  std::unordered_map<int, dnnl::memory> args;
  std::function<Status()> host;
};

// A memory object whose data handle is set at run() to a caller's input or output pointer.
struct Binding {
  int index = 0;  // position in the segment's inputs (or outputs)
  dnnl::memory mem;
};

// What compile produces: everything allocated, every primitive created. run() only binds the
// caller's pointers and executes `steps`.
struct CompiledSegment {
  std::vector<Step> steps;
  std::vector<Binding> input_bindings;   // several when a graph input is also viewed with another desc
  std::vector<Binding> output_bindings;
  std::vector<Shape> input_shapes;
  std::vector<DType> input_dtypes;
  std::vector<Shape> output_shapes;
  std::vector<DType> output_dtypes;
  std::vector<std::pair<int, Tensor>> constant_outputs;  // copied into the caller's buffer at run()
  std::vector<Tensor> keep_alive;        // constants the memories point into
  // Every buffer the builder allocated for a tensor: a view made from one (a dnnl::memory over
  // its data handle) does not own it, so the segment must.
  std::vector<dnnl::memory> buffers;
};

// Builds a CompiledSegment op by op. Tracks, for every tensor, the oneDNN memory holding it in
// its current layout (blocked/NHWC as the producing primitive chose, or plain), and adds
// reorders only where a consumer needs another layout. A tensor of another dtype than float32
// (int64 indices, bool masks: only host steps read and write them) is a plain buffer of bytes.
// Not thread-safe; lives for one compile() call.
class SegmentBuilder {
 public:
  SegmentBuilder(const ir::Graph& graph, dnnl::engine engine);

  const ir::Graph& graph() const { return graph_; }
  const dnnl::engine& engine() const { return engine_; }
  const Shape& shape(const std::string& value) const;

  // The memory of `value` in its current layout (a constant: plain, pointing at its data).
  Result<dnnl::memory> value(const std::string& value);
  // `value` in the layout `md`; adds a reorder (run-time for activations, compile-time for
  // constants) unless it already is.
  Result<dnnl::memory> value_as(const std::string& value, const Md& md);
  Result<dnnl::memory> value_plain(const std::string& value) { return value_as(value, plain_md(shape(value))); }
  // The plain buffer of `value` seen through another descriptor of the same size (a reshape or
  // a strided/permuted view): no copy.
  Result<dnnl::memory> plain_view(const std::string& value, const Md& md);

  // A view (no copy) of the part of `value` that starts at `offsets` and takes `dims` elements
  // every `steps` along each dim (a step of 0 repeats one element: a broadcast). In the current
  // layout when it can express the part (plain, or blocked and cut at block boundaries with
  // steps 1), else in the plain copy of `value`. Reading it is a strided reorder's source;
  // writing it (a part of a node's own output) fills that part. A buffer some part views is
  // never rebound to the caller's: what compile wrote there stays.
  Result<dnnl::memory> part_of(const std::string& value, const Dims& dims, const Dims& offsets, const Dims& steps);
  // `value`'s plain buffer (its plain copy when it is blocked) seen through `md`, a strided
  // descriptor of any rank that stays inside it (zero strides broadcast). Same rule as part_of.
  Result<dnnl::memory> strided_view(const std::string& value, const Md& md);

  // Constant `value`'s plain data seen as `view` (e.g. grouped or transposed weights), reordered
  // once, now, into `md`.
  Result<dnnl::memory> constant_as(const std::string& value, const Md& view, const Md& md);
  // A new constant buffer in layout `md` holding `data` (plain, same size), e.g. folded BN params.
  dnnl::memory make_constant(Tensor data, const Md& md);

  // `value`'s buffer in its current layout (blocked too) seen through `md`, which must describe
  // the same bytes (e.g. the current desc with permuted axes): no copy.
  Result<dnnl::memory> raw_view(const std::string& value, const Md& md);

  // Allocates the buffer of node output `value` in layout `md`.
  dnnl::memory define(const std::string& value, const Md& md);
  // Declares node output `value` as a view of `source`'s plain buffer (Reshape, Flatten, Identity).
  Status define_view(const std::string& value, const std::string& source, const Md& md);
  // Declares node output `value` as `source`'s buffer in its current layout, which the node
  // overwrites (a Conv summing into its residual, conv_residual.h): `source` is read no more.
  Status define_in_place(const std::string& value, const std::string& source);
  // Declares node output `value` as its part of `source` (Split, Slice; part_of's arguments),
  // without a copy where the layout allows: a part along the outermost dim of `source`'s buffer
  // (a batch split, the qkv Split of [3, B, h, N, d]) is a packed view, a tensor like any other;
  // any other part (channels) is a strided view that is copied into a plain buffer of its own
  // only when a reader first asks for it as a tensor (value(), value_plain(), a view of it), at
  // that reader's step. Readers that take any layout (value_as(), value_view()) read the strided
  // view itself: no copy. With `views` false (TANDEM_CUDA_OFF=split-views): always the copy, here.
  Status define_part(const std::string& value, const std::string& source, const Dims& dims, const Dims& offsets,
                     const Dims& steps);
  // The memory of `value` as it is, a part not copied yet included (a strided view of its
  // source): for readers whose primitive takes any descriptor. Otherwise value().
  Result<dnnl::memory> value_view(const std::string& value);
  // Whether `value` is a part of another tensor that no reader has asked to copy yet.
  bool is_uncopied_part(const std::string& value) const;
  // Whether node `node` may overwrite `value`'s buffer (a Conv summing into its residual): no
  // other reader is left for it. False when any tensor sharing that buffer — `value`, the tensor
  // it views, its views, parts of it still to be copied — is read by a node at or after `node`
  // (other than the nodes in `fused`, compiled with it), or is a graph input, output or constant.
  bool may_overwrite(const std::string& value, size_t node, const std::vector<size_t>& fused);
  // The unit's switches, which ops read: split-views off makes define_part() copy every part;
  // winograd off, force_conv_plan direct|winograd and log_choices steer Conv (conv_choice.h).
  void set_diagnostics(const BackendDiagnostics& d) { diag_ = d; }
  const BackendDiagnostics& diagnostics() const { return diag_; }
  // 2-D convs whose channels are a multiple of 16 read and write oneDNN's nChw16c blocked
  // layout instead of letting oneDNN pick (it picks channels-last), so that jit_1x1 / jit_dw /
  // Winograd kernels run back to back without reorders (cpu_backend.cpp times both layouts).
  void set_blocked_convs(bool on) { blocked_convs_ = on; }
  bool blocked_convs() const { return blocked_convs_; }
  // `value`'s buffer holds data written at compile time (Pad's constant border): finish() must
  // not swap it for the caller's buffer (a graph output then gets a final copy).
  void keep_buffer(const std::string& value) { viewed_.insert(value); }
  // Makes a memory that no tensor names (a scratch or intermediate buffer).
  dnnl::memory scratch(const Md& md);

  void add_step(dnnl::primitive prim, std::unordered_map<int, dnnl::memory> args);

  // For host steps: the dtype of `value` (graph input, node output or constant).
  DType dtype(const std::string& value) const;
  // Non-constant `value` in a plain buffer: float32 reordered to plain where needed, another
  // dtype as its bytes.
  Result<dnnl::memory> host_value(const std::string& value);
  // Allocates node output `value` as a plain buffer of its dtype (host_md).
  dnnl::memory define_host(const std::string& value);
  // Appends host code; see Step.
  void add_host_step(std::function<Status()> run);
  // A copy of the segment graph that outlives the builder (for host steps; made once).
  std::shared_ptr<const ir::Graph> shared_graph();
  // Runs a primitive now, at compile time (weight reorders).
  void run_now(dnnl::primitive prim, const std::unordered_map<int, dnnl::memory>& args);

  // Binds graph outputs (rebinding a plain buffer to the caller's pointer, else a final reorder)
  // and hands over the result.
  Result<CompiledSegment> finish();

 private:
  struct ValueMem {
    dnnl::memory mem;
    int input_index = -1;   // a view of (or is) segment input i: its handle is bound at run
    std::string view_of;    // the tensor whose buffer this one views ("" for an owner)
    DType dtype = DType::kFloat32;  // not float32: `mem` is a byte buffer (host_md)
    // The tensor whose buffer (or plain copy of it) `mem` lies in, "" for an owner: what an
    // in-place write into one of them clobbers (may_overwrite).
    std::string shares;
    bool uncopied = false;  // `mem` is a strided view of a part of `shares` (define_part)
  };
  Status bind_output(size_t index, const std::string& name, std::set<std::string>& rebound);
  // The tensor's memory; a part not copied yet is copied now (a step here) into a plain buffer.
  Result<ValueMem*> lookup(const std::string& value);
  // As lookup(), without that copy.
  Result<ValueMem*> lookup_as_is(const std::string& value);
  Result<ValueMem> make_part(const std::string& value, const Dims& dims, const Dims& offsets, const Dims& steps);
  // A packed view of `source`'s part (its own buffer, cut along the outermost dim), or nothing.
  std::optional<ValueMem> packed_part(const std::string& source, const Dims& dims, const Dims& offsets, const Dims& steps);
  // `part`: md addresses only some of the buffer (a sub-memory, strided or broadcast view).
  Result<ValueMem> make_view(const std::string& value, const Md& md, bool raw, bool part = false);
  dnnl::memory constant_memory(const std::string& value);

  const ir::Graph& graph_;
  dnnl::engine engine_;
  dnnl::stream stream_;
  std::map<std::string, ValueMem> values_;
  std::set<std::string> viewed_;  // tensors some view points into (their buffer must not move)
  std::map<std::string, std::vector<dnnl::memory>> converted_;  // value_as() results, reused
  std::shared_ptr<const ir::Graph> shared_graph_;
  std::optional<std::unordered_map<std::string, std::vector<int>>> readers_;  // graph_.consumers(), once
  BackendDiagnostics diag_;
  bool blocked_convs_ = false;
  CompiledSegment seg_;
};

struct CpuOp {
  std::string_view op_type;
  // How many leading inputs are float32 data the backend reads; later ones (shape, scales, Clip
  // bounds) are constants already resolved into the typed attrs. -1: all of them.
  int data_inputs;
  // (optional; nullptr means every float32 node of this type) Narrower claim, with the reason.
  Status (*supports)(const ir::Graph& graph, const ir::Node& node);
  // Builds the node's primitives; may throw dnnl::error (the caller turns it into a Status).
  Status (*compile)(SegmentBuilder& b, const ir::Node& node);
  // The dtype of every output (ArgMax: int64 indices, a plain buffer written by a host step).
  DType output_dtype = DType::kFloat32;
};

// nullptr when the CPU backend has no entry for `op_type`.
const CpuOp* find_cpu_op(std::string_view op_type);

// How the cpu backend runs a node: its own entry when that claims the node, else the reference
// fallback (ops/reference_fallback.cpp: the reference kernel on plain buffers) when the reference
// backend can run it. The one source of supports() and compile().
struct CpuClaim {
  const CpuOp* op = nullptr;  // nullptr: refused, `status` says why
  Status status;
  bool fallback = false;      // `op` is the reference fallback
  std::string own_refusal;    // with `fallback`: why the cpu's own entry refused the node
};
CpuClaim claim_cpu_op(const ir::Graph& graph, const ir::Node& node);

// Helpers for ops' supports().
// The node's typed attrs, or nullptr when they hold another alternative.
template <typename T>
const T* attrs_of(const ir::Node& node) { return std::get_if<T>(&node.attrs); }
// Shape of a tensor from graph.values (every shape is known in a specialised graph).
const Shape* shape_of(const ir::Graph& graph, const std::string& value);

// Helper for elementwise ops' compile() (ops/activation.cpp): output = `steps` applied to input,
// one oneDNN eltwise each, in the input's layout (the first writes the output, the rest in place).
Status compile_eltwise(SegmentBuilder& b, const std::string& input, const std::string& output,
                       const std::vector<EltwiseStep>& steps);

}  // namespace tandem::cpu
