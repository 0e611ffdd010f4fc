"""Reading a large export in a child process while this one checks and writes what it has read.

An import's reading (Arrow's parsing, the cells turned into ``Batch`` columns, dates parsed) and its
checking and writing all need the interpreter; in one process they take turns for it, and one core
waits. A child process forked for the reading hands each batch on through a pipe (pickled: tens of
milliseconds a batch) while this process checks, prepares and writes the one before: the reading
leaves the critical path. Progress reports come through the same pipe, in order.

The child is forked, so it inherits the file's survey, the mapping and the application context as
they are and never touches the database. Forking is safe only in a process with one thread (the
``qms import-dossiers`` command); in the web server, whose other threads may hold locks at the
moment of the fork, the batches are read in this process as before (``use_child``).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import threading
from collections.abc import Callable, Iterator

PR_SET_PDEATHSIG = 1  # linux/prctl.h
CHILD_BYTES = 32 << 20  # files from this size are read in a child process (below it, forking costs more than it saves)


def use_child(size: int) -> bool:
    """Fork a reader for a file of *size* bytes: a large file, on a system that forks, from a one-thread process."""
    return size >= CHILD_BYTES and hasattr(os, "fork") and threading.active_count() == 1


class ChildFailed(RuntimeError):
    """The reading process failed with an error that could not be sent back as it was."""


def batches_in_child(make: Callable[[Callable | None], Iterator], progress: Callable | None) -> Iterator:
    """The items of ``make(progress)`` produced in a forked child process, in order; *progress* called here with
    the arguments the child's calls had. An exception in the child is raised here; closing this generator early
    stops the child."""
    forking = multiprocessing.get_context("fork")
    receiver, sender = forking.Pipe(duplex=False)
    child = forking.Process(target=_produce, args=(make, sender, receiver, progress is not None, os.getpid()),
                            name="dossier-import-reader", daemon=True)
    child.start()
    sender.close()  # this end is the child's: the parent sees EOF if the child dies
    finished = False
    try:
        while True:
            try:
                kind, payload = receiver.recv()
            except EOFError:
                raise ChildFailed(f"the reading process ended without its result (exit code {child.exitcode})") \
                    from None
            if kind == "item":
                yield payload
            elif kind == "progress":
                progress(*payload)
            elif kind == "error":
                raise payload
            else:  # done
                finished = True
                return
    finally:
        receiver.close()
        if not finished:
            child.terminate()
        child.join()


def _produce(make, sender, receiver, reports: bool, parent: int) -> None:
    """In the child: every item of *make*, then "done"; or the exception that stopped it. The child dies with its
    parent: it holds copies of the parent's descriptors, its database connection's among them, and the server
    would keep a killed import's transaction (and its locks) open while the child lived."""
    receiver.close()  # else a dead parent's end of the pipe stays open here, and a send waits for ever
    _die_with(parent)

    def progress(*arguments):
        sender.send(("progress", arguments))

    try:
        for item in make(progress if reports else None):
            sender.send(("item", item))
        sender.send(("done", None))
    except BaseException as error:  # noqa: BLE001 - handed to the parent, which raises it
        try:
            pickle.dumps(error)
        except Exception:  # noqa: BLE001 - an exception that does not pickle goes as its text
            error = ChildFailed(f"{type(error).__name__}: {error}")
        sender.send(("error", error))
    finally:
        sender.close()
        os._exit(0)  # no atexit handlers, no flushing of the parent's buffers copied into this process


def _die_with(parent: int) -> None:
    """Linux: be killed when the parent ends (``PR_SET_PDEATHSIG``); elsewhere the next send to the closed pipe
    ends the child."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent ended before the line above
        os._exit(1)
