# CMake toolchain file: Raspberry Pi OS 32-bit (Debian armhf: ARMv7, hard float).
#   cmake -S . -B build/armhf -DCMAKE_TOOLCHAIN_FILE=contrib/cross/arm-linux-gnueabihf.cmake \
#         [-DATS_CROSS_SYSROOT=build/cross-sysroot-armhf]
# contrib/cross/check does all of it, tests included. Needs crossbuild-essential-armhf, qemu-user.
# (Debian's armhf targets ARMv7: the Pi 2 and later. The Pi 1 and Zero (ARMv6) need Raspberry Pi
# OS's own armhf, which is ARMv6 throughout.)
set(ATS_CROSS_TRIPLET arm-linux-gnueabihf)
set(ATS_CROSS_QEMU /usr/bin/qemu-arm)
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE armhf)
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
