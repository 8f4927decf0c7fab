# Install rules and the exported package: find_package(stategraph) gives stategraph::checkpoint
# and stategraph::engine. The flags target sg_warnings is linked as $<BUILD_INTERFACE:...> only,
# so it is neither exported nor seen by consumers.
include(CMakePackageConfigHelpers)

set(SG_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/stategraph")

install(TARGETS sg_checkpoint sg_engine sg_nodes
        EXPORT stategraphTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY checkpoint/include/ engine/include/ nodes/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# stategraph::postgres (checkpoint/postgres.cmake) links libpqxx privately (PkgConfig::PQXX).
if(TARGET sg_postgres)
  install(TARGETS sg_postgres
          EXPORT stategraphTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
# stategraph::sqlite (checkpoint/sqlite.cmake) links libsqlite3 privately (SQLite::SQLite3).
if(TARGET sg_sqlite)
  install(TARGETS sg_sqlite
          EXPORT stategraphTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

install(EXPORT stategraphTargets NAMESPACE stategraph:: DESTINATION ${SG_INSTALL_CMAKEDIR})
configure_package_config_file(cmake/stategraphConfig.cmake.in
  "${CMAKE_CURRENT_BINARY_DIR}/stategraphConfig.cmake"
  INSTALL_DESTINATION ${SG_INSTALL_CMAKEDIR})
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/stategraphConfigVersion.cmake"
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/stategraphConfig.cmake"
              "${CMAKE_CURRENT_BINARY_DIR}/stategraphConfigVersion.cmake"
        DESTINATION ${SG_INSTALL_CMAKEDIR})
