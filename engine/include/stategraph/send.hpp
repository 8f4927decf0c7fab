#pragma once
/// @file
/// sg::Send: run a node once more in the next superstep with its own input (map-reduce).
/// LangGraph: langgraph/types.py `Send`; semantics reference §3.4.

#include <memory>
#include <string>
#include <typeindex>
#include <utility>

#include <nlohmann/json.hpp>

#include "stategraph/detail/state_ops.hpp"

namespace sg {

/// A push task: `node` runs in the next superstep with `arg` as its input instead of the state.
/// `arg` must be of the node's input type (the graph's state S, or the type the node's callable
/// takes — checked when the Send is applied, sg.update.204) and serialise to JSON: a state type
/// through its schema, any other type through ADL to_json/from_json.
///
/// @code{.cpp}
/// return std::vector<sg::Send>{sg::Send("joke", Subject{"cats"}), sg::Send("joke", Subject{"dogs"})};
/// @endcode
/// Thread-safety: immutable after construction; copies share the argument.
class Send {
 public:
  template <class T>
  Send(std::string node, T arg)
      : node_(std::move(node)),
        arg_(std::make_shared<const T>(std::move(arg))),
        type_(typeid(T)),
        encode_([](const void* p) {
          if constexpr (State<T>) {
            return detail::encode_state(*static_cast<const T*>(p));
          } else {
            return nlohmann::json(*static_cast<const T*>(p));
          }
        }) {}

  /// The target node.
  [[nodiscard]] const std::string& node() const noexcept { return node_; }
  /// The argument's C++ type.
  [[nodiscard]] std::type_index arg_type() const noexcept { return type_; }
  /// The argument when it is a T, else nullptr.
  template <class T>
  [[nodiscard]] const T* arg_if() const noexcept {
    return type_ == typeid(T) ? static_cast<const T*>(arg_.get()) : nullptr;
  }
  /// The argument as JSON (what checkpoints store).
  [[nodiscard]] nlohmann::json arg_json() const { return encode_(arg_.get()); }
  /// The erased argument, for the engine.
  [[nodiscard]] const std::shared_ptr<const void>& arg_ptr() const noexcept { return arg_; }

  /// For the engine: a Send whose argument was decoded from a checkpoint.
  static Send from_erased(std::string node, std::shared_ptr<const void> arg, std::type_index type,
                          nlohmann::json (*encode)(const void*)) {
    return Send(std::move(node), std::move(arg), type, encode);
  }

 private:
  Send(std::string node, std::shared_ptr<const void> arg, std::type_index type,
       nlohmann::json (*encode)(const void*))
      : node_(std::move(node)), arg_(std::move(arg)), type_(type), encode_(encode) {}

  std::string node_;
  std::shared_ptr<const void> arg_;
  std::type_index type_;
  nlohmann::json (*encode_)(const void*);
};

}  // namespace sg
