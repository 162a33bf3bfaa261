"""Database work in worker threads, delivered as Deferreds, and cancellable.

The reactor thread never touches the database: every storage method that
does is wrapped by `threaded`, which runs it in the database's own thread pool
and returns a Deferred. `Deferred.cancel()` really interrupts the statement:
the job registers the raw connection it runs on, and the cancel (run in a
separate control thread, because a server cancel needs its own round trip)
interrupts exactly that statement, never the next one.
"""

from __future__ import annotations

import functools
import itertools
import logging
import threading
from collections.abc import Callable

from twisted.internet import defer
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

log = logging.getLogger(__name__)
_ids = itertools.count(1)


class Cancelled(Exception):
    """The operator cancelled this job before or while it ran."""


class Job:
    """One unit of database work; knows the connection it is running on."""

    def __init__(self, label: str, on_waiting: Callable[[], None] | None = None):
        self.id = next(_ids)
        self.label = label
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._raw = None
        self._interrupt: Callable | None = None
        # What the job is waiting for, for the operator (e.g. another process's lock), or None. Set in the
        # job's thread; _on_waiting then tells the worker, which tells its listeners on the reactor thread.
        self.waiting: str | None = None
        self._on_waiting = on_waiting
        self.lease = None                 # the job's connection (storage.lease), taken at its first statement

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Any thread: mark the job cancelled; a wait in it ends at once (interrupt() stops a statement)."""
        self._cancel.set()

    def sleep(self, seconds: float) -> None:
        """Pause the job's thread; a cancel ends the pause at once, with Cancelled."""
        self._cancel.wait(seconds)
        self.check()

    def set_waiting(self, note: str | None) -> None:
        """In the job's thread: what it now waits for (shown while the spinner runs), or None."""
        self.waiting = note
        if self._on_waiting is not None:
            self._on_waiting()

    def check(self) -> None:
        if self.cancelled:
            raise Cancelled(self.label)

    def attach(self, raw, interrupt: Callable) -> None:
        """Register the raw connection a statement is about to run on."""
        with self._lock:
            self.check()
            self._raw, self._interrupt = raw, interrupt

    def detach(self) -> None:
        with self._lock:
            self._raw = self._interrupt = None

    def interrupt(self) -> None:
        """Called in the control thread: stop the running statement, if any."""
        with self._lock:
            if self._raw is not None and self._interrupt is not None:
                log.info("interrupting job %d (%s)", self.id, self.label)
                self._interrupt(self._raw)


class Worker:
    """A database's thread pools plus bookkeeping of running jobs."""

    def __init__(self, reactor, name: str, threads: int = 3):
        self.reactor = reactor
        self.pool = ThreadPool(minthreads=1, maxthreads=threads, name=f"rowdesk-{name}")
        self.control = ThreadPool(minthreads=0, maxthreads=1, name=f"rowdesk-{name}-cancel")
        self.pool.start()
        self.control.start()
        self.running: dict[int, Job] = {}
        # Both called on the reactor thread: listeners(number of running jobs) when it changes,
        # waiting_listeners(note or None) when `waiting` changes.
        self.listeners: list[Callable[[int], None]] = []
        self.waiting_listeners: list[Callable[[str | None], None]] = []
        self._waiting_told: str | None = None

    @property
    def waiting(self) -> str | None:
        """Reactor thread: what a running job waits for (e.g. another process's lock), or None."""
        return next((job.waiting for job in self.running.values() if job.waiting), None)

    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener(len(self.running))
        self._waiting_changed()

    def _waiting_changed(self) -> None:
        note = self.waiting
        if note != self._waiting_told:
            self._waiting_told = note
            for listener in list(self.waiting_listeners):
                listener(note)

    def submit(self, label: str, fn: Callable, *args, **kwargs) -> defer.Deferred:
        """Run fn(job, *args, **kwargs) in the pool; must be called on the reactor thread."""
        job = Job(label, on_waiting=lambda: self.reactor.callFromThread(self._waiting_changed))

        def cancel(d):
            job.cancel()
            self.control.callInThread(job.interrupt)

        d = defer.Deferred(canceller=cancel)
        self.running[job.id] = job
        self._changed()

        def finish(ok, result):
            self.running.pop(job.id, None)
            self._changed()
            if d.called:          # cancelled already: the late result is dropped
                if not ok and not result.check(Cancelled):
                    log.info("job %s ended after cancel: %s", label, result.getErrorMessage())
                return
            if ok:
                d.callback(result)
            else:
                d.errback(result)

        def on_result(ok, result):
            self.reactor.callFromThread(finish, ok, result)

        self.pool.callInThreadWithCallback(on_result, _run, job, fn, args, kwargs)
        return d

    def stop(self) -> None:
        for job in list(self.running.values()):
            job.cancel()
            self.control.callInThread(job.interrupt)
        self.control.stop()   # runs the queued interrupts, then joins
        self.pool.stop()


def _run(job: Job, fn, args, kwargs):
    job.check()
    try:
        return fn(job, *args, **kwargs)
    except Exception:
        if job.cancelled:
            raise Cancelled(job.label) from None
        raise
    finally:
        if job.lease is not None:
            job.lease.close()             # the job's connection goes back (or away, when broken)


def _bound(method, obj, job, *args, **kwargs):
    return method(obj, job, *args, **kwargs)


def threaded(label: str):
    """Decorate a storage method `m(self, job, ...)` to run in `self.worker`'s pool.

    Callers call `obj.m(...)` without the job and get a Deferred.
    """
    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs) -> defer.Deferred:
            return self.worker.submit(label, functools.partial(_bound, method, self), *args, **kwargs)
        wrapper.in_thread = method
        return wrapper
    return decorate


def is_cancel(failure: Failure) -> bool:
    return failure.check(Cancelled, defer.CancelledError) is not None
