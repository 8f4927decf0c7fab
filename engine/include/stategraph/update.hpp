#pragma once
/// @file
/// Typed writes to a state: sg::set<&S::member>(value) and sg::Update<S>.
///
/// @code{.cpp}
/// sg::Update<ChatState> u{sg::set<&ChatState::turns>(1), sg::set<&ChatState::log>("hello")};
/// u.set<&ChatState::language>("French");
/// @endcode
///
/// A write names its field by member pointer, so a misspelt field does not compile, and its value
/// must be accepted by the field's reducer: a `std::string` written to an `int` field, or a
/// member missing from the schema, does not compile (tests/compile_fail). This is LangGraph's
/// node return dict `{"key": value}` (graph/state.py `_get_updates`), typed.
///
/// Thread-safety: an Update is a value; distinct objects may be used from distinct threads.

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "stategraph/state_schema.hpp"

namespace sg {

namespace detail {

enum class WriteKind : std::uint8_t {
  value,      ///< a reducer input (the field's update_type)
  overwrite,  ///< replaces the field (the field's value_type)
  trigger,    ///< an edge fired (branch:to:X); no value
  barrier,    ///< a join source finished; `channel` is the join, `aux` the source's index
  send,       ///< a Send (push task); value is an sg::Send
};

/// A type-erased write. For state fields `channel` is the field's index in the schema; the engine
/// maps trigger, barrier and send writes onto its own channels. `value` is immutable and shared.
struct ErasedWrite {
  std::uint32_t channel = 0;
  WriteKind kind = WriteKind::value;
  std::uint32_t aux = 0;
  std::shared_ptr<const void> value;
};

template <class R, class T, class V>
concept Accepts = requires(V&& v) { R::template accept<T>(std::forward<V>(v)); };

/// Converting a V to a To loses information although C++ does it implicitly: a floating-point
/// value into an integer (the fraction is dropped), or a number into a bool.
template <class V, class To>
constexpr bool lossy_v = std::is_arithmetic_v<std::remove_cvref_t<V>> && std::is_arithmetic_v<To> &&
                         ((std::is_floating_point_v<std::remove_cvref_t<V>> && std::is_integral_v<To>) ||
                          (std::is_same_v<To, bool> && !std::is_same_v<std::remove_cvref_t<V>, bool>));

/// The arithmetic type a write of V to a field with update type U lands in: U itself, or U's
/// element type (sg::append given one element); void when there is none.
template <class U, class V>
constexpr auto landing_type() {
  if constexpr (std::is_arithmetic_v<U>) {
    return std::type_identity<U>{};
  } else if constexpr (requires { typename U::value_type; } && !std::is_convertible_v<V, U>) {
    return std::type_identity<typename U::value_type>{};
  } else {
    return std::type_identity<void>{};
  }
}

template <class U, class V>
constexpr bool lossy_write_v = lossy_v<V, typename decltype(landing_type<U, V>())::type>;

}  // namespace detail

/// One typed write to a field of S; made by sg::set.
template <class S>
struct FieldWrite {
  detail::ErasedWrite write;
};

/// A write of `value` to the field declared for `Member`. Compile-time checks: the member is in
/// the schema, the field's reducer accepts the value's type, and the value is not narrowed on the
/// way (a double into an int field, a number into a bool field; an integer into a
/// floating-point field is fine).
template <auto Member, class V>
FieldWrite<typename detail::member_traits<decltype(Member)>::class_type> set(V&& value) {
  using S = typename detail::member_traits<decltype(Member)>::class_type;
  constexpr std::size_t index = detail::field_index<S, Member>();
  static_assert(index < detail::field_count_v<S>,
                "sg::set<&S::member>: this member is not declared in sg::state_schema<S>");
  detail::ErasedWrite w;
  if constexpr (index < detail::field_count_v<S>) {  // keeps the static_assert above the only error
    using F = detail::field_t<S, index>;
    using T = typename F::value_type;
    using R = typename F::reducer_type;
    using U = typename F::update_type;
    w.channel = static_cast<std::uint32_t>(index);
    if constexpr (std::is_same_v<std::remove_cvref_t<V>, Overwrite<T>>) {
      w.kind = detail::WriteKind::overwrite;
      w.value = std::make_shared<T>(std::forward<V>(value).value);
    } else {
      static_assert(detail::Accepts<R, T, V>,
                    "sg::set<&S::member>(value): the field's reducer does not accept this value type");
      static_assert(!detail::lossy_write_v<U, V>,
                    "sg::set<&S::member>(value): the value would be narrowed (a floating-point value into an "
                    "integer field drops its fraction, a number into a bool field); convert it explicitly, "
                    "e.g. static_cast<int>(value)");
      if constexpr (detail::Accepts<R, T, V> && !detail::lossy_write_v<U, V>) {
        w.kind = detail::WriteKind::value;
        w.value = std::make_shared<U>(R::template accept<T>(std::forward<V>(value)));
      }
    }
  }
  return FieldWrite<S>{std::move(w)};
}

/// A set of writes to the fields of S, applied in order through each field's reducer.
template <class S>
class Update {
 public:
  Update() = default;
  Update(std::initializer_list<FieldWrite<S>> writes) {
    writes_.reserve(writes.size());
    for (const auto& w : writes) writes_.push_back(w.write);
  }
  Update(FieldWrite<S> write) { writes_.push_back(std::move(write.write)); }  // NOLINT(implicit)

  /// Adds a write; see sg::set. Returns *this for chaining.
  template <auto Member, class V>
  Update& set(V&& value) {
    writes_.push_back(sg::set<Member>(std::forward<V>(value)).write);
    return *this;
  }
  /// Adds a write made by sg::set.
  Update& add(FieldWrite<S> write) {
    writes_.push_back(std::move(write.write));
    return *this;
  }

  [[nodiscard]] bool empty() const noexcept { return writes_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return writes_.size(); }
  /// The erased writes, for the engine.
  [[nodiscard]] const std::vector<detail::ErasedWrite>& writes() const& noexcept { return writes_; }
  [[nodiscard]] std::vector<detail::ErasedWrite> writes() && noexcept { return std::move(writes_); }

 private:
  std::vector<detail::ErasedWrite> writes_;
};

}  // namespace sg
