"""handdigits.images: known answers for each step of decoding (mutation-tested, ``make mutation``).

Each test feeds an input where a plausible mistake in one step gives a visibly different
answer: a mode whose values a conversion to ``L`` would clip, a file just above or below the
size at which decoding reduces it, a path that ``stat`` calls regular but that is a FIFO
when opened, and error messages matched in full.
"""

from __future__ import annotations

import io
import os
import stat
import threading
import zipfile

import numpy as np
import pytest
from PIL import Image, JpegImagePlugin

from handdigits import images
from handdigits.images import DECODE_MAX, decode, is_image_source, is_pil_image, open_regular_file, pil_to_array


def _encoded(img: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **options)
    return buf.getvalue()


def _stripes(width: int, height: int = 2) -> np.ndarray:
    """uint8 ``(height, width)``: columns alternate 0 and 200, so a 2x box filter gives 100 everywhere."""
    a = np.zeros((height, width), np.uint8)
    a[:, 1::2] = 200
    return a


# -- what counts as an image source ----------------------------------------------------------


class _FsPath:
    """A path-like object (only ``__fspath__``), returning bytes when asked to."""

    def __init__(self, path, as_bytes=False):
        self.path, self.as_bytes = str(path), as_bytes

    def __fspath__(self):
        return os.fsencode(self.path) if self.as_bytes else self.path


class _OnlyReadBytes:
    def read_bytes(self):
        return b""


class _OnlyIsFile:
    def is_file(self):
        return True


class _GetBands:
    """Has ``getbands`` like a PIL image, but is not one (its module is not ``PIL.*``)."""

    def getbands(self):
        return ("L",)


def test_image_sources_are_told_apart_from_arrays_and_lookalikes(tmp_path):
    blank = Image.new("L", (2, 2))
    for source in ("x.png", b"..", bytearray(b".."), memoryview(b".."), _FsPath("x.png"), tmp_path, blank):
        assert is_image_source(source) is True, source
    assert is_image_source(zipfile.Path(io.BytesIO(_zip({"a.png": b""})), "a.png")) is True  # a Traversable
    for other in (np.zeros((2, 2)), [b".."], 3, _OnlyReadBytes(), _OnlyIsFile(), _GetBands(), None):
        assert is_image_source(other) is False, other
    assert is_pil_image(blank) is True
    assert is_pil_image(_GetBands()) is False


# -- PIL modes -> arrays -------------------------------------------------------------------


def test_modes_kept_as_they_are_hold_values_l_would_clip():
    i32 = np.array([[0, 70000], [-5, 300]], np.int32)
    assert Image.fromarray(i32).mode == "I"
    np.testing.assert_array_equal(pil_to_array(Image.fromarray(i32)), i32)
    f32 = np.array([[0.25, 0.5], [2.5, -1.0]], np.float32)
    np.testing.assert_array_equal(pil_to_array(Image.fromarray(f32)), f32)
    u16 = np.array([[40000, 1], [256, 65535]], np.uint16)
    assert Image.fromarray(u16).mode == "I;16"
    out = pil_to_array(Image.fromarray(u16))
    assert out.dtype == np.uint16
    np.testing.assert_array_equal(out, u16)


def test_grey_with_a_transparent_colour_stays_grey():
    grey = Image.fromarray(np.array([[0, 9], [200, 255]], np.uint8), "L")
    grey.info["transparency"] = 9  # a grey PNG with tRNS: still one channel
    np.testing.assert_array_equal(pil_to_array(grey), [[0, 9], [200, 255]])


@pytest.mark.parametrize("mode", ["LA", "RGBA", "RGBa", "PA"])
def test_modes_with_alpha_keep_it(mode):
    rgba = Image.fromarray(np.array([[[10, 10, 10, 0], [200, 200, 200, 255]]], np.uint8), "RGBA")
    out = pil_to_array(rgba.convert(mode))
    assert out.shape == (1, 2, 4)
    np.testing.assert_array_equal(out[..., 3], [[0, 255]])


def test_a_transparent_colour_becomes_alpha_other_colours_become_luminance():
    rgb = Image.fromarray(np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255]]], np.uint8), "RGB")
    np.testing.assert_array_equal(pil_to_array(rgb), [[76, 150, 29]])  # ITU-R 601 luma, not one channel
    rgb.info["transparency"] = (0, 255, 0)
    out = pil_to_array(rgb)
    assert out.shape == (1, 3, 4)
    np.testing.assert_array_equal(out[..., 3], [[255, 0, 255]])


# -- reduction of large files --------------------------------------------------------------


@pytest.mark.parametrize(("width", "factor"), [(2 * DECODE_MAX - 1, 1), (2 * DECODE_MAX, 2), (3 * DECODE_MAX - 1, 2),
                                                 (3 * DECODE_MAX, 3)])
def test_large_images_shrink_by_an_integer_box_filter(width, factor):
    out = decode(_encoded(Image.fromarray(_stripes(width, 6))))
    assert out.shape == (6 // factor, -(-width // factor))
    if factor == 2:  # each output pixel averages one column of 0 and one of 200
        assert (out[:, : width // 2] == 100).all()


def test_palette_and_bilevel_images_are_converted_before_shrinking():
    a = (_stripes(2 * DECODE_MAX) > 0).astype(np.uint8)
    pal = Image.fromarray(a, "P")
    pal.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    np.testing.assert_array_equal(decode(_encoded(pal)), np.full((1, DECODE_MAX), 128, np.uint8))
    out = decode(_encoded(pal, transparency=0))  # black transparent: alpha averages to 128, colour stays white
    assert out.shape == (1, DECODE_MAX, 4)
    np.testing.assert_array_equal(out[0, :3], [[255, 255, 255, 128]] * 3)
    bilevel = decode(_encoded(Image.fromarray(a.astype(bool))))
    np.testing.assert_array_equal(bilevel, np.full((1, DECODE_MAX), 128, np.uint8))


class _DraftSpy:
    def __init__(self, monkeypatch):
        self.calls = []
        for cls in (Image.Image, JpegImagePlugin.JpegImageFile):
            original = cls.draft

            def spy(img, mode, size, _original=original):
                self.calls.append((img.format, mode, size))
                return _original(img, mode, size)

            monkeypatch.setattr(cls, "draft", spy)


@pytest.mark.parametrize(("width", "height", "draft"), [(4 * DECODE_MAX + 3, 12, (DECODE_MAX, 3)),
                                                        (2 * DECODE_MAX + 1, 7, (DECODE_MAX, 3)),
                                                        (2 * DECODE_MAX, 8, None)])
def test_only_very_large_jpegs_are_drafted_at_a_reduced_scale(monkeypatch, width, height, draft):
    jpeg = _encoded(Image.new("L", (width, height), 90), "JPEG")
    spy = _DraftSpy(monkeypatch)
    out = decode(jpeg)
    assert spy.calls == ([("JPEG", "L", draft)] if draft else [])
    assert abs(int(out.mean()) - 90) <= 2
    spy.calls.clear()
    decode(_encoded(Image.new("L", (4 * DECODE_MAX + 3, 4)), "PNG"))  # not a JPEG: never drafted
    assert spy.calls == []


def test_exif_orientation_is_applied():
    a = np.arange(6, dtype=np.uint8).reshape(2, 3) * 40
    img = Image.fromarray(a)
    exif = img.getexif()
    exif[0x0112] = 6  # rotated 90 degrees clockwise on display
    out = decode(_encoded(img, exif=exif))
    np.testing.assert_array_equal(out, np.rot90(a, -1))


# -- where the bytes come from -------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_bytes_like_sources_and_bytes_paths(tmp_path):
    a = np.array([[1, 2, 3]], np.uint8)
    png = _encoded(Image.fromarray(a))
    np.testing.assert_array_equal(decode(bytearray(png)), a)
    np.testing.assert_array_equal(decode(memoryview(png)), a)
    (tmp_path / "a.png").write_bytes(png)
    np.testing.assert_array_equal(decode(_FsPath(tmp_path / "a.png", as_bytes=True)), a)
    with pytest.raises(ValueError, match=r"^digit: got empty bytes; expected the bytes of an encoded image file$"):
        decode(bytearray(), "digit")


def test_traversables_are_read_through_read_bytes(tmp_path):
    a = np.array([[7, 8]], np.uint8)
    archive = tmp_path / "samples.zip"  # a Traversable such as a bundled sample inside a zip
    archive.write_bytes(_zip({"d.png": _encoded(Image.fromarray(a)), "notes.txt": b"not an image"}))
    np.testing.assert_array_equal(decode(zipfile.Path(archive, "d.png")), a)
    missing = zipfile.Path(archive, "none.png")
    with pytest.raises(FileNotFoundError) as info:
        decode(missing, "sample")
    assert str(info.value) == f"sample: image file not found: {missing!r}"
    notes = zipfile.Path(archive, "notes.txt")
    with pytest.raises(ValueError) as info:
        decode(notes, "sample")
    assert str(info.value).startswith(f"sample: cannot decode {str(notes)!r} as an image (UnidentifiedImageError: ")


def test_undecodable_files_are_named_in_full(tmp_path):
    path = tmp_path / "digit.png"
    path.write_bytes(b"no image here")
    with pytest.raises(ValueError) as info:
        decode(path, "photo")
    assert str(info.value) == (
        f"photo: cannot decode {str(path)!r} as an image (UnidentifiedImageError: cannot identify image file "
        f"{info.value.__cause__.args[0].split('image file ', 1)[1]}); "
        "expected a PNG, JPEG or other image file Pillow can read"
    )
    assert type(info.value.__cause__).__name__ == "UnidentifiedImageError"


# -- regular files only --------------------------------------------------------------------


def test_every_kind_of_special_file_is_named():
    cases = [(stat.S_IFDIR, "is a directory; expected an image file"),
             (stat.S_IFIFO, "is a FIFO (named pipe), not a regular file; expected an image file"),
             (stat.S_IFSOCK, "is a socket, not a regular file; expected an image file"),
             (stat.S_IFCHR, "is a character device, not a regular file; expected an image file"),
             (stat.S_IFBLK, "is a block device, not a regular file; expected an image file"),
             (stat.S_IFLNK, "is not a regular file, not a regular file; expected an image file")]  # lstat only
    for kind, message in cases:
        with pytest.raises(ValueError) as info:
            images._check_regular(kind | 0o644, "/x", "scan")
        assert str(info.value) == f"scan: '/x' {message}"
    images._check_regular(stat.S_IFREG | 0o644, "/x", "scan")  # a regular file passes


def test_a_missing_file_names_the_parameter_without_the_os_error(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        open_regular_file(str(tmp_path / "none.png"), "photo")
    assert str(info.value) == f"photo: image file not found: {str(tmp_path / 'none.png')!r}"
    assert info.value.__suppress_context__ and info.value.__cause__ is None


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.isdir("/proc/self/fd"), reason="needs mkfifo and /proc")
def test_a_fifo_swapped_in_after_the_check_is_caught_on_the_open_file(tmp_path, monkeypatch):
    regular = tmp_path / "ok.png"
    regular.write_bytes(b"x")
    fifo = tmp_path / "swapped.png"
    os.mkfifo(fifo)
    real_stat = os.stat
    # os.stat sees the regular file (the check before opening); the path then opens a FIFO
    monkeypatch.setattr(os, "stat", lambda p, *a, **k: real_stat(regular if str(p) == str(fifo) else p, *a, **k))
    before = _open_fds()
    out = {}
    thread = threading.Thread(target=lambda: out.setdefault("r", _catch(open_regular_file, str(fifo), "scan")),
                              daemon=True)
    thread.start()
    thread.join(5)
    if thread.is_alive():  # opened without O_NONBLOCK: it waits for a writer; give it one, then fail
        with open(fifo, "wb"):
            pass
        thread.join(5)
        pytest.fail("opening the FIFO blocked")
    assert isinstance(out["r"], ValueError)
    assert str(out["r"]) == f"scan: {str(fifo)!r} is a FIFO (named pipe), not a regular file; expected an image file"
    assert _open_fds() == before  # the descriptor was closed


def _catch(fn, *args):
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - handed back to the test
        return exc


def test_in_memory_zip_resources_are_named_by_their_name():
    archive = io.BytesIO(_zip({"notes.txt": b"not an image"}))
    with pytest.raises(ValueError) as info:  # str() of this zipfile.Path raises TypeError: no file name
        decode(zipfile.Path(archive, "notes.txt"), "sample")
    assert str(info.value).startswith("sample: cannot decode 'notes.txt' as an image (UnidentifiedImageError: ")


def test_premultiplied_grey_alpha_is_decoded_with_its_alpha():
    img = Image.new("La", (3, 2), (90, 200))
    out = decode(img)
    assert out.shape == (2, 3, 4) and (out[..., 3] == 200).all()
    assert (out[..., 0] == out[..., 1]).all() and (out[..., 0] == out[..., 2]).all() and out[0, 0, 0] > 0
