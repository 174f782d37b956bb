//===- Parser.cpp - .attn lexer and recursive-descent parser --------------===//
//
// This file implements the tokenizer and the parser of the .attn language
// (grammar in docs/language.md). Statements end at a newline, except inside
// parentheses or brackets. The parser stops at the first syntax error: a
// single precise message is worth more than a cascade.
//
//===----------------------------------------------------------------------===//

#include "lib/Spec/Parser.h"

#include "lib/Spec/GridForms.h"
#include "lib/Spec/Names.h"
#include "lib/Spec/Suggest.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

namespace attnc::spec {
namespace {

enum class Tok { Ident, Int, Float, Punct, Newline, Eof, Error };

struct Token {
  Tok kind;
  std::string text;
  SourceLoc loc;
  int64_t intValue = 0;
  double floatValue = 0;
  /// Byte offsets of the token's text in the source: a `require` keeps the
  /// condition as written for its error message.
  size_t begin = 0, end = 0;
};

/// Splits the text into tokens; newlines are tokens unless nested in ( ).
class Lexer {
public:
  explicit Lexer(std::string_view text) : text(text) {}

  std::string_view source() const { return text; }

  Token next() {
    for (;;) {
      skipBlanksAndComments();
      start = pos;
      if (pos >= text.size())
        return make(Tok::Eof, "", here());
      char c = text[pos];
      if (c == '\n') {
        SourceLoc loc = here();
        advance();
        if (depth > 0)
          continue;
        return make(Tok::Newline, "\\n", loc);
      }
      break;
    }
    SourceLoc loc = here();
    char c = text[pos];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t start = pos;
      while (pos < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[pos])) ||
              text[pos] == '_'))
        advance();
      return make(Tok::Ident, std::string(text.substr(start, pos - start)),
                  loc);
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && pos + 1 < text.size() &&
         std::isdigit(static_cast<unsigned char>(text[pos + 1]))))
      return lexNumber(loc);
    static const char *const twoChar[] = {"&&", "||", "==", "!=", "<=", ">="};
    for (const char *p : twoChar) {
      if (text.substr(pos, 2) == p) {
        advance();
        advance();
        return make(Tok::Punct, p, loc);
      }
    }
    // strchr also "finds" the terminating NUL: a NUL byte is not a token.
    if (c != '\0' && std::strchr("{}()[],:=+-*/%<>!?.", c)) {
      if (c == '(' || c == '[')
        ++depth;
      else if ((c == ')' || c == ']') && depth > 0)
        --depth;
      advance();
      return make(Tok::Punct, std::string(1, c), loc);
    }
    advance();
    std::string shown = std::isprint(static_cast<unsigned char>(c))
                            ? std::string(1, c)
                            : "\\x" + hex(static_cast<unsigned char>(c));
    return make(Tok::Error, "unexpected character '" + shown + "'", loc);
  }

private:
  static std::string hex(unsigned v) {
    const char *digits = "0123456789abcdef";
    return {digits[(v >> 4) & 15], digits[v & 15]};
  }

  SourceLoc here() const { return {line, col}; }

  void advance() {
    if (text[pos] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
    ++pos;
  }

  void skipBlanksAndComments() {
    while (pos < text.size()) {
      char c = text[pos];
      if (c == ' ' || c == '\t' || c == '\r') {
        advance();
      } else if (c == '#') {
        while (pos < text.size() && text[pos] != '\n')
          advance();
      } else {
        return;
      }
    }
  }

  Token lexNumber(SourceLoc loc) {
    size_t start = pos;
    bool isFloat = false;
    while (pos < text.size() &&
           std::isdigit(static_cast<unsigned char>(text[pos])))
      advance();
    if (pos < text.size() && text[pos] == '.') {
      isFloat = true;
      advance();
      while (pos < text.size() &&
             std::isdigit(static_cast<unsigned char>(text[pos])))
        advance();
    }
    if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
      size_t save = pos;
      unsigned saveLine = line, saveCol = col;
      advance();
      if (pos < text.size() && (text[pos] == '+' || text[pos] == '-'))
        advance();
      if (pos < text.size() &&
          std::isdigit(static_cast<unsigned char>(text[pos]))) {
        isFloat = true;
        while (pos < text.size() &&
               std::isdigit(static_cast<unsigned char>(text[pos])))
          advance();
      } else {
        pos = save;
        line = saveLine;
        col = saveCol;
      }
    }
    if (pos < text.size() &&
        (std::isalpha(static_cast<unsigned char>(text[pos])) ||
         text[pos] == '_')) {
      // Show the whole word (`64abc`, not `64`): that is what the user wrote.
      while (pos < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[pos])) ||
              text[pos] == '_' || text[pos] == '.'))
        advance();
      return make(Tok::Error,
                  "malformed number '" +
                      std::string(text.substr(start, pos - start)) + "'",
                  loc);
    }
    std::string spelling(text.substr(start, pos - start));
    Token tok = make(isFloat ? Tok::Float : Tok::Int, spelling, loc);
    errno = 0;
    if (isFloat) {
      tok.floatValue = std::strtod(spelling.c_str(), nullptr);
      if (errno == ERANGE)
        return make(Tok::Error, "number '" + spelling + "' is out of range",
                    loc);
    } else {
      tok.intValue = std::strtoll(spelling.c_str(), nullptr, 10);
      if (errno == ERANGE)
        return make(Tok::Error,
                    "integer '" + spelling + "' does not fit in 64 bits", loc);
    }
    return tok;
  }

  Token make(Tok kind, std::string text, SourceLoc loc) const {
    Token t;
    t.kind = kind;
    t.text = std::move(text);
    t.loc = loc;
    t.begin = start;
    t.end = pos;
    return t;
  }

  std::string_view text;
  size_t pos = 0;
  size_t start = 0; ///< where the token being lexed begins
  unsigned line = 1, col = 1;
  int depth = 0;
};

/// A let's parsed body, the depth of its tree and its index in
/// AttentionSpec::lets.
struct LetBinding {
  ExprPtr body;
  unsigned depth = 0;
  size_t index = 0;
};

/// Recursive-descent parser over the token stream, one token of lookahead.
class Parser {
public:
  Parser(std::string_view text, std::vector<Diagnostic> &diags)
      : lexer(text), diags(diags) {
    tok = lexer.next();
  }

  bool parseFile(SpecFile &out) {
    skipNewlines();
    while (tok.kind != Tok::Eof) {
      if (!isIdent("attention"))
        return error(tok.loc, "expected 'attention', found " + describe(tok) +
                                  (tok.kind == Tok::Ident
                                       ? didYouMean(tok.text, {"attention"})
                                       : ""));
      AttentionSpec spec;
      if (!parseAttention(spec))
        return false;
      out.attentions.push_back(std::move(spec));
      skipNewlines();
    }
    if (out.attentions.empty())
      return error(tok.loc, "expected at least one 'attention' block");
    return true;
  }

private:
  // --- token helpers -----------------------------------------------------

  void consume() {
    lastEnd = tok.end;
    tok = lexer.next();
  }
  bool isIdent(const char *word) const {
    return tok.kind == Tok::Ident && tok.text == word;
  }
  bool isPunct(const char *p) const {
    return tok.kind == Tok::Punct && tok.text == p;
  }
  void skipNewlines() {
    while (tok.kind == Tok::Newline)
      consume();
  }

  static std::string describe(const Token &t) {
    switch (t.kind) {
    case Tok::Eof:
      return "end of file";
    case Tok::Newline:
      return "end of line";
    case Tok::Ident:
      return "'" + t.text + "'";
    default:
      return "'" + t.text + "'";
    }
  }

  bool error(SourceLoc loc, std::string message) {
    if (tok.kind == Tok::Error) {
      // A lexical error explains itself better than what we expected.
      diags.push_back({tok.loc, tok.text});
    } else {
      diags.push_back({loc, std::move(message)});
    }
    return false;
  }

  /// "; did you mean 'w'?" when the current token is a word close to one
  /// of `words`.
  std::string hint(const std::vector<std::string> &words) const {
    return tok.kind == Tok::Ident ? didYouMean(tok.text, words) : "";
  }

  /// An error with a second location: where a bracket was opened, where a
  /// closing one was expected.
  bool errorWithNote(SourceLoc loc, std::string message, SourceLoc noteLoc,
                     std::string note) {
    if (tok.kind == Tok::Error)
      return error(loc, message);
    diags.push_back({loc, std::move(message), {{noteLoc, std::move(note)}}});
    return false;
  }

  bool expectPunct(const char *p, const char *context) {
    if (!isPunct(p))
      return error(tok.loc, std::string("expected '") + p + "' " + context +
                                ", found " + describe(tok));
    consume();
    return true;
  }

  bool expectIdent(std::string &out, SourceLoc &loc, const char *what) {
    if (tok.kind != Tok::Ident)
      return error(tok.loc,
                   std::string("expected ") + what + ", found " + describe(tok));
    out = tok.text;
    loc = tok.loc;
    consume();
    return true;
  }

  bool expectInt(int64_t &out, const char *what) {
    if (tok.kind != Tok::Int)
      return error(tok.loc, std::string("expected an integer for '") + what +
                                "', found " + describe(tok));
    out = tok.intValue;
    consume();
    return true;
  }

  bool expectEndOfStatement() {
    if (tok.kind == Tok::Newline) {
      consume();
      return true;
    }
    if (isPunct("}") || tok.kind == Tok::Eof)
      return true;
    return error(tok.loc, "expected end of line, found " + describe(tok));
  }

  // --- statements ----------------------------------------------------------

  bool parseAttention(AttentionSpec &spec) {
    spec.loc = tok.loc;
    lets.clear();
    expandedNodes = 0;
    currentSpec = &spec;
    consume(); // 'attention'
    SourceLoc nameLoc;
    if (!expectIdent(spec.name, nameLoc, "a name after 'attention'"))
      return false;
    if (!expectPunct("{", "to open the attention block"))
      return false;
    for (;;) {
      skipNewlines();
      if (isPunct("}")) {
        consume();
        return true;
      }
      if (tok.kind == Tok::Eof)
        return error(tok.loc, "expected '}' to close attention '" + spec.name +
                                  "', found end of file");
      if (!parseStatement(spec) || !expectEndOfStatement())
        return false;
    }
  }

  /// Rejects a second occurrence of a statement: silently keeping the last
  /// one would hide a typo.
  bool checkNotSet(bool set, SourceLoc loc, const std::string &word) {
    if (set)
      return error(loc, "'" + word + "' is given twice");
    return true;
  }

  bool parseIntStatement(Located<int64_t> &field, const std::string &word,
                         SourceLoc loc) {
    if (!checkNotSet(field.has(), loc, word))
      return false;
    int64_t value;
    if (!expectInt(value, word.c_str()))
      return false;
    field.value = value;
    field.loc = loc;
    return true;
  }

  /// `chunk C [sequential | parallel]`: the chunk length and optionally the
  /// kernel form, forced over the compiler's choice by shape.
  bool parseChunk(AttentionSpec &spec, SourceLoc loc) {
    if (!parseIntStatement(spec.chunk, "chunk", loc))
      return false;
    if (tok.kind != Tok::Ident)
      return true;
    if (!isIdent("sequential") && !isIdent("parallel"))
      return error(tok.loc, "expected 'sequential' or 'parallel' after the "
                            "chunk length, found " +
                                describe(tok) +
                                hint({"sequential", "parallel"}));
    spec.chunkForm =
        isIdent("parallel") ? ChunkForm::Parallel : ChunkForm::Sequential;
    spec.chunkFormLoc = tok.loc;
    consume();
    return true;
  }

  bool parseStatement(AttentionSpec &spec) {
    if (tok.kind == Tok::Punct && precedence(tok.text) >= 0)
      return error(tok.loc, "expected a statement, found " + describe(tok) +
                                "; to continue an expression on the next "
                                "line, end this line with the operator "
                                "instead");
    if (tok.kind != Tok::Ident)
      return error(tok.loc, "expected a statement, found " + describe(tok));
    std::string word = tok.text;
    SourceLoc loc = tok.loc;
    consume();
    if (word == "heads")
      return parseIntStatement(spec.heads, word, loc);
    if (word == "kv_heads")
      return parseIntStatement(spec.kvHeads, word, loc);
    if (word == "head_dim")
      return parseIntStatement(spec.headDim, word, loc);
    if (word == "value_dim")
      return parseIntStatement(spec.valueDim, word, loc);
    if (word == "chunk")
      return parseChunk(spec, loc);
    if (word == "dtype")
      return parseDtype(spec, loc);
    if (word == "scale")
      return parseScale(spec, loc);
    if (word == "param")
      return parseParam(spec, loc);
    if (word == "let")
      return parseLet(spec, loc);
    if (word == "require")
      return parseRequire(spec, loc);
    if (word == "grid")
      return parseGrid(spec, loc);
    if (word == "mask")
      return parseExprStatement(spec.mask, word, loc);
    if (word == "score")
      return parseExprStatement(spec.score, word, loc);
    if (word == "decay")
      return parseExprStatement(spec.decay, word, loc);
    if (word == "select")
      return parseSelect(spec, loc);
    if (word == "keep")
      return parseExprStatement(spec.keep, word, loc);
    if (word == "normalize")
      return parseNormalize(spec, loc);
    if (word == "tile")
      return parseTile(spec, loc);
    if (word == "linear") {
      if (!checkNotSet(spec.linear, loc, word))
        return false;
      spec.linear = true;
      spec.linearLoc = loc;
      return true;
    }
    if (word == "permute") {
      if (!checkNotSet(spec.permute, loc, word))
        return false;
      spec.permute = true;
      spec.permuteLoc = loc;
      return true;
    }
    if (word == "bidirectional") {
      if (!checkNotSet(spec.bidirectional, loc, word))
        return false;
      spec.bidirectional = true;
      spec.bidirectionalLoc = loc;
      return true;
    }
    if (word == "feature")
      return parseFeature(spec.feature, loc, word);
    if (word == "hybrid")
      return parseFeature(spec.hybrid, loc, word);
    if (word == "complement")
      return parseExprStatement(spec.complement, word, loc);
    if (word == "combine")
      return parseCombine(spec, loc);
    if (word == "update")
      return parseUpdate(spec, loc);
    std::string hint = didYouMean(word, statementKeywords());
    if (hint.empty()) {
      hint = "; expected one of";
      const char *sep = " ";
      for (const std::string &keyword : statementKeywords()) {
        hint += sep + keyword;
        sep = ", ";
      }
    }
    return error(loc, "unknown statement '" + word + "'" + hint);
  }

  /// `let NAME = expr`: binds NAME for the rest of the block. Each later use
  /// of NAME (as a plain identifier) is replaced by a copy of the
  /// expression, so the body is type-checked in the clause that uses it.
  bool parseLet(AttentionSpec &spec, SourceLoc) {
    LetDecl decl;
    if (!expectIdent(decl.name, decl.loc, "a name after 'let'"))
      return false;
    if (isReservedExpressionName(decl.name))
      return error(decl.loc, "'" + decl.name +
                                 "' is a variable or function of the "
                                 "language; choose another name for the let");
    if (decl.name == "attention" ||
        std::find(statementKeywords().begin(), statementKeywords().end(),
                  decl.name) != statementKeywords().end())
      return error(decl.loc, "'" + decl.name +
                                 "' is a keyword; choose another name for "
                                 "the let");
    if (isTensorName(decl.name))
      return error(decl.loc, "'" + decl.name +
                                 "' is the name of a run-time tensor; "
                                 "choose another name for the let");
    if (auto it = lets.find(decl.name); it != lets.end())
      return errorWithNote(decl.loc, "'" + decl.name + "' is bound twice",
                           spec.lets[it->second.index].loc,
                           "first bound here");
    if (!expectPunct("=", "after the let's name"))
      return false;
    ExprPtr body = parseExpr();
    if (!body)
      return false;
    lets[decl.name] = {std::move(body), depth, spec.lets.size()};
    spec.lets.push_back(std::move(decl));
    return true;
  }

  /// `grid y = 16, x = 16`: the token grid, 1 to 3 named axes with constant
  /// sizes; it implies the requirement Nq == Nk == its token count.
  bool parseGrid(AttentionSpec &spec, SourceLoc loc) {
    if (!spec.grid.empty())
      return errorWithNote(loc, "'grid' is declared twice", spec.gridLoc,
                           "first declared here");
    std::vector<GridAxis> grid;
    for (;;) {
      GridAxis axis;
      if (!expectIdent(axis.name, axis.loc, "an axis name in 'grid'"))
        return false;
      if (findGridAxis(grid, axis.name))
        return error(axis.loc, "grid axis '" + axis.name + "' is declared "
                                                           "twice");
      if (!expectPunct("=", ("after grid axis '" + axis.name + "'").c_str()))
        return false;
      SourceLoc sizeLoc = tok.loc;
      if (!expectInt(axis.size, ("grid axis " + axis.name).c_str()))
        return false;
      if (axis.size < 1)
        return error(sizeLoc, "expected a positive size for grid axis '" +
                                  axis.name + "', got " +
                                  std::to_string(axis.size));
      grid.push_back(std::move(axis));
      if (grid.size() > kMaxGridAxes)
        return error(grid.back().loc,
                     "a grid has at most " + std::to_string(kMaxGridAxes) +
                         " axes");
      if (gridTokens(grid) > kMaxGridTokens)
        return error(sizeLoc, "the grid holds more than 2^24 tokens");
      if (!isPunct(","))
        break;
      consume();
    }
    spec.grid = std::move(grid);
    spec.gridLoc = loc;
    spec.requirements.push_back(gridRequirement(spec.grid, loc));
    return true;
  }

  /// The axis named by the current token, consumed; reports a missing grid
  /// or an unknown axis (`what` says where it was expected).
  std::optional<size_t> expectGridAxis(const char *what) {
    if (tok.kind != Tok::Ident) {
      error(tok.loc, std::string("expected a grid axis ") + what +
                         ", found " + describe(tok));
      return std::nullopt;
    }
    if (currentSpec->grid.empty()) {
      error(tok.loc, "'" + tok.text + "' names a grid axis, but this block "
                                      "declares no grid (add e.g. 'grid y = "
                                      "16, x = 16' before this line)");
      return std::nullopt;
    }
    std::optional<size_t> axis = findGridAxis(currentSpec->grid, tok.text);
    if (!axis) {
      std::vector<std::string> names;
      for (const GridAxis &a : currentSpec->grid)
        names.push_back(a.name);
      std::string list;
      for (const std::string &n : names)
        list += (list.empty() ? "" : ", ") + n;
      error(tok.loc, "unknown grid axis '" + tok.text + "' (axes: " + list +
                         ")" + hint(names));
      return std::nullopt;
    }
    consumeExprToken();
    return axis;
  }

  /// `window(axis, K, dilation = D, stride = S, causal)` after `window`:
  /// NATTEN's neighborhood along one axis, expanded to its expression.
  ExprPtr parseWindow(SourceLoc loc) {
    SourceLoc openLoc = tok.loc;
    consumeExprToken(); // (
    WindowForm form;
    form.loc = loc;
    std::optional<size_t> axis = expectGridAxis("as the window's first "
                                                "argument");
    if (!axis)
      return nullptr;
    form.axis = *axis;
    if (!isPunct(",")) {
      error(tok.loc, "expected ',' and the window size after the axis, "
                     "found " +
                         describe(tok));
      return nullptr;
    }
    consumeExprToken();
    if (!windowInt(form.kernel, "the window size"))
      return nullptr;
    std::vector<std::string> seen;
    while (isPunct(",")) {
      consumeExprToken();
      if (tok.kind != Tok::Ident) {
        error(tok.loc, "expected dilation = N, stride = N or causal in "
                       "'window', found " +
                           describe(tok));
        return nullptr;
      }
      std::string option = tok.text;
      SourceLoc optionLoc = tok.loc;
      if (std::find(seen.begin(), seen.end(), option) != seen.end()) {
        error(optionLoc, "'" + option + "' is given twice in 'window'");
        return nullptr;
      }
      seen.push_back(option);
      if (option == "causal") {
        consumeExprToken();
        form.causal = true;
        continue;
      }
      if (option != "dilation" && option != "stride") {
        error(optionLoc, "unknown window option '" + option +
                             "' (options: dilation = N, stride = N, causal)" +
                             hint({"dilation", "stride", "causal"}));
        return nullptr;
      }
      consumeExprToken();
      if (!isPunct("=")) {
        error(tok.loc, "expected '=' after '" + option + "', found " +
                           describe(tok));
        return nullptr;
      }
      consumeExprToken();
      if (!windowInt(option == "dilation" ? form.dilation : form.stride,
                     option.c_str()))
        return nullptr;
    }
    if (!isPunct(")")) {
      if (tok.kind == Tok::Eof || isPunct("}"))
        unclosed(openLoc, "(", ")");
      else
        error(tok.loc, "expected ',' or ')' in 'window', found " +
                           describe(tok));
      return nullptr;
    }
    consumeExprToken();
    if (std::optional<std::string> why =
            checkWindow(currentSpec->grid, form)) {
      error(loc, *why);
      return nullptr;
    }
    ExprPtr e = expandWindow(currentSpec->grid, form);
    // The expansion is a few dozen nodes, a dozen deep.
    if (!setDepth(16, loc))
      return nullptr;
    return e;
  }

  /// An integer literal argument of `window`.
  bool windowInt(int64_t &out, const char *what) {
    if (tok.kind != Tok::Int)
      return error(tok.loc, std::string("expected an integer for ") + what +
                                " in 'window', found " + describe(tok));
    out = tok.intValue;
    consumeExprToken();
    return true;
  }

  /// `require expr`: a condition on the launch sizes, kept with its text.
  bool parseRequire(AttentionSpec &spec, SourceLoc loc) {
    Requirement requirement;
    requirement.loc = loc;
    size_t begin = tok.begin;
    requirement.expr = parseExpr();
    if (!requirement.expr)
      return false;
    requirement.text = sourceText(begin, lastEnd);
    spec.requirements.push_back(std::move(requirement));
    return true;
  }

  /// The source between two offsets with comments dropped and every run of
  /// blanks and newlines made one space (a condition continued over lines
  /// reads as one line in messages).
  std::string sourceText(size_t begin, size_t end) const {
    std::string_view text = lexer.source();
    std::string out;
    bool blank = false;
    for (size_t i = begin; i < end && i < text.size(); ++i) {
      char c = text[i];
      if (c == '#') {
        while (i < end && text[i] != '\n')
          ++i;
        blank = true;
        continue;
      }
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        blank = true;
        continue;
      }
      if (blank && !out.empty())
        out += ' ';
      blank = false;
      out += c;
    }
    return out;
  }

  bool parseDtype(AttentionSpec &spec, SourceLoc loc) {
    if (!checkNotSet(spec.dtype.has(), loc, "dtype"))
      return false;
    if (isIdent("f32"))
      spec.dtype.value = Dtype::F32;
    else if (isIdent("f16"))
      spec.dtype.value = Dtype::F16;
    else if (isIdent("bf16"))
      spec.dtype.value = Dtype::BF16;
    else
      return error(tok.loc,
                   "expected dtype f16, bf16 or f32, found " + describe(tok) +
                       hint({"f16", "bf16", "f32"}));
    spec.dtype.loc = loc;
    consume();
    return true;
  }

  bool parseScale(AttentionSpec &spec, SourceLoc loc) {
    if (!checkNotSet(spec.scale.has(), loc, "scale"))
      return false;
    bool negative = false;
    if (isPunct("-")) {
      negative = true;
      consume();
    }
    double value;
    if (tok.kind == Tok::Float)
      value = tok.floatValue;
    else if (tok.kind == Tok::Int)
      value = static_cast<double>(tok.intValue);
    else
      return error(tok.loc, "expected a number for 'scale', found " +
                                describe(tok));
    consume();
    spec.scale.value = negative ? -value : value;
    spec.scale.loc = loc;
    return true;
  }

  /// select ( "topk" | "cumulative" ) "(" NUMBER ")" "by" estimator, with
  /// the only estimator so far, `mean(q) . mean(k)`.
  bool parseSelect(AttentionSpec &spec, SourceLoc loc) {
    if (!checkNotSet(spec.select.has_value(), loc, "select"))
      return false;
    SelectSpec sel;
    sel.loc = loc;
    if (isIdent("topk"))
      sel.rule = SelectRule::TopK;
    else if (isIdent("cumulative"))
      sel.rule = SelectRule::Cumulative;
    else
      return error(tok.loc, "expected topk or cumulative after 'select', "
                            "found " +
                                describe(tok) + hint({"topk", "cumulative"}));
    const char *rule = sel.rule == SelectRule::TopK ? "topk" : "cumulative";
    consume();
    if (!expectPunct("(", (std::string("after '") + rule + "'").c_str()))
      return false;
    sel.valueLoc = tok.loc;
    if (tok.kind == Tok::Int) {
      sel.value = static_cast<double>(tok.intValue);
      sel.valueIsInt = true;
    } else if (tok.kind == Tok::Float) {
      sel.value = tok.floatValue;
    } else {
      return error(tok.loc, std::string("expected a number for '") + rule +
                                "', found " + describe(tok));
    }
    consume();
    if (!expectPunct(")", (std::string("to close '") + rule + "('").c_str()))
      return false;
    if (!isIdent("by"))
      return error(tok.loc, "expected 'by' and a block estimator after '" +
                                std::string(rule) + "(...)', found " +
                                describe(tok));
    consume();
    // The estimator: exactly mean(q) . mean(k), token by token, so that the
    // error points at the first token that differs.
    static const char *const estimator[] = {"mean", "(", "q", ")", ".",
                                            "mean", "(", "k", ")"};
    for (const char *want : estimator) {
      bool ident = std::isalpha(static_cast<unsigned char>(want[0]));
      if (ident ? !isIdent(want) : !isPunct(want))
        return error(tok.loc, std::string("unsupported block estimator: "
                                          "expected 'mean(q) . mean(k)', "
                                          "found ") +
                                  describe(tok) + " where '" + want +
                                  "' belongs");
      consume();
    }
    spec.select = sel;
    return true;
  }

  bool parseNormalize(AttentionSpec &spec, SourceLoc loc) {
    if (!checkNotSet(spec.normalize.has(), loc, "normalize"))
      return false;
    if (isIdent("softmax"))
      spec.normalize.value = Normalize::Softmax;
    else if (isIdent("sum"))
      spec.normalize.value = Normalize::Sum;
    else if (isIdent("none"))
      spec.normalize.value = Normalize::None;
    else
      return error(tok.loc, "expected softmax, sum or none after "
                            "'normalize', found " +
                                describe(tok) +
                                hint({"softmax", "sum", "none"}));
    spec.normalize.loc = loc;
    consume();
    return true;
  }

  bool parseParam(AttentionSpec &spec, SourceLoc loc) {
    ParamDecl decl;
    SourceLoc nameLoc;
    if (!expectIdent(decl.name, nameLoc, "a parameter name"))
      return false;
    decl.loc = nameLoc;
    if (!expectPunct(":", "after the parameter name"))
      return false;
    if (isIdent("i32"))
      decl.elem = ParamElem::I32;
    else if (isIdent("f32"))
      decl.elem = ParamElem::F32;
    else
      return error(tok.loc, "expected parameter element type i32 or f32, "
                            "found " +
                                describe(tok) + hint({"i32", "f32"}));
    consume();
    if (!expectPunct("[", "to open the parameter's index space"))
      return false;
    // `[]` is a scalar; otherwise up to four dimensions, each a letter
    // (b, h, n, d) or a fixed extent (`13`). The dims text writes a fixed
    // extent as `[13]` (runtime/lib/ParamDims.h).
    unsigned rank = 0;
    while (!isPunct("]")) {
      if (rank == 4)
        return error(decl.loc, "expected parameter '" + decl.name +
                                   "' to have at most 4 dimensions");
      if (tok.kind == Tok::Int) {
        if (tok.intValue < 1 || tok.intValue > (int64_t(1) << 24))
          return error(tok.loc, "expected a fixed extent in [1, 16777216], "
                                "got " +
                                    tok.text);
        decl.dims += "[" + std::to_string(tok.intValue) + "]";
      } else {
        if (tok.kind != Tok::Ident ||
            (tok.text != "b" && tok.text != "h" && tok.text != "n" &&
             tok.text != "d"))
          return error(tok.loc, "expected an index-space dimension b, h, n, "
                                "d or a fixed extent, found " +
                                    describe(tok));
        // b and h repeat nowhere; n repeats in pairwise tables (a query
        // and a key position), d in hedgehog's D x D weight per head.
        if ((tok.text == "b" || tok.text == "h") &&
            decl.dims.find(tok.text[0]) != std::string::npos)
          return error(tok.loc, "dimension '" + tok.text +
                                    "' appears twice in parameter '" +
                                    decl.name + "'");
        decl.dims += tok.text[0];
      }
      ++rank;
      consume();
      if (isPunct("]"))
        break;
      if (!expectPunct(",", "between parameter dimensions"))
        return false;
      if (isPunct("]"))
        return error(tok.loc, "expected an index-space dimension b, h, n, d "
                              "or a fixed extent, found ']'");
    }
    consume(); // ']'
    decl.rank = rank;
    if (isIdent("frozen")) {
      if (decl.elem != ParamElem::F32)
        return error(tok.loc, "'frozen' applies to f32 parameters; i32 "
                              "parameter '" +
                                  decl.name + "' never has a gradient");
      decl.frozen = true;
      consume();
    }
    (void)loc;
    spec.params.push_back(std::move(decl));
    return true;
  }

  bool parseTile(AttentionSpec &spec, SourceLoc loc) {
    if (!checkNotSet(spec.tile.has_value(), loc, "tile"))
      return false;
    TileHints hints;
    hints.loc = loc;
    bool any = false;
    while (tok.kind == Tok::Ident) {
      std::string key = tok.text;
      SourceLoc keyLoc = tok.loc;
      std::optional<int64_t> *field = nullptr;
      if (key == "q")
        field = &hints.blockQ;
      else if (key == "k")
        field = &hints.blockK;
      else if (key == "warps")
        field = &hints.warps;
      else if (key == "stages")
        field = &hints.stages;
      else
        return error(keyLoc, "unknown tile hint '" + key + "'" +
                                 (hint({"warps", "stages"}).empty()
                                      ? "; expected q, k, warps or stages"
                                      : hint({"warps", "stages"})));
      if (field->has_value())
        return error(keyLoc, "tile hint '" + key + "' is given twice");
      consume();
      if (!expectPunct("=", "after the tile hint"))
        return false;
      int64_t value;
      if (!expectInt(value, key.c_str()))
        return false;
      *field = value;
      any = true;
    }
    if (!any)
      return error(tok.loc, "expected tile hints such as 'q=128 k=64', found " +
                                describe(tok));
    spec.tile = std::move(hints);
    return true;
  }

  /// `feature F` (linear family) or `hybrid F` (the linear branch of a
  /// softmax spec): a builtin, hedgehog(w) or an elementwise expression.
  bool parseFeature(std::optional<FeatureSpec> &into, SourceLoc loc,
                    const std::string &word) {
    if (!checkNotSet(into.has_value(), loc, word))
      return false;
    FeatureSpec feature;
    feature.loc = loc;
    // A lone builtin name (or hedgehog(w)) names a builtin feature map;
    // anything else is an elementwise expression over x.
    if (tok.kind == Tok::Ident) {
      static const std::pair<const char *, FeatureBuiltin> builtins[] = {
          {"identity", FeatureBuiltin::Identity},
          {"relu", FeatureBuiltin::Relu},
          {"elu1", FeatureBuiltin::Elu1},
          {"exp", FeatureBuiltin::Exp},
          {"l2norm", FeatureBuiltin::L2Norm},
          {"taylor2", FeatureBuiltin::Taylor2}};
      Token save = tok;
      for (auto &[name, builtin] : builtins) {
        if (tok.text != name)
          continue;
        consume();
        if (tok.kind == Tok::Newline || tok.kind == Tok::Eof ||
            isPunct("}")) {
          feature.builtin = builtin;
          into = std::move(feature);
          return true;
        }
        // Not alone: e.g. `exp(x) - 1`; parse it as an expression whose
        // first token we already consumed.
        return parseFeatureExpr(into, std::move(feature), &save);
      }
      if (tok.text == "hedgehog") {
        consume();
        if (!expectPunct("(", "after 'hedgehog'"))
          return false;
        if (!expectIdent(feature.weightParam, feature.weightParamLoc,
                         "the weight parameter of 'hedgehog'"))
          return false;
        if (!expectPunct(")", "after the hedgehog weight parameter"))
          return false;
        feature.builtin = FeatureBuiltin::Hedgehog;
        into = std::move(feature);
        return true;
      }
    }
    return parseFeatureExpr(into, std::move(feature), nullptr);
  }

  bool parseFeatureExpr(std::optional<FeatureSpec> &into, FeatureSpec feature,
                        const Token *pushedBack) {
    pending = pushedBack ? std::optional<Token>(*pushedBack) : std::nullopt;
    if (pending) {
      // Re-inject the consumed identifier as the current token.
      std::swap(*pending, tok);
    }
    ExprPtr expr = parseExpr();
    if (!expr)
      return false;
    feature.builtin = FeatureBuiltin::Expression;
    feature.expr = std::move(expr);
    into = std::move(feature);
    return true;
  }

  /// combine "add" [ "(" expr ")" ] | "shared" "(" expr ")"
  bool parseCombine(AttentionSpec &spec, SourceLoc loc) {
    if (!checkNotSet(spec.combine.has_value(), loc, "combine"))
      return false;
    CombineSpec combine;
    combine.loc = loc;
    if (isIdent("add")) {
      combine.rule = CombineRule::Add;
    } else if (isIdent("shared")) {
      combine.rule = CombineRule::Shared;
    } else {
      return error(tok.loc, "expected 'add' or 'shared(...)' after 'combine', "
                            "found " +
                                describe(tok) + hint({"add", "shared"}));
    }
    consume();
    if (combine.rule == CombineRule::Add && !isPunct("(")) {
      spec.combine = std::move(combine);
      return true;
    }
    if (!expectPunct("(", combine.rule == CombineRule::Shared
                              ? "after 'shared' (the softmax branch's weight)"
                              : "after 'add'"))
      return false;
    combine.weight = parseExpr();
    if (!combine.weight)
      return false;
    if (!expectPunct(")", "to close the combine weight"))
      return false;
    spec.combine = std::move(combine);
    return true;
  }

  bool parseUpdate(AttentionSpec &spec, SourceLoc loc) {
    if (!checkNotSet(spec.update.has_value(), loc, "update"))
      return false;
    UpdateSpec update;
    update.loc = loc;
    if (isIdent("add")) {
      consume();
      update.rule = UpdateRule::Add;
    } else if (isIdent("delta")) {
      consume();
      if (!expectPunct("(", "after 'delta'"))
        return false;
      if (!expectIdent(update.betaParam, update.betaParamLoc,
                       "the beta parameter of the delta rule"))
        return false;
      if (!expectPunct(")", "after the delta rule's beta parameter"))
        return false;
      update.rule = UpdateRule::Delta;
    } else {
      return error(tok.loc, "expected 'add' or 'delta(beta)' after 'update', "
                            "found " +
                                describe(tok) + hint({"add", "delta"}));
    }
    spec.update = std::move(update);
    return true;
  }

  bool parseExprStatement(ExprPtr &field, const std::string &word,
                          SourceLoc loc) {
    if (!checkNotSet(field != nullptr, loc, word))
      return false;
    field = parseExpr();
    return field != nullptr;
  }

  // --- expressions ---------------------------------------------------------

  ExprPtr node(Expr::Kind kind, SourceLoc loc) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->loc = loc;
    return e;
  }

  /// Takes the current token, honouring a token pushed back by the feature
  /// statement's builtin lookahead.
  void consumeExprToken() {
    if (pending) {
      lastEnd = tok.end;
      tok = std::move(*pending);
      pending.reset();
    } else {
      consume();
    }
  }

  ExprPtr parseExpr() {
    if (++nesting > kMaxNesting) {
      error(tok.loc, "expression is nested too deeply");
      return nullptr;
    }
    ExprPtr e = parseTernary();
    --nesting;
    return e;
  }

  ExprPtr parseTernary() {
    ExprPtr cond = parseBinary(0);
    if (!cond || !isPunct("?"))
      return cond;
    unsigned condDepth = depth;
    SourceLoc loc = tok.loc;
    lastOpLoc = loc;
    consumeExprToken();
    skipContinuation();
    ExprPtr a = parseExpr();
    if (!a)
      return nullptr;
    unsigned aDepth = depth;
    if (!isPunct(":")) {
      error(tok.loc, "expected ':' in conditional expression, found " +
                         describe(tok));
      return nullptr;
    }
    lastOpLoc = tok.loc;
    consumeExprToken();
    skipContinuation();
    ExprPtr b = parseExpr();
    if (!b || !setDepth(1 + std::max({condDepth, aDepth, depth}), loc))
      return nullptr;
    ExprPtr e = node(Expr::Kind::Ternary, loc);
    e->operands.push_back(std::move(cond));
    e->operands.push_back(std::move(a));
    e->operands.push_back(std::move(b));
    return e;
  }

  static int precedence(const std::string &op) {
    if (op == "||")
      return 1;
    if (op == "&&")
      return 2;
    if (op == "==" || op == "!=")
      return 3;
    if (op == "<" || op == "<=" || op == ">" || op == ">=")
      return 4;
    if (op == "+" || op == "-")
      return 5;
    if (op == "*" || op == "/" || op == "%")
      return 6;
    return -1;
  }

  /// Precedence climbing over the left-associative binary operators.
  ExprPtr parseBinary(int minPrec) {
    ExprPtr lhs = parseUnary();
    unsigned lhsDepth = depth;
    while (lhs && tok.kind == Tok::Punct) {
      int prec = precedence(tok.text);
      if (prec < 0 || prec < minPrec)
        break;
      std::string op = tok.text;
      SourceLoc loc = tok.loc;
      lastOpLoc = loc;
      consumeExprToken();
      skipContinuation();
      ExprPtr rhs = parseBinary(prec + 1);
      if (!rhs || !setDepth(1 + std::max(lhsDepth, depth), loc))
        return nullptr;
      lhsDepth = depth;
      ExprPtr e = node(Expr::Kind::Binary, loc);
      e->op = op;
      e->operands.push_back(std::move(lhs));
      e->operands.push_back(std::move(rhs));
      lhs = std::move(e);
    }
    depth = lhsDepth;
    return lhs;
  }

  ExprPtr parseUnary() {
    if (isPunct("-") || isPunct("!")) {
      if (++nesting > kMaxNesting) {
        error(tok.loc, "expression is nested too deeply");
        return nullptr;
      }
      ExprPtr e = node(Expr::Kind::Unary, tok.loc);
      e->op = tok.text;
      consumeExprToken();
      ExprPtr operand = parseUnary();
      --nesting;
      if (!operand || !setDepth(depth + 1, e->loc))
        return nullptr;
      e->operands.push_back(std::move(operand));
      return e;
    }
    return parsePrimary();
  }

  ExprPtr parsePrimary() {
    SourceLoc loc = tok.loc;
    if (tok.kind == Tok::Int) {
      ExprPtr e = node(Expr::Kind::IntLit, loc);
      e->intValue = tok.intValue;
      consumeExprToken();
      depth = 1;
      return e;
    }
    if (tok.kind == Tok::Float) {
      ExprPtr e = node(Expr::Kind::FloatLit, loc);
      e->floatValue = tok.floatValue;
      consumeExprToken();
      depth = 1;
      return e;
    }
    if (isPunct("(")) {
      consumeExprToken();
      ExprPtr e = parseExpr();
      if (!e)
        return nullptr;
      if (!isPunct(")")) {
        unclosed(loc, "(", ")");
        return nullptr;
      }
      consumeExprToken();
      return e;
    }
    if (tok.kind == Tok::Ident) {
      std::string name = tok.text;
      consumeExprToken();
      depth = 1;
      if (name == "causal")
        return node(Expr::Kind::Causal, loc);
      if (name == "window" && isPunct("("))
        return parseWindow(loc);
      if ((name == "q" || name == "k") && isPunct(".")) {
        consumeExprToken();
        std::optional<size_t> axis =
            expectGridAxis(("after '" + name + ".'").c_str());
        if (!axis)
          return nullptr;
        return makeGridCoord(currentSpec->grid, *axis, name, loc);
      }
      if (isPunct("("))
        return parseArguments(Expr::Kind::Call, name, loc, "(", ")");
      if (isPunct("["))
        return parseArguments(Expr::Kind::Param, name, loc, "[", "]");
      if (auto it = lets.find(name); it != lets.end())
        return expandLet(name, it->second, loc);
      ExprPtr e = node(Expr::Kind::Var, loc);
      e->name = name;
      return e;
    }
    if (continuation && continuation->line < loc.line)
      errorWithNote(loc, "expected an expression, found " + describe(tok),
                    *continuation,
                    "the line ends with an operator, so the expression "
                    "continues on the next line");
    else
      error(loc, "expected an expression, found " + describe(tok));
    return nullptr;
  }

  ExprPtr parseArguments(Expr::Kind kind, const std::string &name,
                         SourceLoc loc, const char *open, const char *close) {
    SourceLoc openLoc = tok.loc;
    consumeExprToken(); // open
    ExprPtr e = node(kind, loc);
    e->name = name;
    depth = 1;
    if (isPunct(close)) {
      consumeExprToken();
      return e;
    }
    unsigned argDepth = 0;
    for (;;) {
      ExprPtr arg = parseExpr();
      if (!arg)
        return nullptr;
      argDepth = std::max(argDepth, depth);
      e->operands.push_back(std::move(arg));
      if (isPunct(close)) {
        consumeExprToken();
        if (!setDepth(1 + argDepth, loc))
          return nullptr;
        return e;
      }
      if (!isPunct(",")) {
        // Newlines inside brackets are not tokens, so a missing close
        // bracket shows up as a statement keyword or '}' further on.
        if (tok.kind == Tok::Eof || isPunct("}") ||
            (tok.kind == Tok::Ident && tok.loc.line != e->loc.line)) {
          unclosed(openLoc, open, close);
          return nullptr;
        }
        error(tok.loc, std::string("expected ',' or '") + close +
                           "' in the argument list of '" + name +
                           "', found " + describe(tok));
        return nullptr;
      }
      consumeExprToken();
    }
  }

  /// Reports a bracket that was never closed: at the bracket, with a note
  /// where the closing one was expected.
  void unclosed(SourceLoc openLoc, const char *open, const char *close) {
    errorWithNote(openLoc,
                  std::string("unclosed '") + open + "': expected '" + close +
                      "' to close it, found " + describe(tok),
                  tok.loc, std::string("expected '") + close + "' here");
  }

  /// After a binary operator, `?` or `:`, the expression continues on the
  /// next line: a line ending with an operator is never complete.
  void skipContinuation() {
    SourceLoc op = lastOpLoc;
    if (tok.kind == Tok::Newline)
      continuation = op;
    while (tok.kind == Tok::Newline)
      consume();
  }

  /// A copy of a let's body at one of its uses, marked with the binding so
  /// that errors in the body can point at the use too.
  ExprPtr expandLet(const std::string &name, const LetBinding &binding,
                    SourceLoc use) {
    ExprPtr copy = cloneExpr(*binding.body);
    if (!copy)
      return nullptr;
    copy->letName = name;
    copy->letUse = use;
    ++currentSpec->lets[binding.index].uses;
    if (!setDepth(binding.depth, use))
      return nullptr;
    return copy;
  }

  /// Deep copy, counting nodes: lets that use lets can double an
  /// expression at each level, so the total expanded size is bounded.
  ExprPtr cloneExpr(const Expr &e) {
    if (++expandedNodes > kMaxExpandedNodes) {
      error(tok.loc, "expressions are too large after expanding lets (more "
                     "than " +
                         std::to_string(kMaxExpandedNodes) + " nodes)");
      return nullptr;
    }
    auto copy = std::make_unique<Expr>();
    copy->kind = e.kind;
    copy->loc = e.loc;
    copy->intValue = e.intValue;
    copy->floatValue = e.floatValue;
    copy->name = e.name;
    copy->op = e.op;
    copy->letName = e.letName;
    copy->letUse = e.letUse;
    for (const ExprPtr &operand : e.operands) {
      ExprPtr c = cloneExpr(*operand);
      if (!c)
        return nullptr;
      copy->operands.push_back(std::move(c));
    }
    return copy;
  }

  /// Records that the expression just built is `d` nodes deep; rejects it
  /// past kMaxDepth. Sema, IR generation and even the tree's destructor
  /// recurse over the tree, so its depth must be bounded, and a long chain
  /// like `a + a + ... + a` is deep without any parentheses.
  bool setDepth(unsigned d, SourceLoc loc) {
    depth = d;
    if (d <= kMaxDepth)
      return true;
    return error(loc, "expression is nested too deeply");
  }

  /// Bounds the parser's own recursion (parentheses, unary operators).
  static constexpr int kMaxNesting = 200;
  /// Bounds the nodes that let expansion may create in one block.
  static constexpr size_t kMaxExpandedNodes = 100000;
  std::map<std::string, LetBinding> lets;
  size_t expandedNodes = 0;
  AttentionSpec *currentSpec = nullptr;
  /// End offset of the last consumed token.
  size_t lastEnd = 0;
  /// The operator most recently consumed, and the last one that ended a
  /// line (the expression then continues on the next).
  SourceLoc lastOpLoc;
  std::optional<SourceLoc> continuation;
  /// Bounds the depth of an expression tree.
  static constexpr unsigned kMaxDepth = 1000;
  Lexer lexer;
  std::vector<Diagnostic> &diags;
  Token tok;
  std::optional<Token> pending;
  int nesting = 0;
  /// Depth of the expression tree most recently returned by a parse*
  /// function.
  unsigned depth = 0;
};

} // namespace

bool parseSpecFile(std::string_view text, SpecFile &out,
                   std::vector<Diagnostic> &diags) {
  Parser parser(text, diags);
  return parser.parseFile(out);
}

} // namespace attnc::spec
