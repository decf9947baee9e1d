#include "ir/attr_map.h"

namespace tandem::ir {
namespace {

template <typename T>
Result<T> get_typed(const std::map<std::string, AttrValue>& m, const std::string& name, const T& def,
                    const char* want) {
  auto it = m.find(name);
  if (it == m.end()) return def;
  if (const T* v = std::get_if<T>(&it->second)) return *v;
  return invalid_argument("attribute '" + name + "' must be " + want);
}

}  // namespace

Result<int64_t> AttrMap::get_int(const std::string& name, int64_t def) const {
  return get_typed<int64_t>(attrs_, name, def, "an int");
}
Result<float> AttrMap::get_float(const std::string& name, float def) const {
  auto it = attrs_.find(name);
  if (it != attrs_.end())
    if (const int64_t* i = std::get_if<int64_t>(&it->second)) return static_cast<float>(*i);
  return get_typed<float>(attrs_, name, def, "a float");
}
Result<std::string> AttrMap::get_string(const std::string& name, const std::string& def) const {
  return get_typed<std::string>(attrs_, name, def, "a string");
}
Result<std::vector<int64_t>> AttrMap::get_ints(const std::string& name, const std::vector<int64_t>& def) const {
  return get_typed<std::vector<int64_t>>(attrs_, name, def, "a list of ints");
}
Result<std::vector<float>> AttrMap::get_floats(const std::string& name, const std::vector<float>& def) const {
  return get_typed<std::vector<float>>(attrs_, name, def, "a list of floats");
}
Result<Tensor> AttrMap::get_tensor(const std::string& name) const {
  auto it = attrs_.find(name);
  if (it == attrs_.end()) return not_found("attribute '" + name + "' is missing");
  if (const Tensor* t = std::get_if<Tensor>(&it->second)) return *t;
  return invalid_argument("attribute '" + name + "' must be a tensor");
}

}  // namespace tandem::ir
