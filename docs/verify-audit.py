#!/usr/bin/env python3
"""Verify a Mandate audit export (`mandate audit export --out FILE`) without Mandate.

Each line after the header is one entry. Its hash is SHA-256 over these fields joined by a
newline: prev_hash, seq, at, actor, entity, entity_id, op, before, after (null as empty text).
Each entry's prev_hash must equal the previous entry's hash (the first: 64 zeros), sequence
numbers run 1, 2, 3… with no gaps, and the last entry must match the head in the header.
Exit status 0 when the chain verifies, 1 with the first bad entry otherwise.
"""
import hashlib, json, sys

def main(path):
    with open(path, encoding="utf-8") as f:
        header = json.loads(f.readline())
        prev, expected, n = "0" * 64, 1, 0
        for line_no, line in enumerate(f, start=2):
            e = json.loads(line)
            n += 1
            fields = [e["prev_hash"], str(e["seq"]), e["at"], e["actor"], e["entity"], e["entity_id"], e["op"],
                      e["before"] or "", e["after"] or ""]
            digest = hashlib.sha256("\n".join(fields).encode("utf-8")).hexdigest()
            if e["seq"] != expected:
                return fail(line_no, expected, "entries removed or inserted before it")
            if e["prev_hash"] != prev:
                return fail(line_no, e["seq"], "does not link to the entry before it")
            if digest != e["hash"]:
                return fail(line_no, e["seq"], "content does not match its hash (edited)")
            prev, expected = e["hash"], e["seq"] + 1
    if header.get("head_seq") != n or header.get("head_hash") != prev:
        return fail(line_no if n else 1, n + 1, "entries at the end are missing")
    print(f"OK: {n} entries verify; head {prev}")
    return 0

def fail(line_no, seq, why):
    print(f"BROKEN at line {line_no}, entry {seq}: {why}")
    return 1

if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
