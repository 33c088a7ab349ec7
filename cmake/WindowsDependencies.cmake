# The Windows agent's cross build (scripts/windows/build-agent.sh, toolchain
# cmake/mingw-w64.cmake). Its dependencies are static libraries in POSTURE_WIN_DEPS, the
# prefix scripts/windows/build-deps.sh cross-builds from Debian's source packages; only
# protoc runs on the build machine (Debian's, the same version as that runtime).
set(POSTURE_WIN_DEPS "$ENV{POSTURE_WIN_DEPS}" CACHE PATH "Prefix printed by scripts/windows/build-deps.sh")
if(NOT POSTURE_WIN_DEPS OR NOT EXISTS ${POSTURE_WIN_DEPS}/.complete)
  message(FATAL_ERROR "POSTURE_WIN_DEPS must be the prefix scripts/windows/build-deps.sh prints")
endif()
# A new prefix (new versions, compiler or script): forget what was found in the old one.
if(DEFINED POSTURE_WIN_DEPS_FOUND_IN AND NOT POSTURE_WIN_DEPS_FOUND_IN STREQUAL POSTURE_WIN_DEPS)
  foreach(v OPENSSL_INCLUDE_DIR OPENSSL_CRYPTO_LIBRARY OPENSSL_SSL_LIBRARY SQLite3_INCLUDE_DIR
            SQLite3_LIBRARY Protobuf_INCLUDE_DIR Protobuf_LIBRARY Protobuf_LIBRARY_DEBUG
            Protobuf_LIBRARY_RELEASE Protobuf_LITE_LIBRARY Protobuf_LITE_LIBRARY_DEBUG
            Protobuf_LITE_LIBRARY_RELEASE Protobuf_PROTOC_LIBRARY Protobuf_PROTOC_LIBRARY_DEBUG
            Protobuf_PROTOC_LIBRARY_RELEASE Boost_INCLUDE_DIR)
    unset(${v} CACHE)
  endforeach()
endif()
set(POSTURE_WIN_DEPS_FOUND_IN ${POSTURE_WIN_DEPS} CACHE INTERNAL "")
list(APPEND CMAKE_FIND_ROOT_PATH ${POSTURE_WIN_DEPS})
list(APPEND CMAKE_PREFIX_PATH ${POSTURE_WIN_DEPS})

find_package(Threads REQUIRED)
set(OPENSSL_ROOT_DIR ${POSTURE_WIN_DEPS})
set(OPENSSL_USE_STATIC_LIBS TRUE)
find_package(OpenSSL 3 REQUIRED)
find_package(SQLite3 REQUIRED)
find_program(Protobuf_PROTOC_EXECUTABLE protoc PATHS /usr/bin NO_CMAKE_FIND_ROOT_PATH REQUIRED)
find_package(Protobuf REQUIRED)
set(Boost_INCLUDE_DIR ${POSTURE_WIN_DEPS}/boost-include)
find_package(Boost 1.74 REQUIRED)

# Windows 10 / Server 2016 and later; the W (UTF-16) API; no winsock.h from windows.h (Asio
# includes winsock2.h itself); no min/max macros.
add_compile_definitions(_WIN32_WINNT=0x0A00 WINVER=0x0A00 UNICODE _UNICODE
                        WIN32_LEAN_AND_MEAN NOMINMAX)

add_library(posture_boost INTERFACE)
target_link_libraries(posture_boost INTERFACE Boost::boost Threads::Threads
                      OpenSSL::SSL OpenSSL::Crypto ws2_32 mswsock crypt32)
target_compile_definitions(posture_boost INTERFACE
  BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW
  BOOST_ENABLE_ASSERT_DEBUG_HANDLER)
include(${CMAKE_CURRENT_LIST_DIR}/BoostAssert.cmake)

# The release executable ships without symbols (19 MB -> 10 MB).
add_link_options($<$<CONFIG:Release>:-s>)
