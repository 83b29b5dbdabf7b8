#!/usr/bin/env python3
"""Lists the pages of every column chunk of a Parquet file, read straight from the page headers.

    pages.py FILE            one line per column chunk: rg, column, codec, page count, page types/encodings
    pages.py --all FILE      one line per page

pyarrow's metadata tells which encodings a chunk uses, not which page uses which; this small Thrift compact
reader does, so fixtures can prove e.g. "dictionary pages then PLAIN fallback pages in one chunk".
Exit 0, or 1 with one line if the file cannot be walked.
"""

from __future__ import annotations

import struct
import sys

PAGE_TYPES = {0: "DATA_PAGE", 1: "INDEX_PAGE", 2: "DICTIONARY_PAGE", 3: "DATA_PAGE_V2"}
ENCODINGS = {
    0: "PLAIN",
    2: "PLAIN_DICTIONARY",
    3: "RLE",
    4: "BIT_PACKED",
    5: "DELTA_BINARY_PACKED",
    6: "DELTA_LENGTH_BYTE_ARRAY",
    7: "DELTA_BYTE_ARRAY",
    8: "RLE_DICTIONARY",
    9: "BYTE_STREAM_SPLIT",
    10: "ALP",
}


class Compact:
    """Just enough of the Thrift compact protocol to read a struct into {field id: value}."""

    def __init__(self, buf: bytes, pos: int = 0):
        self.buf, self.pos = buf, pos

    def byte(self) -> int:
        b = self.buf[self.pos]
        self.pos += 1
        return b

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7

    def zigzag(self) -> int:
        u = self.varint()
        return (u >> 1) ^ -(u & 1)

    def value(self, t: int):
        if t in (1, 2):  # bool inside a struct carries its value in the type; list elements are one byte
            return t == 1
        if t == 3:
            return struct.unpack("b", bytes([self.byte()]))[0]
        if t in (4, 5, 6):
            return self.zigzag()
        if t == 7:
            v = struct.unpack_from("<d", self.buf, self.pos)[0]
            self.pos += 8
            return v
        if t == 8:
            n = self.varint()
            v = self.buf[self.pos : self.pos + n]
            self.pos += n
            return bytes(v)
        if t in (9, 10):
            h = self.byte()
            size, et = h >> 4, h & 0x0F
            if size == 15:
                size = self.varint()
            if et in (1, 2):
                return [self.byte() == 1 for _ in range(size)]
            return [self.value(et) for _ in range(size)]
        if t == 11:
            size = self.varint()
            if size == 0:
                return {}
            kv = self.byte()
            return {self.value(kv >> 4): self.value(kv & 0x0F) for _ in range(size)}
        if t == 12:
            return self.struct()
        raise ValueError(f"unknown thrift compact type {t} at byte {self.pos}")

    def struct(self) -> dict:
        out, last = {}, 0
        while True:
            h = self.byte()
            if h == 0:
                return out
            t, delta = h & 0x0F, h >> 4
            fid = last + delta if delta else self.zigzag()
            out[fid] = self.value(t)
            last = fid


def walk(path):
    """Yields (row_group, column_path, codec, pages) with pages = [(type, encoding, num_values, comp, uncomp)]."""
    import pyarrow.parquet as pq

    md = pq.ParquetFile(path).metadata
    with open(path, "rb") as f:
        data = f.read()
    for rg in range(md.num_row_groups):
        for ci in range(md.num_columns):
            col = md.row_group(rg).column(ci)
            # formats.md §1: the chunk starts at dictionary_page_offset when set and > 0 (pyarrow's zero-row
            # chunks hold only a dictionary page and say data_page_offset 0), else at data_page_offset
            start = col.data_page_offset
            if col.has_dictionary_page and col.dictionary_page_offset and col.dictionary_page_offset > 0:
                start = col.dictionary_page_offset
            end = start + col.total_compressed_size
            pos, pages = start, []
            while pos < end:
                r = Compact(data, pos)
                h = r.struct()
                ptype, unc, comp = h[1], h[2], h[3]
                if 5 in h:
                    enc, nv = h[5][2], h[5][1]
                elif 8 in h:
                    enc, nv = h[8][4], h[8][1]
                elif 7 in h:
                    enc, nv = h[7][2], h[7][1]
                else:
                    enc, nv = None, None
                pages.append((PAGE_TYPES.get(ptype, str(ptype)), ENCODINGS.get(enc, str(enc)), nv, comp, unc))
                pos = r.pos + comp
            if pos != end:
                raise ValueError(f"row group {rg} column {col.path_in_schema}: pages end at {pos}, chunk at {end}")
            yield rg, col.path_in_schema, col.compression, pages


def summary(pages):
    """'DICTIONARY_PAGE/PLAIN x1, DATA_PAGE/RLE_DICTIONARY x3, DATA_PAGE/PLAIN x2' (in order of first use)."""
    counts = {}
    for p in pages:
        key = f"{p[0]}/{p[1]}"
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{k} x{v}" for k, v in counts.items())


def main(argv):
    args = argv[1:]
    every = bool(args) and args[0] == "--all"
    if every:
        args = args[1:]
    if len(args) != 1:
        print("usage: pages.py [--all] FILE", file=sys.stderr)
        return 64
    try:
        for rg, colpath, codec, pages in walk(args[0]):
            if every:
                for i, p in enumerate(pages):
                    print(f"rg{rg} {colpath} page{i} {p[0]} {p[1]} values={p[2]} comp={p[3]} unc={p[4]}")
            else:
                print(f"rg{rg} {colpath} {codec} pages={len(pages)}: {summary(pages)}")
    except Exception as e:  # noqa: BLE001 - one clear line for any unreadable file
        print(f"pages: {args[0]}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
