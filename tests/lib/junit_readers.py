#!/usr/bin/env python3
"""Reads a JUnit file the way CI tools do and prints one JSON summary; exits 1 when they
disagree with each other or with the file's own counts.

- junitparser (Debian's python3-junitparser), as Python CI tooling loads it.
- A GitLab-style reader: every <testcase> under any <testsuite>, status from its first child
  (failure -> failed, error -> error, skipped -> skipped, none -> success), time as a float (0 when
  absent), the way GitLab's Gitlab::Ci::Parsers::Test::Junit builds its test report.
- Jenkins' view of the classname: package and class split at the last dot.

Usage: junit_readers.py FILE.xml
"""
import json
import sys
import xml.etree.ElementTree as ET

import junitparser


def gitlab(path):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
    cases = []
    for s in suites:
        for c in s.findall("testcase"):
            status = "success"
            for child in c:
                if child.tag in ("failure", "error", "skipped"):
                    status = {"failure": "failed", "error": "error", "skipped": "skipped"}[child.tag]
                    break
            cases.append({"classname": c.get("classname", ""), "name": c.get("name"), "status": status,
                          "time": float(c.get("time") or 0.0)})
    return root, cases


def with_junitparser(path):
    xml = junitparser.JUnitXml.fromfile(path)
    suites = [xml] if isinstance(xml, junitparser.TestSuite) else list(xml)
    cases = []
    for s in suites:
        for c in s:
            res = c.result
            status = "success"
            if res:
                r = res[0]
                status = ("failed" if isinstance(r, junitparser.Failure) else
                          "error" if isinstance(r, junitparser.Error) else
                          "skipped" if isinstance(r, junitparser.Skipped) else "?")
            cases.append({"classname": c.classname or "", "name": c.name, "status": status,
                          "time": float(c.time or 0.0)})
    return suites, cases


def main():
    path = sys.argv[1]
    faults = []
    root, gl = gitlab(path)
    suites, jp = with_junitparser(path)
    if [(c["classname"], c["name"], c["status"]) for c in gl] != \
       [(c["classname"], c["name"], c["status"]) for c in jp]:
        faults.append("junitparser and the GitLab-style reader see different cases")
    for c, d in zip(gl, jp):
        if abs(c["time"] - d["time"]) > 1e-9:
            faults.append("%s %s: time %r vs %r" % (c["classname"], c["name"], c["time"], d["time"]))
    for s in root.iter("testsuite"):
        kids = s.findall("testcase")
        counts = {"tests": len(kids),
                  "failures": sum(1 for k in kids if k.find("failure") is not None),
                  "errors": sum(1 for k in kids if k.find("error") is not None),
                  "skipped": sum(1 for k in kids if k.find("skipped") is not None)}
        for k, v in counts.items():
            if s.get(k) is not None and int(s.get(k)) != v:
                faults.append("testsuite %s=%s but it holds %d" % (k, s.get(k), v))
    for s in suites:
        if s.tests != sum(1 for _ in s):
            faults.append("junitparser: suite tests=%s but %d cases" % (s.tests, sum(1 for _ in s)))
    for c in gl:
        pkg, _, cls = c["classname"].rpartition(".")
        c["jenkins_package"], c["jenkins_class"] = pkg, cls
    print(json.dumps({"cases": gl, "faults": faults}, indent=1))
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
