"""The errors a user can get from `minigrad.data`."""
from pathlib import Path


class CorruptFileError(ValueError):
    """A dataset file that is truncated or not in the format it should be in."""

    def __init__(self, path, problem):
        self.path = Path(path)
        super().__init__(
            f"{self.path}: {problem}. The file is truncated or corrupt: delete it and "
            f"download it again (download=True) or copy a fresh copy there."
        )


class ChecksumError(ValueError):
    """A downloaded file whose checksum differs from the published one."""


class DownloadError(OSError):
    """No mirror could deliver a file with the right checksum."""


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are not where we looked, and download was not asked for."""
