//===- Suggest.cpp - "did you mean" for misspelt names --------------------===//

#include "lib/Spec/Suggest.h"

#include <algorithm>
#include <cctype>

namespace attnc::spec {

namespace {

/// Optimal string alignment distance: Levenshtein plus the swap of two
/// adjacent letters, the commonest typo (`casual` for `causal`).
size_t editDistance(const std::string &a, const std::string &b) {
  size_t n = a.size(), m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; ++i)
    d[i][0] = i;
  for (size_t j = 0; j <= m; ++j)
    d[0][j] = j;
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1,
                          d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

} // namespace

std::string closestMatch(const std::string &word,
                         const std::vector<std::string> &candidates) {
  // Long inputs are not typos of short keywords; bound the work too.
  if (word.empty() || word.size() > 64)
    return "";
  // Case-only differences (`nk` for `Nk`) are the likeliest slip of all.
  for (const std::string &candidate : candidates) {
    if (candidate.size() != word.size() || candidate == word)
      continue;
    bool sameIgnoringCase = std::equal(
        word.begin(), word.end(), candidate.begin(), [](char x, char y) {
          return std::tolower(static_cast<unsigned char>(x)) ==
                 std::tolower(static_cast<unsigned char>(y));
        });
    if (sameIgnoringCase)
      return candidate;
  }
  size_t limit = std::clamp<size_t>(word.size() / 3, 1, 3);
  std::string best;
  size_t bestDistance = limit + 1;
  for (const std::string &candidate : candidates) {
    if (candidate == word)
      continue;
    size_t distance = editDistance(word, candidate);
    // A one-letter word is one edit from every other one-letter word: no
    // guess is better than another.
    if (word.size() == 1 && distance > 0)
      continue;
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

std::string didYouMean(const std::string &word,
                       const std::vector<std::string> &candidates) {
  std::string match = closestMatch(word, candidates);
  return match.empty() ? "" : "; did you mean '" + match + "'?";
}

} // namespace attnc::spec
