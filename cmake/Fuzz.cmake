# POSTURE_FUZZ: libFuzzer targets (tests/fuzz/) under AddressSanitizer and
# UndefinedBehaviorSanitizer, with Debian's clang. Every library of the project is compiled
# with coverage instrumentation (fuzzer-no-link), so the fuzzers see inside the real code
# they call; only the fuzz executables link libFuzzer's main. scripts/fuzz.sh configures
# and runs it.
option(POSTURE_FUZZ "Build the libFuzzer targets of tests/fuzz (clang only)" OFF)
if(NOT POSTURE_FUZZ)
  return()
endif()
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "POSTURE_FUZZ needs clang (CXX=clang++); libFuzzer is part of clang")
endif()
if(POSTURE_SANITIZE)
  message(FATAL_ERROR "POSTURE_FUZZ already builds with ASan and UBSan; drop POSTURE_SANITIZE")
endif()

# -fno-sanitize-recover: a UBSan report stops the run, so libFuzzer saves the input.
# -fno-sanitize=function: clang 14 cannot assemble UBSan's function-type check on C++20
# coroutines ("Cannot represent a difference across sections"); it only checks calls
# through mistyped function pointers, which this code does not make.
add_compile_options(-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=function
                    -fno-omit-frame-pointer -fno-sanitize-recover=all)
add_link_options(-fsanitize=address,undefined -fno-sanitize=function)
# Asio 1.18 (Boost 1.74) enables co_await for clang only with libc++'s
# <experimental/coroutine>; clang 14 with libstdc++'s <coroutine> works as GCC does.
add_compile_definitions(BOOST_ASIO_HAS_CO_AWAIT=1)
