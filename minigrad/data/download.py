"""Checked downloads of the dataset files, from a list of mirrors tried in order.

A file is streamed to a temporary file beside its destination and renamed only when
its checksum matches the published one, so a broken download never leaves a file that
looks complete. `MIRRORS` (base URLs; `file://` works too) may be changed, or a
`mirrors=` list passed, to fetch from elsewhere.
"""
import hashlib
import http.client
import os
import re
import urllib.request
from pathlib import Path

from tqdm.auto import tqdm

from ..atomic import atomic_write
from .errors import ChecksumError, DownloadError

MIRRORS = {
    "mnist": [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ],
    "fashion-mnist": [
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ],
    "cifar10": [
        "https://www.cs.toronto.edu/~kriz/",
    ],
}

FILE_MD5 = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
    "cifar10": {
        "cifar-10-python.tar.gz": "c58f30108f718f92721af3b95e74349a",
    },
}

# The official IDX files uncompressed: (size in bytes, MD5), computed from the files of FILE_MD5.
RAW_IDX_MD5 = {
    "mnist": {
        "train-images-idx3-ubyte": (47040016, "6bbc9ace898e44ae57da46a324031adb"),
        "train-labels-idx1-ubyte": (60008, "a25bea736e30d166cdddb491f175f624"),
        "t10k-images-idx3-ubyte": (7840016, "2646ac647ad5339dbf082846283269ea"),
        "t10k-labels-idx1-ubyte": (10008, "27ae3e4e09519cfbb04c329615203637"),
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte": (47040016, "f4a8712d7a061bf5bd6d2ca38dc4d50a"),
        "train-labels-idx1-ubyte": (60008, "9018921c3c673c538a1fc5bad174d6f9"),
        "t10k-images-idx3-ubyte": (7840016, "8181f5470baa50b63fa0f6fddb340f0a"),
        "t10k-labels-idx1-ubyte": (10008, "15d484375f8d13e6eb1aabb0c3f46965"),
    },
}

CHUNK_BYTES = 1 << 20
DIGEST_LENGTHS = {"md5": 32, "sha256": 64}


def default_root(name):
    """Where dataset `name` lives when no root is given: $MINIGRAD_DATA/<name>, or else
    ~/.cache/minigrad/<name>."""
    base = os.environ.get("MINIGRAD_DATA") or Path.home() / ".cache" / "minigrad"
    return Path(base).expanduser() / name


def file_digest(path, algorithm="md5"):
    """Hex digest of the file at `path`."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def download_file(url, dest, sha256=None, md5=None, progress=True, timeout=60):
    """Stream `url` (http, https or file://) to the file `dest` and return its path.

    The bytes go to a temporary file in `dest`'s folder, renamed to `dest` only when
    every checksum given matches. Otherwise the temporary file is deleted, `dest` is
    left as it was, and ChecksumError names the file, the expected and the actual digest.
    """
    expected = {name: value.lower() for name, value in (("sha256", sha256), ("md5", md5)) if value is not None}
    for name, value in expected.items():
        if not re.fullmatch(f"[0-9a-f]{{{DIGEST_LENGTHS[name]}}}", value):
            raise ValueError(f"{name} must be {DIGEST_LENGTHS[name]} hex digits, got {value!r}")
    dest = Path(dest)
    digests = {name: hashlib.new(name) for name in expected}
    with urllib.request.urlopen(url, timeout=timeout) as response, atomic_write(dest) as out:
        length = response.headers.get("Content-Length")
        total = int(length) if length else None
        received = 0
        with tqdm(total=total, unit="B", unit_scale=True, desc=dest.name, disable=not progress) as bar:
            while chunk := response.read(CHUNK_BYTES):
                out.write(chunk)
                for digest in digests.values():
                    digest.update(chunk)
                received += len(chunk)
                bar.update(len(chunk))
        if total is not None and received != total:
            raise DownloadError(f"{dest.name} from {url}: got {received} of {total} bytes; the download was deleted")
        for name, value in expected.items():
            actual = digests[name].hexdigest()
            if actual != value:
                raise ChecksumError(
                    f"{dest.name} from {url}: expected {name} {value}, got {actual}; the download was deleted"
                )
    return dest


def download_dataset(name, root=None, mirrors=None, progress=True):
    """Fetch the files of dataset `name` (a key of FILE_MD5) into `root` and return `root`.

    Files already there with the published MD5 are kept. Each missing file is fetched
    from the `mirrors` (base URLs, default MIRRORS[name]) in order until one delivers
    it with the right checksum; DownloadError lists every mirror's failure otherwise.
    """
    if name not in FILE_MD5:
        raise ValueError(f"no download known for {name!r}; known: {', '.join(FILE_MD5)}")
    root = default_root(name) if root is None else Path(root).expanduser()
    mirrors = MIRRORS[name] if mirrors is None else list(mirrors)
    for filename, md5 in FILE_MD5[name].items():
        dest = root / filename
        if not (dest.is_file() and file_digest(dest, "md5") == md5):
            download_from_mirrors(filename, dest, md5, mirrors, progress)
    return root


def download_from_mirrors(filename, dest, md5, mirrors, progress=True):
    """Try `mirror + filename` for each mirror in order until one arrives with `md5`."""
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + filename
        try:
            return download_file(url, dest, md5=md5, progress=progress)
        except (OSError, ValueError, http.client.HTTPException) as error:
            failures.append(f"{url}: {error}")
    tried = "; ".join(failures) if failures else "no mirrors given"
    raise DownloadError(f"could not download {filename} ({tried})")
