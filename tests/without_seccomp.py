"""Runs a command where seccomp() itself fails with ENOSYS, as on a kernel without seccomp filters
or in a sandbox that refuses nested ones (x86-64 Linux: syscall 317), for the test that headwatch
then says its network guard is off rather than failing open in silence.

    python tests/without_seccomp.py COMMAND [ARG ...]
"""

import ctypes
import os
import struct
import sys

SECCOMP = 317  # x86-64
ENOSYS = 38


def instruction(code: int, jump_true: int, jump_false: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jump_true, jump_false, k)


# Load the syscall number; seccomp() -> ERRNO(ENOSYS); everything else -> ALLOW.
PROGRAM = b"".join([instruction(0x20, 0, 0, 0), instruction(0x15, 0, 1, SECCOMP),
                    instruction(0x06, 0, 0, 0x00050000 | ENOSYS), instruction(0x06, 0, 0, 0x7FFF0000)])


class Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


buffer = ctypes.create_string_buffer(PROGRAM, len(PROGRAM))
program = Program(len(PROGRAM) // 8, ctypes.cast(buffer, ctypes.c_void_p))
libc = ctypes.CDLL(None, use_errno=True)
long = ctypes.c_long
assert libc.prctl(38, long(1), long(0), long(0), long(0)) == 0  # PR_SET_NO_NEW_PRIVS
assert libc.prctl(22, long(2), ctypes.byref(program), long(0), long(0)) == 0  # PR_SET_SECCOMP, FILTER
os.execvp(sys.argv[1], sys.argv[1:])
