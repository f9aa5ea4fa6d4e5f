"""A strict vCard 4.0 reader for the tests (RFC 6350: CRLF line ends, lines
of at most 75 octets folded with a space, the text escapes \\\\ \\, \\; \\n
and no other), shared by followup_check.py and roundtrip_check.py."""
import re


def vcard_parse(data, forbid_controls=False):
    """Cards as lists of (NAME, value); raises ValueError on anything off.
    forbid_controls: a control character (other than tab) in a line is an
    error too."""
    if not data.endswith(b"\r\n"):
        raise ValueError("does not end in CRLF")
    physical = data[:-2].split(b"\r\n")
    for line in physical:
        if len(line) > 75:
            raise ValueError("line over 75 octets: %r" % line[:40])
        if b"\n" in line or b"\r" in line:
            raise ValueError("bare CR or LF")
        if forbid_controls and re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", line):
            raise ValueError("control character in %r" % line[:40])
    logical = []
    for line in physical:
        if line.startswith(b" "):
            if not logical:
                raise ValueError("continuation first")
            logical[-1] += line[1:]
        else:
            logical.append(line)
    cards, card = [], None
    for raw in logical:
        text = raw.decode("utf-8")  # folding never splits a character
        m = re.fullmatch(r"([A-Z][A-Z0-9-]*):(.*)", text, re.S)
        if not m:
            raise ValueError("not NAME:VALUE: %r" % text[:40])
        name, value = m.groups()
        if name == "BEGIN":
            if card is not None or value != "VCARD":
                raise ValueError("BEGIN out of place")
            card = []
            continue
        if card is None:
            raise ValueError("%s outside a card" % name)
        if name == "END":
            if value != "VCARD" or not card or card[0] != ("VERSION", "4.0"):
                raise ValueError("card without VERSION:4.0 first")
            if not any(n == "FN" for n, _ in card):
                raise ValueError("card without FN")
            cards.append(card)
            card = None
            continue
        out, i = [], 0
        while i < len(value):
            c = value[i]
            if c == "\\":
                nxt = value[i + 1:i + 2]
                if nxt not in ("\\", ",", ";", "n", "N"):
                    raise ValueError("bad escape in %r" % value[:40])
                out.append("\n" if nxt in "nN" else nxt)
                i += 2
                continue
            if name not in ("VERSION",) and c in ",;" and name != "ORG":
                raise ValueError("unescaped %r in %s" % (c, name))
            out.append(c)
            i += 1
        card.append((name, "".join(out)))
    if card is not None:
        raise ValueError("card not ended")
    return cards
