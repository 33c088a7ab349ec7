# Every dependency comes from Debian 12's packages (see scripts/install-deps.sh).
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(Protobuf REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(Boost 1.74 REQUIRED)   # Asio and Beast are header-only
find_package(doctest REQUIRED)
find_package(ZLIB REQUIRED)         # the tests read back the XLSX exports (a zip)
# libxlsxwriter (libxlsxwriter-dev): the collector's XLSX exports.
find_package(PkgConfig REQUIRED)
pkg_check_modules(XLSXWRITER REQUIRED IMPORTED_TARGET xlsxwriter)
# libargon2 (libargon2-dev): Argon2id password hashes of the console users (collector/auth/).
pkg_check_modules(ARGON2 REQUIRED IMPORTED_TARGET libargon2)

# Boost.Asio: standalone-ish settings shared by every target.
add_library(posture_boost INTERFACE)
target_link_libraries(posture_boost INTERFACE Boost::boost Threads::Threads
                      OpenSSL::SSL OpenSSL::Crypto)
target_compile_definitions(posture_boost INTERFACE
  BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW
  BOOST_ENABLE_ASSERT_DEBUG_HANDLER)
include(${CMAKE_CURRENT_LIST_DIR}/BoostAssert.cmake)
