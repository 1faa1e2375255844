#include "alert/expr.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace logpulse::alert {

struct Expr::Node {
  enum class Kind { kNumber, kWindow, kNegate, kAdd, kSubtract, kMultiply, kDivide };
  Kind kind = Kind::kNumber;
  double number = 0;
  std::size_t reference = 0;  // index into references_, for kWindow
  std::unique_ptr<Node> left, right;
};

namespace {

using Node = Expr::Node;

enum class TokenKind { kNumber, kName, kString, kOperator, kComparison, kEnd };

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string_view text;
  std::size_t pos = 0;
  double number = 0;
};

std::string describe(const Token& t) {
  switch (t.kind) {
    case TokenKind::kEnd: return "the end of the expression";
    case TokenKind::kNumber: return "number " + std::string(t.text);
    case TokenKind::kName: return "name " + std::string(t.text);
    case TokenKind::kString: return "string " + std::string(t.text);
    default: {
      // Built by append: `"'" + std::string(..) + "'"` trips GCC 12's false -Wrestrict.
      std::string out(1, '\'');
      out.append(t.text).push_back('\'');
      return out;
    }
  }
}

std::string join(const std::vector<std::string>& names) {
  std::string out = "[";
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out + "]";
}

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

class Parser {
 public:
  Parser(std::string_view text, const ScalarPosition& at, const std::vector<WindowShape>& windows,
         std::vector<WindowRef>& references, std::vector<std::string>& by)
      : text_(text), at_(at), windows_(windows), references_(references), by_(by) {
    advance();
  }

  void parse(Comparison& comparison, std::unique_ptr<Node>& left, std::unique_ptr<Node>& right) {
    left = parse_sum();
    if (token_.kind != TokenKind::kComparison) {
      if (token_.kind == TokenKind::kEnd) {
        fail(token_.pos, "expected a comparison (> < >= <= == !=): an alert expression compares");
      }
      fail(token_.pos, "expected an operator or a comparison but found " + describe(token_));
    }
    comparison = comparison_of(token_.text);
    advance();
    right = parse_sum();
    if (token_.kind == TokenKind::kComparison) {
      fail(token_.pos, "only one comparison is allowed in an alert expression");
    }
    if (token_.kind != TokenKind::kEnd) {
      fail(token_.pos, "expected an operator or the end of the expression but found " + describe(token_));
    }
  }

 private:
  [[noreturn]] void fail(std::size_t pos, const std::string& message) const {
    throw DefinitionError(at_, text_, pos, message);
  }

  static Comparison comparison_of(std::string_view op) {
    if (op == ">") return Comparison::kGreater;
    if (op == "<") return Comparison::kLess;
    if (op == ">=") return Comparison::kGreaterEqual;
    if (op == "<=") return Comparison::kLessEqual;
    if (op == "==") return Comparison::kEqual;
    return Comparison::kNotEqual;
  }

  void advance() {
    std::size_t i = next_;
    while (i < text_.size() && std::isspace(static_cast<unsigned char>(text_[i]))) ++i;
    token_ = Token{};
    token_.pos = i;
    if (i == text_.size()) {
      token_.kind = TokenKind::kEnd;
      next_ = i;
      return;
    }
    const char c = text_[i];
    std::size_t end = i + 1;
    if (is_digit(c) || (c == '.' && i + 1 < text_.size() && is_digit(text_[i + 1]))) {
      end = scan_number(i);
      token_.kind = TokenKind::kNumber;
      auto [stop, ec] = std::from_chars(text_.data() + i, text_.data() + end, token_.number);
      if (ec != std::errc() || stop != text_.data() + end) fail(i, "number out of range");
    } else if (is_name_start(c)) {
      while (end < text_.size() && is_name_char(text_[end])) ++end;
      token_.kind = TokenKind::kName;
    } else if (c == '"' || c == '\'') {
      while (end < text_.size() && text_[end] != c) ++end;
      if (end == text_.size()) fail(i, "unterminated string: no closing " + std::string(1, c));
      ++end;
      token_.kind = TokenKind::kString;
    } else if (c == '>' || c == '<') {
      if (end < text_.size() && text_[end] == '=') ++end;
      token_.kind = TokenKind::kComparison;
    } else if (c == '=' || c == '!') {
      if (end < text_.size() && text_[end] == '=') {
        ++end;
        token_.kind = TokenKind::kComparison;
      } else if (c == '=') {
        token_.kind = TokenKind::kOperator;  // only inside a selector
      } else {
        fail(i, "expected != but found a lone '!'");
      }
    } else if (c == '+' || c == '-' || c == '*' || c == '/' || c == '(' || c == ')' || c == '{' || c == '}') {
      token_.kind = TokenKind::kOperator;
    } else {
      fail(i, "unexpected character '" + std::string(1, c) + "'");
    }
    token_.text = text_.substr(i, end - i);
    next_ = end;
  }

  // digits [. digits] [e [+-] digits], or . digits [e ...]
  std::size_t scan_number(std::size_t i) const {
    while (i < text_.size() && is_digit(text_[i])) ++i;
    if (i < text_.size() && text_[i] == '.') {
      ++i;
      while (i < text_.size() && is_digit(text_[i])) ++i;
    }
    if (i < text_.size() && (text_[i] == 'e' || text_[i] == 'E')) {
      std::size_t j = i + 1;
      if (j < text_.size() && (text_[j] == '+' || text_[j] == '-')) ++j;
      if (j == text_.size() || !is_digit(text_[j])) fail(j, "expected the digits of an exponent");
      while (j < text_.size() && is_digit(text_[j])) ++j;
      i = j;
    }
    return i;
  }

  bool at_operator(char op) const {
    return token_.kind == TokenKind::kOperator && token_.text.size() == 1 && token_.text[0] == op;
  }

  std::unique_ptr<Node> binary(Node::Kind kind, std::unique_ptr<Node> left, std::unique_ptr<Node> right) {
    auto node = std::make_unique<Node>();
    node->kind = kind;
    node->left = std::move(left);
    node->right = std::move(right);
    return node;
  }

  std::unique_ptr<Node> parse_sum() {
    auto left = parse_product();
    while (at_operator('+') || at_operator('-')) {
      const auto kind = at_operator('+') ? Node::Kind::kAdd : Node::Kind::kSubtract;
      advance();
      left = binary(kind, std::move(left), parse_product());
    }
    return left;
  }

  std::unique_ptr<Node> parse_product() {
    auto left = parse_unary();
    while (at_operator('*') || at_operator('/')) {
      const auto kind = at_operator('*') ? Node::Kind::kMultiply : Node::Kind::kDivide;
      advance();
      left = binary(kind, std::move(left), parse_unary());
    }
    return left;
  }

  std::unique_ptr<Node> parse_unary() {
    // Bounded so that a pathological expression cannot exhaust the stack.
    if (++depth_ > kMaxDepth) fail(token_.pos, "expression nested too deeply");
    struct Leave {
      int& depth;
      ~Leave() { --depth; }
    } leave{depth_};
    if (at_operator('-')) {
      advance();
      auto node = std::make_unique<Node>();
      node->kind = Node::Kind::kNegate;
      node->left = parse_unary();
      return node;
    }
    if (at_operator('+')) {
      advance();
      return parse_unary();
    }
    return parse_primary();
  }

  std::unique_ptr<Node> parse_primary() {
    if (token_.kind == TokenKind::kNumber) {
      auto node = std::make_unique<Node>();
      node->number = token_.number;
      advance();
      return node;
    }
    if (token_.kind == TokenKind::kName) return parse_window();
    if (at_operator('(')) {
      advance();
      auto inner = parse_sum();
      if (token_.kind == TokenKind::kComparison) {
        fail(token_.pos, "a comparison is only allowed at the top of an alert expression, not inside parentheses");
      }
      if (!at_operator(')')) fail(token_.pos, "expected ')' but found " + describe(token_));
      advance();
      return inner;
    }
    fail(token_.pos, "expected a number, a window name, '-' or '(' but found " + describe(token_));
  }

  std::unique_ptr<Node> parse_window() {
    const Token name = token_;
    advance();
    auto shape =
        std::find_if(windows_.begin(), windows_.end(), [&](const WindowShape& w) { return w.name == name.text; });
    if (shape == windows_.end()) fail(name.pos, "unknown window " + std::string(name.text));
    WindowRef ref{shape->name, std::nullopt};
    if (at_operator('{')) {
      const std::size_t brace = token_.pos;
      ref.quantile = parse_selector();
      if (shape->quantiles.empty()) {
        fail(brace, "window " + shape->name + " is not a quantile window: it takes no {quantile=...} selector");
      }
      if (std::find(shape->quantiles.begin(), shape->quantiles.end(), *ref.quantile) == shape->quantiles.end()) {
        fail(brace, "window " + shape->name + " has no quantile " + std::to_string(*ref.quantile) + ": it computes " +
                        quantile_list(*shape));
      }
    } else if (!shape->quantiles.empty()) {
      fail(name.pos, "window " + shape->name + " is a quantile window: name one of its quantiles " +
                         quantile_list(*shape) + " as " + shape->name + "{quantile=\"" +
                         format_quantile(shape->quantiles.front()) + "\"}");
    }
    check_by(*shape, name.pos);
    auto node = std::make_unique<Node>();
    node->kind = Node::Kind::kWindow;
    auto known = std::find(references_.begin(), references_.end(), ref);
    node->reference = static_cast<std::size_t>(known - references_.begin());
    if (known == references_.end()) references_.push_back(std::move(ref));
    return node;
  }

  // {quantile="0.99"}
  double parse_selector() {
    advance();
    if (token_.kind != TokenKind::kName || token_.text != "quantile") {
      fail(token_.pos, "expected quantile in a window selector but found " + describe(token_));
    }
    advance();
    if (!at_operator('=')) fail(token_.pos, "expected '=' but found " + describe(token_));
    advance();
    if (token_.kind != TokenKind::kString) fail(token_.pos, "expected a quoted quantile but found " + describe(token_));
    const std::string_view body = token_.text.substr(1, token_.text.size() - 2);
    double q = 0;
    auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), q);
    if (ec != std::errc() || end != body.data() + body.size() || body.empty()) {
      fail(token_.pos + 1, "expected a number between 0 and 1 as the quantile");
    }
    advance();
    if (!at_operator('}')) fail(token_.pos, "expected '}' but found " + describe(token_));
    advance();
    return q;
  }

  static std::string format_quantile(double q) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, q);
    (void)ec;
    return std::string(buf, end);
  }

  static std::string quantile_list(const WindowShape& shape) {
    std::vector<std::string> qs;
    for (double q : shape.quantiles) qs.push_back(format_quantile(q));
    return join(qs);
  }

  void check_by(const WindowShape& shape, std::size_t pos) {
    std::vector<std::string> by = shape.by;
    std::sort(by.begin(), by.end());
    if (first_window_.empty()) {
      first_window_ = shape.name;
      first_by_original_ = shape.by;
      by_ = std::move(by);
      return;
    }
    if (by != by_) {
      fail(pos, "window " + shape.name + " is grouped by " + join(shape.by) + " but window " + first_window_ + " by " +
                    join(first_by_original_) + ": windows in one expression must share their `by` labels");
    }
  }

  std::string_view text_;
  const ScalarPosition& at_;
  const std::vector<WindowShape>& windows_;
  std::vector<WindowRef>& references_;
  std::vector<std::string>& by_;
  std::string first_window_;
  std::vector<std::string> first_by_original_;
  static constexpr int kMaxDepth = 200;
  Token token_;
  std::size_t next_ = 0;
  int depth_ = 0;
};

// An operand during evaluation: a plain number, or samples keyed by label set (a window's
// are borrowed, not copied). A number that has no value (a division by zero) is an empty
// vector, so it yields no sample.
struct Operand {
  bool scalar = false;
  double number = 0;
  Vector owned;
  const Vector* borrowed = nullptr;
  const Vector& samples() const { return borrowed ? *borrowed : owned; }
};

// False when the operation has no result (division by zero).
bool apply(Node::Kind kind, double a, double b, double& out) {
  switch (kind) {
    case Node::Kind::kAdd: out = a + b; return true;
    case Node::Kind::kSubtract: out = a - b; return true;
    case Node::Kind::kMultiply: out = a * b; return true;
    case Node::Kind::kDivide:
      if (b == 0) return false;
      out = a / b;
      return true;
    default: return false;
  }
}

bool holds(Comparison c, double a, double b) {
  switch (c) {
    case Comparison::kGreater: return a > b;
    case Comparison::kLess: return a < b;
    case Comparison::kGreaterEqual: return a >= b;
    case Comparison::kLessEqual: return a <= b;
    case Comparison::kEqual: return a == b;
    case Comparison::kNotEqual: return a != b;
  }
  return false;
}

// Calls emit(labels, a, b) for each matched pair: every sample against a number, or samples
// with equal label sets.
template <typename Emit>
void match(const Operand& left, const Operand& right, Emit emit) {
  if (left.scalar && right.scalar) {
    emit(Labels{}, left.number, right.number);
  } else if (left.scalar) {
    for (const auto& [labels, v] : right.samples()) emit(labels, left.number, v);
  } else if (right.scalar) {
    for (const auto& [labels, v] : left.samples()) emit(labels, v, right.number);
  } else {
    const Vector& ls = left.samples();
    const Vector& rs = right.samples();
    auto l = ls.begin();
    auto r = rs.begin();
    while (l != ls.end() && r != rs.end()) {
      if (l->first < r->first) {
        ++l;
      } else if (r->first < l->first) {
        ++r;
      } else {
        emit(l->first, l->second, r->second);
        ++l;
        ++r;
      }
    }
  }
}

Operand evaluate_node(const Node& node, const std::vector<const Vector*>& inputs) {
  Operand out;
  switch (node.kind) {
    case Node::Kind::kNumber:
      out.scalar = true;
      out.number = node.number;
      return out;
    case Node::Kind::kWindow: out.borrowed = inputs[node.reference]; return out;
    case Node::Kind::kNegate: {
      Operand inner = evaluate_node(*node.left, inputs);
      out.scalar = inner.scalar;
      out.number = -inner.number;
      for (const auto& [labels, v] : inner.samples()) out.owned.emplace_hint(out.owned.end(), labels, -v);
      return out;
    }
    default: break;
  }
  const Operand left = evaluate_node(*node.left, inputs);
  const Operand right = evaluate_node(*node.right, inputs);
  if (left.scalar && right.scalar) {
    double v = 0;
    if (apply(node.kind, left.number, right.number, v)) {
      out.scalar = true;
      out.number = v;
    }
    return out;
  }
  match(left, right, [&](const Labels& labels, double a, double b) {
    double v = 0;
    if (apply(node.kind, a, b, v)) out.owned.emplace_hint(out.owned.end(), labels, v);
  });
  return out;
}

}  // namespace

Expr::Expr() = default;
Expr::Expr(Expr&&) noexcept = default;
Expr& Expr::operator=(Expr&&) noexcept = default;
Expr::~Expr() = default;

Expr Expr::parse(std::string_view text, const ScalarPosition& at, const std::vector<WindowShape>& windows) {
  Expr e;
  e.text_ = std::string(text);
  Parser parser(e.text_, at, windows, e.references_, e.by_);
  parser.parse(e.comparison_, e.left_, e.right_);
  return e;
}

Vector Expr::evaluate(const WindowLookup& lookup) const {
  std::vector<const Vector*> inputs;
  inputs.reserve(references_.size());
  for (const auto& ref : references_) inputs.push_back(lookup ? lookup(ref) : nullptr);
  const Operand left = evaluate_node(*left_, inputs);
  const Operand right = evaluate_node(*right_, inputs);
  // PromQL keeps the vector's value when a number is compared with a vector.
  const bool keep_right = left.scalar && !right.scalar;
  Vector out;
  match(left, right, [&](const Labels& labels, double a, double b) {
    if (holds(comparison_, a, b)) out.emplace_hint(out.end(), labels, keep_right ? b : a);
  });
  return out;
}

}  // namespace logpulse::alert
