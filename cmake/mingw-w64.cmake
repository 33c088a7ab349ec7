# CMake toolchain file: cross-compile for 64-bit Windows with Debian's mingw-w64.
#   cmake -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake \
#         -DPOSTURE_WIN_DEPS=$(scripts/windows/build-deps.sh) ...
# Also used by scripts/windows/build-deps.sh to cross-build protobuf itself.

set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

# The "-posix" variants (Debian package g++-mingw-w64-x86-64-posix) use the
# winpthreads thread model, which std::thread/std::mutex need in GCC 12; the
# "-win32" ones lack them.
set(_mingw x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${_mingw}-gcc-posix)
set(CMAKE_CXX_COMPILER ${_mingw}-g++-posix)
set(CMAKE_RC_COMPILER ${_mingw}-windres)

# Where Windows libraries live: the mingw-w64 runtime, plus the prefix of
# cross-built dependencies (OpenSSL, protobuf, SQLite) printed by
# build-deps.sh, given as -DPOSTURE_WIN_DEPS=... or in the environment.
if(NOT POSTURE_WIN_DEPS AND DEFINED ENV{POSTURE_WIN_DEPS})
  set(POSTURE_WIN_DEPS "$ENV{POSTURE_WIN_DEPS}")
endif()
set(POSTURE_WIN_DEPS "${POSTURE_WIN_DEPS}" CACHE PATH
    "Prefix of the cross-built Windows dependencies (scripts/windows/build-deps.sh)")
# try_compile() projects re-read this file but not the cache: pass it on.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES POSTURE_WIN_DEPS)
set(CMAKE_FIND_ROOT_PATH /usr/${_mingw})
if(POSTURE_WIN_DEPS)
  list(PREPEND CMAKE_FIND_ROOT_PATH "${POSTURE_WIN_DEPS}")
endif()

# Programs (protoc, ...) must run on the build machine: search the host.
# Libraries, headers and CMake packages must be Windows ones: search only the
# roots above, so the host's Linux OpenSSL/protobuf are never picked up.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Static linking: -static makes the linker take libwinpthread.a rather than
# its import library, and the GCC and libstdc++ runtimes are linked in too, so
# the .exe needs only the DLLs Windows itself ships.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")
