// Label sets and instant vectors: the values alert expressions compute on and alerts carry.
// A Labels is kept sorted by name (use sorted_labels() to build one from any order), so two
// label sets compare equal exactly when they hold the same pairs. Plain values: copy freely.
//
//   Vector v;  v[sorted_labels({{"status", "500"}})] = 2.5;
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace logpulse::alert {

using Labels = std::vector<std::pair<std::string, std::string>>;

// One value per label set: a window's current series, or an expression's result.
using Vector = std::map<Labels, double>;

// `labels` sorted by name; for a name given twice the last value wins.
Labels sorted_labels(Labels labels);

// `base` with every pair of `overrides` set (added or replacing the value). Both sorted.
Labels merge_labels(const Labels& base, const Labels& overrides);

// The value of `name`, or nullptr.
const std::string* find_label(const Labels& labels, const std::string& name);

}  // namespace logpulse::alert
