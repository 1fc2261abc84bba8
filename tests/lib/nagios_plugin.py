#!/usr/bin/env python3
"""Reads a plugin's output the way the Monitoring Plugins Development Guidelines define it and
checks it: nagios_plugin.py EXIT_CODE < output. Prints the threshold state the perfdata implies
("threshold_state N") and exits 1 with one line per fault when the output breaks the rules.

- First line: "<SERVICE> <STATUS> - <text>[ | <perfdata>]", STATUS one of OK WARNING CRITICAL
  UNKNOWN and the one the exit code means; the text holds no '|'; no '|' without perfdata.
- Perfdata: space-separated 'label'=value[UOM];[warn];[crit];[min];[max]. A label with spaces
  is single-quoted, holds no '=' and no lone "'" ("''" escapes one). UOM one of s ms us % B KB
  MB TB c or none. warn and crit are ranges: [@][start:][end], start a number or ~, end a number
  (alert when outside start..end; with @, when inside).
- Long text (the lines after the first) holds no '|' either (a '|' there starts more perfdata).
- The exit code is at least the worst state the thresholds give the values.
"""
import re
import sys

STATES = ["OK", "WARNING", "CRITICAL", "UNKNOWN"]
UOM = {"", "s", "ms", "us", "%", "B", "KB", "MB", "TB", "c"}
NUM = r"-?(?:\d+(?:\.\d*)?|\.\d+)"
RANGE = re.compile(r"^(@?)(?:(~|%s)?:)?(%s)?$" % (NUM, NUM))
ITEM = re.compile(r"^('(?:[^'=]|'')+'|[^' =]+)=(%s)([a-zA-Z%%]*)((?:;[^;\s]*){0,4})$" % NUM)


def parse_range(s):
    """(start, end, inside) of a range, or None when s is not one. start/end None = infinite."""
    m = RANGE.match(s)
    if not m or s in ("", "@", "@:", ":"):
        return None
    inside, start, end = m.group(1) == "@", m.group(2), m.group(3)
    if ":" not in s:
        lo, hi = 0.0, float(end)
    else:
        lo = None if start == "~" else float(start) if start is not None else 0.0
        hi = float(end) if end is not None else None
    if lo is not None and hi is not None and lo > hi:
        return None
    return lo, hi, inside


def alerts(rng, v):
    lo, hi, inside = rng
    within = (lo is None or v >= lo) and (hi is None or v <= hi)
    return within if inside else not within


def split_perf(s):
    """Perfdata items, split at spaces outside quotes."""
    items, cur, q = [], "", False
    for ch in s:
        if ch == "'":
            q = not q
        if ch == " " and not q:
            if cur:
                items.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        items.append(cur)
    return items


def main():
    code = int(sys.argv[1])
    out = sys.stdin.read()
    faults = []
    if not out.endswith("\n"):
        faults.append("output does not end in a newline")
    lines = out.rstrip("\n").split("\n")
    first = lines[0]
    text, _, perf = first.partition("|")
    m = re.match(r"^(\S+) (OK|WARNING|CRITICAL|UNKNOWN) - (.+)$", text.rstrip())
    if not m:
        faults.append("status line is not '<SERVICE> <STATUS> - <text>': %r" % first[:120])
    elif code not in range(4) or STATES[code] != m.group(2):
        faults.append("status word %s but exit code %d" % (m.group(2), code))
    if "|" in first and not perf.strip():
        faults.append("a bare '|' with no perfdata")
    if "|" in perf:
        faults.append("more than one '|' in the status line")
    if "|" in first and not text.endswith(" "):
        faults.append("no space before '|'")
    worst = 0
    labels = set()
    for it in split_perf(perf.strip()):
        pm = ITEM.match(it)
        if not pm:
            faults.append("perfdata item not 'label'=value[UOM];warn;crit;min;max: %r" % it)
            continue
        label, value, uom, rest = pm.group(1), float(pm.group(2)), pm.group(3), pm.group(4)
        if uom not in UOM:
            faults.append("%s: unit %r is not one of the guidelines' units" % (label, uom))
        if label in labels:
            faults.append("label %s twice" % label)
        labels.add(label)
        if " " in label and not label.startswith("'"):
            faults.append("label with spaces not quoted: %s" % label)
        fields = rest.split(";")[1:]
        fields += [""] * (4 - len(fields))
        warn, crit, lo, hi = fields
        for name, f in (("min", lo), ("max", hi)):
            if f and not re.match("^%s$" % NUM, f):
                faults.append("%s: %s %r is not a number" % (label, name, f))
        for state, f in ((1, warn), (2, crit)):
            if not f:
                continue
            rng = parse_range(f)
            if rng is None:
                faults.append("%s: %r is not a range" % (label, f))
            elif alerts(rng, value):
                worst = max(worst, state)
    for i, l in enumerate(lines[1:], 2):
        if "|" in l:
            faults.append("line %d (long text) holds a '|'" % i)
    if code in range(3) and code < worst:
        faults.append("exit code %d but the thresholds give %s" % (code, STATES[worst]))
    print("threshold_state %d" % worst)
    for f in faults:
        print("fault: " + f)
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
