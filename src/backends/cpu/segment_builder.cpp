#include <algorithm>

#include <dnnl.hpp>

#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {

const Shape* shape_of(const ir::Graph& graph, const std::string& value) {
  if (const Tensor* t = graph.constant(value)) return &t->shape();
  const ir::ValueInfo* info = graph.info(value);
  return info ? &info->shape : nullptr;
}

SegmentBuilder::SegmentBuilder(const ir::Graph& graph, dnnl::engine engine)
    : graph_(graph), engine_(std::move(engine)), stream_(engine_) {
  for (size_t i = 0; i < graph_.inputs.size(); ++i) {
    const std::string& name = graph_.inputs[i];
    // No buffer yet: run() sets the handle to the caller's pointer.
    dnnl::memory mem(host_md(shape(name), dtype(name)), engine_, DNNL_MEMORY_NONE);
    values_[name] = ValueMem{mem, static_cast<int>(i), "", dtype(name)};
    seg_.input_bindings.push_back({static_cast<int>(i), mem});
    seg_.input_shapes.push_back(shape(name));
    seg_.input_dtypes.push_back(dtype(name));
  }
}

const Shape& SegmentBuilder::shape(const std::string& value) const {
  static const Shape kEmpty;
  const Shape* s = shape_of(graph_, value);
  return s ? *s : kEmpty;
}

DType SegmentBuilder::dtype(const std::string& value) const {
  if (const Tensor* t = graph_.constant(value)) return t->dtype();
  const ir::ValueInfo* info = graph_.info(value);
  return info ? info->dtype : DType::kFloat32;
}

dnnl::memory SegmentBuilder::constant_memory(const std::string& value) {
  const Tensor& t = graph_.initializers.at(value);
  seg_.keep_alive.push_back(t);
  // oneDNN takes a non-const handle; constants are only ever read.
  return dnnl::memory(host_md(t.shape(), t.dtype()), engine_, const_cast<void*>(t.data()));
}

Result<SegmentBuilder::ValueMem*> SegmentBuilder::lookup(const std::string& value) {
  TANDEM_ASSIGN_OR_RETURN(ValueMem * v, lookup_as_is(value));
  if (v->uncopied) {
    // A reader wants the part as a tensor of its own: copied now, from its source as it is at
    // this step (may_overwrite() keeps in-place writes off that source until then).
    dnnl::memory own(plain_md(v->mem.get_desc().dims()), engine_);
    add_step(dnnl::reorder(v->mem, own), {{DNNL_ARG_FROM, v->mem}, {DNNL_ARG_TO, own}});
    *v = ValueMem{own, -1, "", v->dtype};
  }
  return v;
}

Result<SegmentBuilder::ValueMem*> SegmentBuilder::lookup_as_is(const std::string& value) {
  auto it = values_.find(value);
  if (it != values_.end()) return &it->second;
  if (graph_.is_constant(value)) {
    auto [pos, _] = values_.emplace(value, ValueMem{constant_memory(value), -1, "", dtype(value)});
    return &pos->second;
  }
  return internal_error("cpu: tensor '" + value + "' is used before it is defined");
}

Result<dnnl::memory> SegmentBuilder::value(const std::string& value) {
  TANDEM_ASSIGN_OR_RETURN(ValueMem * v, lookup(value));
  return v->mem;
}

Result<dnnl::memory> SegmentBuilder::value_view(const std::string& value) {
  TANDEM_ASSIGN_OR_RETURN(ValueMem * v, lookup_as_is(value));
  return v->mem;
}

bool SegmentBuilder::is_uncopied_part(const std::string& value) const {
  auto it = values_.find(value);
  return it != values_.end() && it->second.uncopied;
}

Result<dnnl::memory> SegmentBuilder::value_as(const std::string& value, const Md& md) {
  TANDEM_ASSIGN_OR_RETURN(ValueMem * v, lookup_as_is(value));
  if (v->dtype != DType::kFloat32)
    return internal_error("cpu: tensor '" + value + "' is " + dtype_name(v->dtype) + "; only host steps read it");
  // An uncopied part wanted plain gets its own copy (shared by its later readers); in any other
  // layout it is reordered from its source directly.
  if (v->uncopied && md == plain_md(v->mem.get_desc().dims())) {
    TANDEM_ASSIGN_OR_RETURN(v, lookup(value));
  }
  if (v->mem.get_desc() == md) return v->mem;
  for (const auto& m : converted_[value])
    if (m.get_desc() == md) return m;
  dnnl::memory out(md, engine_);
  dnnl::reorder r(v->mem, out);
  if (graph_.is_constant(value)) {
    run_now(r, {{DNNL_ARG_FROM, v->mem}, {DNNL_ARG_TO, out}});  // weights: packed once
  } else {
    add_step(r, {{DNNL_ARG_FROM, v->mem}, {DNNL_ARG_TO, out}});
  }
  converted_[value].push_back(out);
  return out;
}

Result<SegmentBuilder::ValueMem> SegmentBuilder::make_view(const std::string& value, const Md& md, bool raw, bool part) {
  TANDEM_ASSIGN_OR_RETURN(ValueMem * v, lookup(value));
  if (v->dtype != DType::kFloat32)
    return internal_error("cpu: tensor '" + value + "' is " + dtype_name(v->dtype) + "; only host steps read it");
  const size_t size = raw ? v->mem.get_desc().get_size() : plain_md(v->mem.get_desc().dims()).get_size();
  if (part ? strided_extent(md) > size : md.get_size() != size)
    return internal_error("cpu: view of '" + value + "' has another size");
  ValueMem view;
  if (raw || is_plain(v->mem.get_desc())) {
    view.mem = dnnl::memory(md, engine_, v->mem.get_data_handle());
    view.input_index = v->input_index;
    view.view_of = v->view_of.empty() ? value : v->view_of;
    view.shares = v->shares.empty() ? value : v->shares;
    viewed_.insert(view.view_of);
    if (view.input_index >= 0) seg_.input_bindings.push_back({view.input_index, view.mem});
  } else {  // a blocked buffer has no plain view: view its plain copy
    TANDEM_ASSIGN_OR_RETURN(auto plain, value_plain(value));
    view.mem = dnnl::memory(md, engine_, plain.get_data_handle());
    view.view_of = "\x1f";  // an unnamed buffer: never rebound
    view.shares = v->shares.empty() ? value : v->shares;
  }
  return view;
}

Result<dnnl::memory> SegmentBuilder::plain_view(const std::string& value, const Md& md) {
  TANDEM_ASSIGN_OR_RETURN(auto view, make_view(value, md, false));
  return view.mem;
}

Result<dnnl::memory> SegmentBuilder::raw_view(const std::string& value, const Md& md) {
  TANDEM_ASSIGN_OR_RETURN(auto view, make_view(value, md, true));
  return view.mem;
}

Result<dnnl::memory> SegmentBuilder::part_of(const std::string& value, const Dims& dims, const Dims& offsets,
                                              const Dims& steps) {
  TANDEM_ASSIGN_OR_RETURN(auto part, make_part(value, dims, offsets, steps));
  return part.mem;
}

Result<SegmentBuilder::ValueMem> SegmentBuilder::make_part(const std::string& value, const Dims& dims,
                                                           const Dims& offsets, const Dims& steps) {
  TANDEM_ASSIGN_OR_RETURN(ValueMem * v, lookup(value));
  const Md current = v->mem.get_desc();
  bool unit_steps = true;
  for (int64_t s : steps) unit_steps &= s == 1;
  if (!is_plain(current) && unit_steps) {
    Md sub;
    bool cut = true;
    try {
      sub = current.submemory_desc(dims, offsets);  // throws when the cut splits a block
    } catch (const dnnl::error&) {
      cut = false;
    }
    if (cut) return make_view(value, sub, true, true);
  }
  return make_view(value, strided_part_md(current.dims(), dims, offsets, steps), false, true);
}

std::optional<SegmentBuilder::ValueMem> SegmentBuilder::packed_part(const std::string& source, const Dims& dims,
                                                                    const Dims& offsets, const Dims& steps) {
  auto it = values_.find(source);
  if (it == values_.end() || graph_.is_constant(source)) return std::nullopt;
  const ValueMem& v = it->second;
  // Not a segment input (its pointer comes at run) nor a part still to be copied.
  if (v.uncopied || v.input_index >= 0 || v.dtype != DType::kFloat32 || !v.mem.get_data_handle()) return std::nullopt;
  const Md md = v.mem.get_desc();
  const auto& d = md.data;
  const auto& blk = d.format_desc.blocking;
  if (d.format_kind != dnnl_blocked || d.offset0 != 0 || d.extra.flags != 0) return std::nullopt;
  int axis = -1;  // the one dim cut (none: the whole tensor)
  for (int k = 0; k < d.ndims; ++k) {
    if (steps[k] != 1 || d.padded_offsets[k] != 0) return std::nullopt;
    if (dims[k] == d.dims[k]) continue;
    if (axis >= 0) return std::nullopt;
    axis = k;
  }
  Md piece = md;
  size_t offset = 0;
  if (axis >= 0) {
    // Packed: the cut dim is not blocked and is the outermost one of the storage order (every
    // other dim of more than one outer block has a smaller stride, and it spans the buffer).
    Dims outer(d.padded_dims, d.padded_dims + d.ndims);
    for (int i = 0; i < blk.inner_nblks; ++i) {
      if (blk.inner_idxs[i] == axis) return std::nullopt;
      outer[blk.inner_idxs[i]] /= blk.inner_blks[i];
    }
    const int64_t stride = blk.strides[axis];
    for (int k = 0; k < d.ndims; ++k)
      if (k != axis && outer[k] > 1 && blk.strides[k] >= stride) return std::nullopt;
    if (d.padded_dims[axis] != d.dims[axis] || size_t(stride * d.dims[axis]) * sizeof(float) != md.get_size())
      return std::nullopt;
    piece.data.dims[axis] = piece.data.padded_dims[axis] = dims[axis];
    // Dims of one element outside it keep the dense stride, as the piece's own descriptor has.
    for (int k = 0; k < d.ndims; ++k)
      if (k != axis && d.padded_dims[k] == 1 && blk.strides[k] == stride * d.dims[axis])
        piece.data.format_desc.blocking.strides[k] = stride * dims[axis];
    offset = size_t(offsets[axis] * stride) * sizeof(float);
  }
  ValueMem view;
  view.mem = dnnl::memory(piece, engine_, static_cast<char*>(v.mem.get_data_handle()) + offset);
  view.view_of = v.view_of.empty() ? source : v.view_of;
  view.shares = v.shares.empty() ? source : v.shares;
  viewed_.insert(view.view_of);
  return view;
}

Status SegmentBuilder::define_part(const std::string& value, const std::string& source, const Dims& dims,
                                   const Dims& offsets, const Dims& steps) {
  if (diag_.is_off("split-views")) {
    dnnl::memory dst = define(value, plain_md(dims));
    TANDEM_ASSIGN_OR_RETURN(auto src, part_of(source, dims, offsets, steps));
    add_step(dnnl::reorder(src, dst), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}});
    return Status::ok();
  }
  if (auto packed = packed_part(source, dims, offsets, steps)) {
    values_[value] = std::move(*packed);
    return Status::ok();
  }
  TANDEM_ASSIGN_OR_RETURN(auto part, make_part(source, dims, offsets, steps));
  part.uncopied = true;
  values_[value] = std::move(part);
  return Status::ok();
}

bool SegmentBuilder::may_overwrite(const std::string& value, size_t node, const std::vector<size_t>& fused) {
  auto it = values_.find(value);
  if (it == values_.end()) return false;
  const std::string root = it->second.shares.empty() ? value : it->second.shares;
  if (!readers_) readers_ = graph_.consumers();
  for (const auto& [name, v] : values_) {
    if (name != root && v.shares != root) continue;
    if (v.input_index >= 0 || graph_.is_constant(name) ||
        std::find(graph_.outputs.begin(), graph_.outputs.end(), name) != graph_.outputs.end())
      return false;
    auto r = readers_->find(name);
    if (r == readers_->end()) continue;
    for (int k : r->second)
      if (size_t(k) >= node && std::find(fused.begin(), fused.end(), size_t(k)) == fused.end()) return false;
  }
  return true;
}

Result<dnnl::memory> SegmentBuilder::strided_view(const std::string& value, const Md& md) {
  TANDEM_ASSIGN_OR_RETURN(auto view, make_view(value, md, false, true));
  return view.mem;
}

Result<dnnl::memory> SegmentBuilder::constant_as(const std::string& value, const Md& view, const Md& md) {
  const Tensor* t = graph_.constant(value);
  if (!t) return unsupported("'" + value + "' must be a constant (weights are packed at compile time)");
  if (static_cast<size_t>(t->numel()) * sizeof(float) != view.get_size())
    return internal_error("cpu: constant '" + value + "' does not match its view");
  seg_.keep_alive.push_back(*t);
  dnnl::memory src(view, engine_, const_cast<void*>(t->data()));
  if (view == md) return src;  // already in the wanted layout: use the constant's own bytes
  dnnl::memory out(md, engine_);
  run_now(dnnl::reorder(src, out), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, out}});
  return out;
}

dnnl::memory SegmentBuilder::make_constant(Tensor data, const Md& md) {
  seg_.keep_alive.push_back(data);
  dnnl::memory src(plain_md(md.dims()), engine_, data.data());
  if (src.get_desc() == md) return src;
  dnnl::memory out(md, engine_);
  run_now(dnnl::reorder(src, out), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, out}});
  return out;
}

dnnl::memory SegmentBuilder::define(const std::string& value, const Md& md) {
  dnnl::memory mem(md, engine_);
  values_[value] = ValueMem{mem, -1, ""};
  return mem;
}

Status SegmentBuilder::define_view(const std::string& value, const std::string& source, const Md& md) {
  TANDEM_ASSIGN_OR_RETURN(auto view, make_view(source, md, false));
  values_[value] = std::move(view);
  return Status::ok();
}

Status SegmentBuilder::define_in_place(const std::string& value, const std::string& source) {
  TANDEM_ASSIGN_OR_RETURN(ValueMem * v, lookup(source));
  TANDEM_ASSIGN_OR_RETURN(auto view, make_view(source, v->mem.get_desc(), true));
  values_[value] = std::move(view);
  return Status::ok();
}

dnnl::memory SegmentBuilder::scratch(const Md& md) {
  seg_.buffers.emplace_back(md, engine_);
  return seg_.buffers.back();
}

void SegmentBuilder::add_step(dnnl::primitive prim, std::unordered_map<int, dnnl::memory> args) {
  seg_.steps.push_back(Step{std::move(prim), std::move(args)});
}

void SegmentBuilder::run_now(dnnl::primitive prim, const std::unordered_map<int, dnnl::memory>& args) {
  prim.execute(stream_, args);
  stream_.wait();
}

Result<dnnl::memory> SegmentBuilder::host_value(const std::string& value) {
  TANDEM_ASSIGN_OR_RETURN(ValueMem * v, lookup(value));
  if (v->dtype == DType::kFloat32) return value_plain(value);
  return v->mem;  // always plain: its bytes
}

dnnl::memory SegmentBuilder::define_host(const std::string& value) {
  dnnl::memory mem(host_md(shape(value), dtype(value)), engine_);
  values_[value] = ValueMem{mem, -1, "", dtype(value)};
  return mem;
}

void SegmentBuilder::add_host_step(std::function<Status()> run) { seg_.steps.push_back(Step{{}, {}, std::move(run)}); }

std::shared_ptr<const ir::Graph> SegmentBuilder::shared_graph() {
  if (!shared_graph_) shared_graph_ = std::make_shared<const ir::Graph>(graph_);
  return shared_graph_;
}

Status SegmentBuilder::bind_output(size_t index, const std::string& name, std::set<std::string>& rebound) {
  const int i = static_cast<int>(index);
  if (const Tensor* c = graph_.constant(name); c && c->dtype() != DType::kFloat32) {
    // Folded at compile time (a Shape of a known tensor): no primitive, a copy at run().
    seg_.output_shapes.push_back(c->shape());
    seg_.output_dtypes.push_back(c->dtype());
    seg_.constant_outputs.emplace_back(i, *c);
    return Status::ok();
  }
  TANDEM_ASSIGN_OR_RETURN(ValueMem * v, lookup(name));
  seg_.output_shapes.push_back(shape(name));
  seg_.output_dtypes.push_back(v->dtype);
  const Md want = host_md(shape(name), v->dtype);
  // A plain buffer we own and nothing views can simply be the caller's buffer; anything else
  // (blocked layout, a view, an input or constant, an output listed twice) gets a final reorder
  // (of bytes, for another dtype than float32).
  bool own = v->input_index < 0 && v->view_of.empty() && !viewed_.count(name) && !graph_.is_constant(name) &&
             !rebound.count(name) && v->mem.get_desc() == want;
  if (own) {
    rebound.insert(name);
    seg_.output_bindings.push_back({i, v->mem});
    return Status::ok();
  }
  dnnl::memory out(want, engine_, DNNL_MEMORY_NONE);
  add_step(dnnl::reorder(v->mem, out), {{DNNL_ARG_FROM, v->mem}, {DNNL_ARG_TO, out}});
  seg_.output_bindings.push_back({i, out});
  return Status::ok();
}

Result<CompiledSegment> SegmentBuilder::finish() {
  std::set<std::string> rebound;
  for (size_t i = 0; i < graph_.outputs.size(); ++i) TANDEM_RETURN_IF_ERROR(bind_output(i, graph_.outputs[i], rebound));
  for (const auto& [name, v] : values_) seg_.buffers.push_back(v.mem);
  for (const auto& [name, mems] : converted_) seg_.buffers.insert(seg_.buffers.end(), mems.begin(), mems.end());
  return std::move(seg_);
}

}  // namespace tandem::cpu
