"""Shut this process off from the network, so that no library can phone home.

MediaPipe's native code holds a telemetry uploader ("clearcut") that looks up and contacts
play.googleapis.com on every run, with no documented switch to turn it off (mediapipe issue
#6291). Patching Python's sockets cannot stop native code, so on Linux headwatch installs a
seccomp filter: from then on, creating an internet socket (AF_INET, AF_INET6) fails with EACCES
in every thread of the process, native or not, including the DNS lookup. Local (AF_UNIX) sockets
still work. The filter cannot be lifted, so it is installed only when no network source (a
stream URL) is wanted. Elsewhere (macOS, Windows, other CPUs) nothing is installed and
``deny_network`` says so; docs/privacy.md states what is guaranteed where.
"""

from __future__ import annotations

import ctypes
import platform
import struct
import sys

# Linux ABI numbers (linux/audit.h, linux/seccomp.h, linux/filter.h, asm/unistd.h).
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_SOCKET_SYSCALL = {"x86_64": 41, "aarch64": 198}
_AF_INET, _AF_INET6 = 2, 10
_EACCES = 13
_PR_SET_NO_NEW_PRIVS = 38
_SECCOMP_SET_MODE_FILTER = 1
_SECCOMP_FILTER_FLAG_TSYNC = 1
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000
_SECCOMP_SYSCALL = {"x86_64": 317, "aarch64": 277}
# BPF instruction classes and modes.
_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_RET_K = 0x06  # BPF_RET | BPF_K
# Offsets in struct seccomp_data: nr, arch, instruction pointer, args[6] (64-bit each).
_NR, _ARCH, _ARG0_LOW = 0, 4, 16

_installed = False


def _instruction(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def _program(machine: str) -> bytes:
    """allow everything except socket(AF_INET | AF_INET6, ...), which fails with EACCES."""
    deny = _SECCOMP_RET_ERRNO | _EACCES
    return b"".join([
        _instruction(_LD_W_ABS, 0, 0, _ARCH),
        _instruction(_JEQ_K, 1, 0, _AUDIT_ARCH[machine]),  # another ABI (e.g. 32-bit): allow
        _instruction(_RET_K, 0, 0, _SECCOMP_RET_ALLOW),
        _instruction(_LD_W_ABS, 0, 0, _NR),
        _instruction(_JEQ_K, 0, 5, _SOCKET_SYSCALL[machine]),  # not socket(): to the last ALLOW
        _instruction(_LD_W_ABS, 0, 0, _ARG0_LOW),  # the address family (an int: the low word)
        _instruction(_JEQ_K, 2, 0, _AF_INET),
        _instruction(_JEQ_K, 1, 0, _AF_INET6),
        _instruction(_RET_K, 0, 0, _SECCOMP_RET_ALLOW),
        _instruction(_RET_K, 0, 0, deny),
        _instruction(_RET_K, 0, 0, _SECCOMP_RET_ALLOW),
    ])


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def supported() -> bool:
    return sys.platform.startswith("linux") and platform.machine() in _AUDIT_ARCH


def deny_network() -> bool:
    """Forbid internet sockets for the rest of this process; True when the filter is in place."""
    global _installed
    if _installed:
        return True
    if not supported():
        return False
    machine = platform.machine()
    # The symbols already loaded into this process (libc among them): find_library would spawn
    # ldconfig just to find it.
    libc = ctypes.CDLL(None, use_errno=True)
    program = _program(machine)
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    long = ctypes.c_long  # both calls are variadic in C: pass every argument at its full width
    if libc.prctl(ctypes.c_int(_PR_SET_NO_NEW_PRIVS), long(1), long(0), long(0), long(0)) != 0:
        return False
    # TSYNC: every thread already running (MediaPipe's, OpenCV's) gets the filter too.
    result = libc.syscall(long(_SECCOMP_SYSCALL[machine]), long(_SECCOMP_SET_MODE_FILTER),
                          long(_SECCOMP_FILTER_FLAG_TSYNC), ctypes.byref(fprog))
    _installed = bool(result == 0)
    return _installed
