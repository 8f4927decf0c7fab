#include "agent_server/lazy_json.hpp"

#include <utility>

namespace sg {

LazyJson::LazyJson(nlohmann::json value) : cell_(std::make_shared<Cell>()) { cell_->value = std::move(value); }

LazyJson LazyJson::deferred(std::function<nlohmann::json()> make) {
  LazyJson out;
  out.cell_ = std::make_shared<Cell>();
  out.cell_->make = std::move(make);
  return out;
}

const nlohmann::json& LazyJson::get() const {
  static const nlohmann::json null;
  if (!cell_) return null;
  Cell& c = *cell_;
  std::call_once(c.once, [&c] {
    if (!c.make) return;
    c.value = c.make();
    c.make = nullptr;
  });
  return c.value;
}

nlohmann::json LazyJson::take() && {
  const nlohmann::json& value = get();
  if (!cell_) return value;
  if (cell_.use_count() == 1) return std::move(cell_->value);
  return value;
}

}  // namespace sg
