// Einsum: the equation is parsed once the input count is known (at inference); shapes bind to
// its labels in bind_einsum(), which the reference kernel and the lowering pass share.
#include "ir/ops/einsum.h"

#include <algorithm>

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

int letter_id(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= 'A' && c <= 'Z') return 26 + (c - 'A');
  return -1;
}

// "...": '.'; letters kept; anything else is an error.
Result<std::string> parse_term(const std::string& raw) {
  std::string t;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '.') {
      if (raw.compare(i, 3, "...") != 0 || t.find('.') != std::string::npos)
        return invalid_argument("bad ellipsis in einsum term '" + raw + "'");
      t += '.';
      i += 2;
    } else if (letter_id(raw[i]) >= 0) {
      t += raw[i];
    } else {
      return invalid_argument("einsum term '" + raw + "' has the character '" + std::string(1, raw[i]) + "'");
    }
  }
  return t;
}

std::string implicit_output(const std::vector<std::string>& inputs) {
  std::map<char, int> count;
  bool ellipsis = false;
  for (const auto& t : inputs)
    for (char c : t) (c == '.') ? void(ellipsis = true) : void(++count[c]);
  std::string out = ellipsis ? "." : "";
  std::string once;
  for (const auto& [c, n] : count)
    if (n == 1) once += c;
  std::sort(once.begin(), once.end(), [](char x, char y) { return letter_id(x) < letter_id(y); });
  return out + once;
}

Result<OpAttrs> parse_einsum(const AttrMap& a, int /*opset*/) {
  EinsumAttrs e;
  TANDEM_ASSIGN_OR_RETURN(e.equation, a.get_string("equation", ""));
  if (e.equation.empty()) return invalid_argument("Einsum needs an equation");
  return OpAttrs{e};  // split into terms at inference, when the input count is known
}

// Labels of one term bound to a shape of rank `rank`; ellipsis dims get their right-aligned ids.
Result<std::vector<int>> term_labels(const std::string& term, size_t rank, size_t& ellipsis_rank) {
  const size_t letters = term.size() - (term.find('.') != std::string::npos ? 1 : 0);
  const bool has_ellipsis = letters != term.size();
  if (has_ellipsis ? rank < letters : rank != letters)
    return invalid_argument("einsum term '" + term + "' does not fit rank " + std::to_string(rank));
  const size_t cover = rank - letters;
  std::vector<int> ids;
  for (char c : term) {
    if (c != '.') {
      ids.push_back(letter_id(c));
      continue;
    }
    for (size_t k = cover; k-- > 0;) ids.push_back(kEllipsisBase + int(k));
    ellipsis_rank = std::max(ellipsis_rank, cover);
  }
  return ids;
}

}  // namespace

Result<EinsumAttrs> parse_einsum_equation(const std::string& equation, size_t num_inputs) {
  EinsumAttrs e;
  e.equation = equation;
  std::string eq;
  for (char c : equation)
    if (c != ' ') eq += c;
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  size_t start = 0;
  while (true) {
    const size_t comma = lhs.find(',', start);
    TANDEM_ASSIGN_OR_RETURN(std::string t, parse_term(lhs.substr(start, comma - start)));
    e.inputs.push_back(t);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (e.inputs.size() != num_inputs)
    return invalid_argument("equation '" + equation + "' has " + std::to_string(e.inputs.size()) + " terms for " +
                            std::to_string(num_inputs) + " inputs");
  if (arrow == std::string::npos) {
    e.output = implicit_output(e.inputs);
  } else {
    TANDEM_ASSIGN_OR_RETURN(e.output, parse_term(eq.substr(arrow + 2)));
  }
  for (char c : e.output) {
    bool found = false;
    for (const auto& t : e.inputs) found |= t.find(c) != std::string::npos;
    if (!found) return invalid_argument("output label '" + std::string(1, c) + "' is in no input of '" + equation + "'");
    if (c != '.' && std::count(e.output.begin(), e.output.end(), c) != 1)
      return invalid_argument("output label '" + std::string(1, c) + "' repeats in '" + equation + "'");
  }
  return e;
}

Result<EinsumBinding> bind_einsum(const EinsumAttrs& a, const std::vector<Shape>& inputs) {
  if (inputs.size() != a.inputs.size()) return invalid_argument("einsum input count does not match the equation");
  EinsumBinding b;
  size_t ellipsis_rank = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    TANDEM_ASSIGN_OR_RETURN(auto ids, term_labels(a.inputs[i], inputs[i].size(), ellipsis_rank));
    for (size_t d = 0; d < ids.size(); ++d) {
      const int64_t n = inputs[i][d];
      auto [it, fresh] = b.size.emplace(ids[d], n);
      if (fresh || it->second == n) continue;
      // "..." dims broadcast (1 against n); a letter has one size.
      if (ids[d] >= kEllipsisBase && (it->second == 1 || n == 1)) {
        it->second = std::max(it->second, n);
        continue;
      }
      return invalid_argument("einsum label " + std::to_string(ids[d]) + " has sizes " + std::to_string(it->second) +
                              " and " + std::to_string(n));
    }
    b.input_labels.push_back(std::move(ids));
  }
  for (char c : a.output) {
    if (c != '.') {
      b.output_labels.push_back(letter_id(c));
      continue;
    }
    for (size_t k = ellipsis_rank; k-- > 0;) b.output_labels.push_back(kEllipsisBase + int(k));
  }
  for (int id : b.output_labels) b.output_shape.push_back(b.size.at(id));
  return b;
}

namespace {

Status infer_einsum(InferContext& ctx) {
  auto& e = std::get<EinsumAttrs>(ctx.attrs);
  if (ctx.inputs.empty()) return invalid_argument("Einsum needs at least one input");
  TANDEM_ASSIGN_OR_RETURN(e, parse_einsum_equation(e.equation, ctx.inputs.size()));
  std::vector<Shape> shapes;
  for (const ValueInfo* vi : ctx.inputs) {
    if (!vi) return invalid_argument("Einsum inputs cannot be absent");
    if (vi->dtype != ctx.inputs[0]->dtype) return invalid_argument("Einsum inputs have different dtypes");
    if (!vi->fully_known()) {
      ctx.outputs = {unknown_rank(ctx.inputs[0]->dtype)};
      return Status::ok();
    }
    shapes.push_back(vi->shape);
  }
  TANDEM_ASSIGN_OR_RETURN(EinsumBinding b, bind_einsum(e, shapes));
  ctx.outputs = {known_rank(ctx.inputs[0]->dtype, b.output_shape)};
  return Status::ok();
}

}  // namespace

extern const OpDef kEinsumOpDef{"Einsum", parse_einsum, infer_einsum, true};

}  // namespace tandem::ir
