#pragma once
/// @file
/// sg::ContextValue: one typed, immutable value handed to every node of one run through
/// RunConfig::context and read with RunContext::context<T>() (LangGraph 0.6+: the graph's
/// `context_schema` and `Runtime.context`, langgraph/runtime.py; the value passed as
/// `invoke(..., context=...)`). A graph compiled once serves many users: each run carries its own
/// user id, model choice or API key handle, none of it in the state or the checkpoints.
///
/// @code{.cpp}
/// struct UserContext { std::string user_id; std::string model = "gpt-4o-mini"; };
/// app.invoke(input, {.thread_id = "t1", .context = UserContext{.user_id = "alice"}});
/// // in a node or router:
/// const auto& user = ctx.context<UserContext>();
/// @endcode
///
/// The value is stored once and shared (copying a RunConfig copies a pointer); it is never
/// serialised and never checkpointed, so a resumed run needs it passed again, as in LangGraph.
/// A string literal is stored as std::string. Reading asks for the exact stored type (no
/// conversions, no base classes).
///
/// Thread-safety: immutable after construction; the value is read by every task of the run at
/// once, so T must be safe to read concurrently (any type without `mutable` state is).

#include <memory>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace sg {

class ContextValue {
 public:
  /// No context: RunContext::context<T>() throws sg::ConfigError [sg.run.311].
  ContextValue() = default;

  /// Holds a copy of `value` (a string literal as a std::string).
  template <class T>
    requires(!std::is_same_v<std::remove_cvref_t<T>, ContextValue> && !std::is_null_pointer_v<std::remove_cvref_t<T>>)
  ContextValue(T&& value)  // NOLINT(implicit): `.context = MyContext{...}` in a RunConfig
  {
    using D = std::conditional_t<std::is_convertible_v<std::decay_t<T>, const char*>, std::string, std::decay_t<T>>;
    value_ = std::make_shared<const D>(std::forward<T>(value));
    type_ = &typeid(D);
  }

  /// Shares an object the caller owns (e.g. a client or a key store kept alive across runs).
  template <class T>
  static ContextValue shared(std::shared_ptr<const T> value) {
    ContextValue c;
    if (value) c.type_ = &typeid(T);
    c.value_ = std::move(value);
    return c;
  }

  [[nodiscard]] bool has_value() const noexcept { return value_ != nullptr; }
  /// The stored type; typeid(void) when empty.
  [[nodiscard]] const std::type_info& type() const noexcept { return type_ != nullptr ? *type_ : typeid(void); }
  /// The value when it is a T, else nullptr.
  template <class T>
  [[nodiscard]] const T* get() const noexcept {
    return type_ != nullptr && *type_ == typeid(T) ? static_cast<const T*>(value_.get()) : nullptr;
  }

 private:
  std::shared_ptr<const void> value_;
  const std::type_info* type_ = nullptr;
};

}  // namespace sg
