# CMake toolchain file: Raspberry Pi OS 64-bit (Debian arm64, aarch64).
#   cmake -S . -B build/arm64 -DCMAKE_TOOLCHAIN_FILE=contrib/cross/aarch64-linux-gnu.cmake \
#         [-DATS_CROSS_SYSROOT=build/cross-sysroot-arm64]
# contrib/cross/check does all of it, tests included. Needs crossbuild-essential-arm64, qemu-user.
set(ATS_CROSS_TRIPLET aarch64-linux-gnu)
set(ATS_CROSS_QEMU /usr/bin/qemu-aarch64)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
