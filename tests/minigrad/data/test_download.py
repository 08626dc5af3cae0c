"""Checked downloads through file:// URLs (there is no network here)."""
import hashlib

import pytest

from minigrad import data

PAYLOAD = bytes(range(256)) * 5000


@pytest.fixture
def source(tmp_path):
    """A file to download, in its own folder."""
    folder = tmp_path / "server"
    folder.mkdir()
    path = folder / "blob.bin"
    path.write_bytes(PAYLOAD)
    return path


@pytest.fixture
def downloads(tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("progress", [False, True])
def test_download_verifies_and_keeps_the_file(source, downloads, progress):
    dest = data.download_file(source.as_uri(), downloads / "blob.bin", progress=progress,
                              md5=hashlib.md5(PAYLOAD).hexdigest(), sha256=hashlib.sha256(PAYLOAD).hexdigest())
    assert dest.read_bytes() == PAYLOAD
    assert [p.name for p in downloads.iterdir()] == ["blob.bin"]
    assert data.file_digest(dest, "sha256") == hashlib.sha256(PAYLOAD).hexdigest()


@pytest.mark.parametrize("algorithm", ["md5", "sha256"])
def test_bad_checksum_leaves_no_file(source, downloads, algorithm):
    wrong = "0" * (32 if algorithm == "md5" else 64)
    actual = hashlib.new(algorithm, PAYLOAD).hexdigest()
    with pytest.raises(data.ChecksumError) as error:
        data.download_file(source.as_uri(), downloads / "blob.bin", progress=False, **{algorithm: wrong})
    message = str(error.value)
    assert "blob.bin" in message and f"expected {algorithm} {wrong}" in message and f"got {actual}" in message
    assert list(downloads.iterdir()) == []


def test_bad_checksum_keeps_the_previous_file(source, downloads):
    dest = downloads / "blob.bin"
    dest.write_bytes(b"old")
    with pytest.raises(data.ChecksumError):
        data.download_file(source.as_uri(), dest, md5="0" * 32, progress=False)
    assert dest.read_bytes() == b"old"
    assert [p.name for p in downloads.iterdir()] == ["blob.bin"]


def test_malformed_checksum_is_refused_before_downloading(source, downloads):
    with pytest.raises(ValueError, match="md5 must be 32 hex digits"):
        data.download_file(source.as_uri(), downloads / "blob.bin", md5="abc")
    assert list(downloads.iterdir()) == []


def test_missing_source_leaves_no_file(tmp_path, downloads):
    with pytest.raises(OSError):
        data.download_file((tmp_path / "absent.bin").as_uri(), downloads / "absent.bin", progress=False)
    assert list(downloads.iterdir()) == []


@pytest.fixture
def fake_dataset(tmp_path, monkeypatch):
    """A dataset "mnist" of two files served from two mirrors: the first lacks one
    file and serves the other with wrong bytes, the second has both right."""
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir(), bad.mkdir()
    files = {"a.gz": b"first file", "b.gz": b"second file"}
    for name, content in files.items():
        (good / name).write_bytes(content)
    (bad / "a.gz").write_bytes(b"tampered")
    monkeypatch.setitem(data.FILE_MD5, "mnist", {name: hashlib.md5(c).hexdigest() for name, c in files.items()})
    return files, [bad.as_uri(), good.as_uri()]


def test_mirrors_are_tried_in_order(fake_dataset, tmp_path):
    files, mirrors = fake_dataset
    root = data.download_dataset("mnist", tmp_path / "cache", mirrors=mirrors, progress=False)
    assert {p.name: p.read_bytes() for p in root.iterdir()} == files


def test_module_mirrors_are_the_default(fake_dataset, tmp_path, monkeypatch):
    files, mirrors = fake_dataset
    monkeypatch.setitem(data.MIRRORS, "mnist", mirrors)
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path / "env"))
    root = data.download_dataset("mnist", progress=False)
    assert root == tmp_path / "env" / "mnist"
    assert {p.name: p.read_bytes() for p in root.iterdir()} == files


def test_files_already_present_are_kept(fake_dataset, tmp_path):
    files, _ = fake_dataset
    root = tmp_path / "cache"
    root.mkdir()
    for name, content in files.items():
        (root / name).write_bytes(content)
    data.download_dataset("mnist", root, mirrors=[], progress=False)
    assert {p.name: p.read_bytes() for p in root.iterdir()} == files


def test_all_mirrors_failing_lists_each(fake_dataset, tmp_path):
    _, mirrors = fake_dataset
    nowhere = (tmp_path / "nowhere").as_uri()
    with pytest.raises(data.DownloadError) as error:
        data.download_dataset("mnist", tmp_path / "cache", mirrors=[mirrors[0], nowhere], progress=False)
    message = str(error.value)
    assert message.startswith("could not download a.gz")
    assert f"{mirrors[0]}/a.gz: a.gz from {mirrors[0]}/a.gz: expected md5" in message
    assert f"{nowhere}/a.gz: " in message
    assert list((tmp_path / "cache").iterdir()) == []


def test_unknown_dataset_download():
    with pytest.raises(ValueError, match="known: mnist, fashion-mnist, cifar10"):
        data.download_dataset("imagenet")


def test_published_checksums_match_the_real_files(shared_data):
    for name in ("mnist", "fashion-mnist"):
        for filename, md5 in data.FILE_MD5[name].items():
            assert data.file_digest(shared_data / name / filename, "md5") == md5
