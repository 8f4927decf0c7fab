#pragma once
// A JSON value made when first read: a values event's state is encoded only if a stream sends
// it or the store keeps it.

#include <functional>
#include <memory>
#include <mutex>

#include <nlohmann/json.hpp>

namespace sg {

/// A JSON value, given or deferred. A deferred one is made by its function on the first get()
/// (once, whichever thread asks first) and kept; copies share it, so that every reader of a run's
/// event sees one value and none copies it. A run's `values` events are deferred: the state was
/// encoded after every step (the whole state: O(its size) a step) even when nobody streamed it,
/// as with POST /runs/wait. Thread-safe: get() from any number of threads.
class LazyJson {
 public:
  /// Null (allocates nothing: a placeholder about to be assigned costs nothing).
  LazyJson() = default;
  /// An already made value. Explicit: `lazy = {{"k", v}}` would otherwise make the array
  /// ["k", v] (a braced list converted through json's initializer-list constructor).
  explicit LazyJson(nlohmann::json value);
  /// A value `make` makes on the first get(). `make` must be safe to call on any thread and may
  /// throw (get() then rethrows, and the next get() calls it again).
  [[nodiscard]] static LazyJson deferred(std::function<nlohmann::json()> make);

  /// The value (made now if deferred and not made yet).
  [[nodiscard]] const nlohmann::json& get() const;
  /// The value, moved out when no copy shares it (else copied).
  [[nodiscard]] nlohmann::json take() &&;

 private:
  struct Cell {
    std::once_flag once;
    std::function<nlohmann::json()> make;  // empty once made
    nlohmann::json value;
  };
  std::shared_ptr<Cell> cell_;
};

}  // namespace sg
