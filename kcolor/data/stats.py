"""`PipelineStats`: what a data pipeline read and skipped, shared by tf.data and PyDataset."""

import logging
import threading

log = logging.getLogger("kcolor.data.pipeline")

# Element status codes (carried through the tf.data graph until the counting filter).
STATUS_OK = 0
STATUS_BAD = 1
STATUS_GRAY = 2
STATUS_DULL = 3


class PipelineStats:
    """Counts what the pipeline read and skipped, by file name; safe to update from tf.data threads.

    Each file is counted once however many epochs run.

    Args:
        log_bad: log each unreadable file as it is met (a warning); off for callers that list
            `bad` themselves at the end (`kcolor check-data`), so no file is named twice.
    """

    def __init__(self, log_bad=True):
        self._lock = threading.Lock()
        self._log_bad = log_bad
        self._names = {STATUS_OK: set(), STATUS_BAD: {}, STATUS_GRAY: set(), STATUS_DULL: set()}

    def note_bad(self, name, reason):
        """Remember an unreadable file and log it once."""
        with self._lock:
            first_time = name not in self._names[STATUS_BAD]
            self._names[STATUS_BAD][name] = reason
        if first_time and self._log_bad:
            log.warning("skipped unreadable image %s: %s", name, reason)

    def keep(self, status, name):
        """Count one element and say whether it goes on down the pipeline."""
        status = int(status)
        name = name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)
        with self._lock:
            if status == STATUS_BAD:
                self._names[STATUS_BAD].setdefault(name, "unreadable")
            else:
                self._names[status].add(name)
        return status == STATUS_OK

    @property
    def used(self):
        """Number of distinct images passed on."""
        return len(self._names[STATUS_OK])

    @property
    def bad(self):
        """`{name: reason}` of unreadable files."""
        return dict(self._names[STATUS_BAD])

    @property
    def gray(self):
        """Number of distinct grayscale photos skipped."""
        return len(self._names[STATUS_GRAY])

    @property
    def dull(self):
        """Number of distinct photos skipped for low colorfulness."""
        return len(self._names[STATUS_DULL])

    def summary(self):
        """One line for logs and the CLI."""
        return (
            f"{self.used} images used, {self.gray} grayscale skipped, "
            f"{self.dull} near-gray skipped, {len(self._names[STATUS_BAD])} unreadable skipped"
        )
