#!/usr/bin/env python3
"""Prints what a person would first notice about a PNG, from the pixels (stdlib only):
    png_stats.py FILE  ->  "WIDTH HEIGHT DISTINCT_COLOURS NONWHITE_PERCENT R Y G"
R, Y, G: how many pixels are close to the chart's red, amber and green."""
import struct
import sys
import zlib


def pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{path}: not a PNG")
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            if depth != 8 or ctype not in (2, 6):
                raise SystemExit(f"{path}: unsupported PNG (depth {depth}, colour type {ctype})")
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, prev, rows = zlib.decompress(idat), w * bpp, bytearray(w * bpp), []
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def main():
    w, h, bpp, rows = pixels(sys.argv[1])
    colours, nonwhite, red, amber, green = set(), 0, 0, 0, 0
    near = lambda p, q: all(abs(x - y) < 40 for x, y in zip(p, q))
    for line in rows:
        for x in range(0, w * bpp, bpp):
            p = tuple(line[x:x + 3])
            colours.add(p)
            nonwhite += p != (255, 255, 255)
            red += near(p, (0xc6, 0x28, 0x28))
            amber += near(p, (0xf9, 0xa8, 0x25))
            green += near(p, (0x2e, 0x7d, 0x32))
    print(w, h, len(colours), round(100 * nonwhite / (w * h), 1), red, amber, green)


main()
