"""A phone photo of a printed member card, made by the suite itself (no image files are shipped).

The card is the real one: the QR code of ``cards.qr`` on a white card with its printing. It lies
on a textured table, turned by up to 20 degrees, and the phone looks at it at an angle
(perspective), slightly out of focus, under uneven warm light, with sensor noise, saved as a JPEG
of quality 70 like a phone's camera app or a browser canvas would. Every choice comes from
``random.Random(seed)``: the same seed gives the same bytes.
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, ImageOps

from cards.qr import qr_png

CARD_SIZE = (1012, 638)  # 85.6 x 54 mm, the size of a bank card, at 300 dpi
TABLES = [  # (dark, light) colours of the surface the card lies on
    ((92, 58, 32), (168, 118, 72)),  # wood
    ((70, 72, 78), (150, 152, 160)),  # grey desk
    ((30, 48, 84), (88, 116, 160)),  # blue cloth
    ((120, 112, 96), (210, 200, 178)),  # beige counter
]


def printed_card(token: str, *, with_code: bool = True) -> Image.Image:
    """The card as printed: a red band with the title, the member's number, the QR code.

    ``with_code=False``: the code is covered by a plain sticker (a picture with no code in it).
    """
    card = Image.new("RGB", CARD_SIZE, (250, 249, 244))
    draw = ImageDraw.Draw(card)
    width, height = CARD_SIZE
    draw.rectangle((0, 0, width, 110), fill=(190, 30, 36))
    draw.text((40, 28), "Exchange Corner", fill=(255, 236, 160), font=ImageFont.load_default(52))
    number = token.split(".")[2] if token.count(".") >= 2 else token[:12]
    draw.text((40, 170), "Member card", fill=(60, 60, 60), font=ImageFont.load_default(40))
    draw.text((40, 240), f"No. {number}", fill=(20, 20, 20), font=ImageFont.load_default(48))
    for line in range(4):  # small print: lines of "text" that are not code
        draw.rectangle(
            (40, 360 + 52 * line, 40 + 380 - 60 * line, 378 + 52 * line), fill=(118, 118, 118)
        )
    code = Image.open(io.BytesIO(qr_png(token, box_size=12, border=2))).convert("L")
    side = 440
    code = code.resize((side, side), Image.Resampling.NEAREST)
    if not with_code:
        code = Image.new("L", code.size, 226)
    card.paste(code.convert("RGB"), (width - side - 60, (height + 110 - side) // 2))
    return card


def _noise(size: tuple[int, int], rng: random.Random, sigma: float) -> Image.Image:
    """Grey noise around 128 with about ``sigma`` spread, from ``rng`` (Pillow's own effect_noise
    draws from C's rand(), which no seed here controls)."""
    uniform = Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))
    # uniform 0..255 has a spread of ~73.6; shrink it around the middle
    factor = sigma / 73.6
    return uniform.point(lambda p: round(128 + (p - 128) * factor))


def _table(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A surface with blotches and grain, in one of a few table colours."""
    width, height = size
    dark, light = rng.choice(TABLES)
    blotches = _noise((width // 24 + 1, height // 24 + 1), rng, 48)
    blotches = blotches.resize(size, Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(8))
    grain = _noise(size, rng, 30).filter(ImageFilter.GaussianBlur(1.2))
    texture = Image.blend(blotches, grain, 0.35)
    return ImageOps.colorize(ImageOps.autocontrast(texture, cutoff=2), dark, light)


def _perspective(source: list[tuple[float, float]], target: list[tuple[float, float]]):
    """PIL's 8 PERSPECTIVE coefficients that take each ``target`` corner to its ``source``."""
    rows, values = [], []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        values += [u, v]
    return _solve(rows, values)


def _solve(matrix: list[list[float]], values: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (8 unknowns: no numpy needed)."""
    size = len(values)
    rows = [row[:] + [value] for row, value in zip(matrix, values, strict=True)]
    for column in range(size):
        pivot = max(range(column, size), key=lambda row: abs(rows[row][column]))
        rows[column], rows[pivot] = rows[pivot], rows[column]
        for row in range(size):
            if row != column:
                factor = rows[row][column] / rows[column][column]
                rows[row] = [a - factor * b for a, b in zip(rows[row], rows[column], strict=True)]
    return [rows[row][size] / rows[row][row] for row in range(size)]


def _light(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """Uneven light: bright on one side, up to ~40% darker on the other, with a soft spot."""
    small = (32, 24)
    angle_x, angle_y = rng.uniform(-1, 1), rng.uniform(-1, 1)
    spot_x, spot_y = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8)
    darkest = rng.uniform(0.58, 0.7)
    shade = Image.new("L", small)
    for y in range(small[1]):
        for x in range(small[0]):
            u, v = x / (small[0] - 1), y / (small[1] - 1)
            slope = 0.5 + 0.5 * (angle_x * (u - 0.5) + angle_y * (v - 0.5)) * 1.4
            spot = max(0.0, 1 - ((u - spot_x) ** 2 + (v - spot_y) ** 2) * 6)
            level = darkest + (1 - darkest) * min(1.0, max(0.0, slope) * 0.8 + spot * 0.35)
            shade.putpixel((x, y), round(255 * level))
    shade = shade.resize(size, Image.Resampling.BICUBIC)
    warm = (255, rng.randint(236, 248), rng.randint(205, 230))
    return Image.merge("RGB", [shade.point(lambda p, c=c: p * c // 255) for c in warm])


def photographed_card(
    token: str,
    *,
    seed: int = 0,
    size: tuple[int, int] = (1280, 960),
    fill: float = 0.5,
    with_code: bool = True,
) -> bytes:
    """A JPEG that looks like a phone photo of the printed card carrying ``token``.

    ``fill`` is about how much of the photo's width the card spans (0.5: held at a short arm's
    length): the QR code's modules end up some 8-10 pixels wide at the default size.
    ``with_code=False`` photographs the same card with its code covered.
    """
    rng = random.Random(seed)
    # the scene is drawn larger than the photo: the perspective crop takes a part of it
    scene_size = (size[0] * 5 // 4, size[1] * 5 // 4)
    scene = _table(scene_size, rng)

    card = printed_card(token, with_code=with_code).convert("RGBA")
    scale = size[0] * fill * rng.uniform(0.92, 1.08) / CARD_SIZE[0]
    card = card.resize(
        (round(CARD_SIZE[0] * scale), round(CARD_SIZE[1] * scale)), Image.Resampling.LANCZOS
    )
    card = card.rotate(rng.uniform(-20, 20), Image.Resampling.BICUBIC, expand=True)
    center_x = scene_size[0] // 2 + round(rng.uniform(-0.12, 0.12) * size[0])
    center_y = scene_size[1] // 2 + round(rng.uniform(-0.1, 0.1) * size[1])
    place = (center_x - card.width // 2, center_y - card.height // 2)
    # a soft shadow below and to one side of the card
    shadow = Image.new("L", scene_size, 0)
    shadow.paste(card.getchannel("A"), (place[0] + 10, place[1] + 14))
    shadow = shadow.filter(ImageFilter.GaussianBlur(14)).point(lambda p: p * 45 // 100)
    scene = Image.composite(Image.new("RGB", scene_size, (15, 12, 10)), scene, shadow)
    scene.paste(card, place, card)

    # the phone is tilted: each corner of the photo sees a point up to 20% inside the scene's
    width, height = scene_size
    inset = [(rng.uniform(0.0, 0.2), rng.uniform(0.0, 0.2)) for _ in range(4)]
    source = [
        (width * inset[0][0], height * inset[0][1]),
        (width * (1 - inset[1][0]), height * inset[1][1]),
        (width * (1 - inset[2][0]), height * (1 - inset[2][1])),
        (width * inset[3][0], height * (1 - inset[3][1])),
    ]
    target = [(0, 0), (size[0], 0), (size[0], size[1]), (0, size[1])]
    photo = scene.transform(
        size,
        Image.Transform.PERSPECTIVE,
        _perspective(source, target),
        Image.Resampling.BICUBIC,
    )

    photo = ImageChops.multiply(photo, _light(size, rng))
    photo = photo.filter(ImageFilter.GaussianBlur(rng.uniform(0.9, 1.5)))  # out of focus
    sigma = rng.uniform(6, 10)
    noise = Image.merge("RGB", [_noise(size, rng, sigma) for _ in range(3)])
    photo = ImageChops.add(photo, noise, scale=1.0, offset=-128)
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", quality=70)
    return buffer.getvalue()
