// AttrMap: an op's attributes as the model file gave them, before typing.
// The ONNX importer fills it; each op's parse function turns it into its typed struct.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "tandem/tensor.h"

namespace tandem::ir {

using AttrValue = std::variant<int64_t, float, std::string, std::vector<int64_t>, std::vector<float>,
                               std::vector<std::string>, Tensor>;

class AttrMap {
 public:
  void set(const std::string& name, AttrValue v) { attrs_[name] = std::move(v); }
  bool has(const std::string& name) const { return attrs_.count(name) != 0; }
  const std::map<std::string, AttrValue>& all() const { return attrs_; }

  // Typed getters: the default when absent; an error when present with another type.
  Result<int64_t> get_int(const std::string& name, int64_t def) const;
  Result<float> get_float(const std::string& name, float def) const;
  Result<std::string> get_string(const std::string& name, const std::string& def) const;
  Result<std::vector<int64_t>> get_ints(const std::string& name, const std::vector<int64_t>& def) const;
  Result<std::vector<float>> get_floats(const std::string& name, const std::vector<float>& def) const;
  Result<Tensor> get_tensor(const std::string& name) const;

 private:
  std::map<std::string, AttrValue> attrs_;
};

}  // namespace tandem::ir
