"""A job's connection: checked out at the job's first statement, registered so
that a cancel interrupts exactly the statement it runs, kept for all the job's
statements (a transaction can span them), and given back at the end of the job,
or thrown away when it broke.

Used in the job's worker thread only.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class Lease:
    def __init__(self, backend, job):
        self.backend = backend
        self.job = job
        self._raw = None
        self.broken = False

    @property
    def raw(self):
        """The job's raw DB-API connection, taken on first use."""
        if self._raw is None:
            self.job.check()
            raw = self.backend.checkout()
            try:
                self.backend.prepare(raw, self.job)
                self.job.attach(raw, self.backend.interrupt)
            except BaseException:
                self.backend.release(raw, broken=False)
                raise
            self._raw = raw
        return self._raw

    def discard(self) -> None:
        """The connection died: throw it away now; the next use takes a fresh one."""
        self.broken = True
        self._give_back()
        self.broken = False

    def close(self) -> None:
        self._give_back()

    def _give_back(self) -> None:
        raw, self._raw = self._raw, None
        if raw is None:
            return
        self.job.detach()
        try:
            if not self.broken:
                self.backend.unprepare(raw)
        except Exception as e:  # noqa: BLE001 - a connection that cannot be reset is a broken one
            log.info("connection of job %s could not be reset (%s): thrown away", self.job.label, e)
            self.broken = True
        self.backend.release(raw, broken=self.broken)
