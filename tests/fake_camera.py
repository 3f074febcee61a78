"""A video file for Chromium's fake camera: ``--use-file-for-fake-video-capture=PATH.y4m``.

With ``--use-fake-device-for-media-stream`` (and ``--use-fake-ui-for-media-stream`` to answer the
permission prompt), getUserMedia gives the page this file's frames, looped, as the camera. The
file is raw YUV4MPEG2, 4:2:0, full-range BT.601 (Pillow's "YCbCr", the JPEG convention; hence
the C420jpeg tag): the picture, letterboxed on black into the frame size, repeated ``frames``
times. Chromium plays it at the file's own frame size, whatever size the page asked for.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from PIL import Image


def y4m_frame(image_bytes: bytes, size: tuple[int, int] = (640, 480)) -> bytes:
    """One frame's Y, Cb and Cr planes: the picture scaled to fit ``size``, centred on black."""
    width, height = size
    if width % 2 or height % 2:
        raise ValueError("4:2:0 needs an even width and height")
    picture = Image.open(io.BytesIO(image_bytes)).convert("RGB")
    scale = min(width / picture.width, height / picture.height)
    fitted = picture.resize(
        (max(1, round(picture.width * scale)), max(1, round(picture.height * scale))),
        Image.Resampling.LANCZOS,
    )
    frame = Image.new("RGB", size, (0, 0, 0))
    frame.paste(fitted, ((width - fitted.width) // 2, (height - fitted.height) // 2))
    luma, blue, red = frame.convert("YCbCr").split()
    half = (width // 2, height // 2)
    return b"".join(
        [
            luma.tobytes(),
            blue.resize(half, Image.Resampling.BOX).tobytes(),
            red.resize(half, Image.Resampling.BOX).tobytes(),
        ]
    )


def write_y4m(
    path: Path | str,
    image_bytes: bytes | Sequence[bytes],
    *,
    frames: int = 30,
    size: tuple[int, int] = (640, 480),
    fps: int = 30,
) -> Path:
    """Write the picture (JPEG or PNG bytes) as a .y4m video of ``frames`` frames; return path.

    Several pictures make a scene that changes: each is shown for ``frames`` frames in turn (a
    card, then the empty table, then another card...), and Chromium loops the whole file.
    """
    path = Path(path)
    pictures = [image_bytes] if isinstance(image_bytes, (bytes, bytearray)) else image_bytes
    with open(path, "wb") as video:
        video.write(f"YUV4MPEG2 W{size[0]} H{size[1]} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for picture in pictures:
            frame = y4m_frame(picture, size)
            for _ in range(frames):
                video.write(b"FRAME\n")
                video.write(frame)
    return path
