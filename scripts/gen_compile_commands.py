#!/usr/bin/env python3
"""gen_compile_commands.py - write compile_commands.json for clangd and other editors.

Usage: gen_compile_commands.py "CC FLAGS..." SOURCE... > compile_commands.json
Each source gets the kernel's compile command, run from the repository root.
"""
import json
import os
import shlex
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
args = shlex.split(sys.argv[1])
entries = [
    {
        "directory": root,
        "file": os.path.join(root, src),
        "arguments": args + ["-c", src, "-o", "/dev/null"],
    }
    for src in sys.argv[2:]
]
json.dump(entries, sys.stdout, indent=1)
sys.stdout.write("\n")
