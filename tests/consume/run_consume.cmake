# cmake -P script behind the test "consume: find_package after install":
#   1. cmake --install <main build> --prefix <work>/prefix
#   2. configure tests/consume/project with -DCMAKE_PREFIX_PATH=<work>/prefix
#   3. build it, and check that find_package took the package from that prefix
#   4. run it (it checks its own results and exits non-zero on a mismatch)
# Inputs (-D): SG_BUILD_DIR SG_PROJECT_DIR SG_WORK_DIR SG_GENERATOR SG_CXX_COMPILER
#              [SG_MAKE_PROGRAM] [SG_CONFIG]
cmake_minimum_required(VERSION 3.21)

foreach(var SG_BUILD_DIR SG_PROJECT_DIR SG_WORK_DIR SG_GENERATOR SG_CXX_COMPILER)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_consume.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT SG_CONFIG)
  set(SG_CONFIG Release)
endif()

set(prefix "${SG_WORK_DIR}/prefix")
set(build "${SG_WORK_DIR}/build")
file(REMOVE_RECURSE "${SG_WORK_DIR}")
file(MAKE_DIRECTORY "${SG_WORK_DIR}")

function(step name)
  string(REPLACE ";" " " shown "${ARGN}")
  message(STATUS "[consume] ${name}: ${shown}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "[consume] ${name} failed (${rc})")
  endif()
endfunction()

step(install "${CMAKE_COMMAND}" --install "${SG_BUILD_DIR}" --prefix "${prefix}" --config "${SG_CONFIG}")

set(configure_args
  -S "${SG_PROJECT_DIR}" -B "${build}" -G "${SG_GENERATOR}"
  "-DCMAKE_PREFIX_PATH=${prefix}"
  "-DCMAKE_BUILD_TYPE=${SG_CONFIG}"
  "-DCMAKE_CXX_COMPILER=${SG_CXX_COMPILER}"
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if(SG_MAKE_PROGRAM)
  list(APPEND configure_args "-DCMAKE_MAKE_PROGRAM=${SG_MAKE_PROGRAM}")
endif()
step(configure "${CMAKE_COMMAND}" ${configure_args})

# The package must come from the fresh prefix, not from the build tree or the system.
file(STRINGS "${build}/CMakeCache.txt" found_dir REGEX "^stategraph_DIR:")
string(REGEX REPLACE "^stategraph_DIR:[A-Z]+=" "" found_dir "${found_dir}")
file(REAL_PATH "${prefix}" real_prefix)
file(REAL_PATH "${found_dir}" real_found_dir)
string(FIND "${real_found_dir}/" "${real_prefix}/" at)
if(NOT at EQUAL 0)
  message(FATAL_ERROR "[consume] find_package(stategraph) used '${found_dir}', not the prefix '${prefix}'")
endif()

step(build "${CMAKE_COMMAND}" --build "${build}" --config "${SG_CONFIG}")

if(EXISTS "${build}/${SG_CONFIG}/consume")
  set(exe "${build}/${SG_CONFIG}/consume")   # multi-config generators
else()
  set(exe "${build}/consume")
endif()
step(run "${exe}")
message(STATUS "[consume] OK: installed package found, built and ran")
