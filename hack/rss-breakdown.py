#!/usr/bin/env python3
"""Where a process's RSS is: anonymous memory by kind of mapping, its threads, and the executable's resident
pages attributed to modules by symbol (Swift mangled names carry the module; ICU, CoreFoundation, C++ and
the rest by prefix). Needs root (reads /proc/PID/pagemap) and `nm`/`readelf` (binutils).

    hack/rss-breakdown.py PID        # e.g. the operator under `ecr-bench reconcile`
"""
import bisect
import collections
import os
import re
import struct
import subprocess
import sys

PAGE = 4096
MIB = 1048576


def anonymous(pid):
    kinds, counts, current = collections.Counter(), collections.Counter(), None
    for line in open(f"/proc/{pid}/smaps"):
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            parts = line.split()
            low, high = (int(x, 16) for x in parts[0].split("-"))
            name = parts[5] if len(parts) > 5 else ""
            if name == "[heap]":
                current = "heap (main arena)"
            elif name.startswith("/"):
                current = "file:" + os.path.basename(name)
            elif name:
                current = name
            elif low % (64 << 20) == 0:
                current = "malloc arenas (64 MiB heaps)"
            elif high - low in (8 << 20, (8 << 20) + PAGE):
                current = "thread stacks"
            else:
                current = "other anonymous"
        elif line.startswith("Anonymous:"):
            kilobytes = int(line.split()[1])
            kinds[current] += kilobytes
            counts[current] += 1 if kilobytes else 0
    tasks = os.listdir(f"/proc/{pid}/task")
    names = collections.Counter(open(f"/proc/{pid}/task/{t}/comm").read().strip() for t in tasks)
    print(f"threads {len(tasks)}: " + ", ".join(f"{n} x{c}" for n, c in names.most_common()))
    for kind, kilobytes in sorted(kinds.items(), key=lambda item: -item[1]):
        if kilobytes >= 64 and not kind.startswith("file:"):
            print(f"  {kilobytes / 1024:6.1f} MiB anonymous  {kind} ({counts[kind]} mappings)")
    relocated = sum(k for kind, k in kinds.items() if kind.startswith("file:"))
    print(f"  {relocated / 1024:6.1f} MiB anonymous  in file mappings (relocated data, copy-on-write)")


def module(symbol):
    match = re.match(r"_?\$s(\d+)(\w+)", symbol)
    if match:
        return match.group(2)[: int(match.group(1))]
    if symbol.startswith(("$s", "_$s")):
        return "Swift"
    if "icu_" in symbol or symbol.startswith(("u_", "ucol_", "ures_", "icudt")):
        return "ICU"
    if symbol.startswith(("_CF", "CF", "__CF")):
        return "CoreFoundation"
    if symbol.startswith(("swift_", "_swift")):
        return "Swift runtime"
    if symbol.startswith(("_dispatch", "dispatch_")):
        return "dispatch"
    if symbol.startswith("_Z"):
        return "C++"
    return "metadata, C and other"


def executable(pid):
    exe = os.readlink(f"/proc/{pid}/exe")
    maps = []
    for line in open(f"/proc/{pid}/maps"):
        parts = line.split()
        if len(parts) >= 6 and parts[5] == exe:
            low, high = (int(x, 16) for x in parts[0].split("-"))
            maps.append((low, high, int(parts[2], 16)))
    resident = []
    with open(f"/proc/{pid}/pagemap", "rb") as pagemap:
        for low, high, offset in maps:
            pagemap.seek(low // PAGE * 8)
            raw = pagemap.read((high - low) // PAGE * 8)
            for index in range((high - low) // PAGE):
                if struct.unpack_from("<Q", raw, index * 8)[0] >> 63 & 1:
                    resident.append(offset + index * PAGE)
    segments = []
    for line in subprocess.run(["readelf", "-lW", exe], capture_output=True, text=True).stdout.splitlines():
        parts = line.split()
        if parts and parts[0] == "LOAD":
            segments.append((int(parts[1], 16), int(parts[2], 16), int(parts[4], 16)))
    addresses, names = [], []
    for line in subprocess.run(["nm", "-n", "--defined-only", exe], capture_output=True, text=True).stdout.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3:
            addresses.append(int(parts[0], 16))
            names.append(parts[2])
    modules = collections.Counter()
    for file_offset in resident:
        address = next((v + file_offset - o for o, v, size in segments if o <= file_offset < o + size + PAGE), None)
        if address is None:
            modules["?"] += 1
            continue
        first = max(bisect.bisect_right(addresses, address) - 1, 0)
        last = max(bisect.bisect_left(addresses, address + PAGE), first + 1)
        votes = collections.Counter(module(names[k]) for k in range(first, min(last, len(names))))
        modules[votes.most_common(1)[0][0] if votes else "?"] += 1
    print(f"{exe}: {len(resident) * PAGE / MIB:.1f} MiB resident")
    for name, pages in modules.most_common(20):
        print(f"  {pages * PAGE / MIB:6.2f} MiB  {name}")


if __name__ == "__main__":
    anonymous(sys.argv[1])
    executable(sys.argv[1])
