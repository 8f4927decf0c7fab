#pragma once
/// @file
/// The one grammar of checkpoint store addresses, shared by sg-checkpoints (--db), sg-chatbot
/// (--checkpoints) and any program that lets its user choose a store:
///
///   memory                        an InMemorySaver (forgotten when the process ends)
///   sqlite:PATH   sqlite://PATH   a SqliteSaver on the file PATH (relative to the working
///                                 directory; sqlite:///abs/path is /abs/path)
///   postgres://...  postgresql://...   a PostgresSaver; the whole text is the libpq URI
///
/// Parsing needs no backend; opening one is sg::open_store (stategraph/checkpoint/open_store.hpp,
/// target stategraph::store).

#include <string>
#include <string_view>

namespace sg {

/// A parsed store address. Plain value; thread-safety as for any value type.
struct StoreUri {
  enum class Kind { memory, sqlite, postgres };
  Kind kind = Kind::memory;
  /// sqlite: the file path; postgres: the libpq URI as given (password included); memory: empty.
  std::string target;

  /// For messages and banners: "memory", "sqlite:PATH", or the URI with its password replaced
  /// by "***" (sg::redact_password).
  [[nodiscard]] std::string display() const;
};

/// Parses a store address (grammar above).
/// @throws SaverError [sg.saver.410] for anything else (an empty path after `sqlite:`, another
///         scheme, a bare file name); the message shows `text` with its password redacted and
///         lists the accepted forms.
/// Thread-safety: reentrant.
[[nodiscard]] StoreUri parse_store_uri(std::string_view text);

}  // namespace sg
