# SqliteSaver tests. The conformance suite picks up SqliteFactory (sqlite_factory.hpp) by itself.
target_link_libraries(test_checkpoint PRIVATE stategraph::sqlite)
