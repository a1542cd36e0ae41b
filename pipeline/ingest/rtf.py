"""Outlook's RTF body: PR_RTF_COMPRESSED unpacked ([MS-OXRTFCP]) and RTF reduced to plain text.

Outlook often keeps a message body in winmail.dat only as compressed RTF. The compression is a
small LZ77 variant whose 4 KiB dictionary starts with a fixed RTF preamble; the text is read by
skipping RTF's control words and the groups that are not text (font and colour tables, pictures,
ignorable destinations such as the HTML tags of HTML-encapsulated RTF).
"""

from __future__ import annotations

import re
import struct

LZFU, MELA = 0x75465A4C, 0x414C454D          # 'LZFu' compressed, 'MELA' stored as is
_PREBUF = (b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern "
           b"\\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0"
           b"\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx")
_WINDOW = 4096


class RtfError(ValueError):
    """A compressed RTF stream that cannot be unpacked."""


def is_compressed_rtf(data: bytes) -> bool:
    return len(data) >= 16 and struct.unpack_from("<I", data, 8)[0] in (LZFU, MELA)


def decompress(data: bytes) -> bytes:
    """PR_RTF_COMPRESSED -> RTF bytes ([MS-OXRTFCP] 2.2.3; the CRC is not checked)."""
    if len(data) < 16:
        raise RtfError("compressed RTF shorter than its 16-byte header")
    comp_size, raw_size, magic, _crc = struct.unpack_from("<IIII", data)
    if magic == MELA:
        return data[16:16 + raw_size]
    if magic != LZFU:
        raise RtfError(f"unknown RTF compression {magic:#010x}")
    window = bytearray(_PREBUF.ljust(_WINDOW, b"\x00"))
    write, pos, end = len(_PREBUF), 16, min(len(data), comp_size + 4)
    out = bytearray()
    while pos < end:
        control = data[pos]
        pos += 1
        for bit in range(8):
            if pos >= end:
                break
            if control >> bit & 1:                       # a reference into the dictionary
                if pos + 2 > end:
                    raise RtfError("compressed RTF cut off inside a reference")
                token = data[pos] << 8 | data[pos + 1]
                pos += 2
                offset, length = token >> 4, (token & 0xF) + 2
                if offset == write:                      # the end marker
                    return bytes(out)
                for k in range(length):
                    byte = window[(offset + k) % _WINDOW]
                    out.append(byte)
                    window[write] = byte
                    write = (write + 1) % _WINDOW
            else:                                        # a literal byte
                out.append(data[pos])
                window[write] = data[pos]
                write = (write + 1) % _WINDOW
                pos += 1
    if len(out) < raw_size:
        raise RtfError("compressed RTF ends before its end marker")
    return bytes(out[:raw_size])


_TOKEN = re.compile(rb"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\(.)|([{}])|[\r\n]+"
                    rb"|([^\\{}\r\n]+)", re.DOTALL)
# Groups that hold no body text.
_SKIP = {b"fonttbl", b"colortbl", b"stylesheet", b"info", b"pict", b"object", b"header",
         b"footer", b"headerl", b"headerr", b"footerl", b"footerr", b"themedata", b"listtable",
         b"listoverridetable", b"rsidtbl", b"generator", b"latentstyles", b"datastore",
         b"xmlnstbl", b"colorschememapping", b"filetbl", b"revtbl", b"pgdsctbl", b"mmathPr"}
_BREAKS = {b"par": "\n", b"line": "\n", b"sect": "\n", b"page": "\n", b"tab": "\t",
           b"cell": "\t", b"row": "\n", b"emdash": "—", b"endash": "–", b"bullet": "•",
           b"lquote": "‘", b"rquote": "’", b"ldblquote": "“", b"rdblquote": "”"}
_SYMBOLS = {b"~": "\u00a0", b"_": "-", b"-": "", b"\\": "\\", b"{": "{", b"}": "}"}


def rtf_to_text(rtf: bytes) -> str:
    """The readable text of an RTF document (paragraphs as new lines)."""
    codepage = "cp1252"
    found = re.search(rb"\\ansicpg(\d+)", rtf[:2048])
    if found:
        codepage = f"cp{int(found.group(1))}"
    parts: list[str] = []
    pending = bytearray()                # \'hh bytes, decoded together (multi-byte code pages)
    stack: list[tuple[bool, int]] = []
    skip, uc, to_skip, group_start = False, 1, 0, False

    def flush() -> None:
        if pending:
            parts.append(pending.decode(codepage, errors="replace"))
            pending.clear()

    for word, arg, hexa, symbol, brace, text in _TOKEN.findall(rtf):
        if brace == b"{":
            flush()
            stack.append((skip, uc))
            group_start = True
            continue
        if brace == b"}":
            flush()
            skip, uc = stack.pop() if stack else (False, 1)
            group_start = False
            continue
        starting, group_start = group_start, False
        if symbol == b"*" and starting:
            skip = True                   # an ignorable destination: {\*\htmltag ...}
        elif word:
            if starting and word in _SKIP:
                skip = True
            elif word == b"uc":
                uc = int(arg or 1)
            elif skip:
                continue
            elif word == b"u":
                flush()
                value = int(arg or 0)
                parts.append(chr(value + 65536 if value < 0 else value))
                to_skip = uc
            elif word in _BREAKS:
                flush()
                parts.append(_BREAKS[word])
        elif skip:
            continue
        elif to_skip:                     # the fallback characters after \uN
            if hexa or symbol:
                to_skip -= 1
            elif text:
                dropped = min(to_skip, len(text))
                to_skip -= dropped
                if text[dropped:]:
                    flush()
                    parts.append(text[dropped:].decode(codepage, errors="replace"))
        elif hexa:
            pending.append(int(hexa, 16))
        elif symbol:
            flush()
            parts.append(_SYMBOLS.get(symbol, ""))
        elif text:
            flush()
            parts.append(text.decode(codepage, errors="replace"))
    flush()
    lines = "".join(parts).replace("\r", "").split("\n")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in lines)).strip()
