"""A distributed worker stops when its launcher dies.

``torch.distributed.run`` forwards SIGTERM and SIGINT to its workers, but a
launcher killed with SIGKILL cannot: its workers would keep training and
writing into the work dir. On Linux a process can ask the kernel for a
signal when its parent dies (``prctl(PR_SET_PDEATHSIG)``); the workers of
``tools/dist_train.sh`` are the launcher's children, so each asks for
SIGTERM and stops like an interrupted run (its last checkpoint kept).
"""
import ctypes
import ctypes.util
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def stop_with_parent(sig: int = signal.SIGTERM) -> bool:
    """Ask for ``sig`` when this process's parent dies (Linux only).

    Returns:
        bool: Whether the request was made. If the parent is already gone
        (the process was re-parented before the call), ``sig`` is raised at
        once.
    """
    if not sys.platform.startswith('linux'):
        return False
    parent = os.getppid()
    libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6',
                       use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        return False
    if os.getppid() != parent:  # died between the two calls
        os.kill(os.getpid(), sig)
    return True
