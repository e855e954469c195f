#!/usr/bin/env python3
"""Independent check of Vigil's ledger from its API's JSON alone (Python standard library, no Vigil code).

Recomputes an event's leaf hash from the bytes the server serves, checks its inclusion proof against the
checkpoint's root (RFC 9162 §2.1.3.2), and checks a consistency proof between two checkpointed sizes
(§2.1.4.2). Usage: VIGIL_HOST=… VIGIL_TOKEN=… scripts/verify-event.py EVENT_ID [FIRST_SIZE]
Exit 0 when everything verifies, 1 otherwise, 2 on usage errors.
"""
import base64, hashlib, json, os, sys, urllib.error, urllib.parse, urllib.request

def H(*parts):
    return hashlib.sha256(b"".join(parts)).digest()

def fail(message):
    print(f"verify-event: {message}", file=sys.stderr)
    sys.exit(1)

def get(path, what):
    """The body of a GET; any failure ends the check with one line naming `what` was asked for and why."""
    request = urllib.request.Request(os.environ["VIGIL_HOST"] + path,
                                     headers={"Authorization": "Bearer " + os.environ["VIGIL_TOKEN"]})
    try:
        return urllib.request.urlopen(request).read()
    except urllib.error.HTTPError as error:
        try:
            reason = json.loads(error.read()).get("message") or error.reason
        except ValueError:
            reason = error.reason
        fail(f"cannot get {what}: HTTP {error.code}: {reason}")
    except urllib.error.URLError as error:
        fail(f"cannot connect to {os.environ['VIGIL_HOST']}: {error.reason} (is vigil serve running?)")

def verify_inclusion(index, size, leaf, proof, root):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = H(b"\x01", p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = H(b"\x01", r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root

def verify_consistency(size1, size2, root1, root2, proof):
    if size1 == size2:
        return not proof and root1 == root2
    if size1 == 0 or size1 > size2 or not proof:
        return False
    if size1 & (size1 - 1) == 0:
        proof = [root1] + proof
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = H(b"\x01", c, fr), H(b"\x01", c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = H(b"\x01", sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == root1 and sr == root2

def main():
    if len(sys.argv) not in (2, 3) or "VIGIL_HOST" not in os.environ or "VIGIL_TOKEN" not in os.environ:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        sys.exit(2)
    event_id = sys.argv[1]
    if len(sys.argv) == 3 and not sys.argv[2].isdigit():
        print(f"verify-event: FIRST_SIZE must be a tree size (a whole number), not {sys.argv[2]!r}", file=sys.stderr)
        sys.exit(2)
    quoted = urllib.parse.quote(event_id, safe="")
    leaf = H(b"\x00", get(f"/api/2.0/audit/events/{quoted}", f"event {event_id}"))
    proof = json.loads(get(f"/api/2.0/vigil/ledger/proof/inclusion?event_id={quoted}", f"the inclusion proof of {event_id}"))
    checkpoint = json.loads(get(f"/api/2.0/vigil/ledger/checkpoint?tree_size={proof['tree_size']}",
                                f"the checkpoint at size {proof['tree_size']}"))
    root = base64.b64decode(checkpoint["root_hash"])
    ok = verify_inclusion(proof["leaf_index"], proof["tree_size"], leaf, [base64.b64decode(h) for h in proof["hashes"]], root)
    print(f"inclusion of {event_id} (leaf {proof['leaf_index']}) in the tree signed at size {proof['tree_size']}: {'valid' if ok else 'INVALID'}")
    if len(sys.argv) == 3:
        first = int(sys.argv[2])
        older = json.loads(get(f"/api/2.0/vigil/ledger/checkpoint?tree_size={first}",
                               f"a checkpoint at size {first} (FIRST_SIZE must be a size a checkpoint was signed at)"))
        step = json.loads(get(f"/api/2.0/vigil/ledger/proof/consistency?first={first}&second={proof['tree_size']}",
                              f"the consistency proof from {first} to {proof['tree_size']}"))
        consistent = verify_consistency(first, proof["tree_size"], base64.b64decode(older["root_hash"]), root,
                                        [base64.b64decode(h) for h in step["hashes"]])
        print(f"consistency from size {first} to {proof['tree_size']}: {'valid' if consistent else 'INVALID'}")
        ok = ok and consistent
    sys.exit(0 if ok else 1)

if __name__ == "__main__":
    main()
