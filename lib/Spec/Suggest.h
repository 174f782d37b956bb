//===- Suggest.h - "did you mean" for misspelt names ----------------------===//
//
// Diagnostics about an unknown word (a statement keyword, a variable, a
// parameter, a function) name the closest known word when one is close
// enough to be a plausible typo: `casual` -> `causal`.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_SPEC_SUGGEST_H
#define ATTNC_LIB_SPEC_SUGGEST_H

#include <string>
#include <vector>

namespace attnc::spec {

/// The candidate closest to `word` by edit distance (insertions, deletions,
/// substitutions and swaps of adjacent letters), or "" when none is within
/// a third of the word's length (at least 1, at most 3 edits). Ties go to
/// the earlier candidate.
std::string closestMatch(const std::string &word,
                         const std::vector<std::string> &candidates);

/// "; did you mean 'causal'?" for the closest candidate, or "".
std::string didYouMean(const std::string &word,
                       const std::vector<std::string> &candidates);

} // namespace attnc::spec

#endif // ATTNC_LIB_SPEC_SUGGEST_H
