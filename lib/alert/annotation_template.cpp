#include "alert/annotation_template.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <optional>

#include "alert/value_format.h"

namespace logpulse::alert {
namespace {

// One word of an action: a quoted string (its body in `text`), '|', or a bare word.
struct Word {
  enum class Kind { kString, kPipe, kBare } kind = Kind::kBare;
  std::string text;
  std::size_t pos = 0;  // index in the template text
};

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class ActionParser {
 public:
  ActionParser(std::string_view text, const ScalarPosition& at) : text_(text), at_(at) {}

  [[noreturn]] void fail(std::size_t pos, const std::string& message) const {
    throw DefinitionError(at_, text_, pos, message);
  }

  std::vector<Word> split(std::size_t begin, std::size_t end) const {
    std::vector<Word> words;
    std::size_t i = begin;
    while (i < end) {
      const char c = text_[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
      } else if (c == '|') {
        words.push_back({Word::Kind::kPipe, "|", i});
        ++i;
      } else if (c == '"' || c == '`') {
        Word w{Word::Kind::kString, "", i};
        std::size_t j = i + 1;
        for (; j < end && text_[j] != c; ++j) {
          if (c == '"' && text_[j] == '\\' && j + 1 < end) {
            ++j;
            const char e = text_[j];
            w.text += e == 'n' ? '\n' : e == 't' ? '\t' : e;
          } else {
            w.text += text_[j];
          }
        }
        if (j >= end) fail(i, "unterminated string in template action");
        words.push_back(std::move(w));
        i = j + 1;
      } else {
        Word w{Word::Kind::kBare, "", i};
        std::size_t j = i;
        while (j < end && !std::isspace(static_cast<unsigned char>(text_[j])) && text_[j] != '|' && text_[j] != '"' &&
               text_[j] != '`') {
          ++j;
        }
        w.text = std::string(text_.substr(i, j - i));
        words.push_back(std::move(w));
        i = j;
      }
    }
    return words;
  }

  // Splits a printf format around its one double conversion (f e g v, with flags, width
  // and precision), %% unescaped in the text around it.
  struct Format {
    std::string before, conversion, after;  // conversion empty: Go's shortest %v
  };
  Format printf_format(const Word& w) const {
    const std::string& f = w.text;
    Format out;
    int conversions = 0;
    for (std::size_t i = 0; i < f.size(); ++i) {
      std::string& text = conversions ? out.after : out.before;
      if (f[i] != '%') {
        text += f[i];
        continue;
      }
      if (i + 1 < f.size() && f[i + 1] == '%') {
        text += '%';
        ++i;
        continue;
      }
      std::size_t j = i + 1;
      while (j < f.size() && std::string_view("+- #0").find(f[j]) != std::string_view::npos) ++j;
      while (j < f.size() && std::isdigit(static_cast<unsigned char>(f[j]))) ++j;
      if (j < f.size() && f[j] == '.') {
        ++j;
        while (j < f.size() && std::isdigit(static_cast<unsigned char>(f[j]))) ++j;
      }
      if (j == f.size() || std::string_view("fegvFEG").find(f[j]) == std::string_view::npos) {
        fail(w.pos, "printf format \"" + f + "\": a number takes one of the verbs %f %e %g %v");
      }
      ++conversions;
      if (j != i + 1 || (f[j] != 'v' && f[j] != 'g')) {
        out.conversion = f.substr(i, j - i);
        out.conversion += f[j] == 'v' ? 'g' : f[j];
      }
      i = j;
    }
    if (conversions != 1) fail(w.pos, "printf format \"" + f + "\" must format the value exactly once");
    return out;
  }

 private:
  std::string_view text_;
  const ScalarPosition& at_;
};

// $value / .Value: nullopt label; $labels.NAME / .Labels.NAME: the name.
std::optional<std::optional<std::string>> operand_of(const Word& w) {
  if (w.kind != Word::Kind::kBare) return std::nullopt;
  if (w.text == "$value" || w.text == ".Value") return std::optional<std::string>{};
  for (std::string_view prefix : {"$labels.", ".Labels."}) {
    if (w.text.starts_with(prefix) && w.text.size() > prefix.size()) {
      std::string name = w.text.substr(prefix.size());
      bool ok = !std::isdigit(static_cast<unsigned char>(name[0]));
      for (char c : name) ok = ok && is_name_char(c);
      if (ok) return std::optional<std::string>{name};
    }
  }
  return std::nullopt;
}

}  // namespace

AnnotationTemplate AnnotationTemplate::parse(std::string_view text, const ScalarPosition& at) {
  AnnotationTemplate t;
  t.text_ = std::string(text);
  const std::string_view src = t.text_;
  ActionParser parser(src, at);
  std::size_t i = 0;
  while (i < src.size()) {
    const std::size_t open = src.find("{{", i);
    if (open != i) {
      const std::size_t end = open == std::string_view::npos ? src.size() : open;
      t.pieces_.push_back({Kind::kText, std::string(src.substr(i, end - i)), "", ""});
      if (open == std::string_view::npos) break;
    }
    const std::size_t close = src.find("}}", open + 2);
    if (close == std::string_view::npos) parser.fail(open, "unclosed {{ in template: no matching }}");
    if (src[open + 2] == '-' || src[close - 1] == '-') {
      parser.fail(src[open + 2] == '-' ? open + 2 : close - 1, "whitespace trimming {{- -}} is not supported");
    }
    const std::vector<Word> words = parser.split(open + 2, close);
    if (words.empty()) parser.fail(open, "empty template action {{ }}");

    // Either OPERAND [| printf "FMT"] or printf "FMT" OPERAND.
    Piece piece;
    std::optional<std::optional<std::string>> operand;
    std::size_t operand_pos = 0;
    const Word* format_word = nullptr;
    std::size_t w = 0;
    if (words[0].kind == Word::Kind::kBare && words[0].text == "printf") {
      if (words.size() < 2 || words[1].kind != Word::Kind::kString) {
        parser.fail(words.size() < 2 ? close : words[1].pos, "printf takes a quoted format first");
      }
      format_word = &words[1];
      if (words.size() < 3) parser.fail(close, "printf needs a value: printf \"FMT\" $value");
      operand = operand_of(words[2]);
      operand_pos = words[2].pos;
      if (!operand)
        parser.fail(words[2].pos, "unknown template value " + words[2].text + ": expected $value or $labels.NAME");
      w = 3;
    } else {
      operand = operand_of(words[0]);
      operand_pos = words[0].pos;
      if (!operand) {
        const std::string& bad = words[0].text;
        if (bad.starts_with("$") || bad.starts_with(".")) {
          parser.fail(words[0].pos, "unknown template value " + bad + ": expected $value or $labels.NAME");
        }
        parser.fail(words[0].pos, "unknown template function " + bad + ": only printf is supported");
      }
      w = 1;
      if (w < words.size() && words[w].kind == Word::Kind::kPipe) {
        if (w + 1 >= words.size()) parser.fail(words[w].pos, "expected a function after |");
        const Word& fn = words[w + 1];
        if (fn.kind != Word::Kind::kBare || fn.text != "printf") {
          parser.fail(fn.pos, "unknown template function " + fn.text + ": only printf is supported");
        }
        if (w + 2 >= words.size() || words[w + 2].kind != Word::Kind::kString) {
          parser.fail(w + 2 < words.size() ? words[w + 2].pos : close, "printf takes a quoted format");
        }
        format_word = &words[w + 2];
        w += 3;
      }
    }
    if (w < words.size()) parser.fail(words[w].pos, "unexpected " + words[w].text + " in template action");
    if (operand->has_value()) {
      if (format_word) parser.fail(operand_pos, "printf formats $value only, not a label");
      piece.kind = Kind::kLabel;
      piece.text = **operand;
    } else {
      piece.kind = Kind::kValue;
      if (format_word) {
        auto format = parser.printf_format(*format_word);
        piece.text = std::move(format.before);
        piece.conversion = std::move(format.conversion);
        piece.after = std::move(format.after);
      }
    }
    t.pieces_.push_back(std::move(piece));
    i = close + 2;
  }
  return t;
}

std::string AnnotationTemplate::render(const Labels& labels, double value) const {
  std::string out;
  for (const Piece& p : pieces_) {
    switch (p.kind) {
      case Kind::kText: out += p.text; break;
      case Kind::kLabel:
        if (const std::string* v = find_label(labels, p.text)) out += *v;
        break;
      case Kind::kValue:
        out += p.text;
        if (p.conversion.empty() || !std::isfinite(value)) {
          out += format_value_template(value);
        } else {
          char buf[512];
          const int n = std::snprintf(buf, sizeof buf, p.conversion.c_str(), value);
          if (n > 0) out.append(buf, std::min<std::size_t>(static_cast<std::size_t>(n), sizeof buf - 1));
        }
        out += p.after;
        break;
    }
  }
  return out;
}

}  // namespace logpulse::alert
