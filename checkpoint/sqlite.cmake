# stategraph::sqlite — SqliteSaver, a durable checkpoint saver in one SQLite file.
# sqlite3.h stays private: the public header (sqlite_saver.hpp) uses pimpl, so a consumer of the
# core never sees SQLite; a consumer of this target links libsqlite3 only through it.
find_package(SQLite3 REQUIRED)

add_library(sg_sqlite
  src/sqlite_admin.cpp
  src/sqlite_codec.cpp
  src/sqlite_connection.cpp
  src/sqlite_filter.cpp
  src/sqlite_open_mode.cpp
  src/sqlite_reader.cpp
  src/run_store_sqlite.cpp
  src/sqlite_saver.cpp
  src/sqlite_schema.cpp
  src/sqlite_shared_writer.cpp
  src/sqlite_wal_checkpointer.cpp
  src/sqlite_thread_lock.cpp)
add_library(stategraph::sqlite ALIAS sg_sqlite)
set_target_properties(sg_sqlite PROPERTIES EXPORT_NAME sqlite OUTPUT_NAME stategraph_sqlite)
target_compile_features(sg_sqlite PUBLIC cxx_std_20)
target_link_libraries(sg_sqlite
  PUBLIC stategraph::checkpoint
  PRIVATE SQLite::SQLite3 $<BUILD_INTERFACE:sg_warnings>)
